"""Visual reports: matplotlib figures gathered into one self-contained HTML page."""

from ._figures import (
    association_figure,
    counterfactual_figure,
    distributions_figure,
    loss_figure,
    rates_figure,
    tradeoff_figure,
)
from ._html import Section, report_files, write_report
from ._mixing import mixing_model, mixing_section, ratio_figure
from ._rarity import rarity_audit_section, rarity_figure, rarity_section
from ._sections import (
    attribute_sets,
    counterfactual_section,
    fidelity_section,
    quality_table,
    rate_panels,
    rates_section,
    shift_section,
    training_section,
)

__all__ = [
    "Section",
    "association_figure",
    "attribute_sets",
    "counterfactual_figure",
    "counterfactual_section",
    "distributions_figure",
    "fidelity_section",
    "loss_figure",
    "mixing_model",
    "mixing_section",
    "quality_table",
    "rarity_audit_section",
    "rarity_figure",
    "rarity_section",
    "rate_panels",
    "rates_figure",
    "rates_section",
    "ratio_figure",
    "report_files",
    "shift_section",
    "tradeoff_figure",
    "training_section",
    "write_report",
]

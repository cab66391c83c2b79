"""Fairness metrics, fairness-aware scorers and synthetic-data quality measures.

This package does not import torch, so audits and model selection stay light.
"""

from ._counterfactual import (
    counterfactual_flip_rate,
    counterfactual_report,
    counterfactual_score_change,
    directional_bias_amplification,
    score_divergence,
)
from ._detection import detection_auc, group_recoverability_auc, tstr_score
from ._fairness import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    label_risk_difference,
    label_risk_ratio,
    p_percent_rule,
)
from ._privacy import (
    closer_to_training_share,
    distance_to_closest_record,
    exact_copy_rate,
)
from ._quality import (
    association_difference,
    association_matrix,
    column_fidelity,
    correlation_similarity,
)
from ._report import group_report
from ._scorers import fairness_refit, make_fairness_scorer, make_tradeoff_scorer
from ._shift import category_shift
from ._summary import quality_report

__all__ = [
    "association_difference",
    "association_matrix",
    "category_shift",
    "closer_to_training_share",
    "column_fidelity",
    "correlation_similarity",
    "counterfactual_flip_rate",
    "counterfactual_report",
    "counterfactual_score_change",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "detection_auc",
    "directional_bias_amplification",
    "distance_to_closest_record",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "exact_copy_rate",
    "fairness_refit",
    "group_recoverability_auc",
    "group_report",
    "label_risk_difference",
    "label_risk_ratio",
    "make_fairness_scorer",
    "make_tradeoff_scorer",
    "p_percent_rule",
    "quality_report",
    "score_divergence",
    "tstr_score",
]

"""The training-loss figure of a fitted sampler's history."""

import pytest
from skorch.history import History

from fairsynth.report import loss_figure


def history(adversary):
    """Three epochs of the losses FairGANNet records; ``adversary`` scales its two."""
    record = History()
    for epoch in (1, 2, 3):
        record.new_epoch()
        record.record("epoch", epoch)
        for key in ("train_loss", "valid_loss", "critic_loss"):
            record.record(key, 1.0 / epoch)
        for key in ("adversary_loss", "fairness_penalty"):
            record.record(key, adversary / epoch)
    return record


@pytest.mark.parametrize("adversary, suffix", [(0.0, " (off)"), (0.3, "")])
def test_panels_show_every_part_and_mark_those_switched_off(adversary, suffix):
    axes = loss_figure(history(adversary)).axes
    assert [ax.get_title() for ax in axes] == [
        "Likelihood",
        "Critic",
        "Fairness adversary",
    ]
    labels = [text.get_text() for text in axes[2].get_legend().get_texts()]
    assert labels == ["adversary loss" + suffix, "fairness penalty" + suffix]
    assert axes[1].get_legend().get_texts()[0].get_text() == "critic loss"

"""The training-loss figure of a fitted sampler's history."""

import pytest
from skorch.history import History

from fairsynth.report import loss_figure


def history(penalty):
    """Three epochs of the losses FairGANNet records."""
    record = History()
    for epoch in (1, 2, 3):
        record.new_epoch()
        record.record("epoch", epoch)
        for key in ("train_loss", "critic_loss", "adversary_loss", "classifier_loss"):
            record.record(key, 1.0 / epoch)
        record.record("fairness_penalty", penalty / epoch)
    return record


@pytest.mark.parametrize("penalty, applied", [(0.0, False), (0.3, True)])
def test_panels_show_every_trained_part_and_flag_an_unused_penalty(penalty, applied):
    axes = loss_figure(history(penalty)).axes
    assert [ax.get_title() for ax in axes] == [
        "Wasserstein GAN",
        "Cell classifier",
        "Fairness adversary",
    ]
    labels = [text.get_text() for text in axes[2].get_legend().get_texts()]
    expected = "fairness penalty" + ("" if applied else " (not applied)")
    assert labels == ["adversary loss", expected]

"""Callbacks the net adds when it is verbose."""

import sys
import time
from datetime import datetime, timedelta

from skorch.callbacks import Callback
from tqdm.auto import tqdm


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class TimeEstimate(Callback):
    """Print how long training will take, as soon as it can tell.

    After the first epoch: the most the likelihood phase can take (it stops
    earlier when the validation likelihood stops improving). A few batches into
    the adversarial phase, which trains a critic too at a cost the likelihood
    epochs do not tell: when training will end.

    Parameters
    ----------
    timed_batches : int, default=20
        Adversarial batches timed before the second estimate.
    """

    def __init__(self, timed_batches=20):
        self.timed_batches = timed_batches

    def initialize(self):
        self.adversarial_batches_, self.epoch_start_ = 0, None
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_start_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        """Print the likelihood phase's estimate after the first epoch."""
        if len(net.history) == 1:
            self._likelihood(net, net.history[-1, "dur"])

    def on_batch_end(self, net, training=False, **kwargs):
        """Time the first adversarial batches; then print when training ends."""
        if not training or net.history[-1, "phase"] != "adversarial":
            return
        self.adversarial_batches_ += 1
        n_batches = len(net.batches_)
        if self.adversarial_batches_ == min(self.timed_batches, n_batches):
            per_batch = (
                time.perf_counter() - self.epoch_start_
            ) / self.adversarial_batches_
            before = sum(net.history[:-1, "dur"])
            left = per_batch * (
                n_batches * net.adversarial_epochs - self.adversarial_batches_
            )
            self._adversarial(
                net,
                per_batch,
                before + per_batch * self.adversarial_batches_ + left,
                datetime.now() + timedelta(seconds=left),
            )

    @staticmethod
    def _likelihood(net, seconds):
        # tqdm.write keeps the lines apart from the progress bars.
        tqdm.write(
            f"Epoch 1 took {seconds:.1f} s: at most {net.max_epochs} likelihood "
            f"epochs, so at most about {_duration(seconds * net.max_epochs)}, less "
            "when the validation likelihood stops improving earlier; then "
            f"{net.adversarial_epochs} adversarial epoch(s), which train a critic "
            "too and take longer, the more so the more tokens the table has.",
            file=sys.stdout,
        )

    @staticmethod
    def _adversarial(net, per_batch, total, end):
        # The clock time also counts what the epochs do not: reading and encoding
        # the table before training.
        tqdm.write(
            f"Adversarial batches take {per_batch:.2f} s each: "
            f"{net.adversarial_epochs} epoch(s) of {len(net.batches_)} batches, so "
            f"training ends after about {_duration(total)} of epochs in all, at "
            f"about {end:%H:%M:%S}.",
            file=sys.stdout,
        )

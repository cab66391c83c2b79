"""Callbacks the net adds when it is verbose."""

import sys

from skorch.callbacks import Callback
from tqdm.auto import tqdm


class TimeEstimate(Callback):
    """After the first epoch, print how long the likelihood phase takes at most.

    The adversarial epochs that follow train a critic as well, at a cost the first
    epoch does not tell; the message says how many there are.
    """

    def on_epoch_end(self, net, **kwargs):
        """Print the estimate once, from the first epoch's duration."""
        if len(net.history) != 1:
            return
        seconds = net.history[-1, "dur"] * net.max_epochs
        total = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
        # tqdm.write keeps the line apart from the progress bars.
        tqdm.write(
            f"Epoch 1 took {net.history[-1, 'dur']:.1f} s: at most {net.max_epochs} "
            f"likelihood epochs, so at most about {total}, less when the validation "
            "likelihood stops improving earlier; then "
            f"{net.adversarial_epochs} adversarial epoch(s), which train a critic "
            "too and take longer, the more so the more tokens the table has.",
            file=sys.stdout,
        )

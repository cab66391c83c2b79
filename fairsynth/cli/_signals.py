"""Ctrl-C that stays noticed, even where a library swallows it.

skorch ends ``fit`` quietly on KeyboardInterrupt and returns the half-trained net.
The command line must then stop instead of writing output from that net, so it
remembers the interrupt and raises it again once training returns.
"""

import contextlib
import signal
import threading


class _State:
    interrupted = False


@contextlib.contextmanager
def remember_interrupts():
    """Within the block, record every Ctrl-C before raising KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        _State.interrupted = True
        raise KeyboardInterrupt

    _State.interrupted = False
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def raise_if_interrupted():
    """Raise KeyboardInterrupt if a Ctrl-C came, even one already swallowed."""
    if _State.interrupted:
        raise KeyboardInterrupt

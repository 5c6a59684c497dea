"""Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be, and
code in between can swallow it: an exception raised in a finaliser, or in a callback
from C++ that clears Python errors, is printed or dropped and training goes on (seen
under load: a run interrupted during its search ended normally). So while a command runs,
SIGINT also sets a flag, and training checks it after every step and epoch
(``training.StopOnCtrlC``): an interrupt that was swallowed is raised again at the next
step, and the pipeline saves what it has and exits with status 130.
"""
import contextlib
import signal
import threading
from typing import Iterator

_requested = threading.Event()


def _on_sigint(signum, frame):
    _requested.set()
    raise KeyboardInterrupt


@contextlib.contextmanager
def watched() -> Iterator[None]:
    """Runs the block with the flag-setting SIGINT handler. Nothing changes where SIGINT
    is ignored (a job started in the background by a shell) or handled by someone else,
    or outside the main thread (signal handlers belong to it)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    _requested.clear()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def requested() -> bool:
    """Whether Ctrl-C was pressed while a watched block ran."""
    return _requested.is_set()


def check():
    """Raises KeyboardInterrupt again when Ctrl-C was pressed (it may have been lost)."""
    if _requested.is_set():
        raise KeyboardInterrupt


__all__ = ["watched", "requested", "check"]

"""Ctrl-C and SIGTERM that are never lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be, and
code in between can swallow it: an exception raised in a finaliser, or in a callback
from C++ that clears Python errors, is printed or dropped and training goes on (seen
under load: a run interrupted during its search ended normally). So while a command runs,
SIGINT also sets a flag, and training checks it after every step and epoch
(``training.StopOnCtrlC``): an interrupt that was swallowed is raised again at the next
step, and the pipeline saves what it has and exits with status 130.

SIGTERM (``kill``, a batch scheduler ending a job) is treated the same way: a
``Terminated`` (a KeyboardInterrupt) is raised, the pipeline notes what was saved and
how to resume, and the command exits with status 143 (128 + SIGTERM), as a process ended
by that signal does.
"""
import contextlib
import signal
import threading
from typing import Iterator, Optional

_requested = threading.Event()
_signal: Optional[int] = None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt."""


def _on_signal(signum, frame):
    global _signal
    _signal = signum
    _requested.set()
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def watched() -> Iterator[None]:
    """Runs the block with the flag-setting SIGINT and SIGTERM handlers. Nothing changes
    for a signal that is ignored (SIGINT of a job started in the background by a shell)
    or handled by someone else, or outside the main thread (signal handlers belong to
    it)."""
    global _signal
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    previous = {}
    _requested.clear()
    _signal = None
    for signum, default in defaults.items():
        if signal.getsignal(signum) is default:
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def requested() -> bool:
    """Whether Ctrl-C (or SIGTERM) came while a watched block ran."""
    return _requested.is_set()


def exit_status() -> int:
    """The exit status of a command stopped by the signal that came: 143 for SIGTERM,
    130 for Ctrl-C."""
    return 128 + (_signal or signal.SIGINT)


def signal_name() -> str:
    return "SIGTERM" if _signal == signal.SIGTERM else "Ctrl-C"


def check():
    """Raises the interrupt again when a signal came (it may have been lost)."""
    if _requested.is_set():
        raise Terminated() if _signal == signal.SIGTERM else KeyboardInterrupt()


__all__ = ["Terminated", "watched", "requested", "exit_status", "signal_name", "check"]

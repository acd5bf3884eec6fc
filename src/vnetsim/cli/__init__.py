"""The `vnetsim` command.

``main`` is the console entry point. It keeps the promise of one line on stderr at every moment,
start-up included: Ctrl-C prints what was written (usually nothing: every output file is written
whole or not at all) and exits with 130; SIGTERM does the same with 143, after the open output
files were removed (the signal is raised as an exception where the program is, so ``AtomicFile``
aborts). A Ctrl-C that lands inside a C callback (numba's compiler, which swallows exceptions) is
raised again a moment later, until it reaches ``main``.

``vnetsim KIND COMMAND`` where the kind offers COMMAND as a quick command (``Kind.quick``, e.g.
``vnetsim storage plan``) runs it here, without importing the typer application.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

_RETRY_S = 0.2


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so that half-written outputs are removed."""


class _Pending:
    signal: int | None = None


def _on_signal(signum, frame) -> None:  # noqa: ANN001 - the signal module's signature
    _Pending.signal = signum
    signal.setitimer(signal.ITIMER_REAL, _RETRY_S)  # in case the exception below is swallowed
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_retry(signum, frame) -> None:  # noqa: ANN001
    if _Pending.signal is not None:
        _on_signal(_Pending.signal, frame)


def _stop(what: str, status: int) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    _Pending.signal = None
    from vnetsim.io.outputs import abort_all, written

    abort_all()

    said = f"wrote {', '.join(written)}" if written else "nothing written"
    print(f"vnetsim: {what}; {said}", file=sys.stderr)
    sys.exit(status)


def _quick_command(args: list[str]) -> Callable[[list[str]], None] | None:
    """``vnetsim KIND COMMAND ...`` where the kind offers COMMAND as a quick command (``Kind.quick``):
    it runs without the typer CLI being imported at all (see ``vnetsim.kinds.Kind``)."""
    if len(args) < 2 or args[0].startswith("-") or args[1].startswith("-"):
        return None
    from vnetsim.cli.failures import one_line_errors

    with one_line_errors():
        from vnetsim.kinds import quick_command

        return quick_command(args[0], args[1])


def main(argv: list[str] | None = None) -> None:
    """Run the command line; interruptions become one line and exit status 130 (143 for SIGTERM)."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGALRM, _on_retry)
    from vnetsim.cli import startup

    startup.begin(own_process=argv is None)  # before the command line's own imports (see startup)
    try:
        args = sys.argv[1:] if argv is None else argv
        quick = _quick_command(args)
        if quick is not None:
            from vnetsim.cli.failures import one_line_errors

            with one_line_errors():
                quick(args[2:])
        else:
            from vnetsim.cli.app import main as app_main

            app_main(argv)
    except KeyboardInterrupt:
        _stop("interrupted", 130)
    except Terminated:
        _stop("terminated", 143)
    except SystemError as exc:  # a compiled dispatcher may wrap the KeyboardInterrupt it saw
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt | Terminated):
            _stop("interrupted", 130)
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for s, h in handlers.items():
            signal.signal(s, h)
        startup.end()
        if argv is None:
            startup.exiting()

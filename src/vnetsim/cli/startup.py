"""The garbage collector while a command starts and when it exits.

Start-up imports numpy, numba, pydantic and a kind's models: some 150,000 long-lived objects and
next to no garbage. With the default thresholds CPython still runs hundreds of collections while
they load, each later full one walking every object (0.1-0.3 s of a warm run on a 2-core machine),
and the interpreter's shutdown walks them all again several times (0.4 s). So the command line:

- ``begin``: pauses the collector while the command loads (only commands that run variants keep
  the pause past argument parsing: ``vnetsim.cli.app`` ends it for the others);
- ``settled``: once the scenario is loaded, just before the first variant runs, moves every object
  alive into the permanent generation (``gc.freeze``: later collections skip them) and turns the
  collector back on, so the simulation runs with it as usual;
- ``exiting``: freezes again just before the process exits, so the shutdown does not walk them.

Freezing happens only when the command is the process's own (the console entry, or ``main()``
without arguments), never in a caller's process (``main(argv)`` from a test or a script).

Freezing only means the collector stops looking at objects that live for the whole command
anyway. What the pause leaves uncollected is the cyclic garbage of start-up (about 1,200 objects
of 175,000 for a host run), freed when the process exits.
"""

from __future__ import annotations

import gc

_paused = False
_own_process = False


def begin(own_process: bool) -> None:
    """Pause the collector while the command loads (until ``settled`` or ``end``). ``own_process``:
    the command is the process's own (the console entry), so ``settled`` may freeze its objects; a
    caller's process (``main(argv)`` from a test or a script) only gets the pause."""
    global _paused, _own_process
    if gc.isenabled():
        gc.disable()
        _paused, _own_process = True, own_process


def settled() -> None:
    """Start-up is over: freeze what it made (in the command's own process) and collect as usual
    from here on."""
    if _paused and _own_process:
        gc.freeze()
    end()


def end() -> None:
    """Turn the collector back on if ``begin`` paused it (also when a command ran no variant)."""
    global _paused
    if _paused:
        gc.enable()
        _paused = False


def exiting() -> None:
    """The process is about to exit: the shutdown's collections can skip every object alive."""
    gc.freeze()

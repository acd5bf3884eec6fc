"""One rule for offered rates above the pNIC's line rate: refused, for flows and ``loads:`` alike.

Why refuse rather than run: the wire stage is the upstream sender's queue, which has no bound (a
sender cannot put more than line rate on the port, so what it offers beyond it waits there).
Above line rate that queue grows for the whole run; its latency is then set by the run's length,
not by the host, and nothing is lost that a drop count could report. A real sender's excess would
be dropped somewhere upstream (its own queue, a switch buffer) that the host model does not
contain, so any loss figure would be invented. The zero-loss search already stops at line rate;
a load exactly at line rate is accepted (the wire is then a critically loaded queue).
"""

from __future__ import annotations

from vnetsim.errors import ModelError
from vnetsim.net.ethernet import WIRE_GAP_BYTES
from vnetsim.results.cells import bitrate
from vnetsim.units import format_rate

TOLERANCE = 1e-9  # a rate written as the line rate itself passes despite rounding
LINE_RATE_FIX = "lower it, or raise host.pnic.line_rate"


def line_rate_pps(line_rate_bps: float, mean_frame_bytes: float) -> float:
    """Frames per second the port carries at this mean frame size (20 B preamble and gap each)."""
    return line_rate_bps / ((mean_frame_bytes + WIRE_GAP_BYTES) * 8.0)


def check_line_rate(field: str, what: str, offered_pps: float, mean_frame_bytes: float, line_rate_bps: float,
                    fix: str) -> None:
    """Raise a ModelError on ``field`` when ``offered_pps`` of frames of ``mean_frame_bytes`` exceed
    the line rate: ``{what} is above the 10 Gb/s line rate for 64 B frames (14.88 Mpps); {fix}``."""
    top = line_rate_pps(line_rate_bps, mean_frame_bytes)
    if offered_pps > top * (1 + TOLERANCE):
        raise ModelError(field, f"{what} is above the {bitrate(line_rate_bps)} line rate for "
                         f"{mean_frame_bytes:.4g} B frames ({format_rate(top, 'pps')}): the sender's queue would "
                         "grow without bound", fix)

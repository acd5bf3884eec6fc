"""sockperf runs inside the testbed: a server in one namespace, a client in the other.

- latency: ``sockperf ping-pong`` (one message outstanding): the p50 of half the round trip;
- packet rate: ``sockperf throughput --mps R`` offers R messages/s (or ``max``); the rate
  delivered is what the server's UDP socket received (``Udp InDatagrams`` of the server's
  namespace, read from /proc/PID/net/snmp over a window after sockperf's warm-up), so drops in
  the stack and at the socket count as not delivered;
- latency under load: ``sockperf under-load --mps R`` (every ``reply-every`` message answered).
Every process runs under a wall-clock bound (``timeout``), and the server is killed at the end.
Nothing is pinned: pinning client and server to two CPUs narrowed the rate windows of the 2-vCPU
development machine (17-25 kpps instead of 17-75) but made every request/response cross CPUs,
which on a loaded VM cost 3-4x the latency (docs/calibrate.md, Limits).
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

PORT = 11111
WARMUP_S = 0.45           # sockperf's warm-up (400 ms of dummy messages) and start-up


def _ns(ns: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]



class Server:
    """``sockperf server`` in the server namespace for the life of the ``with`` block."""

    def __init__(self, ns: str, address: str, limit_s: float) -> None:
        self.argv = _ns(ns, "timeout", f"{limit_s:.0f}", "sockperf", "server", "-i", address, "-p", str(PORT))
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        time.sleep(0.3)
        return self

    def udp_in(self) -> int | None:
        """Udp InDatagrams of the server's namespace."""
        if self.proc is None:
            return None
        try:
            text = Path(f"/proc/{self.proc.pid}/net/snmp").read_text()
        except OSError:
            return None
        rows = [line.split() for line in text.splitlines() if line.startswith("Udp:")]
        if len(rows) < 2:
            return None
        return int(dict(zip(rows[0], rows[1]))["InDatagrams"])

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def parse_latency(text: str) -> dict:
    """sockperf's summary: average, percentiles and observation count (microseconds, one way)."""
    out: dict = {}
    m = re.search(r"avg-(?:latency|rtt)=([\d.]+)", text)
    if m:
        out["avg_us"] = float(m.group(1))
    for pct, val in re.findall(r"percentile\s+([\d.]+)\s+=\s+([\d.]+)", text):
        out[f"p{float(pct):g}_us"] = float(val)
    m = re.search(r"Total (\d+) observations", text)
    out["observations"] = int(m.group(1)) if m else 0
    m = re.search(r"SentMessages=(\d+); ReceivedMessages=(\d+)", text.split("[Valid Duration]")[-1])
    if m:
        out["sent"], out["received"] = int(m.group(1)), int(m.group(2))
    return out


def _client(ns: str, mode: str, address: str, size: int, seconds: float, mps: str, extra: tuple[str, ...] = ()) -> \
        subprocess.Popen:
    argv = _ns(ns, "timeout", f"{seconds + 5:.0f}", "sockperf", mode, "-i", address, "-p", str(PORT),
               "-m", str(size), "-t", f"{max(1, round(seconds))}", "--mps", mps, *extra)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)


def ping_pong(ns: str, address: str, size: int, seconds: float) -> dict:
    proc = _client(ns, "ping-pong", address, size, seconds, "max")
    out, _ = proc.communicate(timeout=seconds + 10)
    return parse_latency(out)


def under_load(ns: str, address: str, size: int, seconds: float, mps: float) -> dict:
    proc = _client(ns, "under-load", address, size, seconds, str(int(mps)), ("--reply-every", "10"))
    out, _ = proc.communicate(timeout=seconds + 10)
    return parse_latency(out)


def rate(ns: str, server: Server, address: str, size: int, seconds: float, mps: float | None) -> dict:
    """Offered and delivered messages per second over the window after the warm-up."""
    proc = _client(ns, "throughput", address, size, seconds, "max" if mps is None else str(int(mps)))
    time.sleep(WARMUP_S)
    t0, n0 = time.monotonic(), server.udp_in()
    window = max(0.2, round(seconds) - 0.2)
    time.sleep(window)
    t1, n1 = time.monotonic(), server.udp_in()
    out, _ = proc.communicate(timeout=seconds + 10)
    delivered = (n1 - n0) / (t1 - t0) if n0 is not None and n1 is not None else None
    m = re.search(r"Message Rate is (\d+) \[msg/sec\]", out)
    return {"delivered_pps": delivered, "sent_pps": float(m.group(1)) if m else None}


def parse_full_log(text: str) -> list[float]:
    """Per-message latencies (us) from sockperf's ``--full-log`` CSV (rows after the header line)."""
    out = []
    started = False
    for line in text.splitlines():
        if line.startswith("packet,"):
            started = True
            continue
        if started:
            parts = line.split(",")
            if len(parts) == 4:
                try:
                    out.append(float(parts[3]))
                except ValueError:
                    continue
    return out


def latencies(ns: str, address: str, size: int, seconds: float, mps: float | None, log: Path) -> list[float]:
    """Every message's latency of one ping-pong (``mps`` None) or under-load run."""
    mode, extra = ("ping-pong", ()) if mps is None else ("under-load", ("--reply-every", "1"))
    proc = _client(ns, mode, address, size, seconds, "max" if mps is None else str(int(mps)),
                   (*extra, "--full-log", str(log)))
    proc.communicate(timeout=seconds + 10)
    try:
        return parse_full_log(log.read_text())
    except OSError:
        return []


def rate_windows(ns: str, server: Server, address: str, size: int, windows: int, window_s: float,
                 mps: float | None) -> list[float]:
    """Delivered messages per second in ``windows`` consecutive windows of one throughput run, from
    the moment the server's counter starts moving (sockperf starts sending about 2 s after launch)."""
    seconds = windows * window_s + 0.6
    proc = _client(ns, "throughput", address, size, seconds, "max" if mps is None else str(int(mps)))
    deadline = time.monotonic() + 8.0
    n0 = server.udp_in() or 0
    while time.monotonic() < deadline and proc.poll() is None:
        if (server.udp_in() or 0) - n0 > 20:
            break
        time.sleep(0.01)
    time.sleep(0.1)
    out: list[float] = []
    t, n = time.monotonic(), server.udp_in()
    for _ in range(windows):
        if proc.poll() is not None or n is None:
            break
        time.sleep(window_s)
        t1, n1 = time.monotonic(), server.udp_in()
        if n1 is None:
            break
        out.append((n1 - n) / (t1 - t))
        t, n = t1, n1
    proc.communicate(timeout=seconds + 10)
    return out

"""Raw sensor streams through the edge node's processing stages, in aggregate.

No loop per sample: a site's sensor data is a stream described by its rates (samples and payload
bytes per second, and how many independent sensor streams it has), and each stage maps the rates
in to the rates out, with its CPU cost from what comes in:

- filter / deadband: ``keep`` of the samples and bytes;
- downsample by ``factor``: 1 / factor of them;
- aggregate: per ``window``, one ``summary_bytes`` record per ``group`` of sensor streams
  (ceil(streams / group) summaries per window; the streams become those summaries);
- compress: bytes / ``ratio``, samples unchanged;
- detect: passes everything on (events are raised as their own messages).

CPU per second = samples in x ``per_sample`` + bytes in x ``per_byte``; the edge node needs the
sum over its stages, in cores. Every stage conserves bytes: in = out + removed.

What leaves the node: every ``flush`` interval, the processed bytes of the interval (rounded to
whole bytes) packed into messages of at most ``message_bytes`` payload, each framed with the
edge's protocol (``vnetsim.edge.protocol``). Relay mode (no stages) forwards the sensor messages
unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vnetsim.edge.protocol import Framing, framing


@dataclass(frozen=True)
class StreamRates:
    """Per site: sample and payload rates and the number of independent sensor streams."""

    samples_per_s: float
    bytes_per_s: float
    streams: float


@dataclass(frozen=True)
class StageFlow:
    """One processing stage's effect per site."""

    kind: str
    rates_in: StreamRates
    rates_out: StreamRates
    cpu_ns_per_s: float

    def to_dict(self) -> dict:
        return {"kind": self.kind, "samples_in_per_s": self.rates_in.samples_per_s,
                "samples_out_per_s": self.rates_out.samples_per_s, "bytes_in_per_s": self.rates_in.bytes_per_s,
                "bytes_out_per_s": self.rates_out.bytes_per_s,
                "bytes_removed_per_s": self.rates_in.bytes_per_s - self.rates_out.bytes_per_s,
                "cpu_cores": self.cpu_ns_per_s / 1e9}


def sensor_rates(sensors) -> StreamRates:
    """The raw payload of a site's sensor groups."""
    samples = sum(g.count * g.sample_rate for g in sensors)
    return StreamRates(samples, sum(g.count * g.sample_rate * g.sample_bytes for g in sensors),
                       float(sum(g.count for g in sensors)))


def apply_stage(stage, rates: StreamRates, cpu_hz: float) -> StageFlow:
    """The rates after one stage and the CPU it needs (ns of CPU per second)."""
    s, b, n = rates.samples_per_s, rates.bytes_per_s, rates.streams
    kind = stage.kind
    if kind in ("filter", "deadband"):
        out = StreamRates(s * stage.keep, b * stage.keep, n)
    elif kind == "downsample":
        out = StreamRates(s / stage.factor, b / stage.factor, n)
    elif kind == "aggregate":
        groups = float(math.ceil(n / stage.group))
        per_s = groups / (stage.window / 1e9)
        out = StreamRates(per_s, per_s * stage.summary_bytes, groups)
    elif kind == "compress":
        out = StreamRates(s, b / stage.ratio, n)
    else:  # detect
        out = rates
    cpu = s * stage.per_sample.to_ns(cpu_hz) + b * stage.per_byte.to_ns(cpu_hz)
    return StageFlow(kind, rates, out, cpu)


def run_stages(stages, rates: StreamRates, cpu_hz: float) -> list[StageFlow]:
    flows = []
    for st in stages:
        flow = apply_stage(st, rates, cpu_hz)
        flows.append(flow)
        rates = flow.rates_out
    return flows


@dataclass(frozen=True)
class FlushPlan:
    """What an edge node sends per flush: payload sizes of its messages and their framing."""

    interval_ns: float
    payloads: np.ndarray        # payload bytes of each message of one flush
    wire_bytes: np.ndarray      # their IP packet bytes (+ link)

    @property
    def bytes_per_s(self) -> float:
        return float(self.wire_bytes.sum()) / (self.interval_ns / 1e9)

    @property
    def messages_per_s(self) -> float:
        return len(self.payloads) / (self.interval_ns / 1e9)


def flush_plan(edge, processed_bytes_per_s: float) -> FlushPlan:
    """Messages per flush: the interval's bytes (rounded) in messages of at most ``message_bytes``."""
    total = int(round(processed_bytes_per_s * edge.flush / 1e9))
    full, rest = divmod(total, edge.message_bytes)
    payloads = np.array([edge.message_bytes] * full + ([rest] if rest else []), np.int64)
    sizes = {int(p): framing(edge.protocol, int(p), "edge.message_bytes").total_bytes for p in set(payloads.tolist())}
    wire = np.array([sizes[int(p)] for p in payloads], np.int64)
    return FlushPlan(float(edge.flush), payloads, wire)


def sensor_framing(group) -> Framing:
    """The framing of one of a sensor group's messages."""
    return framing(group.protocol, group.samples_per_message * group.sample_bytes,
                   f"sensors.{group.name}.samples_per_message")

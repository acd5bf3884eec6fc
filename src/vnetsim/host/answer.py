"""What the application sends back: an answer to each request, or every packet forwarded.

``App.respond`` makes the host path a request/response server (ping's echo reply, a UDP or TCP
request/response server such as netperf's *_RR or sockperf): every request that reaches the
application is answered by one response that crosses the transmit path back to the client, and
the result is the round trip. ``App.forward`` makes it a VNF (DPDK l3fwd, a packet gateway): every
packet goes back out, with DPDK's TX batching, and the result is the tester's view (its port out
to its port in). Defaults and their sources: docs/models/host.md ("Transmit path and round trips",
"Forwarding VNF"); original sources in docs/references.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vnetsim.units.fields import Bytes, CostSpec, DurationNs

# Half of the native-to-native ping median round trip (18 us) of VMware's vSphere 5.5 latency
# paper: the client's own send and receive stacks and the cable, as one fixed time (an assumption:
# the two native ends take equal shares; low confidence).
CLIENT_TURNAROUND_NS = 9e3
L3FWD_MAX_PKT_BURST = 32          # DPDK examples/l3fwd/l3fwd.h: MAX_PKT_BURST
L3FWD_BURST_TX_DRAIN_NS = 100e3   # DPDK examples/l3fwd/l3fwd.h: BURST_TX_DRAIN_US 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Peer(_Strict):
    """The other end of the round trip, as one fixed time between the response leaving this host's
    wire and the client (or tester) taking it: its receive stack, and (for a client) the time its
    send stack took before the request reached the wire."""

    turnaround: DurationNs = Field(CLIENT_TURNAROUND_NS, ge=0.0, description="the peer's share of the round "
                                   "trip (default 9 us: half the native-to-native ping median of 18 us, "
                                   "VMware vSphere 5.5 latency paper; assumption, low confidence)")


class Respond(_Strict):
    """The application answers each request with one response of ``size_bytes``."""

    size_bytes: Bytes | None = Field(None, ge=64, le=65535, description="frame size of the response (default: "
                                     "the request's size, as ping's echo reply)")
    per_packet: CostSpec | None = Field(None, description="the guest's work to send the response (socket send, "
                                        "stack, TX driver), on the vCPU that received the request (default: the "
                                        "guest driver's per-packet cost of its mode, 500 cycles kernel, 50 PMD)")
    kick: CostSpec | None = Field(None, description="the guest's TX doorbell (a VM exit) per response when the "
                                  "host's TX thread is interrupt-driven (default 1559 cycles: KVM's VMCALL round "
                                  "trip on Skylake-SP); none when the host polls")
    peer: Peer = Field(default_factory=Peer, description="the client")
    by: Literal["socket", "kernel"] = Field("socket", description="who answers: 'socket' a socket application "
                                            "(netperf, sockperf, a server), which pays app.socket's costs when its "
                                            "packets go through the kernel's stack; 'kernel' the kernel itself "
                                            "(ping's ICMP echo reply, in the softirq: no socket, no system call)")


class Forward(_Strict):
    """A VNF sends every packet it received back out, through the same transmit path.

    ``batching``: ``buffer`` is l3fwd's per-port TX buffer (a packet waits until ``tx_burst`` are
    buffered or the next ``drain`` tick); ``burst`` sends each poll's packets as one burst when the
    poll's work ends (testpmd's io forwarding); ``none`` sends each packet when its own work ends
    (a kernel forwarding path). Default: ``buffer`` for a poll or hybrid guest, ``none`` otherwise.
    """

    batching: Literal["buffer", "burst", "none"] | None = None
    tx_burst: int = Field(L3FWD_MAX_PKT_BURST, ge=1, le=4096, description="packets that flush the TX buffer "
                          "(l3fwd MAX_PKT_BURST, 32)")
    drain: DurationNs = Field(L3FWD_BURST_TX_DRAIN_NS, gt=0.0, description="TX buffer drain period (l3fwd "
                              "BURST_TX_DRAIN_US, 100 us)")
    per_packet: CostSpec | None = Field(None, description="the guest's TX work per packet (default: 20 cycles for "
                                        "a PMD, DPDK l2fwd's TX share measured by Emmerich et al.; 500 cycles in "
                                        "the kernel)")
    kick: CostSpec | None = Field(None, description="TX doorbell exit per packet when the host's TX thread is "
                                  "interrupt-driven (default as respond.kick)")
    peer: Peer = Field(default_factory=lambda: Peer(turnaround=0.0), description="the tester (default 0: it "
                       "timestamps at its own port)")

    def resolved_batching(self, guest_mode: str) -> str:
        """The batching in force for a guest serving its rings in ``guest_mode``."""
        if self.batching is not None:
            return self.batching
        return "none" if guest_mode == "interrupt" else "buffer"

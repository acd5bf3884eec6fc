"""Steering, overlays and offloads through the whole host path (the VXLAN examples' claims),
captures as traffic, and the simulated traffic written as pcap."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vnetsim
from vnetsim.io.pcap import read_pcap
from vnetsim.nic.steering import balls_into_bins

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def vxlan():
    res = vnetsim.run(str(EXAMPLES / "vxlan-receive-threads.yaml"), duration="12ms", overrides=["warmup=2ms"])
    return {v["name"]: v for v in res.variants}


def host_busy(v):
    return {n: 1 - c["idle"] for n, c in v["cpu"].items() if n.startswith("host/core")}


def queues_used(v):
    return v["steering"]["queues_used"]


def test_one_vtep_pins_overlay_traffic_to_one_queue_and_core(vxlan):
    v = vxlan["NetQueue, 1 VTEP"]
    assert queues_used(v) == 1
    assert v["steering"]["reasons"] == {"filter": 1024}
    busy = sorted(host_busy(v).values())
    assert busy[-1] > 0.99 and busy[-2] < 0.01, "one hot core, the others idle"
    assert v["drops_by_stage"]["pnic_ring"] > 0, "the hot core cannot keep up: its ring drops"


@pytest.mark.parametrize("name, n", [("NetQueue, 2 VTEPs", 2), ("NetQueue, 4 VTEPs", 4)])
def test_n_vteps_use_at_most_n_queues(vxlan, name, n):
    assert queues_used(vxlan[name]) <= n
    assert queues_used(vxlan[name]) > 1


def test_more_vteps_help_only_a_little(vxlan):
    drops = [vxlan[f"NetQueue, {k}"]["packets"]["dropped"] for k in ("1 VTEP", "2 VTEPs", "4 VTEPs")]
    assert drops[0] > drops[1] >= drops[2]
    assert max(host_busy(vxlan["NetQueue, 4 VTEPs"]).values()) > 1.5 * max(host_busy(vxlan["inner RSS"]).values())


def test_outer_rss_ips_only_collapses(vxlan):
    v = vxlan["RSS outer, IPs only"]
    assert queues_used(v) <= 4, "4 remote VTEP addresses: at most 4 distinct outer (src, dst) pairs"


def test_outer_rss_with_ports_spreads_unless_the_source_port_is_fixed(vxlan):
    assert queues_used(vxlan["RSS outer, IPs + ports"]) == 8
    assert queues_used(vxlan["RSS outer + ports, fixed source port"]) <= 4


@pytest.mark.parametrize("name", ["inner RSS", "RSS outer, IPs + ports", "default-queue RSS (8 queues)"])
def test_hashing_spreads_like_balls_into_bins(vxlan, name):
    """1024 flows on 8 queues: every queue used, and the busiest holds no more flows than the
    99.9999 % quantile of the maximum of a uniform multinomial (exact)."""
    v = vxlan[name]
    per_q = np.array(v["steering"]["flows_per_queue"])
    assert (per_q > 0).all()
    bib = balls_into_bins(int(per_q.sum()), len(per_q))
    assert per_q.max() <= bib.max_quantile(1 - 1e-6)
    assert v["packets"]["dropped"] == 0


def test_flow_listing_names_queue_and_core(vxlan):
    rows = vxlan["inner RSS"]["steering"]["flow_queues"]
    assert len(rows) == 16
    for r in rows:
        assert r["core"] == f"host/core{r['queue']}" and r["tunnel"] == "vxlan" and r["outer_dst_port"] == 4789


def test_tunnel_offloads_save_cpu():
    res = vnetsim.run(str(EXAMPLES / "vxlan-offload.yaml"), duration="10ms", overrides=["warmup=1ms"])
    v = {x["name"]: x for x in res.variants}
    on, off, none = (v["VXLAN, tunnel offloads on"], v["VXLAN, no tunnel offloads"], v["VXLAN, no offloads at all"])
    rx = [1 - x["cpu"]["host/core0"]["idle"] for x in (on, off, none)]
    tx = [x["tx"]["vm"]["cores_needed"] for x in (on, off, none)]
    assert rx[0] < rx[1] < rx[2]
    assert tx[0] * 10 < tx[1] < tx[2]
    assert none["tx"]["vm"]["stack_packets_per_s"] > 40 * on["tx"]["vm"]["stack_packets_per_s"], "no TSO/GSO"
    plain = v["plain (no overlay), offloads on"]
    assert plain["steering"]["flow_queues"][0]["tunnel"] == "none"


def _scenario(pcap_path, **trace):
    return {"duration": "1s", "traffic": {"flows": [{"name": "cap", "trace": {"pcap": str(pcap_path), **trace}}]},
            "host": {"service": {"mode": "poll"}, "vms": [{"name": "vm", "guest": {"service": {"mode": "poll"}}}]}}


def test_capture_replayed_as_traffic(tmp_path):
    """A capture written by scapy becomes the traffic: same packet count, sizes and pacing."""
    scapy = pytest.importorskip("scapy.all")
    pkts = []
    for i in range(50):
        p = scapy.Ether(dst="02:00:00:00:00:01") / scapy.IP(src=f"10.9.0.{1 + i % 5}", dst="10.0.0.1") \
            / scapy.UDP(sport=1000 + i % 5, dport=2152) / (b"x" * (60 + i))
        p.time = 1_700_000_000 + i * 1e-5
        pkts.append(p)
    path = tmp_path / "cap.pcap"
    scapy.wrpcap(str(path), pkts)
    res = vnetsim.run(_scenario(path)).variants[0]
    assert res["packets"]["offered"] == 50 and res["packets"]["delivered"] == 50
    assert res["steering"]["flows"] == 5
    frame = np.array([len(p) + 4 for p in pkts])        # frames with FCS
    assert res["offered_bps"] == pytest.approx(((frame + 20) * 8).sum() / 1.0)
    fast = vnetsim.run(dict(_scenario(path), duration="1ms")).variants[0]
    assert fast["packets"]["offered"] == 50, "all within 0.49 ms at the capture's own pace"
    looped = _scenario(path, loop=True)
    looped["duration"] = "1.995ms"  # four passes of 500 us (49 gaps of 10 us, then one more)
    assert vnetsim.run(looped).variants[0]["packets"]["offered"] == 200


def test_real_vxlan_capture_as_traffic(real_pcap_dir):
    trace = read_pcap(real_pcap_dir / "vxlan.pcap")
    span_s = (trace.t_ns[-1] - trace.t_ns[0]) / 1e9           # about 3 s of ICMP and ARP
    res = vnetsim.run(dict(_scenario(real_pcap_dir / "vxlan.pcap"), duration=f"{span_s + 0.01}s")).variants[0]
    assert res["packets"]["offered"] == len(trace)
    assert res["steering"]["flows"] == len(trace.flows)
    assert {r["vni"] for r in res["steering"]["flow_queues"]} == {100}


def test_run_writes_the_simulated_traffic_as_pcap(tmp_path):
    out = tmp_path / "vx.pcap"
    res = vnetsim.run(str(EXAMPLES / "vxlan-receive-threads.yaml"), variant="inner RSS", duration="2ms",
                      overrides=["warmup=0"], pcap=str(out))
    trace = read_pcap(out)
    v = res.variants[0]
    assert len(trace) == v["packets"]["offered"]
    assert (trace.flows.vni == 5001).all() and (trace.flows.outer_dst_port == 4789).all()
    assert (trace.orig_len == 256 - 4 + 54).all(), "inner 256-byte frames + 54 bytes of VXLAN over VLAN"
    assert np.all(np.diff(trace.t_ns) >= 0)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (apt install tshark)")
def test_cli_pcap_dissected_by_tshark(tmp_path):
    out = tmp_path / "o.pcap"
    cmd = [sys.executable, "-m", "vnetsim.cli.app", "run", str(EXAMPLES / "vxlan-receive-threads.yaml"), "-q",
           "--variant", "NetQueue, 2 VTEPs", "--duration", "1ms", "--set", "warmup=0", "--pcap", str(out),
           "--pcap-limit", "500"]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    fields = subprocess.run(["tshark", "-r", str(out), "-T", "fields", "-e", "vxlan.vni", "-e", "vlan.id",
                             "-e", "udp.dstport", "-e", "frame.len"], capture_output=True, text=True).stdout
    rows = [r.split("\t") for r in fields.strip().splitlines()]
    assert len(rows) == 500
    assert {r[0] for r in rows} == {"5001"} and {r[1] for r in rows} == {"100"}
    assert {r[2] for r in rows} == {"4789,2152"} and {r[3] for r in rows} == {"306"}

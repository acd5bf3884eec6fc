"""The command line: tables, JSON, one-line errors with exit status 2, nothing half-written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SMALL = """
name: small
duration: 5ms
traffic:
  flows: [{name: f, count: 8, rate: 200kpps, size: 128}]
variants:
  - name: interrupt
  - name: poll
    host: {service: {mode: poll}, vms: [{name: vm0, guest: {service: {mode: poll}}}]}
"""


def vnetsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vnetsim.cli.app", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    f = tmp_path / "small.yaml"
    f.write_text(SMALL)
    return f


def test_run_prints_table_and_writes_json(small: Path, tmp_path: Path):
    out = tmp_path / "r.json"
    res = vnetsim("run", small, "--json", out)
    assert res.returncode == 0, res.stderr
    assert "interrupt" in res.stdout and "poll" in res.stdout and "p99" in res.stdout
    data = json.loads(out.read_text())
    names = [v["name"] for v in data["variants"]]
    assert names == ["interrupt", "poll"]
    v = data["variants"][0]
    for key in ("offered_pps", "delivered_pps", "packets", "drops_by_stage", "latency_ns",
                "stage_latency_ns", "cpu"):
        assert key in v
    assert set(v["latency_ns"]) == {"mean", "p50", "p90", "p99", "p999", "max", "samples", "unsupported"}
    assert set(v["packets"]) >= {"offered", "delivered", "dropped"}
    for core in v["cpu"].values():
        assert set(core) == {"useful", "overhead", "spin", "idle", "reserved"}
        assert core["idle"] == 0.0 or core["reserved"] == 0.0          # time without work is one or the other


def test_same_seed_same_json_bytes(small: Path, tmp_path: Path):
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    assert vnetsim("run", small, "-q", "--seed", "5", "--json", a).returncode == 0
    assert vnetsim("run", small, "-q", "--seed", "5", "--json", b).returncode == 0
    assert vnetsim("run", small, "-q", "--seed", "6", "--json", c).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("body, expect", [
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  pnic: {ring_sise: 4}\n", "unknown field 'ring_sise'"),
    ("traffic:\n  flows: [{rate: -1Mpps}]\n", "traffic.flows[0].rate"),
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  pnic: {ring_size: 0}\n", "host.pnic.ring_size"),
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  pnic: {line_rate: 10Gbsp}\n", "Gbsp"),
    ("traffic: [\n", "YAML syntax error"),
])
def test_bad_scenarios_one_line_exit_2(tmp_path: Path, body: str, expect: str):
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    out = tmp_path / "out.json"
    res = vnetsim("run", f, "--json", out)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert expect in lines[0] and str(f) in lines[0]
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_unwritable_json_target_keeps_nothing(small: Path, tmp_path: Path):
    res = vnetsim("run", small, "-q", "--json", tmp_path / "missing-dir" / "r.json")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "does not exist" in res.stderr


def test_existing_json_is_not_clobbered_by_a_failed_run(tmp_path: Path):
    out = tmp_path / "keep.json"
    out.write_text('{"kept": true}')
    bad = tmp_path / "bad.yaml"
    bad.write_text("traffic:\n  flows: [{rate: 1Mpps, size: 12}]\n")
    res = vnetsim("run", bad, "--json", out)
    assert res.returncode == 2
    assert out.read_text() == '{"kept": true}'


def test_usage_errors_are_one_line(small: Path):
    res = vnetsim("run", small, "--sedd", "3")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    res = vnetsim("run", small, "--set", "host.pnic.ring_size")
    assert res.returncode == 2 and "PATH=VALUE" in res.stderr


def test_schema_is_json_schema():
    res = vnetsim("schema")
    assert res.returncode == 0
    schema = json.loads(res.stdout)
    assert schema["type"] == "object" and "traffic" in schema["properties"]
    assert "host" in schema["properties"] and "variants" in schema["properties"]


def test_throughput_command(small: Path, tmp_path: Path):
    out = tmp_path / "t.json"
    res = vnetsim("throughput", small, "--resolution", "0.05", "--json", out)
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    rates = {v["name"]: v["zero_loss_pps"] for v in data["variants"]}
    assert rates["poll"] > rates["interrupt"] > 0


def test_flows_lists_queue_and_core_of_each_flow():
    example = Path(__file__).resolve().parents[2] / "examples" / "vxlan-receive-threads.yaml"
    res = vnetsim("flows", example, "--variant", "NetQueue, 1 VTEP", "--limit", "20", "--json", "-")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["kind"] == "host.flows" and len(data["variants"]) == 1
    data = data["variants"][0]
    assert data["name"] == "NetQueue, 1 VTEP"
    rows = data["flow_queues"]
    assert len(rows) == 20 and len({r["queue"] for r in rows}) == 1
    assert {r["reason"] for r in rows} == {"filter"} and data["queues_used"] == 1
    res = vnetsim("flows", example, "--variant", "inner RSS", "--limit", "5")
    assert res.returncode == 0 and "host/core" in res.stdout


@pytest.mark.parametrize("body, expect", [
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  service: {mode: poll, empty_poll_cost: 0ns}\n", "empty_poll_cost"),
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  service: {mode: hybrid, hybrid: {block_after_empty_polls: 0}}\n",
     "must block"),
    ("traffic:\n  flows: [{rate: 1Mpps, encapsulated: true}]\n", "no overlay"),
    ("traffic:\n  flows: [{rate: 20Gbps}]\n", "line rate"),
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  pnic:\n    rx_queues: 2\n    overlay: {}\n"
     "    offloads: {rx_udp_tunnel_port: false}\n    steering: {mode: rss, rss: {layer: inner}}\n", "inner RSS"),
    ("traffic:\n  flows: [{rate: 1Mpps, trace: {pcap: missing.pcap}}]\n", "missing.pcap"),
    ("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  pnic: {rx_queues: 4, steering: {mode: rss, rss: {reta: [0, 5]}}}\n",
     "reta"),
])
def test_model_level_mistakes_are_one_line(tmp_path: Path, body: str, expect: str):
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    res = vnetsim("run", f)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in res.stderr, res.stderr


def test_bad_rss_key_and_truncated_capture_are_one_line(tmp_path: Path):
    f = tmp_path / "key.yaml"
    f.write_text("traffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  pnic: {rx_queues: 4, steering: {mode: rss, "
                 "rss: {key: '6d5a56da255b0ec2'}}}\n")
    res = vnetsim("run", f)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "key" in res.stderr and "40" in res.stderr
    scapy = pytest.importorskip("scapy.all")
    cap = tmp_path / "cap.pcap"
    scapy.wrpcap(str(cap), [scapy.Ether() / scapy.IP() / scapy.UDP() / (b"x" * 100) for _ in range(5)])
    cap.write_bytes(cap.read_bytes()[:-40])          # cut the last record short
    g = tmp_path / "trace.yaml"
    g.write_text(f"traffic:\n  flows: [{{name: t, trace: {{pcap: {cap.name}}}}}]\n")
    res = vnetsim("run", g)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "cap.pcap" in res.stderr and "Traceback" not in res.stderr


def test_version_and_kinds():
    import vnetsim as pkg

    res = vnetsim("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"vnetsim {pkg.__version__}"
    res = vnetsim("kinds")
    assert res.returncode == 0 and "host" in res.stdout and "fabric" in res.stdout

"""Progress: the host kind reports each chunk of a run (fractions rising to 1), a sweep draws a
bar with an ETA on a terminal, and nothing is drawn when stderr is not one."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

import vnetsim

HOST = {"name": "h", "seed": 3, "duration": "20ms", "warmup": "0.5ms", "chunk_packets": 1000,
        "traffic": {"flows": [{"name": "udp", "count": 16, "rate": "200kpps", "size": 64}]},
        "host": {"service": {"mode": "poll"}, "vms": [{"name": "vnf", "guest": {"service": {"mode": "poll"}}}]},
        "loads": ["100kpps", "300kpps"],
        "variants": [{"name": "a"}, {"name": "b"}]}


def test_a_host_run_reports_its_chunks():
    seen: list[float] = []
    res = vnetsim.run(HOST, progress=seen.append)
    assert len(res.variants) == 4
    assert len(seen) > 12                                     # every chunk of every load and variant
    assert all(0.0 <= f <= 1.0 for f in seen) and seen == sorted(seen) and seen[-1] == 1.0
    assert any(0.2 < f < 0.3 for f in seen) and any(0.7 < f < 0.8 for f in seen)


def _on_a_terminal(args, cwd) -> tuple[int, str]:
    """Run vnetsim with stderr on a pseudo-terminal; (status, what the terminal got)."""
    main, other = os.openpty()
    code = "import sys; from vnetsim.cli import main; sys.argv[0] = 'vnetsim'; main(sys.argv[1:])"
    env = dict(os.environ, COLUMNS="100", TERM="xterm")
    env.pop("VNETSIM_PROGRESS", None)
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=other,
                            env=env)
    os.close(other)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_a_sweep_draws_a_bar_on_a_terminal_only(tmp_path):
    doc = dict(HOST, variants=[{"name": "a"}], sweep={"grid": [{"path": "host.pnic.rx_queues", "values": [1, 2]}]})
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    status, seen = _on_a_terminal(["sweep", "s.yaml", "-j", "1", "-q"], tmp_path)
    assert status == 0, seen
    assert "sweep" in seen and "ETA" in seen and "2/2" in seen
    # piped or redirected: nothing on stderr (tests/sweep/test_cli.py checks every command's stderr)


STORAGE = {"kind": "storage", "name": "s", "seed": 5,
           "storage": {"flavor": "single", "hosts": 4, "host": {"devices": "4x3.84TB-nvme"},
                       "policy": {"raid": "raid1"}},
           "options": {"duration": "400ms", "host_data_path": False},
           "workload": {"vm_groups": [{"name": "db", "vms": 8, "disk": "100GB", "iops": 100000,
                                       "read_fraction": 0.7}]},
           "variants": [{"name": "a"}, {"name": "b", "storage": {"hosts": 5}}]}


def test_a_storage_run_reports_its_io_chunks_and_changes_nothing():
    """A long I/O-path run moves the bar with simulated time (about 416,000 legs a variant: seven
    chunks of 65,536), not only when a variant is done; the rows are those of a run without it."""
    import json

    seen: list[float] = []
    with_bar = vnetsim.run(STORAGE, progress=seen.append)
    plain = vnetsim.run(STORAGE)
    assert json.dumps(with_bar.variants, sort_keys=True) == json.dumps(plain.variants, sort_keys=True)
    assert seen == sorted(seen) and seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)
    first = [f for f in seen if 0.0 < f < 0.5]                # inside the first variant
    second = [f for f in seen if 0.5 < f < 1.0]               # inside the second
    assert len(first) >= 5 and len(second) >= 5, seen
    assert 0.5 in seen                                        # the first variant's end


def test_an_io_path_run_reports_simulated_time_over_duration():
    """``simulate``'s callback: each chunk's horizon over the duration, rising, 1.0 last (the drain)."""
    from vnetsim.storage.config import StorageScenario
    from vnetsim.storage.iomap import iopath_spec
    from vnetsim.storage.iopath import simulate
    from vnetsim.storage.sizing import size_cluster

    sc = StorageScenario.model_validate({k: v for k, v in STORAGE.items() if k not in ("kind", "variants")})
    spec = iopath_spec(sc, size_cluster(sc))
    seen: list[float] = []
    res = simulate(spec, duration_s=0.4, seed=5, progress=seen.append)
    assert res == simulate(spec, duration_s=0.4, seed=5)
    steps = [b - a for a, b in zip(seen, seen[1:]) if b < 1.0]
    assert seen[-1] == 1.0 and len(seen) >= 7 and all(s > 0 for s in steps)
    assert max(steps) < 0.25                                  # chunk by chunk, not all at the end

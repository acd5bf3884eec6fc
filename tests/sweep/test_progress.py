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


def test_a_storage_run_reports_each_variant_done_and_changes_nothing():
    """The storage kind says when each variant is done (it has no chunks to report inside one), so
    a file of three variants moves the bar in thirds; the rows are those of a run without it."""
    import json
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "erp-site-flavors.yaml"
    seen: list[float] = []
    with_bar = vnetsim.run(example, progress=seen.append)
    plain = vnetsim.run(example)
    assert json.dumps(with_bar.variants, sort_keys=True) == json.dumps(plain.variants, sort_keys=True)
    assert len(plain.variants) == 3
    assert seen[:3] == [1 / 3, 2 / 3, 1.0] and set(seen[3:]) <= {1.0}

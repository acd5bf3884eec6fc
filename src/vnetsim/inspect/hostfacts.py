"""Host facts the model uses: C-states (exit latency, target residency), the frequency governor,
busy-poll and NAPI sysctls. All read from sysfs/procfs, no root."""

from __future__ import annotations

import os
from pathlib import Path

from vnetsim.inspect.sysfs import read, read_int

CPU = Path("/sys/devices/system/cpu")
SYSCTLS = {"net.core.busy_read": "busy_read_us", "net.core.busy_poll": "busy_poll_us",
           "net.core.netdev_budget": "netdev_budget", "net.core.netdev_budget_usecs": "netdev_budget_us",
           "net.core.dev_weight": "dev_weight", "net.core.rps_sock_flow_entries": "rps_sock_flow_entries"}


def cstates(cpu: int = 0) -> list[dict]:
    """cpuidle states of one CPU: name, exit latency and target residency (us), disabled."""
    base = CPU / f"cpu{cpu}" / "cpuidle"
    out: list[dict] = []
    try:
        names = sorted((n for n in os.listdir(base) if n.startswith("state")), key=lambda n: int(n[5:]))
    except (OSError, ValueError):
        return out
    for n in names:
        d = base / n
        out.append({"name": read(d / "name"), "exit_latency_us": read_int(d / "latency"),
                    "target_residency_us": read_int(d / "residency"), "disabled": read_int(d / "disable") == 1,
                    "desc": read(d / "desc")})
    return out


def governors() -> dict:
    """cpuidle governor and the cpufreq scaling governor / driver of CPU 0 (None where absent)."""
    idle = CPU / "cpuidle"
    return {"cpuidle_governor": read(idle / "current_governor_ro") or read(idle / "current_governor"),
            "cpuidle_driver": read(CPU / "cpuidle" / "current_driver"),
            "cpufreq_governor": read(CPU / "cpu0" / "cpufreq" / "scaling_governor"),
            "cpufreq_driver": read(CPU / "cpu0" / "cpufreq" / "scaling_driver")}


def sysctls() -> dict:
    """Busy polling (0 = off) and the NAPI budgets, by their short names."""
    out = {}
    for name, short in SYSCTLS.items():
        out[short] = read_int(Path("/proc/sys") / name.replace(".", "/"))
    return out


def host() -> dict:
    return {"cpus": os.cpu_count(), "cstates": cstates(), **governors(), "sysctls": sysctls(),
            "kernel": os.uname().release}

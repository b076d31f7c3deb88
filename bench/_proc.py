"""Helpers shared by the benchmark scripts: the console script and process-tree memory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path


def console_script() -> Path:
    script = Path(sys.executable).parent / "pressctl"
    if not script.exists():
        sys.exit(f"pressctl is not installed next to {sys.executable}; run pip install -e . first")
    return script


def machine() -> str:
    cpus = os.cpu_count()
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{platform.machine()} {cpus} vCPU{memory}, Python {platform.python_version()}, "
            f"{date.today().isoformat()}")


def _tree_rss_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) if "VmRSS:" in status else 0
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError, IndexError):
            continue
    return total


def run_measured(argv: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run argv; return (result, wall seconds, peak RSS of its whole process tree in KiB),
    the tree sampled every 10 ms (worker processes count)."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, **kwargs)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr), wall, peak

"""Helpers shared by the benchmark scripts: the console script and process-tree memory."""

from __future__ import annotations

import os
import platform
import resource
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


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process and its descendants, in KiB. PSS shares each page among
    the processes that map it, so forked workers' shared pages are not counted twice."""
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss


def run_measured(argv: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, dict]:
    """Run argv; return (result, wall seconds, peaks in KiB): the whole process tree's RSS
    and PSS, sampled every 10 ms (worker processes count), and the largest single
    process's maximum RSS from the kernel."""
    peak = {"tree_rss": 0, "tree_pss": 0}
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, **kwargs)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss = _tree_memory_kb(process.pid)
            peak["tree_rss"] = max(peak["tree_rss"], rss)
            peak["tree_pss"] = max(peak["tree_pss"], pss)
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    peak["max_process_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr), wall, peak


def postgres_server():
    """A throw-away PostgreSQL server on this machine (tests/pg_server.py, the tests' own),
    or exit naming what to install. The caller stops it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pg_server import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries: apt-get install postgresql")
    return PostgresServer.start(bindir)

#!/usr/bin/env python3
"""Start-up cost of pressctl against the bare interpreter, measured in the same run.

Runs `python -c pass`, `pressctl --version`, `pressctl --help` and `pressctl contacts
list` (a 26-contact book) interleaved, N times each, and reports medians and ratios.

    python bench/bench_startup.py [--runs 40]

Targets (issue 2): --version <= 2x and --help <= 3x `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import console_script, machine

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    script = str(console_script())
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as home:
        env = dict(os.environ, PRESSCTL_HOME=home)
        subprocess.run([script, "init"], env=env, check=True, capture_output=True)
        subprocess.run([script, "contacts", "import", str(REPO / "contacts" / "contacts.csv")],
                       env=env, check=True, capture_output=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "pressctl --version": [script, "--version"],
            "pressctl --help": [script, "--help"],
            "pressctl contacts list": [script, "contacts", "list"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():
                start = time.perf_counter()
                subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    print(f"machine: {machine()}; {args.runs} interleaved runs each, medians")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<24} {median * 1000:7.1f} ms   {median / base:5.2f}x")


if __name__ == "__main__":
    main()

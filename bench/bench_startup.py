#!/usr/bin/env python3
"""Start-up cost of pressctl against the bare interpreter, measured in the same run.

Runs `python -c pass`, `pressctl --version`, `pressctl --help`, `pressctl contacts list`
(a 26-contact book) and `pressctl outbox run` with nothing due (what cron runs every
minute) interleaved, N times each, and reports medians and ratios. With ``--baseline``
another installation's console script (e.g. a worktree of an older commit) runs the same
cases in the same loop, each in a home of its own, for a before/after in one run.

    python bench/bench_startup.py [--runs 40] [--baseline OTHER/.venv/bin/pressctl]

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
    parser.add_argument("--baseline", type=Path, help="another pressctl console script")
    args = parser.parse_args()
    scripts = {"": str(console_script())}
    if args.baseline:
        scripts["baseline "] = str(args.baseline)
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as root:
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], dict(os.environ))}
        for label, script in scripts.items():
            home = Path(root) / (label.strip() or "current")
            env = dict(os.environ, PRESSCTL_HOME=str(home))
            subprocess.run([script, "init"], env=env, check=True, capture_output=True)
            subprocess.run([script, "contacts", "import",
                            str(REPO / "contacts" / "contacts.csv")],
                           env=env, check=True, capture_output=True)
            for words in (["--version"], ["--help"], ["contacts", "list"],
                          ["outbox", "run"]):
                cases[f"{label}pressctl {' '.join(words)}"] = ([script, *words], env)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, env) in cases.items():
                start = time.perf_counter()
                subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    print(f"machine: {machine()}; {args.runs} interleaved runs each, medians")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<34} {median * 1000:7.1f} ms   {median / base:5.2f}x")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark `pressctl contacts import` with full phone and e-mail validation.

Generates N synthetic contacts (bench/gen_contacts.py: phones from 13 countries written
in many real-world ways, 1 % invalid rows), imports them into a fresh home with
--skip-invalid --rejects, and reports per run: contacts/s (rows read, valid or not, per
second of wall time), CPU per row of the whole process tree (workers included: they are
reaped by pressctl, so their time is in its children's), and peak memory of the whole
process tree, sampled every 10 ms (RSS: shared pages counted in each process; PSS:
shared pages divided among them).

    python bench/bench_import.py [--rows 100000] [--runs 3] [--backend sqlite|postgresql|both]
                                 [--baseline DIR]

--baseline DIR: a directory holding another version of the `pressctl` package (e.g.
`mkdir /tmp/base && git archive HEAD pressctl | tar -x -C /tmp/base`). Its imports run
interleaved with the current ones, in the same run, on the same file, and each figure is
given as a ratio to it: on a shared machine only those ratios compare between runs.

Targets (issue 12): >= 20,000 contacts/s; peak RSS of the whole tree <= 150 MB at
100,000 and at 300,000 contacts.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import console_script, machine, postgres_server, run_measured


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _environment(version: str, baseline: Path | None, server, backend: str,
                 name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PRESSCTL_DB", None)
    env.pop("PYTHONPATH", None)
    if version == "baseline" and baseline is not None:
        env["PYTHONPATH"] = str(baseline)  # ahead of the editable install on sys.path
    if backend == "postgresql":
        env["PRESSCTL_DB"] = server.new_database(name)
    return env


def _one_import(home: Path, source: Path, env: dict[str, str], rows: int) -> dict[str, float]:
    python = Path(sys.executable)
    subprocess.run([str(python), "-m", "pressctl", "--home", str(home), "init"], env=env,
                   check=True, capture_output=True, cwd=home.parent)
    before = _children_cpu()
    result, wall, peak = run_measured(
        [str(python), "-m", "pressctl", "--home", str(home), "contacts", "import",
         str(source), "--skip-invalid", "--rejects", str(home / "rejects.csv")],
        env=env, cwd=home.parent)
    cpu = _children_cpu() - before
    if result.returncode != 0:
        sys.exit(f"import failed ({result.returncode}): {result.stderr[-2000:]}")
    summary = result.stderr.strip().splitlines()[-1]
    print(f"  {summary[:110]}", file=sys.stderr)
    return {"rate": rows / wall, "wall": wall, "cpu_us": cpu / rows * 1e6,
            "rss": peak["tree_rss"] / 1024, "pss": peak["tree_pss"] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"),
                        default="sqlite")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a directory holding the pressctl package to compare with")
    args = parser.parse_args()
    console_script()  # installed: the current version is importable
    if args.baseline is not None and not (args.baseline / "pressctl" / "__init__.py").exists():
        sys.exit(f"{args.baseline} holds no pressctl package")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    versions = (["baseline"] if args.baseline else []) + ["current"]
    server = postgres_server() if "postgresql" in backends else None
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
            source = Path(tmp) / "contacts.csv"
            subprocess.run([sys.executable, str(Path(__file__).parent / "gen_contacts.py"),
                            str(args.rows), str(source), "--seed", str(args.seed)],
                           check=True, capture_output=True)
            for run in range(args.runs):  # interleaved: each run measures every case once
                for backend in backends:
                    for version in versions:
                        print(f"run {run + 1}, {backend}, {version}", file=sys.stderr)
                        env = _environment(version, args.baseline, server, backend,
                                           f"import{run}{version[0]}")
                        home = Path(tmp) / f"home-{backend}-{version}-{run}"
                        results.setdefault((backend, version), []).append(
                            _one_import(home, source, env, args.rows))
    finally:
        if server is not None:
            server.stop()
    _table(results, args, backends, versions)


def _table(results, args, backends: list[str], versions: list[str]) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"\nmachine: {machine()}; load average at the end: {' '.join(load)}")
    print(f"import of {args.rows:,} contacts (1 % invalid, --skip-invalid --rejects), "
          f"{args.runs} interleaved run(s), medians (range)\n")
    print("| backend | version | contacts/s | CPU µs/row (tree) | peak RSS, tree | "
          "peak PSS, tree |" + (" vs baseline (rate, CPU, RSS) |" if len(versions) > 1 else ""))
    print("|---|---|---|---|---|---|" + ("---|" if len(versions) > 1 else ""))
    for backend in backends:
        base = results.get((backend, "baseline"))
        for version in versions:
            runs = results[(backend, version)]

            def med(key: str, runs=runs) -> float:
                return statistics.median(r[key] for r in runs)

            rates = [r["rate"] for r in runs]
            row = (f"| {backend} | {version} | {med('rate'):,.0f} ({min(rates):,.0f}–"
                   f"{max(rates):,.0f}) | {med('cpu_us'):.0f} | {med('rss'):.0f} MiB | "
                   f"{med('pss'):.0f} MiB |")
            if base is not None:
                ratios = [med(key) / statistics.median(r[key] for r in base)
                          for key in ("rate", "cpu_us", "rss")]
                row += " " + ", ".join(f"{r:.2f}×" for r in ratios) + " |"
            print(row)


if __name__ == "__main__":
    main()

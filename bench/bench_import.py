#!/usr/bin/env python3
"""Benchmark `pressctl contacts import` with full phone and e-mail validation.

Generates N synthetic contacts (bench/gen_contacts.py: phones from 13 countries written
in many real-world ways, 1 % invalid rows), imports them into a fresh home with
--skip-invalid --rejects, and reports contacts/s (rows read, valid or not, per second of
wall time) and peak memory: of the whole process tree (workers included) as PSS and
as RSS, and of the largest single process.

    python bench/bench_import.py [--rows 100000] [--seed 1] [--runs 3]

Targets (issue 2): >= 20,000 contacts/s and <= 150 MB peak RSS for 100,000 contacts.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import console_script, machine, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    script = console_script()
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
        source = Path(tmp) / "contacts.csv"
        subprocess.run([sys.executable, str(Path(__file__).parent / "gen_contacts.py"),
                        str(args.rows), str(source), "--seed", str(args.seed)],
                       check=True, capture_output=True)
        rates, pss, rss, largest = [], [], [], []
        for run in range(args.runs):
            home = Path(tmp) / f"home{run}"
            subprocess.run([str(script), "--home", str(home), "init"], check=True,
                           capture_output=True)
            result, wall, peak = run_measured(
                [str(script), "--home", str(home), "contacts", "import", str(source),
                 "--skip-invalid", "--rejects", str(home / "rejects.csv")])
            if result.returncode != 0:
                sys.exit(f"import failed ({result.returncode}): {result.stderr[-2000:]}")
            rates.append(args.rows / wall)
            pss.append(peak["tree_pss"] / 1024)
            rss.append(peak["tree_rss"] / 1024)
            largest.append(peak["max_process_rss"] / 1024)
            summary = result.stderr.strip().splitlines()[-1]
            print(f"run {run + 1}: {wall:.2f} s, {args.rows / wall:,.0f} contacts/s, "
                  f"tree PSS {pss[-1]:.0f} MiB, tree RSS {rss[-1]:.0f} MiB, "
                  f"largest process {largest[-1]:.0f} MiB — {summary}")
    print(f"\nmachine: {machine()}")
    print(f"import of {args.rows:,} contacts: median {statistics.median(rates):,.0f} contacts/s "
          f"(best {max(rates):,.0f}); peak memory, medians: whole tree PSS "
          f"{statistics.median(pss):.0f} MiB, whole tree RSS {statistics.median(rss):.0f} MiB "
          f"(shared pages counted per process), largest process RSS "
          f"{statistics.median(largest):.0f} MiB")


if __name__ == "__main__":
    main()

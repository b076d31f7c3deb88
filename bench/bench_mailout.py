#!/usr/bin/env python3
"""Benchmark `release preview --all` and `mailout create` on large audiences: wall time,
recipients/s, CPU per recipient and the peak memory of the whole process tree.

For each book size, a home is made as bench_smtp.py makes one: the sample book (for its
press officers) plus that many synthetic journalists (bench/gen_contacts.py --seed 2
--invalid-rate 0, then `contacts import`), and the example release without embargo or
event (text + HTML), sent to `--audience all`. Then, in each run, interleaved:

* `python -c pass` (the same-run reference: start-up and an idle interpreter's memory);
* `release preview REL --audience all --all` and `... --all --json`, each to a real pipe
  (`| wc -l`, in bash with pipefail);
* `mailout create REL --audience all --now --yes`, on a fresh copy of the book each time
  (copied before the clock starts), so that every run stores into the same book.

With --baseline DIR (a `git archive` of an earlier commit, unpacked), the same commands
also run from DIR's sources (`python -m pressctl` with PYTHONPATH=DIR, this venv's
libraries), alternating with this checkout's: before and after in the same run.
Reported per case: the median wall time, recipients/s, CPU µs per recipient (user + sys
of the tree), the peak tree RSS sampled every 10 ms (bench/_proc.py), and whether the
memory is flat (the peak at the largest size over the peak at the smallest).

    python bench/bench_mailout.py [--sizes 100000,300000] [--runs 1] [--baseline DIR]

Targets (issue 12): peak tree RSS <= 200 MB for both commands at 300,000 recipients,
flat from 100,000 to 300,000.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _proc import console_script, machine, run_measured  # noqa: E402

CASES = {
    "release preview --all": ["release", "preview", "{release}", "--audience", "all", "--all"],
    "release preview --all --json": ["release", "preview", "{release}", "--audience", "all",
                                     "--all", "--json"],
    "mailout create": ["mailout", "create", "{release}", "--audience", "all", "--now", "--yes"],
}


def _measure(argv: list[str], env: dict[str, str] | None = None,
             pipe: bool = False) -> tuple[float, float, float, str]:
    """(wall s, peak tree RSS MiB, CPU s of the tree, stdout) of ``argv`` (``| wc -l``
    when ``pipe``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["bash", "-c", f"set -o pipefail; {shlex.join(argv)} | wc -l"] if pipe else argv
    result, wall, peak = run_measured(command, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak["tree_rss"] / 1024, cpu, result.stdout


def _home(script: Path, folder: Path, size: int) -> tuple[Path, Path]:
    """A home with the sample book plus ``size`` generated journalists, and the release."""
    people = folder / f"people-{size}.csv"
    subprocess.run([sys.executable, str(HERE / "gen_contacts.py"), str(size), str(people),
                    "--seed", "2", "--invalid-rate", "0"], check=True, capture_output=True)
    home = folder / "home"

    def run(*args: str) -> None:
        done = subprocess.run([str(script), "-q", "--home", str(home), *args],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"pressctl {' '.join(args)} failed: {done.stderr[-2000:]}")

    run("init")
    run("orgs", "import", str(REPO / "contacts" / "organizations.json"))
    run("contacts", "import", str(REPO / "contacts" / "contacts.csv"))
    run("contacts", "import", str(people), "--on-duplicate", "skip")
    people.unlink()
    text = (REPO / "examples" / "PR106-2020.en.md").read_text(encoding="utf-8")
    text = re.sub(r'embargo = "[^"]*"\n|translations = \{[^}]*\}\n', "", text)
    text = re.sub(r"\n\[event\].*?(?=\n\+\+\+)", "", text, flags=re.S)
    release = folder / "release.md"
    release.write_text(text, encoding="utf-8")
    shutil.copyfile(home / "pressctl.db", folder / "pristine.db")
    return home, release


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--baseline", type=Path,
                        help="the unpacked sources of another commit, run in the same run")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    script = console_script()
    builds: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "this": ([str(script)], None)}
    if args.baseline:
        env = dict(os.environ, PYTHONPATH=str(args.baseline.resolve()))
        # -P: no current folder first on sys.path, which would be this checkout's pressctl.
        builds = {"before": ([sys.executable, "-P", "-m", "pressctl"], env),
                  "after": builds["this"]}
    load = os.getloadavg()
    print(f"machine: {machine()}; load average at start {load[0]:.2f} {load[1]:.2f}",
          flush=True)
    results: dict[tuple[int, str, str], list[tuple[float, float, float]]] = {}
    recipients: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
        for size in sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            home, release = _home(script, folder, size)
            print(f"book of {size:,} generated contacts ready", flush=True)
            for run in range(args.runs):
                wall, rss, cpu, _ = _measure([sys.executable, "-c", "pass"])
                results.setdefault((size, "reference", "python -c pass"), []).append(
                    (wall, rss, cpu))
                for case, words in CASES.items():
                    for build, (prefix, env) in builds.items():
                        argv = [*prefix, "-q", "--home", str(home),
                                *(w.format(release=release) for w in words)]
                        creating = case == "mailout create"
                        if creating:  # the same book each time, copied off the clock
                            shutil.copyfile(folder / "pristine.db", home / "pressctl.db")
                        wall, rss, cpu, out = _measure(argv, env, pipe=not creating)
                        if case == "release preview --all":  # a header, then a row each
                            recipients[size] = int(out.split()[0]) - 1
                        results.setdefault((size, build, case), []).append((wall, rss, cpu))
                        print(f"run {run + 1} {size:,} {build} {case}: {wall:.2f} s, "
                              f"{rss:.0f} MiB", flush=True)
            shutil.rmtree(folder)
    _report(results, recipients, sizes, list(builds), args.runs)


def _report(results, recipients, sizes, builds, runs) -> None:
    load = os.getloadavg()
    print(f"\nmachine: {machine()}; {runs} run(s), medians; load average at the end "
          f"{load[0]:.2f} {load[1]:.2f}")
    print("\n| recipients | command | build | wall | recipients/s | CPU µs/recipient "
          "| peak tree RSS |")
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        count = recipients.get(size, size)
        wall, rss, _ = _medians(results[size, "reference", "python -c pass"])
        print(f"| {count:,} | python -c pass (reference) | | {wall:.3f} s | | | {rss:.0f} MiB |")
        for case in CASES:
            for build in builds:
                wall, rss, cpu = _medians(results[size, build, case])
                print(f"| {count:,} | `{case}` | {build} | {wall:.2f} s | {count / wall:,.0f} "
                      f"| {cpu / count * 1e6:.0f} | {rss:.0f} MiB |")
    if len(sizes) > 1:
        low, high = sizes[0], sizes[-1]
        print(f"\nPeak tree RSS at {recipients.get(high, high):,} over {recipients.get(low, low):,}"
              " recipients (1.00 = flat):")
        for case in CASES:
            for build in builds:
                ratio = (_medians(results[high, build, case])[1]
                         / _medians(results[low, build, case])[1])
                print(f"- `{case}` ({build}): {ratio:.2f}")


def _medians(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            statistics.median(s[2] for s in samples))


if __name__ == "__main__":
    main()

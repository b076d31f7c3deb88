#!/usr/bin/env python3
"""Benchmark building the messages of a 10,000-recipient release (`release preview --all`).

Builds a book of N synthetic journalists (bench/gen_contacts.py) plus the sample press
officers, then previews the joint CNES/SFR example release to all of them, in memory
(`--all --json`, nothing written but the summary), three ways: text + HTML only (the
event removed), with its online press conference (an .ics per recipient), and as an
invitation. Reports messages/s net of start-up (the same command for one recipient is
subtracted) and the peak memory of the process.

    python bench/bench_messages.py [--recipients 10000] [--runs 3]

Targets (issue 3): >= 5,000 messages/s and <= 200 MB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import console_script, machine, run_measured

REPO = Path(__file__).resolve().parent.parent


def _variants(folder: Path) -> dict[str, Path]:
    """Copies of the example release: without event, with event, as an invitation."""
    variants = {}
    for name, edit in (
        ("text+html", lambda t: re.sub(r"\n\[event\].*?(?=\n\+\+\+)", "", t, flags=re.S)),
        ("with .ics (release + event)", lambda t: t),
        ("invitation", lambda t: t.replace('kind = "release"', 'kind = "invitation"')),
    ):
        target = folder / name.split()[0].replace("+", "-")
        target.mkdir()
        for language in ("en", "fr"):
            text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
            (target / f"PR106-2020.{language}.md").write_text(edit(text), encoding="utf-8")
        variants[name] = target / "PR106-2020.en.md"
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    script = str(console_script())
    tmp = Path(tempfile.mkdtemp(prefix="pressctl-bench-"))
    try:
        home = tmp / "home"
        people = tmp / "journalists.csv"
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_contacts.py"),
                        str(args.recipients), str(people), "--invalid-rate", "0"],
                       check=True, capture_output=True)
        for argv in (["init"], ["orgs", "import", str(REPO / "contacts" / "organizations.json")],
                     ["contacts", "import", str(REPO / "contacts" / "contacts.csv")],
                     ["contacts", "import", str(people), "--on-duplicate", "skip"]):
            subprocess.run([script, "-q", "--home", str(home), *argv], check=True,
                           capture_output=True)
        print(f"machine: {machine()}")
        for name, release in _variants(tmp).items():
            base = [script, "-q", "--home", str(home), "release", "preview", str(release),
                    "--audience", "all", "--json"]
            nets, peaks, counts = [], [], []
            for _ in range(args.runs):
                one, wall_one, _ = run_measured(base + ["--to", "pascale.bresson@cnes.fr"])
                every, wall_all, peak = run_measured(base + ["--all"])
                if one.returncode or every.returncode:
                    sys.exit(f"preview failed: {one.stderr[-1000:]}{every.stderr[-1000:]}")
                count = len(json.loads(every.stdout))
                counts.append(count)
                nets.append(count / (wall_all - wall_one))
                peaks.append((peak["tree_pss"] / 1024, peak["max_process_rss"] / 1024))
            print(f"{name:<30} {counts[0]:,} messages: median {statistics.median(nets):,.0f} "
                  f"messages/s net of start-up (runs: {', '.join(f'{n:,.0f}' for n in nets)}); "
                  f"peak PSS {max(p[0] for p in peaks):.0f} MiB, "
                  f"peak RSS {max(p[1] for p in peaks):.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

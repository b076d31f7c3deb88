#!/usr/bin/env python3
"""Start-up cost of pressctl against the bare interpreter, measured in the same run.

Runs `python -c pass`, `pressctl --version`, `pressctl --help`, `pressctl contacts list`
(a 26-contact book: piped, with --json, on a terminal, and through the full typer path
for comparison) and `pressctl outbox run` with nothing due (what cron runs every minute)
interleaved, N times each, and prints medians and ratios as a markdown table. With
``--baseline`` another installation's console script (e.g. a worktree of an older
commit) runs the same cases in the same loop, each in a home of its own, for a
before/after in one run.

    python bench/bench_startup.py [--runs 40] [--baseline OTHER/.venv/bin/pressctl]

"Piped" output goes to /dev/null (not a terminal: tab-separated rows); "terminal" runs
the command with its stdout on a pseudo-terminal of 120 columns (the table rich draws)
and reads it all. "full path" sets PRESSCTL_NO_FAST_PATH, which sends the command
through typer as every command went before the launcher answered lists itself. Every
home's first `contacts list` and `outbox run` are run once before timing: they check
config.toml and leave the stamps the fast paths trust.

Beside the wall clock, each case's CPU time (user + system, from the kernel's accounts of
the finished children) is given with its own ratio: it moves less than the wall clock
when other processes share the machine. The targets are read on the wall clock.

Targets: --version <= 2x and --help <= 3x (issue 2); `outbox run` with nothing due
<= 3x and `contacts list` on the 26-contact book <= 5x `python -c pass` (issue 12).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import console_script, machine

REPO = Path(__file__).resolve().parent.parent
COLUMNS = 120

# label, words, on a terminal, full path
CASES: tuple[tuple[str, list[str], bool, bool], ...] = (
    ("--version", ["--version"], False, False),
    ("--help", ["--help"], False, False),
    ("contacts list, piped", ["contacts", "list"], False, False),
    ("contacts list --json, piped", ["contacts", "list", "--json"], False, False),
    ("contacts list --tag space, piped", ["contacts", "list", "--tag", "space"], False, False),
    ("contacts list, terminal", ["contacts", "list"], True, False),
    ("contacts list, piped, full path", ["contacts", "list"], False, True),
    ("contacts list, terminal, full path", ["contacts", "list"], True, True),
    ("outbox run, nothing due", ["outbox", "run"], False, False),
)
TARGETS = {"--version": 2, "--help": 3, "outbox run, nothing due": 3,
           "contacts list, piped": 5, "contacts list, terminal": 5}


def run_piped(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def run_on_terminal(argv: list[str], env: dict[str, str]) -> None:
    """stdout on a pseudo-terminal of COLUMNS columns, read to the end (as a terminal
    would); stderr to /dev/null."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    child = subprocess.Popen(argv, env=env, stdout=follower, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
    os.close(follower)
    try:
        while os.read(leader, 65536):
            pass
    except OSError:  # EIO: the child closed its end
        pass
    finally:
        os.close(leader)
    if child.wait() != 0:
        raise subprocess.CalledProcessError(child.returncode, argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--baseline", type=Path, help="another pressctl console script")
    args = parser.parse_args()
    scripts = {"": str(console_script())}
    if args.baseline:
        scripts["baseline "] = str(args.baseline)
    base_env = {k: v for k, v in os.environ.items()
                if k not in ("PRESSCTL_NO_FAST_PATH", "PRESSCTL_DB", "NO_COLOR")}
    base_env.update(COLUMNS=str(COLUMNS), LINES="40", TERM="xterm-256color")
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as root:
        cases: dict[str, tuple[list[str], dict[str, str], bool]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], base_env, False)}
        for label, script in scripts.items():
            home = Path(root) / (label.strip() or "current")
            env = dict(base_env, PRESSCTL_HOME=str(home))
            subprocess.run([script, "init"], env=env, check=True, capture_output=True)
            subprocess.run([script, "contacts", "import",
                            str(REPO / "contacts" / "contacts.csv")],
                           env=env, check=True, capture_output=True)
            for words in (["contacts", "list"], ["outbox", "run"]):  # leave the stamps
                subprocess.run([script, *words], env=env, check=True, capture_output=True)
            for name, words, terminal, full in CASES:
                case_env = dict(env, PRESSCTL_NO_FAST_PATH="1") if full else env
                cases[f"{label}pressctl {name}"] = ([script, *words], case_env, terminal)
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, env, terminal) in cases.items():
                used = _children_cpu()
                start = time.perf_counter()
                (run_on_terminal if terminal else run_piped)(argv, env)
                times[name].append(time.perf_counter() - start)
                cpu[name].append(_children_cpu() - used)
    base = statistics.median(times["python -c pass"])
    base_cpu = statistics.median(cpu["python -c pass"])
    print(f"machine: {machine()}; {args.runs} interleaved runs each, medians; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| command | median | vs `python -c pass` | CPU (user + system) | CPU vs "
          "`python -c pass` | target |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        target = next((t for key, t in TARGETS.items() if name.endswith(f"pressctl {key}")),
                      None)
        verdict = "" if target is None else \
            f"<= {target}x: {'met' if ratio <= target else 'not met'}"
        used = statistics.median(cpu[name])
        print(f"| `{name}` | {median * 1000:.1f} ms | {ratio:.2f}x | {used * 1000:.1f} ms | "
              f"{used / base_cpu:.2f}x | {verdict} |")


def _children_cpu() -> float:
    """CPU seconds (user + system) of the children waited for so far: less moved by other
    processes on a loaded machine than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark delivery: `pressctl outbox run` against Postfix's smtp-sink on loopback,
compared in the same run with Postfix's own load generator smtp-source on the same sink.

    python bench/bench_smtp.py [--messages 10000] [--connections 4] [--runs 3]
        # a markdown table: pressctl vs smtp-source -s 4 -d sending one of pressctl's own
        # messages (-F), a message of the same size (-l) and its tiny default, and vs the
        # bare Python loop (bare_smtp.py: the same message, no bookkeeping); CPU per
        # message of each sender and of the sink; pressctl's peak RSS (process tree)
    python bench/bench_smtp.py --baseline OTHER/.venv/bin/pressctl  # before/after, same run
    python bench/bench_smtp.py --rss 100000      # peak RSS of a 100,000-recipient mailout
    python bench/bench_smtp.py --rates           # achieved rate under 50/s and 600/min
    python bench/bench_smtp.py --marginal 30000  # rates once running (10,000 and 30,000
        # messages each, alternating): start-up and other fixed costs apart

smtp-sink and smtp-source come with Debian's postfix package; ../shared/bench/README.md
says how to install them without starting a mail server. Only 127.0.0.1 and addresses
under example.org / example.net are used.

Targets (issue 4): pressctl >= 0.5 x smtp-source (4 sessions, -d); peak RSS <= 200 MB for
100,000 recipients; achieved rate within 2 % of the limit when the limit is the bottleneck.
Issue 12: >= 1.0 x smtp-source -F with one of pressctl's messages, >= 0.5 x its default.

The whole `outbox run` command is timed, start-up included, as cron runs it: each home had
one idle `outbox run` first (cron's every minute), which checks config.toml once and
leaves the stamp the cheap idle path reads. Both trees' bytecode is compiled first (a
machine with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module every run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import console_script, machine, run_measured

REPO = Path(__file__).resolve().parent.parent
SINK, SOURCE = "/usr/sbin/smtp-sink", "/usr/sbin/smtp-source"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """smtp-sink on 127.0.0.1; its counters go to a file (a pipe would block it)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.log = open(folder / f"sink-{self.port}.out", "w")  # noqa: SIM115
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen([SINK, *user, "-c", f"127.0.0.1:{self.port}", "256"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("smtp-sink did not start")

    def cpu_seconds(self) -> float:
        """User + system CPU the sink has used so far (it serves one sender at a time)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def pressctl(script: str, home: Path, *args: str, check: bool = True):
    return subprocess.run([script, "-q", "--home", str(home), *args], check=check,
                          capture_output=True, text=True)


def make_home(folder: Path, script: str, recipients: int, port: int, connections: int,
              rate: str | None = None) -> tuple[Path, Path]:
    """A home with the sample book plus synthetic journalists, SMTP to the sink, and the
    example release without embargo or event (text + HTML, about 17 KB per message)."""
    home = folder / f"home-{recipients}-{port}"
    home.mkdir()
    config = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'security = "plain"',
              f"connections = {connections}"]
    if rate:
        config += ["[delivery]", f'rate = "{rate}"']
    (home / "config.toml").write_text("\n".join(config) + "\n")
    pressctl(script, home, "init")  # keeps the config; creates the book and the key
    pressctl(script, home, "outbox", "run")  # cron's idle run: checks config.toml once
    people = folder / f"people-{recipients}.csv"
    if not people.exists():
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_contacts.py"),
                        str(recipients), str(people), "--invalid-rate", "0"],
                       check=True, capture_output=True)
    pressctl(script, home, "orgs", "import", str(REPO / "contacts" / "organizations.json"))
    pressctl(script, home, "contacts", "import", str(REPO / "contacts" / "contacts.csv"))
    pressctl(script, home, "contacts", "import", str(people), "--on-duplicate", "skip")
    text = (REPO / "examples" / "PR106-2020.en.md").read_text(encoding="utf-8")
    text = re.sub(r'embargo = "[^"]*"\n|translations = \{[^}]*\}\n', "", text)
    text = re.sub(r"\n\[event\].*?(?=\n\+\+\+)", "", text, flags=re.S)
    release = folder / f"release-{port}.md"
    release.write_text(text, encoding="utf-8")
    return home, release


def create(script: str, home: Path, release: Path, recipients: int) -> int:
    out = pressctl(script, home, "mailout", "create", str(release), "--audience", "all",
                   "--yes", "--json")
    [mailout] = json.loads(out.stdout)
    return mailout["recipients"]  # the book's opt-outs and duplicates make it differ


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Measure:
    """One sender's runs: messages/s, its CPU and the sink's per message, peak tree RSS."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rates: list[float] = []
        self.cpu_us: list[float] = []
        self.sink_us: list[float] = []
        self.rss_kib: list[int] = []
        self.pss_kib: list[int] = []  # shared pages counted once across the tree

    def add(self, messages: int, wall: float, cpu: float, sink: float, rss: int = 0,
            pss: int = 0) -> None:
        self.rates.append(messages / wall)
        self.cpu_us.append(cpu / messages * 1e6)
        self.sink_us.append(sink / messages * 1e6)
        if rss:
            self.rss_kib.append(rss)
        if pss:
            self.pss_kib.append(pss)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def smtp_source(port: int, messages: int, size: int | None, *, file: Path | None = None,
                sink: Sink | None = None, into: Measure | None = None) -> float:
    """smtp-source -s 4 -d: its default message, ``size`` bytes (-l), or ``file`` (-F: a
    message of pressctl's, LF line ends; smtp-source adds the CR and the dot-stuffing)."""
    args = [SOURCE, "-s", "4", "-m", str(messages), "-d", "-f", "bench@example.org",
            "-t", "rcpt@example.net"]
    if file is not None:
        args += ["-F", str(file)]
    elif size:
        args += ["-l", str(size)]
    cpu, sunk = _children_cpu(), sink.cpu_seconds() if sink else 0.0
    start = time.perf_counter()
    subprocess.run([*args, f"127.0.0.1:{port}"], check=True, capture_output=True)
    wall = time.perf_counter() - start
    if into is not None:
        into.add(messages, wall, _children_cpu() - cpu,
                 sink.cpu_seconds() - sunk if sink else 0.0)
    return messages / wall


def _delivered(script: str, folder: Path, args, sink: Sink, into: Measure) -> tuple[int, bytes]:
    """One whole `outbox run` command for a fresh home, measured into ``into``; returns
    (messages sent, one of its messages as `release preview` writes it)."""
    home, release = make_home(folder, script, args.messages, sink.port, args.connections)
    count = create(script, home, release, args.messages)
    cpu, sunk = _children_cpu(), sink.cpu_seconds()
    result, wall, peak = run_measured([script, "--home", str(home), "outbox", "run"])
    into.add(count, wall, _children_cpu() - cpu, sink.cpu_seconds() - sunk, peak["tree_rss"],
             peak["tree_pss"])
    if result.returncode:
        raise SystemExit(f"outbox run failed: {result.stderr[-1000:]}")
    shown = pressctl(script, home, "mailout", "list", "--json")
    sent = json.loads(shown.stdout)[0]["counts"].get("sent", 0)
    assert sent == count, (sent, count)
    message = _message(script, home, release)
    shutil.rmtree(home)
    return count, message


def _compile(script: str) -> None:
    """Byte-compile the pressctl that ``script`` runs (see the module docstring)."""
    python = Path(script).parent / "python"
    found = subprocess.run([str(python), "-c", "import os, pressctl; "
                            "print(os.path.dirname(pressctl.__file__))"],
                           check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([str(python), "-m", "compileall", "-q", found], check=False,
                   capture_output=True)


def bare_loop(port: int, messages: int, file: Path, connections: int, *, sink: Sink,
              into: Measure) -> None:
    """bench/bare_smtp.py: the bare library loop (stdlib sockets, pressctl's layout of
    connections and processes, envelopes pipelined with the dots, no bookkeeping)."""
    processes = str(min(2, os.cpu_count() or 1))  # as [delivery] processes = "auto"
    cpu, sunk = _children_cpu(), sink.cpu_seconds()
    start = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "bench" / "bare_smtp.py"), str(port),
                    str(messages), str(file), "--connections", str(connections),
                    "--processes", processes], check=True, capture_output=True)
    wall = time.perf_counter() - start
    into.add(messages, wall, _children_cpu() - cpu, sink.cpu_seconds() - sunk)


def throughput(args, script: str, folder: Path) -> None:
    """Runs alternate (baseline, pressctl, smtp-source -F, -l, default) so that all meet
    the same machine load; medians are compared, each ratio within the same runs."""
    for tree in filter(None, (script, args.baseline)):
        _compile(tree)
    sink = Sink(folder)
    ours = Measure("**pressctl outbox run**")
    base = Measure(f"pressctl outbox run, baseline ({args.baseline})")
    same, sized, tiny = (Measure("smtp-source -s 4 -d -F (one of pressctl's messages)"),
                         Measure("smtp-source -s 4 -d -l SIZE"),
                         Measure("smtp-source -s 4 -d (its default, tiny message)"))
    bare = Measure("bare Python loop, same layout (bench/bare_smtp.py)")
    sizes = []
    try:
        for _run in range(args.runs):
            if args.baseline:
                _delivered(args.baseline, folder, args, sink, base)
            count, message = _delivered(script, folder, args, sink, ours)
            sizes.append(len(message))
            eml = folder / "message.eml"  # LF: smtp-source sends each line with CRLF
            eml.write_bytes(message.replace(b"\r\n", b"\n"))
            smtp_source(sink.port, count, None, file=eml, sink=sink, into=same)
            smtp_source(sink.port, count, len(message), sink=sink, into=sized)
            smtp_source(sink.port, count, None, sink=sink, into=tiny)
            crlf = folder / "message-crlf.eml"
            crlf.write_bytes(message)
            bare_loop(sink.port, count, crlf, args.connections, sink=sink, into=bare)
    finally:
        sink.stop()
    size = int(statistics.median(sizes))
    sized.name = sized.name.replace("SIZE", str(size))
    print(f"\n{args.messages:,} recipients, messages of {size:,} bytes, "
          f"{args.connections} connections; {args.runs} alternating runs, medians; "
          f"pressctl timed as the whole command, start-up included\n")
    print("| sender | msgs/s (median; runs) | CPU µs/msg, sender | CPU µs/msg, sink "
          "| peak RSS, tree (PSS) | pressctl / it |")
    print("|---|---|---|---|---|---|")
    for measure in (ours, base, same, sized, tiny, bare):
        if not measure.rates:
            continue
        runs = ", ".join(f"{x:,.0f}" for x in measure.rates)
        rss = (f"{statistics.median(measure.rss_kib) / 1024:.0f} MiB"
               if measure.rss_kib else "")
        if measure.pss_kib:
            rss += f" (PSS {statistics.median(measure.pss_kib) / 1024:.0f} MiB)"
        ratio = "" if measure is ours else f"{ours.rate / measure.rate:.2f}"
        print(f"| {measure.name} | {measure.rate:,.0f} ({runs}) | "
              f"{statistics.median(measure.cpu_us):.0f} | {statistics.median(measure.sink_us):.0f} "
              f"| {rss} | {ratio} |")


def marginal(args, script: str, folder: Path) -> None:
    """Fixed costs apart: each sender timed on ``--messages`` and on ``--marginal``
    messages, alternating; the extra messages over the extra time is its rate once
    running, and what is left of the small run's time is its fixed cost (start-up,
    set-up, the last replies). The headline figure stays the whole command's
    (:func:`throughput`): this says how much of the gap is start-up."""
    _compile(script)
    sink = Sink(folder)
    sizes = (args.messages, args.marginal)
    walls: dict[str, dict[int, list[tuple[int, float]]]] = {
        name: {size: [] for size in sizes} for name in ("ours", "same", "tiny")}
    try:
        for _run in range(args.runs):
            for size in sizes:
                measure = Measure("")
                sized = argparse.Namespace(**{**vars(args), "messages": size})
                count, message = _delivered(script, folder, sized, sink, measure)
                walls["ours"][size].append((count, count / measure.rates[0]))
                eml = folder / "message.eml"
                eml.write_bytes(message.replace(b"\r\n", b"\n"))
                rate = smtp_source(sink.port, count, None, file=eml, sink=sink)
                walls["same"][size].append((count, count / rate))
                rate = smtp_source(sink.port, count, None, sink=sink)
                walls["tiny"][size].append((count, count / rate))
    finally:
        sink.stop()
    names = {"ours": "**pressctl outbox run**",
             "same": "smtp-source -s 4 -d -F (one of pressctl's messages)",
             "tiny": "smtp-source -s 4 -d (its default, tiny message)"}
    running = {}
    print(f"\n{sizes[0]:,} and {sizes[1]:,} recipients, {args.connections} connections; "
          f"{args.runs} alternating runs, medians\n")
    print("| sender | wall, small (msgs) | wall, large (msgs) | msgs/s once running "
          "| fixed cost | pressctl once running / it |")
    print("|---|---|---|---|---|---|")
    for key in ("ours", "same", "tiny"):
        small = statistics.median(w for _, w in walls[key][sizes[0]])
        large = statistics.median(w for _, w in walls[key][sizes[1]])
        n_small = walls[key][sizes[0]][0][0]
        n_large = walls[key][sizes[1]][0][0]
        rate = (n_large - n_small) / (large - small)
        running[key] = rate
        fixed = small - n_small / rate
        ratio = "" if key == "ours" else f"{running['ours'] / rate:.2f}"
        print(f"| {names[key]} | {small:.3f} s ({n_small:,}) | {large:.3f} s ({n_large:,}) "
              f"| {rate:,.0f} | {fixed * 1000:.0f} ms | {ratio} |")


def _message(script: str, home: Path, release: Path) -> bytes:
    """One of the release's messages as pressctl builds it (CRLF)."""
    out = subprocess.run([script, "-q", "--home", str(home), "release", "preview",
                          str(release), "--to", "1", "--format", "eml"], check=True,
                         capture_output=True)
    return out.stdout


def peak_rss(args, script: str, folder: Path) -> None:
    sink = Sink(folder)
    try:
        home, release = make_home(folder, script, args.rss, sink.port, args.connections)
        start = time.perf_counter()
        created, create_wall, create_peak = run_measured(
            [script, "-q", "--home", str(home), "mailout", "create", str(release),
             "--audience", "all", "--yes"])
        if created.returncode:
            raise SystemExit(created.stderr[-1000:])
        ran, run_wall, run_peak = run_measured([script, "--home", str(home), "outbox", "run"])
        if ran.returncode:
            raise SystemExit(ran.stderr[-1000:])
        counts = json.loads(pressctl(script, home, "mailout", "list", "--json").stdout)[0]
        print(f"{args.rss:,}-recipient mailout: create {create_wall:.1f} s, peak RSS "
              f"{create_peak['max_process_rss'] / 1024:.0f} MiB; outbox run {run_wall:.1f} s "
              f"({counts['counts'].get('sent', 0) / run_wall:,.0f} msgs/s), peak RSS "
              f"{run_peak['tree_rss'] / 1024:.0f} MiB (whole process); counts "
              f"{counts['counts']}; total {time.perf_counter() - start:.0f} s")
    finally:
        sink.stop()


def rates(args, script: str, folder: Path) -> None:
    """Achieved rate when the limit is the bottleneck, measured by the timestamps of a
    small recording SMTP server (aiosmtpd; a few hundred messages per second is fine)."""
    sys.path.insert(0, str(REPO / "tests"))
    from smtp_fixtures import RecordingHandler, SmtpServer

    class Timed(RecordingHandler):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        async def handle_DATA(self, server, session, envelope):
            self.times.append(time.monotonic())
            return "250 OK"

    cases = (("50/s", 50, 1.0, 1000), ("600/min", 600, 60.0, 1200))
    for limit, per, window, messages in [c for c in cases if args.only in (None, c[0])]:
        server = SmtpServer(Timed()).start()
        try:
            home, release = make_home(folder, script, messages, server.port, 4, rate=limit)
            create(script, home, release, messages)
            subprocess.run([script, "--home", str(home), "outbox", "run"], check=True)
            times = sorted(server.handler.times)
            worst = max(sum(1 for t in times if start <= t < start + window) for start in times)
            achieved = (len(times) - 1) / (times[-1] - times[0]) * window
            print(f"limit {limit}: {len(times)} messages as the relay received them; most in "
                  f"any {window:g} s window {worst} (limit {per}); achieved {achieved:.1f} per "
                  f"{'s' if window == 1 else 'min'} ({achieved / per * 100 - 100:+.1f} %)")
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rss", type=int, default=0, help="recipients for the RSS run")
    parser.add_argument("--rates", action="store_true")
    parser.add_argument("--only", help="with --rates: 50/s or 600/min")
    parser.add_argument("--marginal", type=int, default=0,
                        help="also time this many messages: rates once running, fixed costs")
    parser.add_argument("--baseline", help="another pressctl executable (e.g. an earlier "
                        "commit's) measured in the same run, alternating with this one")
    args = parser.parse_args()
    for tool in (SINK, SOURCE):
        if not Path(tool).exists():
            raise SystemExit(f"{tool} is missing: see ../shared/bench/README.md")
    script = str(console_script())
    folder = Path(tempfile.mkdtemp(prefix="pressctl-bench-"))
    print(f"machine: {machine()}")
    try:
        if args.rss:
            peak_rss(args, script, folder)
        elif args.rates:
            rates(args, script, folder)
        elif args.marginal:
            marginal(args, script, folder)
        else:
            throughput(args, script, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`pressctl outbox ...`: the cron entry point, and the crontab line to install."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.app import state

app = typer.Typer(no_args_is_help=True)


@app.command("run")
def run(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say what was done (cron stays silent otherwise).")] = False,
) -> None:
    """Deliver everything that is due, then exit (exit 5 if some messages failed).

    Silent on success, so that cron mails only problems. Example: pressctl outbox run
    """
    import os
    import sys
    import time
    import uuid
    from datetime import datetime

    from pressctl.cli.delivery import append_log, home_of, outbox_lock, transport_factory
    from pressctl.errors import DeliveryFailed
    from pressctl.mailout import deliver_due, iso
    from pressctl.outbox import RetryPolicy
    st = state(ctx)
    book = st.book()
    home = home_of(st.paths)
    settings = book.settings
    with outbox_lock(home) as mine:
        if not mine:
            if verbose:
                st.out.info("Another `outbox run` is delivering; nothing to do here")
            return
        make, connections, where = transport_factory(settings, home, st.env)
        limiter = _limiter(book, settings.rate) if settings.rate else None
        run_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        progress = _progress(st, book)
        started = time.monotonic()
        try:
            report = deliver_due(
                book, make, now=lambda: datetime.now().astimezone(), run_id=run_id,
                policy=RetryPolicy(max_attempts=settings.max_attempts),
                connections=connections, limiter=limiter, clock=time.monotonic,
                sleep=time.sleep, progress=progress.advance if progress else None,
                recovered=lambda count: append_log(home, [
                    f"{iso(datetime.now())} run {run_id}: {count} unknown: rows an "
                    "interrupted run left in flight (see `pressctl mailout show ID`)"]))
        finally:
            if progress:
                progress.stop()
    seconds = time.monotonic() - started
    summary = (f"{report.sent} sent, {report.failed} failed, {report.retrying} to retry, "
               f"{report.skipped} skipped, {report.unknown} unknown"
               + (f" (+{report.recovered_unknown} left unknown by an interrupted run)"
                  if report.recovered_unknown else "")
               + f" via {where} in {seconds:.1f} s")
    log = append_log(home, [f"{iso(datetime.now())} run {run_id}: {summary}"]
                     + [f"  {line}" for line in report.failures])
    if verbose or (report.mailouts and sys.stderr.isatty()):
        st.out.info(summary if report.mailouts else f"Nothing due ({where})")
    if not report.ok:
        raise DeliveryFailed(f"delivery finished with failures: {summary}",
                             hint=f"see `pressctl mailout show ID` and {log}")


def _limiter(book, rate: str):
    """The relay's limits, counting the sends of earlier runs: a new cron run must not
    start a fresh window. Stored times have one-second resolution: each is taken as the
    end of its second, which can only make the limiter stricter."""
    import time
    from datetime import datetime, timedelta, timezone

    from pressctl.mailout import from_iso, iso
    from pressctl.ratelimit import SlidingWindowLimiter, parse_limits

    limits = parse_limits(rate)
    limiter = SlidingWindowLimiter(limits, even=True)  # no bursts: see ratelimit
    longest = max(limits, default=0)
    wall, mono = datetime.now(timezone.utc), time.monotonic()
    for stamp in book.store.sent_since(iso(wall - timedelta(seconds=longest))):
        age = (wall - from_iso(stamp)).total_seconds() - 1.0
        limiter.record(mono - max(age, 0.0))
    return limiter


class _Bar:
    """sending ━━━━━━━━━━━━  4,120/9,842  42%  3,950 msgs/s  0:00:02 (on stderr)."""

    def __init__(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed:,.0f} msgs/s" if task.speed else "")

        self._progress = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
                                  TaskProgressColumn(), Rate(), TimeRemainingColumn(),
                                  transient=True)
        self._task = self._progress.add_task("sending", total=total)
        self._progress.start()

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)

    def stop(self) -> None:
        self._progress.stop()


def _progress(st, book):
    """A progress bar with the rate and the time left, on a terminal only (not cron)."""
    import sys
    from datetime import datetime

    from pressctl.mailout import iso

    if not sys.stderr.isatty() or st.out.quiet:
        return None
    total = book.store.due_row_count(iso(datetime.now()))
    return _Bar(total) if total else None


@app.command("cron")
def cron(ctx: typer.Context) -> None:
    """Print the crontab line that runs the outbox every minute. Its output is left to
    cron, which mails it: `outbox run` is silent unless something went wrong, and keeps
    its own log in the home.

    Example: pressctl outbox cron
    """
    import shlex
    import shutil
    import sys
    from pathlib import Path

    from pressctl.cli.delivery import home_of

    st = state(ctx)
    executable = shutil.which("pressctl") or str(Path(sys.argv[0]).resolve())
    home = home_of(st.paths).resolve()
    password = (st.book().settings.smtp or {}).get("password_env")
    env = f"{password}=... " if password else ""
    st.out.line(f"* * * * * {env}{shlex.quote(str(Path(executable).resolve()))} "
                f"--home {shlex.quote(str(home))} outbox run")
    st.out.info(f"Log of every run: {home / 'outbox.log'}")
    if password:
        st.out.info(f"Set {password} in the crontab (or use password_command): cron never "
                    "prompts for a password")

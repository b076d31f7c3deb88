"""`pressctl outbox ...`: the cron entry point, and the crontab line to install."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.context import Json, state

app = typer.Typer(no_args_is_help=True)


@app.command("run")
def run(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Say what was done (cron stays silent otherwise).")] = False,
    json_out: Json = False,
) -> None:
    """Deliver everything that is due, then exit: 5 if messages failed or the relay could
    not be reached, 130/143 when stopped by Ctrl-C/SIGTERM (nothing is left half-sent).

    Silent on success, so that cron mails only problems; --json prints what the run did
    (on stdout, whatever the exit code). Example: pressctl outbox run
    """
    import sys

    from pressctl.cli.signals import stop_on_signals
    from pressctl.delivery.run import StopRequest, exit_code_for, run_outbox
    from pressctl.errors import DeliveryFailed, Stopped

    st = state(ctx)
    book = st.book()
    stop = StopRequest()
    bar = _progress(st, book)
    try:
        with stop_on_signals(stop):
            report = run_outbox(book, home=st.paths.delivery_dir, env=st.env, stop=stop,
                                progress=bar.advance if bar else None)
    finally:
        if bar:
            bar.stop()
    if json_out:
        st.out.json(report_json(report))
    if report.busy:
        if verbose:
            st.out.info(f"Another `outbox run` is delivering ({report.busy}): nothing to do")
        return
    if verbose or (report.mailouts and sys.stderr.isatty()):
        st.out.info(report.summary() if report.mailouts else f"Nothing due ({report.via})")
    log = st.paths.delivery_dir / "outbox.log"
    code = exit_code_for(report)
    if code is not None:
        raise Stopped(report.problem() or "stopped", exit_code=code)
    if not report.ok:  # an outage names itself; failures point at where the details are
        raise DeliveryFailed(report.problem() or "delivery finished with failures",
                             hint=None if report.unreachable and report.waiting else
                             f"see `pressctl mailout show ID` and {log}")


def report_json(report) -> dict:
    """What a run did, for scripts: the counts, the problem in words, what is waiting."""
    return {"run_id": report.run_id, "via": report.via, "busy": report.busy,
            "mailouts": report.mailouts, "sent": report.sent, "failed": report.failed,
            "retrying": report.retrying, "skipped": report.skipped, "unknown": report.unknown,
            "gave_up": report.gave_up, "recovered_unknown": report.recovered_unknown,
            "recovered_queued": report.recovered_queued, "waiting": report.waiting,
            "unreachable": report.unreachable,
            "stopped_by": str(report.stopped_by) if report.stopped_by else None,
            "lease_lost": report.lease_lost, "ok": report.ok, "problem": report.problem(),
            "failures": report.failures, "seconds": round(report.seconds, 3)}


class _Bar:
    """sending ━━━━━━━━━━━━  4,120/9,842  42%  3,950 msgs/s  0:00:02 (on stderr)."""

    def __init__(self, total: int, console) -> None:
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
                                  transient=True, console=console)  # --no-color, NO_COLOR
        self._task = self._progress.add_task("sending", total=total)
        self._progress.start()

    def advance(self, count: int) -> None:  # from the connections' threads: rich locks
        self._progress.advance(self._task, count)

    def stop(self) -> None:
        self._progress.stop()


def _progress(st, book):
    """A progress bar with the rate and the time left, on a terminal only (not cron)."""
    import sys
    from datetime import UTC, datetime

    from pressctl.times import iso

    if not sys.stderr.isatty() or st.out.quiet:
        return None
    with book.store.transaction():
        total = book.store.mailouts.due_row_count(iso(datetime.now(UTC)))
    return _Bar(total, st.out.console(stderr=True)) if total else None


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

    st = state(ctx)
    executable = shutil.which("pressctl") or str(Path(sys.argv[0]).resolve())
    home = st.paths.delivery_dir.resolve()
    smtp = st.book().settings.smtp
    password = smtp.password_env if smtp else None
    env = f"{password}=... " if password else ""
    st.out.line(f"* * * * * {env}{shlex.quote(str(Path(executable).resolve()))} "
                f"--home {shlex.quote(str(home))} outbox run")
    st.out.info(f"Log of every run: {home / 'outbox.log'}")
    if password:
        st.out.info(f"Set {password} in the crontab (or use password_command): cron never "
                    "prompts for a password")

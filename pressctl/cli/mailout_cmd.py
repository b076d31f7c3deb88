"""`pressctl mailout ...`: freeze an approved release for a time; follow and steer it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import State, change_json, local_time, state
from pressctl.cli.tables import Col, Columns, Layout, Wide

app = typer.Typer(no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MailoutId = Annotated[int, typer.Argument(help="The mailout's id (see `pressctl mailout list`).")]
When = Annotated[str | None, typer.Option(
    "--at", help='When: "2026-11-23 09:00 Europe/Paris", "in 2h", "now" or "lift" '
                 "(on a terminal, --at or --now is required).")]
Now = Annotated[bool, typer.Option("--now", help='Send at once (as --at now).')]
PublicAtLift = Annotated[bool, typer.Option(
    "--public-at-lift/--no-public",
    help="Send the public version at the lift to the audience members who do not accept "
         "embargoes (default); --no-public leaves them out.")]
IncludeUnknown = Annotated[bool, typer.Option(
    "--include-unknown",
    help="Also re-send rows whose delivery is unknown (they may arrive twice).")]


# `mailout list` and the recipients of `mailout show` (on a terminal the counts that
# rarely matter go first when the width is short).
MAILOUT_COLUMNS = (
    Col("id", priority=1, overflow="whole"),
    Col("reference", priority=1, min_width=10),
    Col("phase", priority=3, overflow="whole"),
    Col("due", priority=1, overflow="whole"),
    Col("state", priority=1, overflow="whole"),
    Col("queued", priority=3, overflow="whole"),
    Col("sent", priority=2, overflow="whole"),
    Col("failed", priority=2, overflow="whole"),
    Col("skipped", priority=4, overflow="whole"),
    Col("unknown", priority=3, overflow="whole"),
)
ROW_COLUMNS = (
    Col("row", priority=1, overflow="whole"),
    Col("recipient", priority=1, min_width=24, breaks="@"),
    Col("state", priority=1, overflow="whole"),
    Col("attempts", priority=3, overflow="whole"),
    Col("reply", priority=2, min_width=16),
    Col("sent at", priority=2, overflow="whole", key="sent"),
)

# `mailout show`: what a person did to the mailout, as its line says it.
_PAST = {"approve": "approved", "pause": "paused", "resume": "resumed",
         "cancel": "cancelled", "retry": "retried"}


def _now():
    from datetime import datetime

    return datetime.now().astimezone()


# Asked on a terminal that gives no --at: a mailout is not undone, so "when" is said.
SAY_WHEN = ('say when: --at "2026-12-03 09:00 Europe/Paris" (or "in 2h", "lift"), '
            "or --now to send at once")


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The release file (its translations come along).")],
    at: When = None,
    now: Now = False,
    audience: Annotated[str | None, typer.Option(
        "--audience", help="Filter overriding the release's.")] = None,
    public_at_lift: PublicAtLift = True,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Approve without asking (scripts).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Everything but storing it.")] = False,
    templates: Annotated[Path | None, typer.Option("--templates", help="Templates folder.")] = None,
    json_out: Json = False,
) -> None:
    """Freeze a release for delivery: recipients and messages as approved now.

    Shows what will go out (subjects, From, due times in the release's zone and yours,
    counts per phase and language, the first recipients, who is left out and why), then
    asks. An embargoed version only ever goes to contacts who accept embargoes; the rest of
    the audience gets the public version at the lift (a second, linked mailout). On a
    terminal --at or --now is required; a script (no terminal) without either sends now.

    Example: pressctl mailout create PR106-2020.en.md --at "2020-09-22 08:00 Europe/Paris" --yes
    """
    from pressctl.cli import prompts
    from pressctl.cli.approval_screen import phase_rows, print_approval, write_approval_json
    from pressctl.cli.views import format_local
    from pressctl.delivery.mailouts import prepare_mailouts
    from pressctl.delivery.spooled import spool_mailouts, store_spooled, summarize_spooled
    from pressctl.delivery.unsubscribe import ensure_key, load_key

    if at is not None and now:
        raise typer.BadParameter("give --at or --now, not both", param_hint="--now")
    if at is None and not now and not dry_run and prompts.interactive():
        raise typer.BadParameter(SAY_WHEN, param_hint="--at")
    st = state(ctx)
    book = st.book()
    clock = _now()
    prepared = prepare_mailouts(book, file, at="now" if now or at is None else at, now=clock)
    for warning in prepared.releases.warnings:
        st.out.warn(str(warning))
    # Planned, summed up and stored a recipient at a time, the rows spooled in between
    # (pressctl.delivery.spooled): flat memory whatever the audience's size.
    with spool_mailouts(book, prepared, _templates(st, templates), audience=audience,
                        public_at_lift=public_at_lift) as spooled:
        for warning in spooled.warnings:
            st.out.warn(str(warning))
        approval = summarize_spooled(book, spooled)
        zone = book.zone  # display.timezone, else TZ, else the system's
        rows = phase_rows(approval)
        if json_out and dry_run:
            write_approval_json(approval)
        elif not json_out:
            st.out.table(("phase", "due", "recipients", "languages", "embargoed",
                          "get nothing"),
                         [(p.phase, format_local(p.due_at, zone), p.messages,
                           ",".join(r["languages"]), r["embargoed"], p.left_out)
                          for p, r in zip(approval.phases, rows, strict=True)])
        if not (json_out or st.out.quiet):
            print_approval(st.out, approval, zone)
        if at is None and not now:
            st.out.info("No --at given: due now")
        if dry_run:
            st.out.info("Dry run: nothing stored")
            return
        if not yes:
            if not prompts.interactive():
                raise typer.BadParameter("not on a terminal: pass --yes to approve the mailout")
            left_out = sum(p.left_out for p in approval.phases)
            nothing = (f"; {left_out} contact(s) of the audience get nothing (they do not "
                       "accept embargoes, --no-public)" if left_out else "")
            prompts.confirm_or_stop(f"Approve {approval.messages} message(s){nothing}?",
                                    "Nothing approved: no mailout was stored.")
        ensure_key(st.paths.unsubscribe_key)  # homes made before one-click tokens have none
        ids = store_spooled(book, spooled, token_key=load_key(st.paths.unsubscribe_key))
    if json_out:
        st.out.json([{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
    for mailout_id, phase in zip(ids, approval.phases, strict=True):
        st.out.info(f"Mailout #{mailout_id} ({phase.phase}): {phase.messages} message(s) "
                    f"due {format_local(phase.due_at, zone)}; `pressctl outbox run` (or cron) "
                    "delivers it")


def _templates(st: State, folder: Path | None):
    from pressctl.releases.templating import Templates

    return Templates(folder or st.paths.templates_dir)


def _mailout_json(book, record) -> dict:
    return {"id": record.id, "reference": record.reference, "release": record.release_path,
            "phase": record.phase, "linked_to": record.linked_to, "due_at": record.due_at,
            "state": record.state, "counts": book.store.mailouts.counts(record.id),
            "created": record.created, "updated": record.updated}


@app.command("list")
def list_(ctx: typer.Context, json_out: Json = False, wide: Wide = False,
          columns: Columns = None) -> None:
    """List mailouts with their state and per-recipient counts (due times in your zone,
    display.timezone; UTC with --json).

    Example: pressctl mailout list --columns id,reference,due,state,sent,failed
    """
    from pressctl.outbox.states import RowState

    st = state(ctx)
    book = st.book()
    items = [_mailout_json(book, r) for r in book.store.mailouts.all()]
    if json_out:
        st.out.json(items)
        return
    st.out.table(
        MAILOUT_COLUMNS,
        [(i["id"], i["reference"], i["phase"], local_time(i["due_at"], book.zone), i["state"],
          i["counts"].get(RowState.QUEUED, 0) + i["counts"].get(RowState.SENDING, 0),
          *(i["counts"].get(s, 0) for s in (RowState.SENT, RowState.FAILED, RowState.SKIPPED,
                                             RowState.UNKNOWN))) for i in items],
        layout=Layout(wide, columns))


@app.command("show")
def show(ctx: typer.Context, mailout_id: MailoutId, json_out: Json = False) -> None:
    """Show a mailout, who approved, paused, resumed, cancelled or retried it and when, and
    the state of every recipient (with the server's replies).

    Example: pressctl mailout show 3
    """
    from pressctl.delivery.mailouts import get_mailout, history
    from pressctl.outbox.states import RowState

    st = state(ctx)
    book = st.book()
    record = get_mailout(book, mailout_id)
    rows = book.store.mailouts.rows(mailout_id)
    done = history(book, mailout_id)
    item = _mailout_json(book, record)
    item["changes"] = [change_json(c) for c in done]
    item["rows"] = [{"id": r.id, "name": r.name, "address": r.address, "state": r.state,
                     "attempts": r.attempts, "next_attempt_at": r.next_attempt_at,
                     "reply": r.reply, "sent_at": r.sent_at} for r in rows]
    if json_out:
        st.out.json(item)
        return
    zone = book.zone
    st.out.record([(k, item[k]) for k in ("id", "reference", "release", "phase", "linked_to")]
                  + [("due", local_time(item["due_at"], zone)), ("state", item["state"])]
                  + [("counts", ", ".join(f"{k} {v}" for k, v in sorted(item["counts"].items())))]
                  + [(_PAST.get(c.action, c.action), f"by {c.actor} at {local_time(c.at, zone)}")
                     for c in done])
    st.out.line("")
    st.out.table(ROW_COLUMNS,
                 [(r.id, f"{r.name} <{r.address}>", r.state, r.attempts, r.reply,
                   local_time(r.sent_at, zone)) for r in rows])
    if any(r.state == RowState.UNKNOWN for r in rows):
        st.out.warn("rows in state 'unknown' may have been delivered; re-send them only with "
                    f"`pressctl mailout retry {mailout_id} --include-unknown`")


@app.command("cancel")
def cancel(ctx: typer.Context, mailout_id: MailoutId) -> None:
    """Cancel a mailout: its queued rows are never sent.

    Example: pressctl mailout cancel 3
    """
    from pressctl.delivery import mailouts as mailout

    st = state(ctx)
    count = mailout.cancel(st.book(), mailout_id)
    st.out.info(f"Cancelled mailout #{mailout_id}: {count} queued message(s) will not be sent")


@app.command("pause")
def pause(ctx: typer.Context, mailout_id: MailoutId) -> None:
    """Pause a mailout (cron skips it until resumed).

    Example: pressctl mailout pause 3
    """
    from pressctl.delivery import mailouts as mailout

    mailout.pause(state(ctx).book(), mailout_id)
    state(ctx).out.info(f"Paused mailout #{mailout_id}")


@app.command("resume")
def resume(ctx: typer.Context, mailout_id: MailoutId) -> None:
    """Resume a paused mailout.

    Example: pressctl mailout resume 3
    """
    from pressctl.delivery import mailouts as mailout

    mailout.pause(state(ctx).book(), mailout_id, resume=True)
    state(ctx).out.info(f"Resumed mailout #{mailout_id}")


@app.command("retry")
def retry(
    ctx: typer.Context,
    mailout_id: MailoutId,
    include_unknown: IncludeUnknown = False,
) -> None:
    """Queue the failed rows of a mailout again.

    Example: pressctl mailout retry 3
    """
    from pressctl.delivery import mailouts as mailout

    st = state(ctx)
    count = mailout.retry(st.book(), mailout_id, include_unknown=include_unknown)
    st.out.info(f"Queued {count} message(s) of mailout #{mailout_id} again")

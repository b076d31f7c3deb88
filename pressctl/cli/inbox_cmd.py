"""`pressctl inbox import`: read what came back after a send (bounces, RSVPs, unsubscribe
requests, automatic replies, people's replies) from a Maildir, an mbox or an IMAP folder,
and record it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, state
from pressctl.cli.output import Output

if TYPE_CHECKING:
    from pressctl.book.inbox import InboxReport, NotMatched

app = typer.Typer(no_args_is_help=True)

IMAP_PASSWORD = "PRESSCTL_IMAP_PASSWORD"
PASSWORD_TIMEOUT = 30.0  # seconds --password-command may take

# The kinds in the order the summary lists them, and how it names them.
_KINDS = (("bounce", "bounces"), ("rsvp", "answers to invitations"),
          ("unsubscribe", "unsubscribe requests"), ("auto-reply", "automatic replies"),
          ("human-reply", "replies to follow up"))


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(
        help="A Maildir folder (with cur/ and new/) or an mbox file of what came back.",
        show_default=False)] = None,
    imap: Annotated[str | None, typer.Option(
        "--imap", metavar="URL",
        help="Read an IMAP folder instead: imaps://user@host/folder (or imap:// with "
             "STARTTLS). The password is PRESSCTL_IMAP_PASSWORD, else --password-command's "
             "output; never asked. Nothing is changed on the server.")] = None,
    password_command: Annotated[str | None, typer.Option(
        "--password-command", metavar="COMMAND",
        help="With --imap: a command printing the password (e.g. \"pass show mail/press\"), "
             "run when PRESSCTL_IMAP_PASSWORD is not set.")] = None,
    json_out: Json = False,
) -> None:
    """Record bounces, RSVPs, unsubscribe requests and replies from a mailbox.

    A hard bounce (5.x.x) makes the address bouncing at once, 3 soft bounces (4.x.x)
    within 30 days too ([inbox] soft_bounces, soft_days): it is skipped at the next
    send until the address is edited or `pressctl contacts unbounce ADDRESS`.
    Unsubscribe requests opt their sender out, as `optouts import` does. A message
    seen before counts once; a bounce or answer that names nothing pressctl sent is
    reported and changes nothing.

    Example: pressctl inbox import ~/Maildir/.press-replies
    """
    from pressctl.book.inbox import import_inbox, import_messages

    if (path is None) == (imap is None):
        raise typer.BadParameter("give a PATH or --imap URL (one of them)")
    if password_command is not None and imap is None:
        raise typer.BadParameter("--password-command goes with --imap")
    st = state(ctx)
    book = st.book()
    own = book.settings.sender.list_unsubscribe
    unsubscribe = [own] if own else []
    limits = book.settings.inbox
    if path is not None:
        report = import_inbox(book, path, unsubscribe_addresses=unsubscribe,
                              soft_limit=limits.soft_bounces, soft_days=limits.soft_days)
    else:
        assert imap is not None
        from pressctl.inbox.imap import parse_imap_url, read_imap
        from pressctl.secrets import secret_from

        where = parse_imap_url(imap)
        password = secret_from(IMAP_PASSWORD, password_command, st.env, PASSWORD_TIMEOUT,
                               "the IMAP password", command_label="--password-command")
        assert password is not None  # secret_from raises when the variable is not set
        report = import_messages(book, where.shown, read_imap(where, password),
                                 unsubscribe_addresses=unsubscribe,
                                 soft_limit=limits.soft_bounces, soft_days=limits.soft_days)
    if json_out:
        st.out.json(report_json(report))
        return
    print_report(st.out, report)


def report_json(report: InboxReport) -> dict:
    return {
        "source": report.source, "messages": report.messages, "seen": report.seen,
        "recorded": {kind: count for kind, _, count in _counts(report)},
        "bounces": {"hard": report.hard_bounces, "soft": report.soft_bounces},
        "answers": report.answers, "outdated_answers": report.outdated_answers,
        "automatic": dict(report.automatic),
        "bouncing": [{"address": b.address, "contact": b.contact_id, "since": b.since,
                      "reason": b.reason} for b in report.bouncing],
        "opted_out": report.opted_out, "suppressed": report.suppressed,
        "follow_up": [{"from": f.sender, "subject": f.subject, "date": f.dated,
                       "reference": f.reference, "mailout": f.mailout_id}
                      for f in report.follow_up],
        "not_matched": [_problem_json(p) for p in report.not_matched],
        "unreadable": [_problem_json(p) for p in report.unreadable],
    }


def _counts(report: InboxReport) -> list[tuple[str, str, int]]:
    """(kind, label, messages recorded) of each kind, in the summary's order."""
    from pressctl.book.inbox import Kind

    return [(kind, label, report.recorded.get(Kind(kind), 0)) for kind, label in _KINDS]


def _problem_json(problem: NotMatched) -> dict:
    return {"message": problem.where, "kind": str(problem.kind), "from": problem.sender,
            "subject": problem.subject, "why": problem.why}


def print_report(out: Output, report: InboxReport) -> None:
    """The counts as a table (stdout); what changed and what did not, on stderr."""
    rows = [(label, count) for _, label, count in _counts(report)]
    rows += [("not ours (nothing changed)", len({p.where for p in report.not_matched})),
             ("unreadable (nothing changed)", len(report.unreadable)),
             ("seen before (skipped)", report.seen)]
    from pressctl.cli.tables import Col

    out.table((Col("messages", priority=1, min_width=20), Col("count", priority=1,
                                                               overflow="whole")), rows)
    for now in report.bouncing:
        out.info(f"now bouncing: {now.address} since {now.since[:10]} ({now.reason})")
    for address in report.opted_out:
        out.info(f"opted out {address} (unsubscribe request)")
    for address in report.suppressed:
        out.info(f"suppressed {address} (unsubscribe request; not in the book: never "
                 "mailed if added later)")
    for reply in report.follow_up:
        about = f" (answers {reply.reference}, mailout #{reply.mailout_id})" \
            if reply.reference else ""
        out.info(f'to follow up: {reply.sender}: "{reply.subject}"{about}')
    for problem in report.not_matched:
        out.warn(f"{problem.where}: {problem.why}")
    for problem in report.unreadable:
        out.warn(f"{problem.where}: unreadable: {problem.why}")
    bounces = next(count for kind, _, count in _counts(report) if kind == "bounce")
    out.info(f"{report.messages} message(s) in {report.source}: {bounces} bounce(s) "
             f"({report.hard_bounces} hard, {report.soft_bounces} soft), "
             f"{len(report.bouncing)} address(es) now bouncing, {report.answers} answer(s) "
             f"recorded, {report.seen} seen before")

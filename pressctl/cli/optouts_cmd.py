"""`pressctl optouts import`: read unsubscribe replies and opt their senders out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import Json, state

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(
        help="A Maildir folder or an mbox file of replies to the List-Unsubscribe address.")],
    json_out: Json = False,
) -> None:
    """Opt out the sender of every unsubscribe reply (known contact or not).

    Bounces (delivery status notifications, MAILER-DAEMON, postmaster) and automatic
    replies (out of office) are not requests: they are skipped and counted.

    Example: pressctl optouts import ~/Maildir/.unsubscribe
    """
    from pressctl.book.optouts import import_optouts

    st = state(ctx)
    report = import_optouts(st.book(), path)
    if json_out:
        st.out.json({
            "messages": report.messages, "contacts": report.contacts,
            "unknown": report.unknown, "unreadable": report.unreadable,
            "bounces": report.bounces, "auto_replies": report.auto_replies,
            "skipped": [{"message": s.message, "from": s.sender, "subject": s.subject,
                         "why": str(s.why)} for s in report.skipped],
        })
        return
    for address in report.contacts:
        st.out.info(f"opted out {address}")
    for address in report.unknown:
        st.out.info(f"suppressed {address} (not in the book: never mailed if added later)")
    for skipped in report.skipped:
        st.out.info(f"skipped {skipped.message} ({skipped.why}): from {skipped.sender}, "
                    f'"{skipped.subject}"')
    for problem in report.unreadable:
        st.out.warn(problem)
    st.out.info(f"{report.messages} message(s): {len(report.contacts)} contact(s) "
                f"opted out, {len(report.unknown)} other address(es) suppressed; skipped "
                f"{report.bounces} bounce(s) and {report.auto_replies} automatic reply(ies)")

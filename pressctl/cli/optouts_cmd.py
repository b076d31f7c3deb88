"""`pressctl optouts import`: read unsubscribe replies and opt their senders out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.app import state

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A Maildir folder or an mbox file of replies to the List-Unsubscribe address.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Opt out the sender of every unsubscribe reply (known contact or not).

    Example: pressctl optouts import ~/Maildir/.unsubscribe
    """
    from pressctl.optouts import import_optouts

    st = state(ctx)
    report = import_optouts(st.book(), path)
    if json_out:
        st.out.json(report)
        return
    for address in report["contacts"]:
        st.out.info(f"opted out {address}")
    for address in report["unknown"]:
        st.out.info(f"suppressed {address} (not in the book: never mailed if added later)")
    for problem in report["unreadable"]:
        st.out.warn(problem)
    st.out.info(f"{report['messages']} message(s): {len(report['contacts'])} contact(s) "
                f"opted out, {len(report['unknown'])} other address(es) suppressed")

"""Top-level commands: init, paths, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import Json, now_utc, state


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("paths")(paths)
    app.command("demo")(demo)


def init(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", help="The home to create (same as the global --home).")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH|URL",
        help="The database to create: a file, or a PostgreSQL URL whose schema to create "
             "(same as the global --db).")] = None,
) -> None:
    """Create the home, config.toml, the contact book and the unsubscribe key (safe to run
    again: what exists is kept). Every other command needs an initialised home.

    With a PostgreSQL database (--db, PRESSCTL_DB or [database] url in config.toml) the
    server holds the book: init creates or migrates its schema.

    Example: pressctl init --home ~/press
    """
    from pressctl.home import init_home

    st = state(ctx)
    if home is not None:
        st.home = home
    if db is not None:
        st.db = db
    done = init_home(st.paths, env=st.env)
    paths = done.paths

    def said(created: bool) -> str:
        return "Created" if created else "Kept"

    st.out.info(f"{said(done.config_created)} {paths.config_file}")
    if done.location.is_postgres:
        st.out.info(f"Schema up to date in {done.location.masked} ({done.contacts} contacts)")
    else:
        st.out.info(f"{said(done.database_created)} {done.location.masked} "
                    f"({done.contacts} contacts)")
    st.out.info(f"{said(done.key_created)} {paths.unsubscribe_key} "
                "(the secret of one-click unsubscribe links)")
    st.out.info(f"Templates folder: {paths.templates_dir}")


def paths(ctx: typer.Context, json_out: Json = False) -> None:
    """Show where the config, the database and the templates are (a database URL without
    its password).

    Example: pressctl paths --json
    """
    st = state(ctx)
    paths = st.paths
    # --db / PRESSCTL_DB win: config.toml is read only when its [database] url may count
    found = paths.as_dict(paths.database_option or st.location(st.config()))
    if json_out:
        st.out.json(found)
        return
    st.out.record([(k, v or "(platform directories)") for k, v in found.items()])


def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option(
        "--keep", help="Keep the temporary home afterwards.")] = False,
) -> None:
    """The whole path on sample data, in a temporary home: a contact book from the sample
    contacts, the joint CNES/SFR release with its online press conference, and a preview
    of every message (written as .eml files; nothing is sent).

    Nothing outside the temporary home is read or changed. Example: pressctl demo --keep
    """
    import shutil
    import tempfile
    from datetime import datetime

    from pressctl.book.history import entry_cells
    from pressctl.book.rsvps import counts_line
    from pressctl.cli.views import print_contacts, print_preview_summary
    from pressctl.demo import example_release, run_demo

    st = state(ctx)
    home = Path(tempfile.mkdtemp(prefix="pressctl-demo-"))
    try:
        report = run_demo(home, datetime.now().astimezone(), now_utc())
        out = st.out
        out.info(f"Demo home: {home}")
        out.info(f"1. Contact book: {report.organisations} organisations and "
                 f"{len(report.contacts)} contacts from {report.samples}")
        print_contacts(out, report.contacts, report.settings)
        release = report.release
        out.info(f"\n2. Release {release.main.reference} ({', '.join(release.versions)}) "
                 f"for its audience \"{release.main.audience}\":")
        print_preview_summary(out, report.previewed)
        out.info(f"3. The previews were written to {report.previews} (.eml, .html, .ics)"
                 + ("." if keep else ": add --keep to keep them, the demo home is removed "
                    "at the end."))
        run = report.run
        out.info(f"4. Mailout #{report.mailout_id} approved and delivered by `outbox run` "
                 f"into the Maildir {report.maildir}: {run.sent} sent, {run.failed} failed, "
                 f"{run.skipped} skipped. With an [smtp] section in config.toml the "
                 "same run goes through your relay.")
        back, inbox = report.returned, report.inbox
        out.info(f"5. What came back, read by `inbox import` from {back.folder}: "
                 f"{inbox.hard_bounces} bounce ({back.bounced} is now bouncing: skipped at "
                 f"the next send), {inbox.answers} answers to the press conference "
                 f"({back.accepted} accepts, {back.declined} declines).")
        out.info(f"6. `invite rsvps {report.mailout_id}`: {counts_line(report.rsvps)}. "
                 f"`contacts history` of {report.history.contact.name}, newest first:")
        for entry in report.history.entries[:3]:
            out.info("   " + "  ".join(cell for cell in entry_cells(entry) if cell))
    finally:
        if keep:
            st.out.info(f"Kept {home}: try `pressctl --home {home} release preview "
                        f"{example_release()} --to 5`")
        else:
            shutil.rmtree(home, ignore_errors=True)

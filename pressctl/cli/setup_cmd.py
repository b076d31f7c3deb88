"""Top-level commands: init, paths, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import state


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("paths")(paths)
    app.command("demo")(demo)


def init(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", help="The home to create (same as the global --home).")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="The database to create (same as the global --db).")] = None,
) -> None:
    """Create the home, config.toml, the contact book and the unsubscribe key (safe to run
    again: what exists is kept). Every other command needs an initialised home.

    Example: pressctl init --home ~/press
    """
    from pressctl.home import init_home

    st = state(ctx)
    if home is not None:
        st.home = home
    if db is not None:
        st.db = db
    done = init_home(st.paths)
    paths = done.paths

    def said(created: bool) -> str:
        return "Created" if created else "Kept"

    st.out.info(f"{said(done.config_created)} {paths.config_file}")
    st.out.info(f"{said(done.database_created)} {paths.database} ({done.contacts} contacts)")
    st.out.info(f"{said(done.key_created)} {paths.unsubscribe_key} "
                "(the secret of one-click unsubscribe links)")
    st.out.info(f"Templates folder: {paths.templates_dir}")


def paths(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show where the config, the database and the templates are.

    Example: pressctl paths --json
    """
    st = state(ctx)
    found = st.paths.as_dict()
    if json_out:
        st.out.json(found)
        return
    st.out.record([(k, v or "(platform directories)") for k, v in found.items()])


def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the temporary home afterwards.")] = False,
) -> None:
    """The whole path on sample data, in a temporary home: a contact book from the sample
    contacts, the joint CNES/SFR release with its online press conference, and a preview
    of every message (written as .eml files; nothing is sent).

    Nothing outside the temporary home is read or changed. Example: pressctl demo --keep
    """
    import shutil
    import tempfile
    from datetime import datetime

    from pressctl.book.contacts import Book
    from pressctl.book.importer import import_file
    from pressctl.book.orgs import import_orgs
    from pressctl.cli.contacts_cmd import print_contacts
    from pressctl.cli.context import now_utc
    from pressctl.cli.release_cmd import _summary, _write_all
    from pressctl.config import load_settings, resolve_paths
    from pressctl.contacts.formats.files import open_contact_file
    from pressctl.home import init_home
    from pressctl.releases.compose import build_messages, load_release_set, select_recipients
    from pressctl.releases.templating import Templates
    from pressctl.resources import shipped_dir
    from pressctl.store import Store

    st = state(ctx)
    home = Path(tempfile.mkdtemp(prefix="pressctl-demo-"))
    try:
        paths = resolve_paths({}, home)
        init_home(paths)  # what `pressctl init` makes: config, book, unsubscribe key
        store = Store.open(paths.database, create=False)
        book = Book(store, load_settings(paths.config_file), now_utc())
        samples = shipped_dir("contacts")
        added_orgs, _ = import_orgs(book, samples / "organizations.json")
        report = import_file(book, open_contact_file(samples / "contacts.csv"))
        st.out.info(f"Demo home: {home}")
        st.out.info(f"1. Contact book: {added_orgs} organisations and {report.added} contacts "
                    f"from {samples}")
        print_contacts(st, list(store.contacts.stream()), book.settings)

        release_file = shipped_dir("examples") / "PR106-2020.en.md"
        now = datetime.now().astimezone()
        # The example keeps the seed's 2020 dates, so "embargo in the past" warnings are
        # expected here and not shown.
        releases = load_release_set(release_file, now.date())
        recipients = select_recipients(book, releases)
        previews = home / "previews"
        built = list(_write_all(build_messages(book, releases, recipients,
                                               Templates(paths.templates_dir), now=now),
                                previews))
        st.out.info(f"\n2. Release {releases.main.reference} ({', '.join(releases.versions)}) "
                    f"for its audience \"{releases.main.audience}\":")
        _summary(st, built, False)
        st.out.info(f"3. The previews are in {previews} (.eml, .html, .ics).")

        from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
        from pressctl.delivery.run import run_outbox
        from pressctl.delivery.unsubscribe import load_key

        templates = Templates(paths.templates_dir)
        # The example's embargo (2020) has lifted: one public mailout for the whole audience.
        plans = plan_mailouts(book, release_file, at=None, audience=None, now=now)
        ids = store_mailouts(book, plans, templates, path=release_file,
                             token_key=load_key(paths.unsubscribe_key))
        maildir = home / book.settings.delivery.maildir
        report = run_outbox(book, home=home, env={})  # the embedded default: the Maildir
        st.out.info(f"4. Mailout #{ids[0]} approved and delivered by `outbox run` into the "
                    f"Maildir {maildir}: {report.sent} sent, {report.failed} failed, "
                    f"{report.skipped} skipped. With an [smtp] section in config.toml the "
                    "same run goes through your relay.")
        store.close()
    finally:
        if keep:
            st.out.info(f"Kept {home}: try `pressctl --home {home} release preview "
                        f"{shipped_dir('examples') / 'PR106-2020.en.md'} --to 5`")
        else:
            shutil.rmtree(home, ignore_errors=True)


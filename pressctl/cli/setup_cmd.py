"""Top-level commands: init, paths, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.app import state


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("paths")(paths)
    app.command("demo")(demo)


def init(ctx: typer.Context) -> None:
    """Create the home, config.toml and the contact book (safe to run again).

    Example: pressctl --home ~/press init
    """
    from pressctl.config import ensure_config

    st = state(ctx)
    paths = st.paths
    created = ensure_config(paths.config_file)
    existed = paths.database.exists()
    book = st.book()
    paths.templates_dir.mkdir(parents=True, exist_ok=True)
    st.out.info(f"{'Created' if created else 'Kept'} {paths.config_file}")
    st.out.info(f"{'Kept' if existed else 'Created'} {paths.database} "
                f"({book.store.count_contacts()} contacts)")
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

    from pressctl.book import Book
    from pressctl.cli.app import now_utc
    from pressctl.cli.contacts_cmd import print_contacts
    from pressctl.cli.release_cmd import _summary, _write_all
    from pressctl.config import ensure_config, load_settings, resolve_paths
    from pressctl.formats.files import open_contact_file
    from pressctl.importer import import_file
    from pressctl.orgs import import_orgs
    from pressctl.releases import build_messages, load_release_set, select_recipients
    from pressctl.resources import shipped_dir
    from pressctl.store import Store
    from pressctl.templating import Templates

    st = state(ctx)
    home = Path(tempfile.mkdtemp(prefix="pressctl-demo-"))
    try:
        paths = resolve_paths({}, home)
        ensure_config(paths.config_file)
        store = Store.open(paths.database)
        book = Book(store, load_settings(paths.config_file), now_utc())
        samples = shipped_dir("contacts")
        added_orgs, _ = import_orgs(book, samples / "organizations.json")
        report = import_file(book, open_contact_file(samples / "contacts.csv"))
        st.out.info(f"Demo home: {home}")
        st.out.info(f"1. Contact book: {added_orgs} organisations and {report.added} contacts "
                    f"from {samples}")
        print_contacts(st, list(store.iter_contacts()), book.settings)

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

        from pressctl.mailout import deliver_due, plan_mailouts, store_mailouts
        from pressctl.transport import FileTransport

        templates = Templates(paths.templates_dir)
        plans = plan_mailouts(book, release_file, at=None, audience=None,
                              public_at_lift=False, now=now)
        ids = store_mailouts(book, plans, templates, path=release_file)
        maildir = home / book.settings.maildir
        report = deliver_due(book, lambda: FileTransport(maildir, maildir=True),
                             now=lambda: now, run_id="demo")
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


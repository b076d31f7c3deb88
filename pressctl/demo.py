"""`pressctl demo`: the whole path on the shipped sample data, in a home of its own.

A contact book from the sample contacts, the joint CNES/SFR release previewed for its
audience (written as .eml/.html/.ics files), then approved as a mailout and delivered
into the home's Maildir the way `outbox run` does; then what comes back (a bounce and two
answers to the press conference, pressctl.demo_returns) read by `inbox import`. It reads
nothing outside ``home`` and the shipped files, and returns what happened for the CLI to
print.

This sits above every use case it strings together (book, releases, delivery, home).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pressctl.book.history import ContactHistory, contact_history
from pressctl.book.importer import import_file
from pressctl.book.inbox import InboxReport, import_inbox
from pressctl.book.orgs import import_orgs
from pressctl.book.rsvps import RsvpList, rsvp_list
from pressctl.book.session import Book
from pressctl.config import Settings, load_settings, resolve_paths
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import Contact
from pressctl.delivery.frozen import thaw
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.report import RunReport
from pressctl.delivery.run import run_outbox
from pressctl.delivery.unsubscribe import load_key
from pressctl.demo_returns import Returned, write_returns
from pressctl.home import init_home
from pressctl.outbox.states import RowState
from pressctl.releases.checking import load_release_set
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.preview import write_previews
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import BuiltMessage, build_messages
from pressctl.releases.templating import Templates
from pressctl.resources import shipped_dir
from pressctl.store import Store

EXAMPLE = "PR106-2020.en.md"


@dataclass(frozen=True, slots=True)
class DemoReport:
    settings: Settings  # the demo home's, to show the book as `contacts list` would
    samples: Path  # where the sample contacts came from
    organisations: int
    contacts: list[Contact]  # the book, as `contacts list` shows it
    release: ReleaseSet
    previewed: list[BuiltMessage]  # one per recipient (the sample audience is small)
    previews: Path  # their .eml, .html and .ics files
    mailout_id: int
    maildir: Path
    run: RunReport
    returned: Returned  # a bounce and two answers to the press conference
    inbox: InboxReport  # what `inbox import` made of them
    rsvps: RsvpList  # `invite rsvps`: who is coming
    history: ContactHistory  # `contacts history` of the journalist whose address bounced


def example_release() -> Path:
    return shipped_dir("examples") / EXAMPLE


def run_demo(home: Path, now: datetime, now_utc: str) -> DemoReport:
    """Steps 1 to 4 in ``home`` (a new, empty folder): the book, the previews, the
    mailout approved and delivered into the Maildir (a demo home has no [smtp])."""
    paths = resolve_paths({}, home)
    init_home(paths)  # what `pressctl init` makes: config, book, unsubscribe key
    store = Store.open(paths.database, create=False)
    try:
        book = Book(store, load_settings(paths.config_file), now_utc, actor="demo")
        samples = shipped_dir("contacts")
        organisations, _ = import_orgs(book, samples / "organizations.json")
        import_file(book, open_contact_file(samples / "contacts.csv"))
        contacts = list(store.contacts.stream())

        release_file = example_release()
        # The example keeps the seed's 2020 dates: its embargo has lifted, so this is one
        # public mailout for the whole audience, and "embargo in the past" is moot.
        releases = load_release_set(release_file, now.date())
        templates = Templates(paths.templates_dir)
        previews = home / "previews"
        messages = build_messages(book, releases, select_recipients(book, releases),
                                  templates, now=now)
        previewed = [written.message for written in write_previews(messages, previews)]

        plans = plan_mailouts(book, release_file, at=None, audience=None, now=now)
        ids = store_mailouts(book, plans, templates, path=release_file,
                             token_key=load_key(paths.unsubscribe_key))
        run = run_outbox(book, home=home, env={})  # the embedded default: the Maildir

        returned = _returns(store, ids[0], home / "replies", now)
        inbox = import_inbox(book, returned.folder)
        return DemoReport(book.settings, samples, organisations, contacts, releases,
                          previewed, previews, ids[0], home / book.settings.delivery.maildir,
                          run, returned, inbox, rsvp_list(book, str(ids[0])),
                          contact_history(book, returned.bounced))
    finally:
        store.close()


def _returns(store: Store, mailout_id: int, folder: Path, now: datetime) -> Returned:
    """What comes back from the mailout: a bounce for its first recipient and answers to
    its press conference from the next two."""
    sent = [row for row in store.mailouts.rows(mailout_id) if row.state == RowState.SENT]
    [uid] = [uid for uid, mailouts in store.inbox.event_mailouts().items()
             if mailout_id in mailouts]
    _, sender = thaw(store.mailouts.variants(mailout_id)[0])
    return write_returns(folder, sent, uid, sender.address, now)

"""Release files and delivery helpers shared by the tests of several packages (and by
bench/bench_crash.py): one way to write a test release, one way to deliver."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import REPO, home_of

from pressctl.book.session import Book
from pressctl.delivery.run import Transports, run_outbox
from pressctl.outbox.policy import RetryPolicy

APPROVED = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)  # a Saturday, before everything below
LIFT = datetime(2030, 3, 3, 10, 30, tzinfo=UTC)  # 11:30 in Paris, the embargo below
KEY = b"0123456789abcdef0123456789abcdef-test-key"


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


def release(tmp_path: Path, *, embargo: str | None = "2030-03-03 11:30 Europe/Paris",
            audience: str = "tag:space or tag:health") -> Path:
    lines = ['+++', 'reference = "PR200-2030"', 'kind = "release"', 'language = "en"',
             'title = "A test release"', 'date = 2030-03-02', 'place = "Paris"',
             'organizations = ["CNES", "SFR"]', f'audience = "{audience}"']
    if embargo:
        lines.append(f'embargo = "{embargo}"')
    lines += ['+++', '', 'Body of the release.', '']
    path = tmp_path / "release.en.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def deliver(book: Book, clock: Clock, transport, *, make=None, connections: int = 1,
            policy: RetryPolicy | None = None):
    """The one way these tests deliver (pressctl.delivery.run.run_outbox, as `outbox run`
    does): ``transport`` is one transport, or ``make`` a factory for several connections;
    ``policy`` sets max_attempts in the book's [delivery] settings."""
    if policy is not None:
        delivery = replace(book.settings.delivery, max_attempts=policy.max_attempts)
        book = Book(book.store, replace(book.settings, delivery=delivery), book.now)
    return run_outbox(book, home=home_of(book), env={}, now=clock, log=False,
                      transports=Transports(make or (lambda: transport), connections, "test"))


def edit_front(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def embargoed_release(tmp_path: Path, name: str = "embargoed") -> Path:
    """The seed release (en + fr, embargo and press conference) moved to 2099: an
    embargoed mailout and its public one, linked."""
    folder = tmp_path / name
    folder.mkdir()
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        (folder / f"PR106-2020.{language}.md").write_text(
            text.replace("2020-09-2", "2099-09-2"), encoding="utf-8")
    return folder / "PR106-2020.en.md"


def release_now(tmp_path: Path, audience: str = "tag:space") -> Path:
    """The example release, without embargo or event, for an audience."""
    text = (REPO / "examples" / "PR106-2020.en.md").read_text(encoding="utf-8")
    text = text.replace('embargo = "2020-09-22 11:30 Europe/Paris"\n', "")
    text = text.replace('translations = { fr = "PR106-2020.fr.md" }\n', "")
    text = text.replace('audience = "tag:space or tag:health or tag:radiology"',
                        f'audience = "{audience}"')
    text = text.split("\n[event]")[0] + "\n+++" + text.split("+++", 2)[2]
    path = tmp_path / "release.en.md"
    path.write_text(text, encoding="utf-8")
    return path


def unanswered_rows(home: Path) -> tuple[str | None, list[int], set[int] | None]:
    """(the run holding the lease, rows left 'sending', the rows its in-flight file says
    were transmitted without a reply), read straight from the files after a kill. On
    PostgreSQL every worker holds a lease: the files of all of them are read."""

    from conftest import home_store

    from pressctl.delivery import inflight
    from pressctl.delivery.run import journal_folder

    with home_store(home) as store:
        holders = [r[0] for r in store.db.execute(
            "SELECT run_id FROM outbox_lease ORDER BY acquired_at DESC")]
        sending = [r[0] for r in store.db.execute(
            "SELECT id FROM mailout_rows WHERE state = 'sending'")]
        folder = journal_folder(store, home)
    found = [e for e in (inflight.read_entries(folder, run) for run in holders) if e is not None]
    if not found:
        return (holders[0] if holders else None), sending, None
    no_reply = (inflight.Status.IN_FLIGHT, inflight.Status.UNKNOWN)
    return holders[0], sending, {e.row_id for entries in found for e in entries.values()
                                 if e.status in no_reply}

"""Importing a contact file: all or nothing by default, in one transaction.

Records stream through in chunks: validated (in worker processes for large files, since
phone and e-mail validation dominate), checked for duplicate e-mails against the book and
the rest of the file (and a row without an e-mail for the same name at a shared number:
pressctl.book.duplicates, one lookup per chunk that has such rows), and inserted. Nothing
is committed until the whole file has been seen, so a problem anywhere leaves the book
exactly as it was.

The trail (pressctl.book.changes) gets one entry per contact added or updated, naming the
file and line ("added from journalists.csv:17"), and one for the import with its counts.
Per contact, because `pressctl log --contact` must show that an import changed a contact,
and because an edit refused by a conflict names the last writer of that contact from the
trail: an import that updated it is that writer. The entries of a chunk are written with
one statement, in the import's transaction (a dry run or a refused import records nothing).

Memory stays flat whatever the file's size: records are read, validated and inserted a
chunk at a time; the report's lists keep their first items in memory and the rest in a
temporary file (pressctl.book.spool); duplicate e-mails of earlier chunks are found in
the store (they are inserted, uncommitted), and the line that added a contact is one
integer per contact of this import (an array), not a dictionary of every e-mail of the
file. Validation runs in worker processes, which send their results back as plain tuples
in marshal's format with the e-mail keys already computed (the keys the store writes):
unpickling dataclasses, or even tuples through pickle, cost the main process more than
the inserts; the records go to them in marshal's format too.

The main process (reading, writing the book) bounds the rate on two cores, so it does
as little as it can: the search index is written a chunk at a time, not by the
database's triggers row by row (ContactQueries.search_index_by_chunk); the workers'
values (the sort key of each name made there, recurring texts interned so that marshal
writes them once) are written as they came (ContactQueries.insert_plain), a Contact
being made only for a row merged with a later one or whose opt-outs are kept; the
trail's entries of a chunk are written from the first id and the lines, in one
statement (ChangeQueries.record_lines). The phones' display forms stay the store's, in the
main process: made in the worker they cost it more (~10 µs a row with their transfer)
than they saved the main process (~8), and the worker became the limit; the worker sends
the region it found for a number of a shared code (+1, +44, +7: pressctl.contacts.phones.
region_found), which the forms would otherwise look up again. The file is still read
(CSV parsed) here: parsed in the worker it would cost that process what it saves this
one, and on two cores the two are about even (bench/RESULTS.md).
"""

from __future__ import annotations

import gc
import marshal
import os
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from sys import intern
from typing import TYPE_CHECKING

from pressctl.book.changes import ChangeAction, Subject
from pressctl.book.changes import record as record_change
from pressctl.book.contacts import (
    OnDuplicate,
    changed_fields,
    clash_text,
    duplicate_policy,
    merge,
    states_kind,
)
from pressctl.book.duplicates import is_person_key, person_clash_text, person_line_text
from pressctl.book.forgotten import FORGOTTEN, forgotten_keys
from pressctl.book.session import Book
from pressctl.book.spool import Spool
from pressctl.book.suppression import OptOutNotice, keep_opt_outs, opt_out_notices
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats import RawRecord, Rejected
from pressctl.contacts.formats.files import ContactFile
from pressctl.contacts.model import Contact, Phone, sort_key
from pressctl.contacts.name_keys import name_key
from pressctl.contacts.phones import region_found
from pressctl.contacts.validation import RegionFor, Validated, validate_fields
from pressctl.errors import DuplicateContact, Problem, ProblemsFound
from pressctl.store import Store
from pressctl.store.contacts import PlainContact, plain_contact

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

CHUNK = 2_000
PARALLEL_FROM = 6_000  # below this, starting workers costs more than it saves
MAX_WORKERS = 2


@dataclass(slots=True)
class ImportReport:
    source: str
    added: int = 0
    updated: int = 0
    skipped: Spool[Problem] = field(default_factory=Spool)
    # rows holding an address that asked to be forgotten (`contacts forget`): never
    # imported whatever --on-duplicate says, always reported
    forgotten: Spool[Problem] = field(default_factory=Spool)
    rejected: Spool[Rejected] = field(default_factory=Spool)
    clashes: Spool[Problem] = field(default_factory=Spool)
    notes: Spool[Problem] = field(default_factory=Spool)
    file_notes: list[str] = field(default_factory=list)
    opted_out: Spool[OptOutNotice] = field(default_factory=Spool)  # said, never silent
    dry_run: bool = False

    @property
    def problems(self) -> list[Problem]:
        return [Problem(f"{self.source}:{r.record.line}", r.reason) for r in self.rejected]


@dataclass(slots=True)
class _Added:
    """The contacts this import added (ids from ``first`` on, as the store gives them to
    a chunk) and the line of the file each came from: one integer per contact."""

    first: int | None = None
    lines: array = field(default_factory=lambda: array("l"))
    updated: set[int] = field(default_factory=set)  # book contacts updated (counted once)

    def add(self, first: int, lines: list[int]) -> None:
        """Contacts ``first``, ``first`` + 1... added from ``lines``."""
        if not lines:
            return
        if self.first is None:
            self.first = first
        offset = first - self.first
        if offset > len(self.lines):  # 0 for ids this import did not add
            self.lines.extend([0] * (offset - len(self.lines)))
        self.lines[offset:offset + len(lines)] = array("l", lines)

    def line_of(self, cid: int) -> int:
        """The line that added contact ``cid``; 0 if this import did not add it."""
        if self.first is None or not 0 <= cid - self.first < len(self.lines):
            return 0
        return self.lines[cid - self.first]


def _line_of(problem: Problem) -> int:
    line = problem.where.rpartition(":")[2]
    return int(line) if line.isdigit() else 0


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def import_file(
    book: Book,
    file: ContactFile,
    *,
    region: str | None = None,
    on_duplicate: str = OnDuplicate.FAIL,
    skip_invalid: bool = False,
    dry_run: bool = False,
    default_kind: str = "journalist",
    check_dns: bool = False,
    workers: int | None = None,
) -> ImportReport:
    """Import ``file`` into the book (see the module docstring). ``workers``: validation
    processes (0: validate in this process; None: as the file's size and the cores say)."""
    policy = duplicate_policy(on_duplicate)
    report = ImportReport(file.source, file_notes=list(file.notes), dry_run=dry_run)
    region_for = book.region_for(region)
    added = _Added()
    try:
        with _no_cyclic_gc(), book.store.transaction(), \
                book.store.contacts.search_index_by_chunk():
            for chunk in _validated_chunks(file, region_for, default_kind, check_dns, workers):
                _apply_chunk(book, report, chunk, added, policy)
            invalid = report.rejected and not skip_invalid
            if report.clashes and not invalid:
                raise DuplicateContact(list(report.clashes))
            if invalid:  # every problem in one pass, duplicates included
                problems = sorted([*report.problems, *report.clashes], key=_line_of)
                clashes = f" and {len(report.clashes)} duplicate(s)" if report.clashes else ""
                raise ProblemsFound(
                    f"{file.source}: {len(report.rejected)} invalid record(s){clashes}, "
                    "nothing imported",
                    problems,
                    hint="fix them, or import the valid ones with --skip-invalid --rejects FILE"
                    + (" and choose --on-duplicate" if report.clashes else ""),
                )
            if report.added or report.updated:
                record_change(book, ChangeAction.IMPORT, Subject.IMPORT, file.source,
                       f"{file.source}: {report.added} added, {report.updated} updated, "
                       f"{len(report.skipped)} skipped, {len(report.rejected)} rejected")
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """An import allocates millions of small objects and frees them without cycles; the
    cyclic collector would re-scan the growing caches thousands of times (17 % of the
    time of a 100,000-row import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _New:
    """A chunk's new contacts, in order (their places): the plain values the worker sent,
    the line each came from and its e-mail keys; a Contact is made only for the few that
    need one (merged with a later row, or whose opt-outs are kept: ``made``). The store
    writes them from these values (ContactQueries.insert_plain)."""

    __slots__ = ("keys", "lines", "made", "now", "rows")

    def __init__(self, now: str) -> None:
        self.now = now
        self.rows: list[_PackedContact] = []
        self.lines: list[int] = []  # the line of the file each was first met on
        self.keys: list[list[str]] = []
        self.made: dict[int, Contact] = {}  # place -> the contact made of it

    def append(self, fields: _PackedContact, line: int, keys: list[str]) -> int:
        self.rows.append(fields)
        self.lines.append(line)
        self.keys.append(keys)
        return len(self.rows) - 1

    def contact(self, place: int) -> Contact:
        made = self.made.get(place)
        if made is None:
            made = self.made[place] = _contact(self.rows[place])
            made.created = made.updated = self.now
        return made

    def name(self, place: int) -> str:
        made = self.made.get(place)
        return self.rows[place][0] if made is None else made.name

    def merged(self, place: int, contact: Contact) -> list[str]:
        """``contact`` takes the place (its e-mails may be new); returns its keys."""
        self.made[place] = contact
        self.keys[place] = keys = [email_key(e) for e in contact.emails]
        return keys

    def plain(self) -> list[_PackedContact]:
        """What the store writes: the values sent, or the made contact's."""
        if not self.made:
            return self.rows
        rows = list(self.rows)
        for place, contact in self.made.items():
            rows[place] = plain_contact(contact)
        return rows


def _apply_chunk(book: Book, report: ImportReport, chunk: list[tuple[RawRecord, _Packed]],
                 added: _Added, policy: OnDuplicate) -> None:
    """Sort one chunk's records into added, merged, skipped, rejected and clashing.

    Contacts of earlier chunks are already inserted (uncommitted), so the store finds
    the owner of an e-mail met earlier in the file, and ``added`` the line that added it;
    ``seen`` holds the keys of this chunk's rows, not inserted yet.
    """
    store = book.store
    keys = [k for _, packed in chunk for k in packed[3]]
    owners = store.contacts.owners_of_email_keys(keys)
    # Rows without an e-mail are matched by name and number (pressctl.book.duplicates):
    # the numbers they hold, looked up in the book at once (none: nothing to do).
    numbers = _numbers_without_email(chunk)
    people = _People(store, numbers) if numbers else None
    forgotten = forgotten_keys(store, keys)
    seen: dict[str, int] = {}  # e-mail keys of this chunk's new contacts -> their line
    pending: dict[str, int] = {}  # keys of this chunk's new contacts -> their places in new
    new = _New(book.now)
    skipped: list[tuple[str, list[str]]] = []  # skipped rows: where, keys the book has
    source = report.source
    for record, (fields, problems, notes, row_keys) in chunk:
        if notes:
            report.notes.extend(Problem(f"{source}:{record.line}", n) for n in notes)
        if fields is None:  # not valid: validation says why
            report.rejected.append(Rejected(record, "; ".join(problems)))
            continue
        if forgotten and forgotten.intersection(row_keys):  # the whole row: that person's
            report.forgotten.append(Problem(f"{source}:{record.line}", FORGOTTEN))
            continue
        # A key clashes with a contact: this chunk's (pending) or the book's (owners,
        # which holds the earlier chunks' too). Not with a row that was refused.
        # A row without an e-mail has person keys instead (name and number).
        match_keys = row_keys
        if people is not None and not row_keys:
            match_keys = people.keys_of(fields, new, owners, pending, seen)
        clashing = [k for k in match_keys if k in pending or k in owners]
        if not clashing:
            place = new.append(fields, record.line, list(row_keys))  # its own list
            for key in row_keys:
                seen[key] = record.line
                pending[key] = place
            if people is not None:
                people.added(fields, place)
            continue
        where = f"{source}:{record.line}"
        if policy is OnDuplicate.UPDATE:
            merged_at = _update(book, report, record, _contact(fields), list(row_keys),
                                clashing, owners, pending, new, added)
            if people is not None and merged_at is not None:  # its numbers are the merged's
                people.added(fields, merged_at)
            continue
        clashes = [_clash(store, k, seen, owners, added) for k in clashing]
        if policy is OnDuplicate.FAIL:
            report.clashes.extend(Problem(where, c) for c in clashes)
        else:
            report.skipped.append(Problem(where, "; ".join(clashes)))
            skipped.append((where, [k for k in row_keys if k in owners]))
    notices = _keep_new_opt_outs(book, report, new)
    first = store.contacts.insert_plain(new.plain(), new.keys, (book.now, book.now))
    for place, contact in new.made.items():  # the ids the notices name
        contact.id = first + place
    store.changes.record_lines(book.now, book.actor, ChangeAction.IMPORT, Subject.CONTACT,
                               first, f"added from {source}:", new.lines)
    added.add(first, new.lines)
    report.opted_out.extend(notices)  # after the insert, which gives them their ids
    report.opted_out.extend(_skipped_opt_outs(store, skipped, owners))
    report.added += len(new.rows)


def _clash(store: Store, key: str, seen: dict[str, int], owners: dict[str, int],
           added: _Added) -> str:
    """What a clash says: the earlier line of this file, else the book's contact."""
    line = seen.get(key) or added.line_of(owners[key])
    if is_person_key(key):
        return person_line_text(key, line) if line else person_clash_text(store, key,
                                                                           owners[key])
    if line:
        return f"e-mail {key} is also on line {line}"
    return clash_text(store, key, owners[key])


def _numbers_without_email(chunk: list[tuple[RawRecord, _Packed]]) -> set[str]:
    """The numbers (E.164) of the chunk's valid rows that have no e-mail address."""
    return {phone[0] for _, (fields, _p, _n, keys) in chunk
            if fields is not None and not keys for phone in fields[9]}


class _People:
    """A chunk's matching by name and number (pressctl.book.duplicates), for its rows
    without an e-mail: the book's holders of their numbers (one lookup), and the chunk's
    new contacts by those numbers (their places in ``new``, which a merge keeps). Names
    are keyed only when a number is shared: most rows share none."""

    def __init__(self, store: Store, numbers: set[str]) -> None:
        self.numbers = numbers
        self.holders: dict[str, list[tuple[int, str]]] = {}
        for number, cid, name in store.duplicates.phone_holders(numbers):
            self.holders.setdefault(number, []).append((cid, name))
        self.in_chunk: dict[str, list[int]] = {}  # number -> places in ``new``
        self.keys: dict[str, str] = {}  # name -> its key

    def key(self, name: str) -> str:
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = name_key(name)
        return key

    def added(self, fields: _PackedContact, place: int) -> None:
        for phone in fields[9]:
            if phone[0] in self.numbers:
                self.in_chunk.setdefault(phone[0], []).append(place)

    def keys_of(self, fields: _PackedContact, new: _New, owners: dict[str, int],
                pending: dict[str, int], seen: dict[str, int]) -> list[str]:
        """The person keys a row without an e-mail shares with the book (entered in
        ``owners``) or with this chunk's new contacts (in ``pending`` and ``seen``)."""
        found: list[str] = []
        for number in dict.fromkeys(phone[0] for phone in fields[9]):
            stored, places = self.holders.get(number, ()), self.in_chunk.get(number, ())
            if not stored and not places:
                continue
            key = self.key(fields[0])
            if not key:
                return found
            person = f"{number}#{key}"
            for cid, name in stored:
                if self.key(name) == key:
                    owners.setdefault(person, cid)
                    found.append(person)
                    break
            for place in places:
                if self.key(new.name(place)) == key:
                    if person not in pending:  # else it names that contact already
                        pending[person], seen[person] = place, new.lines[place]
                    if person not in found:
                        found.append(person)
                    break
        return found


def _skipped_opt_outs(store: Store, skipped: list[tuple[str, list[str]]],
                      owners: dict[str, int]) -> list[OptOutNotice]:
    """A skipped row naming an opted-out address still says so: the officer may believe
    the person is in the book and mailed."""
    held = store.suppressions.suppressions_of(k for _, keys in skipped for k in keys)
    notices = []
    for where, keys in skipped:
        for key in keys:
            owner = store.contacts.get(owners[key]) if key in held else None
            if owner is not None:  # the book's contact holding the address (always there)
                notices.append(OptOutNotice(owner, held[key], where))
    return notices


def _keep_new_opt_outs(book: Book, report: ImportReport, new: _New) -> list[OptOutNotice]:
    """Flag and suppress this chunk's new contacts as their opt-outs say (one query for
    the suppressions of the whole chunk); a Contact is made only for those concerned."""
    held = book.store.suppressions.suppressions_of(k for row in new.keys for k in row)
    notices: list[OptOutNotice] = []
    for place, (fields, line, row_keys) in enumerate(zip(new.rows, new.lines, new.keys,
                                                         strict=True)):
        made = new.made.get(place)
        opted_out = fields[12] if made is None else made.opted_out
        if not opted_out and not (held and any(k in held for k in row_keys)):
            continue  # nothing to suppress, nothing to say (keep_opt_outs would agree)
        contact = new.contact(place)
        where = f"{report.source}:{line}"
        mine = keep_opt_outs(book.store, contact, asked=contact.opted_out, earlier=None,
                             reason=f"marked opted out in {where}", now=book.now, held=held)
        notices += opt_out_notices(contact, mine, row_keys, where)
    return notices


def _update(book: Book, report: ImportReport, record: RawRecord, contact: Contact,
            row_keys: list[str], clashing: list[str], owners: dict[str, int],
            pending: dict[str, int], new: _New, added: _Added) -> int | None:
    """--on-duplicate update: merge the record into the one contact its e-mails name;
    the place in ``new`` of the contact it merged into, when one of this chunk's."""
    in_chunk = {pending[k] for k in clashing if k in pending}  # places in ``new``
    in_store = {owners[k] for k in clashing if k in owners and k not in pending}
    if len(in_chunk) + len(in_store) > 1:
        report.rejected.append(Rejected(record, "its e-mails belong to different contacts"))
        return None
    kind_stated = states_kind(record.fields)
    if in_chunk:
        place = next(iter(in_chunk))
        merged = merge(new.contact(place), contact, kind_stated=kind_stated)
        for key in new.merged(place, merged):  # its person keys keep the place
            pending[key] = place
        return place
    cid = in_store.pop()
    existing = book.store.contacts.get(cid)
    assert existing is not None  # its owner, read in this transaction: it is there
    merged = merge(existing, contact, kind_stated=kind_stated)
    merged.updated = book.now
    where = f"{report.source}:{record.line}"
    # The file's "not opted out" never lifts an opt-out: the merge keeps it, and says so.
    held = keep_opt_outs(book.store, merged, asked=contact.opted_out, earlier=existing,
                         reason=f"marked opted out in {where}", now=book.now)
    book.store.contacts.replace(merged)
    record_change(book, ChangeAction.IMPORT, Subject.CONTACT, cid,
           f"updated from {where} (--on-duplicate update): {changed_fields(existing, merged)}")
    report.opted_out.extend(opt_out_notices(merged, held, row_keys, where))
    for key in (email_key(e) for e in merged.emails):
        owners[key] = cid
    # counted once, and not at all when this import added it
    if not added.line_of(cid) and cid not in added.updated:
        added.updated.add(cid)
        report.updated += 1
    return None


# -- validation, optionally in worker processes ---------------------------------------------

_job: tuple[RegionFor, str, bool] | None = None  # inherited by forked workers

_Fields = dict[str, str | list[str]]  # a RawRecord's fields
# A Validated as plain values (see _validate_packed): the contact's fields, its phones'
# (e164, extension, type, label, region found) and its sort key, then the problems, the
# notes and the e-mail keys.
_PackedContact = PlainContact  # what the store writes (pressctl.store.contacts)
_Packed = tuple[_PackedContact | None, Sequence[str], Sequence[str], Sequence[str]]


def _validate_rows(field_list: list[_Fields]) -> list[_Packed]:
    assert _job is not None, "set by _validated_chunks before any record is validated"
    region_for, default_kind, check_dns = _job
    return [
        _pack(validate_fields(f, region_for, default_kind=default_kind, check_dns=check_dns))
        for f in field_list
    ]


def _validate_packed(fields: bytes | list[_Fields]) -> bytes:
    """In a worker: validate records sent as marshal's bytes (which the main process
    writes three times faster than pickle; a list when they hold values marshal cannot
    write), and send the results back in that format, which the main process reads
    three times faster than pickle's."""
    records: list[_Fields] = marshal.loads(fields) if isinstance(fields, bytes) else fields
    return marshal.dumps(_validate_rows(records))


def _sent(fields: list[_Fields]) -> bytes | list[_Fields]:
    try:
        return marshal.dumps(fields)
    except ValueError:  # a value of a type marshal does not write: pickled by the pool
        return fields


_NOTHING: tuple[str, ...] = ()  # no problem, note or key (shared: so immutable)


def _pack(v: Validated) -> _Packed:
    """In the worker: what the store writes (the sort key made there). Values that recur
    from row to row (a kind, a tag, a country, a phone's type) are interned: marshal
    writes each once and the main process reads it back once. The phones' display forms
    are the store's, in the main process: made here, they cost the worker more than they
    save the main process (~8 µs a row), and on 2 cores the two were about even."""
    c = v.contact
    if c is None:
        return (None, v.problems, v.notes or _NOTHING, _NOTHING)
    phones = [(p.e164, p.extension, intern(p.type), p.label, _interned(region_found(p.e164)))
              for p in c.phones]
    return ((c.name, intern(c.kind), _interned(c.role), _interned(c.organization),
             _interned(c.outlet), [intern(t) for t in c.tags],
             [intern(t) for t in c.languages], _interned(c.country), c.emails, phones,
             c.notes, c.embargo_ok, c.opted_out, c.roles, c.salutation, c.first_name_ok,
             sort_key(c.name)),
            _NOTHING, v.notes or _NOTHING, v.email_keys or _NOTHING)


def _interned(text: str | None) -> str | None:
    return None if text is None else intern(text)


def _contact(fields: _PackedContact) -> Contact:
    (name, kind, role, org, outlet, tags, languages, country, emails, phones, text,
     embargo_ok, opted_out, roles, salutation, first_name_ok, _) = fields
    return Contact(name=name, kind=kind, role=role, organization=org, outlet=outlet,
                   tags=tags, languages=languages, country=country, emails=emails,
                   phones=[Phone(e164, extension, type_, label)
                           for e164, extension, type_, label, _ in phones], notes=text,
                   embargo_ok=embargo_ok, opted_out=opted_out, roles=roles,
                   salutation=salutation, first_name_ok=first_name_ok)


def _chunks(records: Iterator[RawRecord]) -> Iterator[list[RawRecord]]:
    while batch := list(islice(records, CHUNK)):
        yield batch


def _validated_chunks(
    file: ContactFile, region_for: RegionFor, default_kind: str, check_dns: bool,
    workers: int | None,
) -> Iterator[list[tuple[RawRecord, _Packed]]]:
    global _job
    _job = (region_for, default_kind, check_dns)
    if workers is None:
        workers = _workers_for(file.size_hint, os.cpu_count() or 1)
    if workers < 1 or not _can_fork():
        for batch in _chunks(file.records):
            yield list(zip(batch, _validate_rows([r.fields for r in batch]), strict=True))
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: list[tuple[list[RawRecord], AsyncResult[bytes]]] = []
        for batch in _chunks(file.records):
            fields = _sent([r.fields for r in batch])
            pending.append((batch, pool.apply_async(_validate_packed, (fields,))))
            if len(pending) > workers * 2:  # bounded read-ahead keeps memory flat
                done_batch, result = pending.pop(0)
                yield list(zip(done_batch, marshal.loads(result.get()), strict=True))
        for done_batch, result in pending:
            yield list(zip(done_batch, marshal.loads(result.get()), strict=True))


def _workers_for(rows: int, cpus: int) -> int:
    """Worker processes for a file of ``rows``: none for a small file; else one per core
    but the main process's own, at least one and at most MAX_WORKERS (the main process,
    which reads the file and writes the book, is the limit beyond that)."""
    if rows < PARALLEL_FROM:
        return 0
    return max(1, min(MAX_WORKERS, cpus - 1))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()

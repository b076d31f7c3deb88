"""Importing a contact file: all or nothing by default, in one transaction.

Records stream through in chunks: validated (in worker processes for large files, since
phone and e-mail validation dominate), checked for duplicate e-mails against the book and
the rest of the file, and inserted. Nothing is committed until the whole file has been
seen, so a problem anywhere leaves the book exactly as it was.

The trail (pressctl.book.changes) gets one entry per contact added or updated, naming the
file and line ("added from journalists.csv:17"), and one for the import with its counts.
Per contact, because `pressctl log --contact` must show that an import changed a contact,
and because an edit refused by a conflict names the last writer of that contact from the
trail: an import that updated it is that writer. The entries of a chunk are written with
one statement, in the import's transaction (a dry run or a refused import records nothing).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from pressctl.book.changes import ChangeAction, NewChange, Subject, record_many
from pressctl.book.changes import record as record_change
from pressctl.book.contacts import (
    OnDuplicate,
    changed_fields,
    clash_text,
    duplicate_policy,
    merge,
    states_kind,
)
from pressctl.book.forgotten import FORGOTTEN, forgotten_keys
from pressctl.book.session import Book
from pressctl.book.suppression import OptOutNotice, keep_opt_outs, opt_out_notices
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats import RawRecord, Rejected
from pressctl.contacts.formats.files import ContactFile
from pressctl.contacts.model import Contact, Phone
from pressctl.contacts.validation import RegionFor, Validated, validate_fields
from pressctl.errors import DuplicateContact, Problem, ProblemsFound
from pressctl.store import Store

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

CHUNK = 2_000
PARALLEL_FROM = 6_000  # below this, starting workers costs more than it saves


@dataclass(slots=True)
class ImportReport:
    source: str
    added: int = 0
    updated: int = 0
    skipped: list[Problem] = field(default_factory=list)
    # rows holding an address that asked to be forgotten (`contacts forget`): never
    # imported whatever --on-duplicate says, always reported
    forgotten: list[Problem] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    clashes: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    file_notes: list[str] = field(default_factory=list)
    opted_out: list[OptOutNotice] = field(default_factory=list)  # said, never silent
    dry_run: bool = False
    ids: set[int] = field(default_factory=set, repr=False)  # contacts added or updated so far

    @property
    def problems(self) -> list[Problem]:
        return [Problem(f"{self.source}:{r.record.line}", r.reason) for r in self.rejected]


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
    policy = duplicate_policy(on_duplicate)
    report = ImportReport(file.source, file_notes=list(file.notes), dry_run=dry_run)
    region_for = book.region_for(region)
    seen: dict[str, int] = {}  # e-mail key -> the line of the file it was first met on
    try:
        with _no_cyclic_gc(), book.store.transaction():
            for chunk in _validated_chunks(file, region_for, default_kind, check_dns, workers):
                _apply_chunk(book, report, chunk, seen, policy)
            invalid = report.rejected and not skip_invalid
            if report.clashes and not invalid:
                raise DuplicateContact(report.clashes)
            if invalid:  # every problem in one pass, duplicates included
                problems = sorted(report.problems + report.clashes, key=_line_of)
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


def _apply_chunk(book: Book, report: ImportReport, chunk: list[tuple[RawRecord, Validated]],
                 seen: dict[str, int], policy: OnDuplicate) -> None:
    """Sort one chunk's records into added, merged, skipped, rejected and clashing.

    ``seen`` maps the e-mail keys met so far in this file to their line; contacts of
    earlier chunks are already inserted (uncommitted), so the store finds their owner.
    """
    store = book.store
    keys = [email_key(e) for _, v in chunk if v.contact for e in v.contact.emails]
    owners = store.contacts.owners_of_email_keys(keys)
    forgotten = forgotten_keys(store, keys)
    pending: dict[str, Contact] = {}  # keys of this chunk's new contacts, not inserted yet
    new: list[Contact] = []
    lines: list[int] = []  # the line of the file each of ``new`` was first met on
    skipped: list[tuple[str, list[str]]] = []  # skipped rows: where, keys the book has
    for record, result in chunk:
        where = f"{report.source}:{record.line}"
        if result.notes:
            report.notes.extend(Problem(where, n) for n in result.notes)
        contact = result.contact
        if contact is None:  # not valid: validation says why
            report.rejected.append(Rejected(record, "; ".join(result.problems)))
            continue
        row_keys = [email_key(e) for e in contact.emails]
        if forgotten.intersection(row_keys):  # the whole row: it is that person's
            report.forgotten.append(Problem(where, FORGOTTEN))
            continue
        clashing = [k for k in row_keys if k in seen or k in owners]
        if not clashing:
            contact.created = contact.updated = book.now
            new.append(contact)
            lines.append(record.line)
            for key in row_keys:
                seen[key] = record.line
                pending[key] = contact
            continue
        clashes = [
            f"e-mail {k} is also on line {seen[k]}" if k in seen
            else clash_text(store, k, owners[k])
            for k in clashing
        ]
        if policy is OnDuplicate.FAIL:
            report.clashes.extend(Problem(where, c) for c in clashes)
        elif policy is OnDuplicate.SKIP:
            report.skipped.append(Problem(where, "; ".join(clashes)))
            skipped.append((where, [k for k in row_keys if k in owners]))
        else:
            _update(book, report, record, contact, clashing, owners, pending, new)
            for key in row_keys:
                seen.setdefault(key, record.line)
    notices = _keep_new_opt_outs(book, report, new, lines)
    store.contacts.insert(new)
    record_many(book, (NewChange(ChangeAction.IMPORT, Subject.CONTACT, c.stored_id,
                                 f"added from {report.source}:{line}")
                       for c, line in zip(new, lines, strict=True)))
    report.opted_out.extend(notices)  # after the insert, which gives them their ids
    report.opted_out.extend(_skipped_opt_outs(store, skipped, owners))
    report.added += len(new)
    report.ids.update(c.stored_id for c in new)


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


def _keep_new_opt_outs(book: Book, report: ImportReport, new: list[Contact],
                       lines: list[int]) -> list[OptOutNotice]:
    """Flag and suppress this chunk's new contacts as their opt-outs say (one query for
    the suppressions of the whole chunk)."""
    held = book.store.suppressions.suppressions_of(email_key(e) for c in new for e in c.emails)
    notices: list[OptOutNotice] = []
    for contact, line in zip(new, lines, strict=True):
        where = f"{report.source}:{line}"
        mine = keep_opt_outs(book.store, contact, asked=contact.opted_out, earlier=None,
                             reason=f"marked opted out in {where}", now=book.now, held=held)
        notices += opt_out_notices(contact, mine, (email_key(e) for e in contact.emails), where)
    return notices


def _update(book: Book, report: ImportReport, record: RawRecord, contact: Contact,
            clashing: list[str], owners: dict[str, int], pending: dict[str, Contact],
            new: list[Contact]) -> None:
    """--on-duplicate update: merge the record into the one contact its e-mails name."""
    in_chunk = {id(pending[k]): pending[k] for k in clashing if k in pending}
    in_store = {owners[k] for k in clashing if k in owners and k not in pending}
    if len(in_chunk) + len(in_store) > 1:
        report.rejected.append(Rejected(record, "its e-mails belong to different contacts"))
        return
    kind_stated = states_kind(record.fields)
    if in_chunk:
        target = next(iter(in_chunk.values()))
        merged = merge(target, contact, kind_stated=kind_stated)
        new[next(i for i, c in enumerate(new) if c is target)] = merged
        for key in (email_key(e) for e in merged.emails):
            pending[key] = merged
        return
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
    report.opted_out += opt_out_notices(merged, held, (email_key(e) for e in contact.emails),
                                        where)
    for key in (email_key(e) for e in merged.emails):
        owners[key] = cid
    if cid not in report.ids:  # counted once, and not at all when this import added it
        report.ids.add(cid)
        report.updated += 1


# -- validation, optionally in worker processes ---------------------------------------------

_job: tuple[RegionFor, str, bool] | None = None  # inherited by forked workers

_Fields = dict[str, str | list[str]]  # a RawRecord's fields
# A Validated as plain tuples (see _validate_packed): the contact's fields, its phones'
# (e164, extension, type, label), then the problems and notes.
_PackedPhone = tuple[str, str | None, str, str | None]
_PackedContact = tuple[str, str, str | None, str | None, str | None, list[str], list[str],
                       str | None, list[str], list[_PackedPhone], str | None, bool, bool,
                       dict[str, str], str | None, bool]
_Packed = tuple[_PackedContact | None, list[str], list[str]]


def _validate_many(field_list: list[_Fields]) -> list[Validated]:
    assert _job is not None, "set by _validated_chunks before any record is validated"
    region_for, default_kind, check_dns = _job
    return [
        validate_fields(f, region_for, default_kind=default_kind, check_dns=check_dns)
        for f in field_list
    ]


def _validate_packed(field_list: list[_Fields]) -> list[_Packed]:
    """In a worker: validate and pack as plain tuples, which pickle ten times faster
    than dataclasses on the way back."""
    return [_pack(v) for v in _validate_many(field_list)]


def _pack(v: Validated) -> _Packed:
    c = v.contact
    if c is None:
        return (None, v.problems, v.notes)
    phones = [(p.e164, p.extension, p.type, p.label) for p in c.phones]
    return ((c.name, c.kind, c.role, c.organization, c.outlet, c.tags, c.languages,
             c.country, c.emails, phones, c.notes, c.embargo_ok, c.opted_out, c.roles,
             c.salutation, c.first_name_ok),
            v.problems, v.notes)


def _unpack(packed: _Packed) -> Validated:
    fields, problems, notes = packed
    if fields is None:
        return Validated(None, problems, notes)
    (name, kind, role, org, outlet, tags, languages, country, emails, phones, text,
     embargo_ok, opted_out, roles, salutation, first_name_ok) = fields
    contact = Contact(name=name, kind=kind, role=role, organization=org, outlet=outlet,
                      tags=tags, languages=languages, country=country, emails=emails,
                      phones=[Phone(*p) for p in phones], notes=text,
                      embargo_ok=embargo_ok, opted_out=opted_out, roles=roles,
                      salutation=salutation, first_name_ok=first_name_ok)
    return Validated(contact, problems, notes)


def _chunks(records: Iterator[RawRecord]) -> Iterator[list[RawRecord]]:
    while batch := list(islice(records, CHUNK)):
        yield batch


def _validated_chunks(
    file: ContactFile, region_for: RegionFor, default_kind: str, check_dns: bool,
    workers: int | None,
) -> Iterator[list[tuple[RawRecord, Validated]]]:
    global _job
    _job = (region_for, default_kind, check_dns)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if file.size_hint >= PARALLEL_FROM else 1
    if workers <= 1 or not _can_fork():
        for batch in _chunks(file.records):
            yield list(zip(batch, _validate_many([r.fields for r in batch]), strict=True))
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: list[tuple[list[RawRecord], AsyncResult[list[_Packed]]]] = []
        for batch in _chunks(file.records):
            fields = [r.fields for r in batch]
            pending.append((batch, pool.apply_async(_validate_packed, (fields,))))
            if len(pending) > workers * 2:  # bounded read-ahead keeps memory flat
                done_batch, result = pending.pop(0)
                yield list(zip(done_batch, map(_unpack, result.get()), strict=True))
        for done_batch, result in pending:
            yield list(zip(done_batch, map(_unpack, result.get()), strict=True))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()

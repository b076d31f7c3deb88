"""Printers and JSON shapes of the commands: those several commands share (contacts for
list, audiences show and demo; import reports for import and extract; opt-out notices; the
preview summary for release preview and demo) and the longer ones (`contacts show`,
`contacts extract`).

Presentation only: each takes values the core returned and an :class:`Output`. Commands
import it inside their bodies, and it imports no core module and no rich at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.cli.output import Output

if TYPE_CHECKING:
    from pressctl.book.importer import ImportReport
    from pressctl.book.optouts import OptOutHistory
    from pressctl.book.suppression import OptOutNotice
    from pressctl.config import Settings
    from pressctl.contacts.extraction.text import ProposedContact
    from pressctl.contacts.model import Contact, Phone
    from pressctl.releases.rendering import BuiltMessage
    from pressctl.store.inbox import Bouncing
    from pressctl.store.suppressions import OptIn, Suppression

# An import lists this many rejected rows (all of them are in the rejects file) and this
# many opted-out addresses (--json lists them all) before saying how many more there are.
REJECTS_SHOWN = 10
OPTED_OUT_SHOWN = 20


# -- phones ----------------------------------------------------------------------------------


def phone_display(settings: Settings, style: str | None = None) -> Callable[[Phone], str]:
    """How a phone is shown: the chosen style (else the settings'), then its label."""
    from pressctl.contacts.phones import format_phone

    chosen = style or settings.display.phone_style

    def show(phone: Phone) -> str:
        text = format_phone(phone, chosen, settings.display.own_country)
        return f"{text} ({phone.label})" if phone.label else text

    return show


def phone_cells(phones: Iterable[Phone], show: Callable[[Phone], str]) -> list[str]:
    """A table cell's phones: a work phone as is, the others with their type."""
    return [show(p) + ("" if p.type == "work" else f" [{p.type}]") for p in phones]


# -- contacts --------------------------------------------------------------------------------


def contact_json(contact: Contact, settings: Settings) -> dict:
    from pressctl.contacts.formats.jsonfile import contact_to_json

    return contact_to_json(contact, phone_display(settings))


def _flags(c: Contact) -> str:
    return " ".join(f for f in ("embargo-ok" if c.embargo_ok else "",
                                "OPTED-OUT" if c.opted_out else "") if f)


def print_contacts(out: Output, contacts: Iterable[Contact], settings: Settings, *,
                   as_json: bool = False) -> None:
    if as_json:
        out.json([contact_json(c, settings) for c in contacts])
        return
    show = phone_display(settings)
    columns: tuple[str, ...]
    rows: list[tuple]
    if out.rich_stdout:  # a terminal is narrow: the columns a press officer scans
        columns = ("id", "name", "organisation/outlet", "e-mail", "phone", "lang", "flags")
        rows = [
            (c.id, c.name, c.organization or c.outlet, c.emails, phone_cells(c.phones, show),
             ",".join(c.languages), _flags(c))
            for c in contacts
        ]
        out.table(columns, rows, keep_whole=("e-mail", "phone"))
    else:
        columns = ("id", "name", "kind", "role", "organisation/outlet", "e-mail", "phone",
                   "tags", "lang", "flags")
        rows = [
            (c.id, c.name, c.kind, c.role, c.organization or c.outlet, c.emails,
             phone_cells(c.phones, show), ",".join(c.tags), ",".join(c.languages), _flags(c))
            for c in contacts
        ]
        out.table(columns, rows)
    out.info(f"{len(rows)} contact(s)")


def contact_record(contact: Contact, history: OptOutHistory,
                   display: Callable[[Phone], str],
                   bouncing: Sequence[Bouncing] = ()) -> list[tuple[str, Any]]:
    """`contacts show`: every field of a contact, its opt-outs and the lifts of them, and
    its bouncing addresses (since when, why) when it has any."""
    return [
        ("id", contact.id), ("name", contact.name), ("kind", contact.kind),
        ("role", contact.role), ("organisation", contact.organization),
        ("outlet", contact.outlet), ("e-mail", contact.emails),
        *([("bouncing", [bouncing_line(b) for b in bouncing])] if bouncing else []),
        ("phone", [f"{display(p)} [{p.type}]" for p in contact.phones]),
        ("tags", ", ".join(contact.tags)), ("languages", ", ".join(contact.languages)),
        ("country", contact.country), ("embargo ok", contact.embargo_ok),
        ("opted out", _opted_out_lines(contact, history)),
        *([("opt-ins", [_optin_line(o) for o in history.optins])] if history.optins else []),
        ("notes", contact.notes), ("created", contact.created), ("updated", contact.updated),
    ]


def bouncing_line(state: Bouncing) -> str:
    """"a@b.example bouncing since 2026-12-01 (550 5.1.1 user unknown)"."""
    return f"{state.address} bouncing since {state.since[:10]} ({state.reason})"


def bouncing_json(state: Bouncing) -> dict:
    return {"address": state.address, "since": state.since, "reason": state.reason}


def _opted_out_lines(contact: Contact, history: OptOutHistory) -> list[str] | bool:
    """Since when and why each address is opted out (else the contact's flag)."""
    if not history.suppressions:
        return contact.opted_out
    return [f"{s.address} since {s.since}: {s.reason}" + (f" ({s.note})" if s.note else "")
            for s in history.suppressions]


def _optin_line(optin: OptIn) -> str:
    was = (f"; had opted out {optin.suppressed_at}: {optin.suppressed_reason}"
           if optin.suppressed_at else "")
    return f"{optin.address} opted back in {optin.lifted_at}: {optin.note}{was}"


def print_proposals(out: Output, proposals: Sequence[ProposedContact], settings: Settings, *,
                    as_json: bool = False) -> None:
    """`contacts extract`: the contacts found in a release, each with its line."""
    if as_json:
        out.json([p.to_json() for p in proposals])
        return
    show = phone_display(settings)
    out.table(("line", "name", "role", "organisation", "phone", "e-mail", "problems"),
              [(p.line, p.name, p.role, p.organization, phone_cells(p.phones, show),
                p.emails, p.problems) for p in proposals])


# -- opt-outs --------------------------------------------------------------------------------


def notice_json(notice: OptOutNotice) -> dict:
    """An opted-out address a command added or named (OptOutNotice) as JSON."""
    s = notice.suppression
    return {"where": notice.where or None, "contact": notice.contact.id,
            "name": notice.contact.name, "address": s.address, "since": s.since,
            "reason": s.reason, "note": s.note, "lift": notice.lift}


def suppression_json(s: Suppression) -> dict:
    return {"address": s.address, "since": s.since, "reason": s.reason, "note": s.note}


def optin_json(o: OptIn) -> dict:
    return {"address": o.address, "lifted_at": o.lifted_at, "note": o.note,
            "suppressed_reason": o.suppressed_reason, "suppressed_at": o.suppressed_at}


# -- imports ---------------------------------------------------------------------------------


def print_import_report(out: Output, report: ImportReport, *, rejects: Path | None = None,
                        verbose: bool = False, as_json: bool = False) -> None:
    rejects_file = str(rejects) if rejects is not None and report.rejected else None
    if as_json:
        out.json({
            "source": report.source, "dry_run": report.dry_run, "added": report.added,
            "updated": report.updated, "skipped": len(report.skipped),
            "rejected": len(report.rejected), "cleaned": len(report.notes),
            "rejects_file": rejects_file,
            "problems": [str(p) for p in report.problems],
            "skipped_rows": [str(p) for p in report.skipped],
            "notes": report.file_notes,
            "opted_out": [notice_json(n) for n in report.opted_out],
            "forgotten": [str(p) for p in report.forgotten],
        })
    for note in report.file_notes:
        out.info(f"{report.source}: {note}")
    problems = report.problems
    # Every rejected row is in the rejects file; the terminal gets the first few.
    shown = problems if rejects_file is None else problems[:REJECTS_SHOWN]
    for problem in shown:
        out.warn(f"rejected {problem}")
    if len(shown) < len(problems):
        out.warn(f"... and {len(problems) - len(shown)} more rejected row(s), "
                 f"all in {rejects_file}")
    for skipped in report.skipped:
        out.info(f"skipped {skipped}")
    notices = report.opted_out
    for notice in notices[:OPTED_OUT_SHOWN]:
        out.warn(str(notice))
    if len(notices) > OPTED_OUT_SHOWN:
        out.warn(f"... and {len(notices) - OPTED_OUT_SHOWN} more opted-out address(es) "
                 "(--json lists them all)")
    if verbose:
        for cleaned in report.notes:
            out.info(f"cleaned {cleaned}")
    if as_json:
        return
    prefix = "Dry run: would import" if report.dry_run else "Imported"
    line = (f"{prefix} {report.added} new contact(s), updated {report.updated}, "
            f"skipped {len(report.skipped)} duplicate(s), "
            f"rejected {len(report.rejected)} invalid row(s)")
    if notices:
        line += f"; {len(notices)} address(es) opted out: never mailed"
    if report.forgotten:
        line += f"; skipped {len(report.forgotten)} row(s) of people who asked to be forgotten"
    if report.notes and not verbose:
        line += f"; cleaned {len(report.notes)} value(s) (--verbose lists them)"
    if rejects_file:
        line += f"; rejects written to {rejects_file}"
    out.info(line)


# -- release previews ------------------------------------------------------------------------


def print_preview_summary(out: Output, messages: Iterable[BuiltMessage], *,
                          as_json: bool = False) -> None:
    """One row per built message (rows only: 10,000 messages are never held at once)."""
    rows: list[dict[str, Any]] = [{
        "recipient": f"{m.recipient.contact.name} <{m.recipient.address}>",
        "language": m.recipient.version.language,
        "version": Path(m.recipient.version.path).name,
        "copy": "embargoed" if m.recipient.embargoed else "public",
        "embargoed": m.recipient.embargoed,
        "size": len(m.raw),
        "attachments": m.attachments,
        "calendar": m.has_calendar,
    } for m in messages]
    if as_json:
        out.json(rows)
        return
    out.table(("recipient", "language", "version", "copy", "size", "attachments", "calendar"),
              [(r["recipient"], r["language"], r["version"], r["copy"],
                f"{r['size'] / 1024:.1f} KB", r["attachments"], r["calendar"]) for r in rows])
    out.info(f"{len(rows)} message(s) built; nothing was sent")

"""Printers and JSON shapes of the commands: those several commands share (contacts for
list, audiences show and demo; import reports for import and extract; opt-out notices; the
preview summary for release preview and demo) and the longer ones (`contacts show`,
`contacts extract`); and :func:`format_local`, the one way a time is shown on screen (in
the display zone, with its name; --json keeps UTC).

Presentation only: each takes values the core returned and an :class:`Output`. Commands
import it inside their bodies, and it imports no core module and no rich at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.cli.output import Output
from pressctl.cli.tables import Col, Layout

if TYPE_CHECKING:
    from pressctl.book.duplicates import DuplicateGroup
    from pressctl.book.importer import ImportReport
    from pressctl.book.merge import MergePlan, MergeResult
    from pressctl.book.optouts import OptOutHistory
    from pressctl.book.suppression import OptOutNotice
    from pressctl.config import Settings
    from pressctl.contacts.extraction.text import ProposedContact
    from pressctl.contacts.model import Contact, Phone
    from pressctl.releases.rendering import BuiltMessage
    from pressctl.store.inbox import Bouncing
    from pressctl.store.listing import ContactLine
    from pressctl.store.suppressions import OptIn, Suppression

# An import lists this many rejected rows (all of them are in the rejects file) and this
# many opted-out addresses (--json lists them all) before saying how many more there are.
REJECTS_SHOWN = 10
OPTED_OUT_SHOWN = 20


# -- times ---------------------------------------------------------------------------------


def format_local(moment: datetime, zone: tzinfo) -> str:
    """A moment as a person reads it in ``zone``: "2026-12-02 14:58 CET". A naive moment is
    taken as UTC (the store keeps UTC); the abbreviation comes from the zone's own rules, so
    it follows daylight saving ("CEST" in summer), and a zone without one shows its offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    name = local.tzname() or ""
    if not name or name[0] in "+-":  # zones like Asia/Dubai name themselves "+04"
        name = local.strftime("%z")
        name = f"UTC{name[:3]}:{name[3:]}" if name else "UTC"
    return f"{local:%Y-%m-%d %H:%M} {name}"


def local_time(stored: str | None, zone: tzinfo) -> str:
    """A stored ISO 8601 time (UTC) shown in ``zone``; empty stays empty, and text that is
    not a time is shown as it is rather than hidden."""
    if not stored:
        return ""
    try:
        moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    except ValueError:
        return stored
    return format_local(moment, zone)


# -- phones ----------------------------------------------------------------------------------


def phone_display(settings: Settings, style: str | None = None) -> Callable[[Phone], str]:
    """How a phone is shown: the chosen style (else the settings'), then its label."""
    # Not pressctl.contacts.phones: numbers read with their stored forms need no
    # phonenumbers (the list's fast path); the others import it when they meet it.
    from pressctl.contacts.phone_forms import formatter

    number = formatter(style or settings.display.phone_style, settings.display.own_country)

    def show(phone: Phone) -> str:
        text = number(phone)
        return f"{text} ({phone.label})" if phone.label else text

    return show


def row_phone_display(settings: Settings,
                      style: str | None = None) -> Callable[[list[Any]], str]:
    """:func:`phone_display` of a phone's JSON row (pressctl.contacts.contact_rows)."""
    from pressctl.contacts.contact_rows import number_text

    number = number_text(style or settings.display.phone_style, settings.display.own_country)

    def show(phone: list[Any]) -> str:
        text = number(phone)
        return f"{text} ({phone[3]})" if phone[3] else text

    return show


def phone_cells(phones: Iterable[Phone], show: Callable[[Phone], str]) -> list[str]:
    """A table cell's phones: a work phone as is, the others with their type."""
    return [show(p) + ("" if p.type == "work" else f" [{p.type}]") for p in phones]


# -- contacts --------------------------------------------------------------------------------


def contact_json(contact: Contact, settings: Settings) -> dict:
    from pressctl.contacts.formats.jsonfile import contact_to_json

    return contact_to_json(contact, phone_display(settings))


# A contact's flags column, by (embargo_ok, opted_out).
_FLAGS = {(False, False): "", (True, False): "embargo-ok", (False, True): "OPTED-OUT",
          (True, True): "embargo-ok OPTED-OUT"}


def _contact_row(c: Contact | ContactLine, show: Callable[[Phone], str]) -> tuple:
    """A contact's cells in CONTACT_COLUMNS (lists stay lists: a terminal shows an item
    a line)."""
    return (c.id, c.name, c.kind, c.role, c.organization or c.outlet, c.emails,
            phone_cells(c.phones, show), ",".join(c.tags), ",".join(c.languages),
            _FLAGS[bool(c.embargo_ok), bool(c.opted_out)])


# `contacts list`, `audiences show`: on a terminal what does not fit is left out, the
# least important first (tags, then role and kind, ...): never the name, the organisation
# or outlet, or the e-mail, which keep readable widths.
CONTACT_COLUMNS = (
    Col("id", priority=1, overflow="whole"),
    Col("name", priority=1, min_width=20),
    Col("kind", priority=5, overflow="whole"),
    Col("role", priority=5, min_width=10, overflow="ellipsis"),
    Col("org/outlet", priority=1, min_width=14, key="organisation"),
    Col("e-mail", priority=1, min_width=22, key="email", breaks="@"),
    Col("phone", priority=2, min_width=17),
    Col("tags", priority=6, min_width=8, overflow="ellipsis"),
    Col("lang", priority=4, overflow="whole"),
    Col("flags", priority=3, min_width=10),
)


def print_contacts(out: Output, contacts: Iterable[Contact], settings: Settings, *,
                   as_json: bool = False, layout: Layout | None = None) -> None:
    """Contacts as a table on a terminal, else tab-separated rows or (``as_json``) a JSON
    array written as they come: piped, a book of any size is listed in flat memory.

    Given the store's stream (pressctl.store.listing.ContactStream), a table reads only
    its columns (the stream's lines), not whole contacts; --json shows every field."""
    from pressctl.cli.streamed import write_json_array, write_tab_separated
    from pressctl.store.listing import ContactStream

    if as_json:
        if isinstance(contacts, ContactStream):  # each object written from its row
            from pressctl.cli.streamed import INDENT, write_json_texts
            from pressctl.contacts.formats.jsonfile import contact_row_json

            display = row_phone_display(settings)
            write_json_texts(contact_row_json(row, display, INDENT)
                             for row in contacts.rows())
            return
        from pressctl.contacts.formats.jsonfile import contact_to_json

        write_json_array(contact_to_json(c, phone_display(settings)) for c in contacts)
        return
    show = phone_display(settings)
    lines = contacts.lines() if isinstance(contacts, ContactStream) else None
    listed: Iterable[Contact | ContactLine] = contacts if lines is None else lines
    if out.rich_stdout:
        # The terminal's table is laid out from the widths of all its cells
        # (pressctl.cli.tables), so its rows are kept: nobody pages 300,000 rows on a
        # terminal, and a pipe or --json streams them.
        kept = [_contact_row(c, show) for c in listed]
        out.table(CONTACT_COLUMNS, kept, layout=layout)
        count = len(kept)
    elif lines is not None:
        # The store's lines (an int id, strings or None, lists of strings): every cell as
        # the text tables.plain() makes of it (a list joined by ", ", None as ""), so
        # that the writer meets strings only, its quick case.
        count = write_tab_separated(CONTACT_COLUMNS, (
            (str(c.id), c.name, c.kind, c.role or "", c.organization or c.outlet or "",
             ", ".join(c.emails), ", ".join(phone_cells(c.phones, show)), ",".join(c.tags),
             ",".join(c.languages), _FLAGS[c.embargo_ok, c.opted_out])
            for c in lines), layout, text_only=True)
    else:
        count = write_tab_separated(CONTACT_COLUMNS, (_contact_row(c, show) for c in listed),
                                    layout)
    out.info(f"{count} contact(s)")


# `contacts show` and `contacts history` on a terminal: the release above its mailout,
# the address above the detail (piped: a column each, pressctl.book.history.COLUMNS).
HISTORY_COLUMNS = (
    Col("when", priority=1, overflow="whole"),
    Col("kind", priority=1, overflow="whole"),
    Col("release", priority=2, min_width=10),
    Col("detail", priority=1, min_width=20, breaks="@"),
)


def contact_record(contact: Contact, history: OptOutHistory,
                   display: Callable[[Phone], str],
                   bouncing: Sequence[Bouncing] = (), *, zone: tzinfo) -> list[tuple[str, Any]]:
    """`contacts show`: every field of a contact, its opt-outs and the lifts of them, and
    its bouncing addresses (since when, why) when it has any; times in ``zone``."""
    return [
        ("id", contact.id), ("name", contact.name), ("kind", contact.kind),
        ("role", contact.role),
        *([("roles", [f"{tag}: {role}" for tag, role in contact.roles.items()])]
          if contact.roles else []),
        ("organisation", contact.organization),
        ("outlet", contact.outlet), ("e-mail", contact.emails),
        *([("bouncing", [bouncing_line(b) for b in bouncing])] if bouncing else []),
        ("phone", [f"{display(p)} [{p.type}]" for p in contact.phones]),
        ("tags", ", ".join(contact.tags)), ("languages", ", ".join(contact.languages)),
        ("country", contact.country), ("embargo ok", contact.embargo_ok),
        ("salutation", contact.salutation), ("first name ok", contact.first_name_ok),
        ("opted out", _opted_out_lines(contact, history, zone)),
        *([("opt-ins", [_optin_line(o, zone) for o in history.optins])]
          if history.optins else []),
        ("notes", contact.notes), ("created", local_time(contact.created, zone)),
        ("updated", local_time(contact.updated, zone)),
    ]


def bouncing_line(state: Bouncing) -> str:
    """"a@b.example bouncing since 2026-12-01 (550 5.1.1 user unknown)"."""
    return f"{state.address} bouncing since {state.since[:10]} ({state.reason})"


def bouncing_json(state: Bouncing) -> dict:
    return {"address": state.address, "since": state.since, "reason": state.reason}


def _opted_out_lines(contact: Contact, history: OptOutHistory,
                     zone: tzinfo) -> list[str] | bool:
    """Since when and why each address is opted out (else the contact's flag)."""
    if not history.suppressions:
        return contact.opted_out
    return [f"{s.address} since {local_time(s.since, zone)}: {s.reason}"
            + (f" ({s.note})" if s.note else "") for s in history.suppressions]


def _optin_line(optin: OptIn, zone: tzinfo) -> str:
    was = (f"; had opted out {local_time(optin.suppressed_at, zone)}: "
           f"{optin.suppressed_reason}" if optin.suppressed_at else "")
    return f"{optin.address} opted back in {local_time(optin.lifted_at, zone)}: {optin.note}{was}"


PROPOSAL_COLUMNS = (
    Col("line", priority=1, overflow="whole"),
    Col("name", priority=1, min_width=16),
    Col("role", priority=4, min_width=10, overflow="ellipsis"),
    Col("organisation", priority=2, min_width=12),
    Col("phone", priority=3, min_width=17),
    Col("e-mail", priority=1, min_width=24, key="email", breaks="@"),
    Col("problems", priority=1, min_width=16),
)


def print_proposals(out: Output, proposals: Sequence[ProposedContact], settings: Settings, *,
                    as_json: bool = False) -> None:
    """`contacts extract`: the contacts found in a release, each with its line and its
    confidence (the first column a narrow terminal leaves out)."""
    if as_json:
        out.json([p.to_json() for p in proposals])
        return
    show = phone_display(settings)
    columns = (*PROPOSAL_COLUMNS[:-1], Col("confidence", priority=5, overflow="whole"),
               PROPOSAL_COLUMNS[-1])
    out.table(columns,
              [(p.line, p.name, p.role, p.organization, phone_cells(p.phones, show),
                p.emails, f"{p.confidence:.2f}", p.problems) for p in proposals])


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


PREVIEW_COLUMNS = (
    Col("recipient", priority=1, min_width=24, breaks="@"),
    Col("language", priority=2, overflow="whole"),
    Col("version", priority=3, min_width=10),
    Col("copy", priority=2, overflow="whole"),
    Col("size", priority=3, overflow="whole"),
    Col("attachments", priority=4, min_width=11),
    Col("calendar", priority=4, overflow="whole"),
)


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
    out.table(PREVIEW_COLUMNS,
              [(r["recipient"], r["language"], r["version"], r["copy"],
                f"{r['size'] / 1024:.1f} KB", r["attachments"], r["calendar"]) for r in rows])
    out.info(f"{len(rows)} message(s) built; nothing was sent")


# -- likely duplicates and merges (`contacts duplicates`, `contacts merge`) -------------------


def print_duplicate_groups(out: Output, groups: Sequence[DuplicateGroup], *,
                           as_json: bool) -> None:
    """Each group: why, then its contacts (id, name, organisation or outlet, e-mails),
    then the merge command that would join them into the lowest id."""
    if as_json:
        out.json([{"reasons": g.reasons,
                   "contacts": [_duplicate_json(c) for c in g.contacts]} for g in groups])
        return
    if not groups:
        out.info("no likely duplicates")
        return
    for number, group in enumerate(groups, 1):
        if number > 1:
            out.line()
        out.line(f"{number}. {'; '.join(group.reasons)}")
        for c in group.contacts:
            where = c.organization or c.outlet or "-"
            out.line(f"   #{c.id} {c.name} | {where} | {', '.join(c.emails) or 'no e-mail'}")
        out.line(f"   merge: pressctl contacts merge {' '.join(str(i) for i in group.ids)}")
    out.info(f"{len(groups)} group(s) of likely duplicates")


def _duplicate_json(c: Contact) -> dict:
    return {"id": c.id, "name": c.name, "organization": c.organization, "outlet": c.outlet,
            "emails": list(c.emails), "phones": [p.e164 for p in c.phones],
            "opted_out": c.opted_out}


def merge_plan_lines(plan: MergePlan) -> list[str]:
    """What `contacts merge` will do, for its question."""
    m = plan.merged
    lines = [f"Keep #{plan.keep.id} {plan.keep.name}; merge into it and remove:"]
    lines += [f"  #{o.id} {o.name} ({', '.join(o.emails) or 'no e-mail'})" for o in plan.others]
    lines.append(f"Result: e-mails {', '.join(m.emails) or 'none'}; "
                 f"phones {', '.join(p.e164 for p in m.phones) or 'none'}; "
                 f"tags {', '.join(m.tags) or 'none'}")
    lines.append("Opted out: yes (an opt-out on any of them is kept)" if m.opted_out
                 else "Opted out: no")
    lines.append(f"Embargo ok: {'yes' if m.embargo_ok else 'no'}")
    lines.append("Their mailout rows, answers and history move to the kept contact.")
    return lines


def merge_json(result: MergeResult, settings: Settings) -> dict:
    return {"kept": result.plan.keep.id,
            "merged": [o.id for o in result.plan.others],
            "contact": contact_json(result.plan.merged, settings),
            "moved": {"mailout_rows": result.moved.mailout_rows,
                      "rsvps": result.moved.rsvps, "changes": result.moved.changes},
            "opted_out": [notice_json(n) for n in result.opted_out]}

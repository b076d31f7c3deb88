"""`pressctl contacts show | history | export-person | forget | unbounce`: one person, what
the book holds about them and what it sent them (with their right of access), erasing
them (their right to erasure), and clearing an address of theirs that bounced.

Part of the contacts group: contacts_cmd registers these commands on the group's app, in
its help order. Parse the command line, call one core function, print.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.contacts_options import Ref
from pressctl.cli.context import Json, change_json, change_line, state

if TYPE_CHECKING:
    from datetime import tzinfo

    from pressctl.book.history import HistoryEntry
    from pressctl.cli.output import Output


def show(
    ctx: typer.Context,
    ref: Ref,
    style: Annotated[str | None, typer.Option(
        "--phone-style", help="auto, international, national, house or e164.")] = None,
    json_out: Json = False,
) -> None:
    """Show one contact, its version, who changed it last, and its last three history
    entries (`contacts history` lists them all).

    Example: pressctl contacts show pascale.bresson@cnes.fr --phone-style house
    """
    from pressctl.book.bounces import bouncing_addresses
    from pressctl.book.contacts import read_with_version
    from pressctl.book.history import SHOWN_IN_CONTACT, entry_json, history_of
    from pressctl.book.optouts import opt_out_history
    from pressctl.cli.views import (
        bouncing_json,
        contact_json,
        contact_record,
        optin_json,
        phone_display,
        suppression_json,
    )
    from pressctl.store.changes import Subject

    st = state(ctx)
    book = st.book()
    contact, version = read_with_version(book, ref)  # what `edit --if-version` compares
    history = opt_out_history(book.store, contact)
    bouncing = bouncing_addresses(book.store, contact)
    last = book.store.changes.last_of(Subject.CONTACT, contact.stored_id)
    recent = history_of(book.store, contact)[:SHOWN_IN_CONTACT]
    if json_out:
        st.out.json({
            **contact_json(contact, book.settings),
            "opt_outs": [suppression_json(s) for s in history.suppressions],
            "opt_ins": [optin_json(o) for o in history.optins],
            "bouncing": [bouncing_json(b) for b in bouncing],
            "version": version, "last_change": change_json(last) if last else None,
            "history": [entry_json(e) for e in recent],
        })
        return
    display = phone_display(book.settings, _style(style))
    st.out.record(contact_record(contact, history, display, bouncing, zone=book.zone)
                  + [("version", version),
                     ("last change", change_line(last, book.zone) if last else "")])
    st.out.line()
    _print_history(st.out, recent, book.zone, heading="History")
    if recent:
        st.out.line(f"pressctl contacts history {contact.id} for all")


def _style(style: str | None) -> str | None:
    from pressctl.config import PHONE_STYLES
    from pressctl.errors import InvalidInput

    if style and style not in PHONE_STYLES:
        raise InvalidInput(f"--phone-style {style!r}", hint=f"use {', '.join(PHONE_STYLES)}")
    return style


def show_history(ctx: typer.Context, ref: Ref, json_out: Json = False) -> None:
    """Everything sent to a contact and what came back, newest first.

    Releases and invitations, with their state and the server's reply.
    Bounces, answers to invitations and replies; opt-outs and opt-ins.
    Addresses marked bouncing and cleared; rows sent to an address edited since.

    Example: pressctl contacts history j.martin@lemonde.example --json
    """
    from pressctl.book.history import contact_history, entry_json

    st = state(ctx)
    book = st.book()
    found = contact_history(book, ref)
    if json_out:
        st.out.json([entry_json(e) for e in found.entries])
        return
    _print_history(st.out, found.entries, book.zone)
    st.out.info(f"{len(found.entries)} entr{'y' if len(found.entries) == 1 else 'ies'} for "
                f"contact #{found.contact.id} {found.contact.name}")


def _print_history(out: Output, entries: Sequence[HistoryEntry], zone: tzinfo, *,
                   heading: str | None = None) -> None:
    """History entries as a table, times in ``zone`` (`show`, `history`): a column each
    when piped; on a terminal, four (the mailout under its release, the address above
    the detail) so that the detail keeps some width."""
    from pressctl.book.history import COLUMNS, entry_cells
    from pressctl.cli.views import HISTORY_COLUMNS, local_time

    if heading and (not out.rich_stdout or not entries):
        out.line(heading)  # a terminal's table shows it as its title
    if not entries and heading:
        out.line("nothing sent to or heard from this contact yet")
        return
    rows = [(local_time(e.at, zone), *entry_cells(e)) for e in entries]
    if not out.rich_stdout:
        out.table(COLUMNS, rows)
        return
    out.table(HISTORY_COLUMNS,
              [(when, kind, [c for c in (reference, mailout) if c], [address, detail])
               for when, kind, reference, mailout, address, detail in rows],
              title=heading)


def export_person(
    ctx: typer.Context,
    ref: Ref,
    out: Annotated[str, typer.Option(
        "--out", "-o", help="JSON file to write (0600, replaced atomically); - for stdout.")],
) -> None:
    """Everything the book holds about one person, as JSON (GDPR right of access).

    The record, its organisation, every message sent to them with its state,
    opt-outs, bounces, answers, replies, the messages taken in about them and
    the entries of the trail about them; with when and from which book.

    Example: pressctl contacts export-person j.martin@lemonde.example --out jean-martin.json
    """
    from pressctl.book.gdpr import export_person as person_data
    from pressctl.book.gdpr import write_person_export

    st = state(ctx)
    book = st.book()
    if out == "-":
        st.out.json(person_data(book, ref))
        return
    data = write_person_export(book, ref, Path(out))
    contact = data["contact"]
    st.out.info(f"Wrote {out}: contact #{contact['id']} {contact['name']}, "
                f"{len(data['mailouts'])} message(s) sent, "
                f"{len(data['audit_trail'])} entr(ies) of the trail")


def forget(
    ctx: typer.Context,
    ref: Ref,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Really erase (it cannot be undone).")] = False,
    json_out: Json = False,
) -> None:
    """Erase a person everywhere, for good (GDPR right to erasure); needs --yes.

    The contact is deleted. In past mailout rows, bounces, answers, replies,
    the trail, frozen messages and the outbox log, their name, addresses and
    phones become keyed hashes: counts and history stay. The suppression list
    keeps only the hashes: an import or add of the address is refused.
    Without --yes: what would change, and nothing is erased (exit 2).
    Backups keep what they hold.

    Example: pressctl contacts forget j.martin@lemonde.example --yes
    """
    from pressctl.book.gdpr import forget_contact

    st = state(ctx)
    book = st.book()
    log = st.paths.delivery_dir / "outbox.log"
    report = forget_contact(book, ref, dry_run=not yes, logs=[log])
    changed = {table: n for table, n in sorted(report.changed.items()) if n}
    if json_out:
        compaction = report.compaction
        st.out.json({
            "contact": report.contact_id, "dry_run": report.dry_run, "changed": changed,
            "hashes": report.hashes, "cancelled": report.cancelled,
            "officer_of": report.officer_of, "homonyms": report.homonyms,
            "log_lines": report.log_lines,
            "compaction": None if compaction is None else {
                "how": compaction.how, "complete": compaction.complete,
                "detail": compaction.detail},
        })
    else:
        st.out.table(["table", "changed"], list(changed.items()), keep_whole=["table"])
    who = f"contact #{report.contact_id} {report.name}"
    if report.dry_run:
        st.out.error(f"nothing was erased: forgetting {who} cannot be undone; the table "
                     "says what would change: run it again with --yes")
        raise typer.Exit(2)
    st.out.info(f"Forgot {who}: {sum(changed.values())} value(s) in {len(changed)} "
                f"table(s) erased or replaced by keyed hashes; {report.hashes} address(es) "
                "kept only as keyed hashes in the suppression list")
    if report.cancelled:
        st.out.info(f"Cancelled {report.cancelled} message(s) still queued for them")
    if report.log_lines:
        st.out.info(f"Rewrote {report.log_lines} line(s) of {log}")
    if report.officer_of:
        st.out.warn(f"they were a press officer of {report.officer_of}: a release that "
                    "lists them (contacts = [...]) must name another officer")
    if report.homonyms:
        st.out.warn(f"{report.homonyms} other contact(s) have the same name: kept as they "
                    "are, but the name was replaced in free text (trail summaries, notes)")
    if report.compaction is not None and not report.compaction.complete:
        st.out.warn(report.compaction.detail)
    st.out.info("Backups, copies of the book and other homes' outbox logs still hold "
                "their data until they are replaced (see the README: GDPR)")

def unbounce(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(
        help="The bouncing e-mail address, checked and known to work again.")],
    json_out: Json = False,
) -> None:
    """Clear the bouncing state of an address: it is mailed again (recorded).

    An address becomes bouncing when `inbox import` finds a hard bounce, or 3 soft
    ones within 30 days; every send skips it until then. Editing a contact so that
    the address is taken off clears it too. The state is kept in the history.

    Example: pressctl contacts unbounce jean.martin@lemonde.example
    """
    from pressctl.book.bounces import unbounce as clear
    from pressctl.cli.views import bouncing_json

    st = state(ctx)
    result = clear(st.book(), address)
    if json_out:
        st.out.json({**bouncing_json(result.state),
                     "contact": result.contact.id if result.contact else None})
        return
    owner = (f" (contact #{result.contact.id} {result.contact.name})"
             if result.contact is not None else "")
    st.out.info(f"{result.state.address}{owner} is mailed again: no longer bouncing (it was "
                f"since {result.state.since[:10]}: {result.state.reason})")


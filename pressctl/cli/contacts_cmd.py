"""`pressctl contacts ...`: parse the command line, call one core function, print."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, change_json, change_line, state
from pressctl.cli.tables import Columns, Layout, Wide

if TYPE_CHECKING:
    from datetime import tzinfo

    from pressctl.book.history import HistoryEntry
    from pressctl.cli.output import Output

app = typer.Typer(no_args_is_help=True)

# Filters shared by list, export and check.
Kind = Annotated[str | None, typer.Option("--kind", help="officer, journalist or other.")]
Tag = Annotated[list[str] | None, typer.Option(
    "--tag", help="Has this tag (repeat: all of them).")]
Org = Annotated[str | None, typer.Option("--org", help="Organisation (name or short name).")]
Outlet = Annotated[str | None, typer.Option("--outlet", help="Outlet contains this text.")]
Lang = Annotated[str | None, typer.Option(
    "--lang", help="Speaks this language (fr matches fr-CA).")]
Country = Annotated[str | None, typer.Option("--country", help="ISO 3166 country code.")]
Search = Annotated[str | None, typer.Option(
    "--search",
    help="Text in name, role, organisation, outlet, notes, e-mail or phone.")]
EmbargoOk = Annotated[bool | None, typer.Option(
    "--embargo-ok/--no-embargo-ok", help="Agreed (or not) to respect embargoes.",
    show_default=False)]
OptedOut = Annotated[bool | None, typer.Option(
    "--opted-out/--not-opted-out", help="Opted out (or not).", show_default=False)]


def _on_duplicate(value: str) -> str:
    if value not in ("fail", "skip", "update"):
        raise typer.BadParameter(f"{value!r} is not one of fail, skip, update")
    return value


OnDuplicate = Annotated[str, typer.Option(
    "--on-duplicate", callback=_on_duplicate,
    help="When an e-mail already exists: fail, skip or update.")]
Region = Annotated[str | None, typer.Option(
    "--region", help="Default phone region for numbers without +CC (e.g. FR).")]
CheckDns = Annotated[bool, typer.Option(
    "--check-dns", help="Also check that e-mail domains accept mail (DNS).")]
Refs = Annotated[list[str], typer.Argument(help="Ids, e-mail addresses or exact names.")]
Ref = Annotated[str, typer.Argument(help="Id, e-mail address or exact name.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
RoleLang = Annotated[list[str] | None, typer.Option(
    "--role-lang", metavar="LANG=ROLE",
    help="The role in a reader's language (repeat): en=\"Press officer\". Messages in that "
         "language show it, others the role as written.")]
IfVersion = Annotated[int | None, typer.Option(
    "--if-version", metavar="N",
    help="Change it only if it is still at version N, as `show` printed it (else exit 3).")]


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty()


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Full name, e.g. \"Pascale Bresson\".")],
    email: Annotated[list[str] | None, typer.Option(
        "--email", "-e", help="E-mail address (repeat for several).")] = None,
    phone: Annotated[list[str] | None, typer.Option(
        "--phone", "-p", help="Work phone as written (repeat).")] = None,
    mobile: Annotated[list[str] | None, typer.Option(
        "--mobile", help="Mobile phone (repeat).")] = None,
    fax: Annotated[list[str] | None, typer.Option("--fax", help="Fax number (repeat).")] = None,
    kind: Annotated[str, typer.Option(
        "--kind", help="officer, journalist or other.")] = "journalist",
    role: Annotated[str | None, typer.Option(
        "--role", help="Role as written: \"Attachée de Presse\".")] = None,
    role_lang: RoleLang = None,
    salutation: Annotated[str | None, typer.Option(
        "--salutation",
        help="How messages greet them: \"Madame la rédactrice en chef\".")] = None,
    first_name_ok: Annotated[bool, typer.Option(
        "--first-name-ok",
        help="Messages may greet them by first name: \"Bonjour Jeanne,\".")] = False,
    org: Annotated[str | None, typer.Option(
        "--org", help="Organisation (name or short name).")] = None,
    outlet: Annotated[str | None, typer.Option("--outlet", help="Outlet of a journalist.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", help="Tag or beat (repeat).")] = None,
    lang: Annotated[list[str] | None, typer.Option(
        "--lang", help="Language, BCP 47 (repeat).")] = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO 3166 country code.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free text.")] = None,
    embargo_ok: Annotated[bool, typer.Option(
        "--embargo-ok", help="Agreed to respect embargoes.")] = False,
    on_duplicate: OnDuplicate = "fail",
    region: Region = None,
    check_dns: CheckDns = False,
    json_out: Json = False,
) -> None:
    """Add one contact; every phone and e-mail is checked and normalised.

    Example: pressctl contacts add "Pascale Bresson" --kind officer --org CNES
    --role "Attachée de Presse" --role-lang en="Press officer" --phone "Tél. 01 44 76 75 39"
    --email pascale.bresson@cnes.fr
    """
    from pressctl.book.contacts import add_contact
    from pressctl.cli.views import contact_json, notice_json

    st = state(ctx)
    book = st.book()
    phones = list(phone or []) + [f"Mobile: {m}" for m in mobile or []] + [
        f"Fax: {f}" for f in fax or []]
    fields = {
        "name": name, "kind": kind, "role": role, "organization": org, "outlet": outlet,
        "emails": list(email or []), "phones": phones, "tags": ",".join(tag or []),
        "languages": ",".join(lang or []), "country": country, "notes": notes,
        "embargo_ok": embargo_ok, "roles": list(role_lang or []), "salutation": salutation,
        "first_name_ok": first_name_ok,
    }
    result = add_contact(book, fields, on_duplicate=on_duplicate, region=region,
                         check_dns=check_dns)
    for note in result.notes:
        st.out.info(f"cleaned: {note}")
    for clash in result.clashes:
        st.out.info(f"duplicate: {clash}")
    for notice in result.opted_out:
        st.out.warn(str(notice))
    if json_out:
        st.out.json({"action": result.action,
                     "contact": contact_json(result.contact, book.settings),
                     "opted_out": [notice_json(n) for n in result.opted_out]})
        return
    st.out.info(f"{result.action.capitalize()} contact #{result.contact.id} {result.contact.name}")


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Kind = None, tag: Tag = None, org: Org = None, outlet: Outlet = None,
    lang: Lang = None, country: Country = None, search: Search = None,
    embargo_ok: EmbargoOk = None, opted_out: OptedOut = None, json_out: Json = False,
    wide: Wide = False, columns: Columns = None,
) -> None:
    """List contacts, filtered. On a terminal, columns that do not fit are left out (and
    named on stderr): --wide shows them all, --columns picks them.

    Example: pressctl contacts list --tag space --lang fr --columns name,email,phone
    """
    from pressctl.book.filters import contact_filter
    from pressctl.cli.views import print_contacts

    st = state(ctx)
    book = st.book()
    where = contact_filter(kind, tag, org, outlet, lang, country, search, embargo_ok, opted_out)
    print_contacts(st.out, book.store.contacts.select(where), book.settings, as_json=json_out,
                   layout=Layout(wide, columns))


@app.command("show")
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


@app.command("history")
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


def _style(style: str | None) -> str | None:
    from pressctl.config import PHONE_STYLES
    from pressctl.errors import InvalidInput

    if style and style not in PHONE_STYLES:
        raise InvalidInput(f"--phone-style {style!r}", hint=f"use {', '.join(PHONE_STYLES)}")
    return style


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Ref,
    name: Annotated[str | None, typer.Option("--name")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    role: Annotated[str | None, typer.Option("--role")] = None,
    role_lang: Annotated[list[str] | None, typer.Option(
        "--role-lang", metavar="LANG=ROLE",
        help="Set the role in a language (repeat); LANG= removes it.")] = None,
    salutation: Annotated[str | None, typer.Option(
        "--salutation", help="How messages greet them; \"\" removes it.")] = None,
    first_name_ok: Annotated[bool | None, typer.Option(
        "--first-name-ok/--no-first-name-ok", show_default=False,
        help="Messages may (or may not) greet them by first name.")] = None,
    org: Annotated[str | None, typer.Option("--org")] = None,
    outlet: Annotated[str | None, typer.Option("--outlet")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    lang: Annotated[list[str] | None, typer.Option("--lang", help="Replace the languages.")] = None,
    embargo_ok: EmbargoOk = None,
    opted_out: Annotated[bool | None, typer.Option(
        "--opted-out/--not-opted-out", show_default=False,
        help="Opt out (every address, for good); only `contacts optin` undoes it.")] = None,
    add_email: Annotated[list[str] | None, typer.Option("--add-email")] = None,
    remove_email: Annotated[list[str] | None, typer.Option("--remove-email")] = None,
    add_phone: Annotated[list[str] | None, typer.Option(
        "--add-phone", help="As written; \"Mobile: ...\" for a mobile.")] = None,
    remove_phone: Annotated[list[str] | None, typer.Option("--remove-phone")] = None,
    check_dns: CheckDns = False,
    if_version: IfVersion = None,
    json_out: Json = False,
) -> None:
    """Change a contact; the result is validated like a new contact.

    Another officer's change made while this one runs (or since `show` printed version N,
    with --if-version N) is never overwritten: this edit is refused (exit 3) and changes
    nothing; show the contact again and retry.

    Example: pressctl contacts edit 12 --role "Responsable Presse" --add-phone "Mobile: 06 12 34 56 78"
    """  # noqa: E501 (an example is one line to copy: typer's help keeps the docstring's breaks)
    from pressctl.book.contacts import edit_contact
    from pressctl.cli.views import contact_json

    st = state(ctx)
    book = st.book()
    changes = {k: v for k, v in {
        "name": name, "kind": kind, "role": role, "organization": org, "outlet": outlet,
        "country": country, "notes": notes, "embargo_ok": embargo_ok,
        "opted_out": opted_out, "languages": ",".join(lang) if lang else None,
        "roles": list(role_lang) if role_lang else None, "salutation": salutation,
        "first_name_ok": first_name_ok,
    }.items() if v is not None}
    result = edit_contact(book, ref, changes, add_emails=add_email or [],
                          remove_emails=remove_email or [], add_phones=add_phone or [],
                          remove_phones=remove_phone or [], check_dns=check_dns,
                          version=if_version)
    for notice in result.opted_out:
        st.out.warn(str(notice))
    if json_out:
        st.out.json(contact_json(result.contact, book.settings))
    else:
        st.out.info(f"Updated contact #{result.contact.id} {result.contact.name}")


@app.command("remove")
def remove(ctx: typer.Context, refs: Refs, yes: Yes = False) -> None:
    """Remove contacts (asks first on a terminal).

    Example: pressctl contacts remove 12 jane.doe@example.com --yes
    """
    from pressctl.book.contacts import find_contacts, remove_contacts

    st = state(ctx)
    book = st.book()
    if not yes:
        names = ", ".join(f"#{c.id} {c.name}" for c in find_contacts(book.store, refs))
        if not _interactive():
            raise typer.BadParameter("refusing to remove without --yes when not on a terminal")
        from pressctl.cli.prompts import confirm_or_stop

        confirm_or_stop(f"Remove {names}?", "Nothing removed.")
    for contact in remove_contacts(book, refs):
        kept = " (its opt-out is kept: never mailed if added again)" if contact.opted_out else ""
        st.out.info(f"Removed contact #{contact.id} {contact.name}{kept}")


@app.command("export-person")
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


@app.command("forget")
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


@app.command("tag")
def tag(
    ctx: typer.Context,
    tags: Annotated[str, typer.Argument(help="Tags, comma-separated: space,health")],
    refs: Refs,
) -> None:
    """Add tags to contacts.

    Example: pressctl contacts tag space,health 12 jane.doe@example.com
    """
    _tag(ctx, tags, refs, remove=False)


@app.command("untag")
def untag(
    ctx: typer.Context,
    tags: Annotated[str, typer.Argument(help="Tags, comma-separated.")],
    refs: Refs,
) -> None:
    """Remove tags from contacts.

    Example: pressctl contacts untag health 12
    """
    _tag(ctx, tags, refs, remove=True)


def _tag(ctx: typer.Context, tags: str, refs: list[str], *, remove: bool) -> None:
    from pressctl.book.contacts import tag_contacts

    st = state(ctx)
    wanted = [t for t in tags.split(",") if t.strip()]
    contacts = tag_contacts(st.book(), refs, wanted, remove=remove)
    verb = "Untagged" if remove else "Tagged"
    st.out.info(f"{verb} {len(contacts)} contact(s): {', '.join(wanted)}")


@app.command("optout")
def optout(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(
        help="E-mail addresses (or ids) of contacts who asked to be left out.")],
    note: Annotated[str | None, typer.Option(
        "--note", help="Why, for the record: \"asked by phone\".")] = None,
    undo: Annotated[bool, typer.Option("--undo", hidden=True)] = False,
) -> None:
    """Opt contacts out for good: none of their addresses is ever mailed again.

    The opt-out is kept by address: it survives `contacts remove`, re-adding and
    imports. Only `pressctl contacts optin ADDRESS --yes --note TEXT` lifts it.

    Example: pressctl contacts optout jane.doe@example.com --note "asked by phone"
    """
    from pressctl.book.optouts import opt_out

    if undo:
        raise typer.BadParameter(
            "--undo no longer lifts an opt-out: use `pressctl contacts optin ADDRESS "
            "--yes --note TEXT`, which records why")
    st = state(ctx)
    result = opt_out(st.book(), refs, note=note)
    for contact in result.contacts:
        st.out.info(f"Opted out #{contact.id} {contact.name}: "
                    f"{', '.join(contact.emails) or 'no e-mail address'}")
    for address in result.addresses:
        st.out.info(f"Opted out {address}: not in the book, never mailed if added later")


@app.command("optin")
def optin(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(
        help="The e-mail address that asked to be mailed again.")],
    note: Annotated[str, typer.Option(
        "--note", help="Why, for the record (required): who asked, when, how.")],
    yes: Yes = False,
    json_out: Json = False,
) -> None:
    """Lift the opt-out of one address, on the person's own request (recorded).

    The only way to undo an opt-out. The lift is recorded with the note; `contacts
    show` lists it. The contact is mailed again once none of its addresses is opted out.

    Example: pressctl contacts optin jane.doe@example.com --yes --note "asked by e-mail on 3 March"
    """
    from pressctl.book.optouts import opt_in, opt_out_state
    from pressctl.cli.views import optin_json

    st = state(ctx)
    book = st.book()
    if not yes:
        if not _interactive():
            raise typer.BadParameter("refusing to lift an opt-out without --yes when not on "
                                     "a terminal: pass --yes")
        current = opt_out_state(book.store, address)  # exit 3 before asking if not opted out
        s = current.suppression
        since = f" since {s.since} ({s.reason})" if s else ""
        from pressctl.cli.prompts import confirm_or_stop

        confirm_or_stop(f"Lift the opt-out of {current.address}{since}?",
                        f"Nothing changed: {current.address} stays opted out.")
    result = opt_in(book, address, note)
    if json_out:
        st.out.json({**optin_json(result.optin),
                     "contact": result.contact.id if result.contact else None,
                     "contact_opted_out": bool(result.contact and result.contact.opted_out),
                     "still_opted_out": result.still_suppressed})
        return
    st.out.info(f"Opted {result.optin.address} back in (recorded: {result.optin.note})")
    if result.contact is not None and result.still_suppressed:
        st.out.warn(f"contact #{result.contact.id} {result.contact.name} stays opted out: "
                    f"{', '.join(result.still_suppressed)} still opted out")
    elif result.contact is not None:
        st.out.info(f"Contact #{result.contact.id} {result.contact.name} is mailed again")


@app.command("unbounce")
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


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, vCard (.vcf) or JSON file.")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="csv, vcard or json (default: from the file).")] = None,
    region: Region = None,
    kind: Annotated[str, typer.Option(
        "--kind", help="Kind for rows that do not say.")] = "journalist",
    on_duplicate: OnDuplicate = "fail",
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the valid rows; needs --rejects.")] = False,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="Write rejected rows, untouched, with their reason.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would change; change nothing.")] = False,
    check_dns: CheckDns = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="List every cleaned value.")] = False,
    json_out: Json = False,
) -> None:
    """Import contacts: all or nothing unless --skip-invalid.

    Example: pressctl contacts import journalistes.csv --region FR --on-duplicate update
    """
    from pressctl.book.contact_files import import_contact_file
    from pressctl.cli.views import print_import_report

    if skip_invalid and rejects is None:
        raise typer.BadParameter(
            "--skip-invalid needs --rejects FILE (nothing is dropped silently)")
    st = state(ctx)
    report = import_contact_file(
        st.book(), file, fmt=fmt, region=region, on_duplicate=on_duplicate,
        skip_invalid=skip_invalid, rejects=rejects, dry_run=dry_run, default_kind=kind,
        check_dns=check_dns,
    )
    print_import_report(st.out, report, rejects=rejects, verbose=verbose, as_json=json_out)
    for skipped in report.forgotten:  # never silent, whatever --json says (stderr)
        st.out.warn(str(skipped))


@app.command("export")
def export(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write (default: stdout).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="vcard, csv or json (default: from --out, else vcard).")] = None,
    vcard_version: Annotated[str, typer.Option(
        "--vcard-version", help="3.0 (widely read) or 4.0.")] = "3.0",
    excel: Annotated[bool | None, typer.Option(
        "--excel/--no-excel", help="CSV that Excel opens as is: ';', UTF-8 with BOM, CRLF "
        "(default: [contacts] csv_dialect).")] = None,
    kind: Kind = None, tag: Tag = None, org: Org = None, outlet: Outlet = None,
    lang: Lang = None, country: Country = None, search: Search = None,
    embargo_ok: EmbargoOk = None, opted_out: OptedOut = None,
) -> None:
    """Export contacts as vCard (3.0 by default), CSV or JSON.

    Example: pressctl contacts export --tag space --out space.vcf
    Example: pressctl contacts export --format csv --excel --out contacts.csv
    """
    import sys

    from pressctl.book.contact_files import export_chunks, export_format, export_to_file
    from pressctl.book.filters import contact_filter

    st = state(ctx)
    book = st.book()
    chosen = export_format(out, fmt or ("csv" if excel else None))
    if excel and chosen != "csv":
        raise typer.BadParameter(f"--excel is for CSV, not {chosen}")
    # --excel / --no-excel, else the config's default (it only applies to CSV)
    dialect = {True: "excel", False: "standard", None: st.settings().csv_dialect}[excel]
    where = contact_filter(kind, tag, org, outlet, lang, country, search, embargo_ok, opted_out)
    if out is None:
        for chunk in export_chunks(book.store, where, chosen, vcard_version=vcard_version,
                                   csv_dialect=dialect):
            sys.stdout.write(chunk)
        return
    export_to_file(book.store, where, out, chosen, vcard_version=vcard_version,
                   csv_dialect=dialect)
    excel_note = ", Excel dialect" if chosen == "csv" and dialect == "excel" else ""
    st.out.info(f"Wrote {out} ({chosen}{excel_note})")


@app.command("check")
def check(
    ctx: typer.Context,
    kind: Kind = None, tag: Tag = None, org: Org = None,
    json_out: Json = False,
) -> None:
    """Re-validate every stored contact and report problems (exit 3 if any error).

    Example: pressctl contacts check --json
    """
    from pressctl.book.contacts import check_book
    from pressctl.book.filters import contact_filter
    from pressctl.errors import EXIT_INVALID

    st = state(ctx)
    book = st.book()
    findings = check_book(book, contact_filter(kind, tag, org))
    errors = [f for f in findings if f.level == "error"]
    if json_out:
        st.out.json([
            {"contact": f.contact.id, "name": f.contact.name, "level": f.level,
             "message": f.message} for f in findings
        ])
    else:
        for finding in findings:
            st.out.line(f"{finding.level}: {finding.where}: {finding.message}")
        st.out.info(f"Checked {book.store.contacts.count()} contact(s): "
                    f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    if errors:
        raise typer.Exit(EXIT_INVALID)


@app.command("extract")
def extract(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A press release: text, Markdown or HTML.")],
    region: Region = None,
    do_import: Annotated[bool, typer.Option(
        "--import", help="Add the proposed contacts (validated like `add`).")] = False,
    kind: Annotated[str, typer.Option(
        "--kind", help="Kind of the imported contacts.")] = "officer",
    on_duplicate: OnDuplicate = "fail",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="With --import: show what would change.")] = False,
    json_out: Json = False,
) -> None:
    """Propose contacts from the contact blocks of a press release (exit 3 if none).

    Example: pressctl contacts extract release.md --json
    """
    from pressctl.book.extraction import extract_from_file, import_proposals
    from pressctl.cli.views import print_import_report, print_proposals

    st = state(ctx)
    settings = st.book().settings if do_import else st.config()
    proposals = extract_from_file(file, region.upper() if region else settings.default_region)
    print_proposals(st.out, proposals, settings, as_json=json_out)
    if do_import:
        from pressctl.contacts.validation import kind_of

        report = import_proposals(st.book(), proposals, str(file), kind=kind_of(kind) or kind,
                                  on_duplicate=on_duplicate, dry_run=dry_run)
        print_import_report(st.out, report)
        for skipped in report.forgotten:
            st.out.warn(str(skipped))

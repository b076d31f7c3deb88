"""`pressctl contacts ...`: parse the command line, call one core function, print.

The group is split by command family: this module changes the book (add, list, edit,
remove, tag, untag, optout, optin, check); contacts_people_cmd is about one person (show,
history, export-person, forget, unbounce); contacts_files_cmd moves contacts in and out of
files (import, export, extract). The group's typer app is here, with the one list that
registers every command on it in the order `pressctl contacts --help` shows them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli import contacts_dedupe_cmd as dedupe
from pressctl.cli import contacts_files_cmd as files
from pressctl.cli import contacts_people_cmd as people
from pressctl.cli.contacts_options import (
    CheckDns,
    Country,
    EmbargoOk,
    Kind,
    Lang,
    OnDuplicate,
    OptedOut,
    Org,
    Outlet,
    Ref,
    Region,
    Search,
    Tag,
)
from pressctl.cli.context import Json, state
from pressctl.cli.tables import Columns, Layout, Wide

app = typer.Typer(no_args_is_help=True)  # its commands are registered at the end

Refs = Annotated[list[str], typer.Argument(help="Ids, e-mail addresses or exact names.")]
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
    # Streamed from the store: piped or --json, each contact is printed as it is read.
    print_contacts(st.out, book.store.contacts.stream(where), book.settings, as_json=json_out,
                   layout=Layout(wide, columns))


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


def tag(
    ctx: typer.Context,
    tags: Annotated[str, typer.Argument(help="Tags, comma-separated: space,health")],
    refs: Refs,
) -> None:
    """Add tags to contacts.

    Example: pressctl contacts tag space,health 12 jane.doe@example.com
    """
    _tag(ctx, tags, refs, remove=False)


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


# Every command of the group, in the order of `pressctl contacts --help` (which mixes the
# families: show and history sit by add and list): one list here, not a decorator in each
# module, so that the order does not depend on which module is imported first.
app.command("add")(add)
app.command("list")(list_)
app.command("show")(people.show)
app.command("history")(people.show_history)
app.command("edit")(edit)
app.command("remove")(remove)
app.command("export-person")(people.export_person)
app.command("forget")(people.forget)
app.command("tag")(tag)
app.command("untag")(untag)
app.command("optout")(optout)
app.command("optin")(optin)
app.command("unbounce")(people.unbounce)
app.command("import")(files.import_)
app.command("export")(files.export)
app.command("check")(check)
app.command("duplicates")(dedupe.duplicates)
app.command("merge")(dedupe.merge)
app.command("extract")(files.extract)

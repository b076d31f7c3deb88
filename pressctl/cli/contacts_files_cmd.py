"""`pressctl contacts import | export | extract`: contacts in and out of files (CSV,
vCard, JSON, and the contact blocks of a press release).

Part of the contacts group: contacts_cmd registers these commands on the group's app, in
its help order. Parse the command line, call one core function, print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    Region,
    Search,
    Tag,
)
from pressctl.cli.context import Json, state


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
    from pressctl.book.contact_files import export_chunks, export_format, export_to_file
    from pressctl.book.filters import contact_filter
    from pressctl.cli.streamed import write_blocks

    st = state(ctx)
    book = st.book()
    chosen = export_format(out, fmt or ("csv" if excel else None))
    if excel and chosen != "csv":
        raise typer.BadParameter(f"--excel is for CSV, not {chosen}")
    # --excel / --no-excel, else the config's default (it only applies to CSV)
    dialect = {True: "excel", False: "standard", None: st.settings().csv_dialect}[excel]
    where = contact_filter(kind, tag, org, outlet, lang, country, search, embargo_ok, opted_out)
    if out is None:  # written as the contacts are read, a block at a time
        write_blocks(export_chunks(book.store, where, chosen, vcard_version=vcard_version,
                                   csv_dialect=dialect))
        return
    export_to_file(book.store, where, out, chosen, vcard_version=vcard_version,
                   csv_dialect=dialect)
    excel_note = ", Excel dialect" if chosen == "csv" and dialect == "excel" else ""
    st.out.info(f"Wrote {out} ({chosen}{excel_note})")

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
    import_all: Annotated[bool, typer.Option(
        "--all", help="With --import: also import proposals below the confidence threshold "
        "(0.5).")] = False,
    json_out: Json = False,
) -> None:
    """Propose contacts from the contact blocks of a press release (exit 3 if none).

    Each proposal has a confidence (0..1); --import adds those from 0.5 on (--all: every
    one) and names the others on stderr. Example: pressctl contacts extract release.md --json
    """
    from pressctl.book.extraction import (
        IMPORT_THRESHOLD,
        extract_from_file,
        import_proposals,
        known_orgs,
        split_by_confidence,
    )
    from pressctl.cli.views import print_import_report, print_proposals
    from pressctl.errors import ConfigError, InvalidInput

    st = state(ctx)
    if do_import:
        book = st.book()
    else:  # the book's organisations name contacts when there is a book; none is needed
        try:
            book = st.book()
        except (ConfigError, InvalidInput):  # no book, or out of reach (StorageError)
            book = None
    settings = book.settings if book is not None else st.config()
    proposals = extract_from_file(file, region.upper() if region else settings.default_region,
                                  known_orgs(book) if book is not None else ())
    print_proposals(st.out, proposals, settings, as_json=json_out)
    if do_import:
        from pressctl.contacts.validation import kind_of

        kept, below = split_by_confidence(proposals, everything=import_all)
        for p in below:  # never dropped silently
            st.out.warn(f"{file}:{p.line}: {p.name or 'a contact without a name'} not imported: "
                        f"confidence {p.confidence:.2f} is below {IMPORT_THRESHOLD:.2f} "
                        "(--all imports it)")
        report = import_proposals(st.book(), kept, str(file), kind=kind_of(kind) or kind,
                                  on_duplicate=on_duplicate, dry_run=dry_run)
        print_import_report(st.out, report)
        for skipped in report.forgotten:
            st.out.warn(str(skipped))

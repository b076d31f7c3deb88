"""`pressctl check phone|email`: quick checks that store nothing."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.context import Json, state
from pressctl.errors import EXIT_INVALID

app = typer.Typer(no_args_is_help=True)


@app.command("phone")
def phone(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(
        help="Numbers as written: \"Tél. 01 44 76 75 39\".")],
    region: Annotated[str | None, typer.Option(
        "--region", help="Region for numbers without +CC (default: config).")] = None,
    json_out: Json = False,
) -> None:
    """Check phone numbers; exit 3 if any is invalid.

    Example: pressctl check phone "Tel. +33 (0)1 44 76 75 39" "(202) 358-1600" --region US
    """
    from pressctl.contacts.phones import check_phone
    from pressctl.contacts.regions import country_code

    st = state(ctx)
    if region:
        chosen = country_code(region)
        if chosen is None:
            from pressctl.errors import InvalidInput

            raise InvalidInput(f"--region {region!r} is not a region", hint="e.g. FR, US, GB")
    else:
        chosen = st.config().default_region
    results = [item for number in numbers for item in check_phone(number, chosen)]
    if json_out:
        st.out.json(results)
    else:
        from pressctl.cli.tables import Col

        st.out.table(
            (Col("input", priority=1, min_width=16), Col("valid", priority=1, overflow="whole"),
             Col("e164", priority=2, overflow="whole"),
             Col("international", priority=1, overflow="whole"),
             Col("national", priority=3, overflow="whole"),
             Col("type", priority=2, min_width=8), Col("ext", priority=4, overflow="whole"),
             Col("error", priority=1, min_width=20)),
            [(r["input"], r["valid"], r["e164"], r["international"], r["national"],
              r["type"], r["extension"], r["error"]) for r in results],
        )
    if not all(r["valid"] for r in results):
        raise typer.Exit(EXIT_INVALID)


@app.command("email")
def email(
    ctx: typer.Context,
    addresses: Annotated[list[str], typer.Argument(
        help="Addresses as pasted: \"mailto:x@y.fr\", \"Name <x@y.fr>\".")],
    check_dns: Annotated[bool, typer.Option(
        "--check-dns", help="Also look up the domain's mail servers.")] = False,
    json_out: Json = False,
) -> None:
    """Check e-mail addresses and say what was cleaned; exit 3 if any is invalid.

    Example: pressctl check email "pascale.bresson [at] cnes.fr" "mailto:raphael.sart@cnes.fr"
    """
    from pressctl.contacts.emails import check_email

    st = state(ctx)
    results = [item for address in addresses for item in check_email(address, check_dns=check_dns)]
    if json_out:
        st.out.json(results)
    else:
        from pressctl.cli.tables import Col

        st.out.table(
            (Col("input", priority=1, min_width=16, breaks="@"),
             Col("valid", priority=1, overflow="whole"),
             Col("normalized", priority=1, min_width=20, breaks="@"),
             Col("cleaned", priority=2, min_width=12), Col("error", priority=1, min_width=16)),
            [(r["input"], r["valid"], r["normalized"], "; ".join(r["cleaned"]), r["error"])
             for r in results],
        )
    if not all(r["valid"] for r in results):
        raise typer.Exit(EXIT_INVALID)

"""The options and arguments that commands of several `pressctl contacts` modules share.

The group is split by command family (contacts_cmd: changing the book;
contacts_people_cmd: one person; contacts_files_cmd: files in and out). An option that
one family alone uses stays in its module; one that several use lives here, so that
`--region` or `--tag` reads the same in every command's help.
"""

from __future__ import annotations

from typing import Annotated

import typer

# The filters of list, export and check.
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


# What add, import and extract do with what they are given.
OnDuplicate = Annotated[str, typer.Option(
    "--on-duplicate", callback=_on_duplicate,
    help="When an e-mail already exists: fail, skip or update.")]
Region = Annotated[str | None, typer.Option(
    "--region", help="Default phone region for numbers without +CC (e.g. FR).")]
CheckDns = Annotated[bool, typer.Option(
    "--check-dns", help="Also check that e-mail domains accept mail (DNS).")]

Ref = Annotated[str, typer.Argument(help="Id, e-mail address or exact name.")]

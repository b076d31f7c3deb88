"""`pressctl orgs ...`: the organisations behind the releases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, change_json, change_line, state

if TYPE_CHECKING:
    from pressctl.contacts.model import Organization

app = typer.Typer(no_args_is_help=True)

OrgRef = Annotated[str, typer.Argument(help="Id, short name or name.")]
About = Annotated[list[str] | None, typer.Option(
    "--about", help="LANG=TEXT or LANG=@FILE: the \"About\" boilerplate in a language (repeat).")]


def _about(items: list[str] | None) -> dict[str, str]:
    from pressctl.errors import InvalidInput

    about: dict[str, str] = {}
    for item in items or []:
        lang, sep, text = item.partition("=")
        if not sep:
            raise InvalidInput(f"--about {item!r}", hint="write LANG=TEXT or LANG=@FILE")
        if text.startswith("@"):
            path = Path(text[1:])
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as err:
                raise InvalidInput(f"{path}: cannot read ({err.strerror})") from err
        about[lang.strip()] = text
    return about


def org_json(org: Organization) -> dict:
    return {"id": org.id, "name": org.name, "short_name": org.short_name,
            "country": org.country, "website": org.website, "about": org.about,
            "created": org.created, "updated": org.updated}


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(
        help="Full name: \"Centre national d'études spatiales\".")],
    short: Annotated[str | None, typer.Option("--short", help="Short name: CNES.")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="ISO 3166 code; the default phone region of its contacts.")] = None,
    website: Annotated[str | None, typer.Option("--website")] = None,
    about: About = None,
    json_out: Json = False,
) -> None:
    """Add an organisation.

    Example: pressctl orgs add "Société Française de Radiologie" --short SFR --country FR --about en=@about-sfr.txt
    """  # noqa: E501 (an example is one line to copy: typer's help keeps the docstring's breaks)
    from pressctl.book.orgs import add_org

    st = state(ctx)
    org = add_org(st.book(), {"name": name, "short_name": short, "country": country,
                              "website": website, "about": _about(about)})
    if json_out:
        st.out.json(org_json(org))
    else:
        st.out.info(f"Added organisation #{org.id} {org.label}")


@app.command("list")
def list_(ctx: typer.Context, json_out: Json = False) -> None:
    """List organisations.

    Example: pressctl orgs list --json
    """
    st = state(ctx)
    book = st.book()
    orgs = book.store.orgs.all()
    if json_out:
        st.out.json([org_json(o) for o in orgs])
        return
    st.out.table(
        ("id", "short", "name", "country", "website", "about", "contacts"),
        [(o.id, o.short_name, o.name, o.country, o.website, ", ".join(sorted(o.about)),
          book.store.orgs.contact_count(o)) for o in orgs],
    )


@app.command("show")
def show(
    ctx: typer.Context,
    ref: OrgRef,
    json_out: Json = False,
) -> None:
    """Show an organisation with its "About" texts, its version and who changed it last.

    Example: pressctl orgs show CNES
    """
    from pressctl.book.orgs import read_with_version
    from pressctl.store.changes import Subject

    st = state(ctx)
    book = st.book()
    org, version = read_with_version(book, ref)
    last = book.store.changes.last_of(Subject.ORGANIZATION, org.stored_id)
    if json_out:
        st.out.json({**org_json(org), "version": version,
                     "last_change": change_json(last) if last else None})
        return
    pairs = [("id", org.id), ("name", org.name), ("short name", org.short_name),
             ("country", org.country), ("website", org.website)]
    pairs += [(f"about ({lang})", text) for lang, text in sorted(org.about.items())]
    pairs += [("version", version), ("last change", change_line(last) if last else "")]
    st.out.record(pairs)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: OrgRef,
    name: Annotated[str | None, typer.Option("--name")] = None,
    short: Annotated[str | None, typer.Option("--short")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    website: Annotated[str | None, typer.Option("--website")] = None,
    about: About = None,
    if_version: Annotated[int | None, typer.Option(
        "--if-version", metavar="N",
        help="Change it only if it is still at version N, as `show` printed it (else exit 3).")
    ] = None,
    json_out: Json = False,
) -> None:
    """Change an organisation; --about replaces that language's text.

    Another officer's change made while this one runs (or since `show` printed version N,
    with --if-version N) is never overwritten: this edit is refused (exit 3).

    Example: pressctl orgs edit CNES --about fr=@a-propos-cnes.txt
    """
    from pressctl.book.orgs import edit_org

    st = state(ctx)
    changes: dict[str, object] = {
        k: v for k, v in {"name": name, "short_name": short, "country": country,
                          "website": website}.items() if v is not None}
    if about:
        changes["about"] = _about(about)
    org = edit_org(st.book(), ref, changes, version=if_version)
    if json_out:
        st.out.json(org_json(org))
    else:
        st.out.info(f"Updated organisation #{org.id} {org.label}")


@app.command("remove")
def remove(ctx: typer.Context, ref: OrgRef) -> None:
    """Remove an organisation (its contacts are kept).

    Example: pressctl orgs remove SFR
    """
    from pressctl.book.orgs import remove_org

    st = state(ctx)
    org, count = remove_org(st.book(), ref)
    st.out.info(f"Removed organisation {org.label}; its {count} contact(s) are kept")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON list of organisations.")],
) -> None:
    """Add or update organisations from a JSON file (all or nothing).

    Example: pressctl orgs import contacts/organizations.json
    """
    from pressctl.book.orgs import import_orgs

    st = state(ctx)
    added, updated = import_orgs(st.book(), file)
    st.out.info(f"Added {added} and updated {updated} organisation(s)")

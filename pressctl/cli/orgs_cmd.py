"""`pressctl orgs ...`: the organisations behind the releases, and how each language names
them (--name-lang, --short-lang, and the French --article / --of behind "du CNES")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, change_json, change_line, state
from pressctl.cli.tables import Col, Columns, Layout, Wide

if TYPE_CHECKING:
    from pressctl.contacts.model import Organization

app = typer.Typer(no_args_is_help=True)

OrgRef = Annotated[str, typer.Argument(help="Id, short name or name.")]
ORG_COLUMNS = (
    Col("id", priority=1, overflow="whole"),
    Col("short", priority=1, min_width=6),
    Col("name", priority=1, min_width=20),
    Col("country", priority=3, overflow="whole"),
    Col("website", priority=4, min_width=16, overflow="ellipsis"),
    Col("about", priority=5, min_width=6),
    Col("contacts", priority=2, overflow="whole"),
)
About = Annotated[list[str] | None, typer.Option(
    "--about", help="LANG=TEXT or LANG=@FILE: the \"About\" boilerplate in a language (repeat).")]
NameLang = Annotated[list[str] | None, typer.Option(
    "--name-lang", metavar="LANG=NAME",
    help="Its full name in a language: fr=\"Agence spatiale canadienne\" (repeat).")]
ShortLang = Annotated[list[str] | None, typer.Option(
    "--short-lang", metavar="LANG=SHORT",
    help="Its short name in a language: fr=ASC (repeat).")]
Article = Annotated[list[str] | None, typer.Option(
    "--article", metavar="fr=ARTICLE",
    help="French article of its (short) name: le (default: du CNES), la (de la NASA), "
         "les (des Nations unies), l' (de l'Humanité), none (de Thales).")]
OfForm = Annotated[list[str] | None, typer.Option(
    "--of", metavar="LANG=FORM",
    help="The whole \"of\" form, written by hand; it wins over --article: "
         "fr=\"de l'Onera\" (repeat).")]


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


def _pairs(option: str, items: list[str] | None) -> dict[str, str]:
    """["fr=ASC", ...] -> {"fr": "ASC"}; the core checks the languages and values."""
    from pressctl.errors import InvalidInput

    pairs: dict[str, str] = {}
    for item in items or []:
        lang, sep, text = item.partition("=")
        if not sep or not lang.strip():
            raise InvalidInput(f'{option} "{item}": expected LANG=VALUE',
                               hint=f"write for example {option} fr=...")
        pairs[lang.strip()] = text
    return pairs


def _languages(name_lang: list[str] | None, short_lang: list[str] | None,
               article: list[str] | None, of: list[str] | None) -> dict[str, object]:
    """The per-language options given, as the core's fields."""
    given = {"names": _pairs("--name-lang", name_lang),
             "short_names": _pairs("--short-lang", short_lang),
             "article": _pairs("--article", article), "of": _pairs("--of", of)}
    return {key: value for key, value in given.items() if value}


def org_json(org: Organization) -> dict:
    from pressctl.book.orgs import file_fields

    return {"id": org.id, **file_fields(org), "created": org.created, "updated": org.updated}


def _forms(org: Organization) -> dict[str, dict[str, str | None]]:
    """How messages name it, per language it has texts or names in (French always)."""
    languages = sorted({"fr"} | set(org.about) | set(org.names) | set(org.short_names)
                       | set(org.article) | set(org.of))
    return {lang: {"name": org.name_in(lang), "short": org.short_in(lang),
                   "label": org.label_in(lang), "of": org.of_in(lang)} for lang in languages}


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
    name_lang: NameLang = None,
    short_lang: ShortLang = None,
    article: Article = None,
    of: OfForm = None,
    json_out: Json = False,
) -> None:
    """Add an organisation.

    NAME and --short are the names contacts and commands use; --name-lang and
    --short-lang name it in a language (messages in that language use them).

    Example: pressctl orgs add "Société Française de Radiologie" --short SFR --country FR --about en=@about-sfr.txt --article fr=la
    Example: pressctl orgs add "Canadian Space Agency" --short CSA --short-lang fr=ASC --name-lang "fr=Agence spatiale canadienne"
    """  # noqa: E501 (an example is one line to copy: typer's help keeps the docstring's breaks)
    from pressctl.book.orgs import add_org

    st = state(ctx)
    org = add_org(st.book(), {"name": name, "short_name": short, "country": country,
                              "website": website, "about": _about(about),
                              **_languages(name_lang, short_lang, article, of)})
    if json_out:
        st.out.json(org_json(org))
    else:
        st.out.info(f"Added organisation #{org.id} {org.label}")


@app.command("list")
def list_(ctx: typer.Context, json_out: Json = False, wide: Wide = False,
          columns: Columns = None) -> None:
    """List organisations.

    Example: pressctl orgs list --columns short,name,contacts
    """
    st = state(ctx)
    book = st.book()
    orgs = book.store.orgs.all()
    if json_out:
        st.out.json([org_json(o) for o in orgs])
        return
    st.out.table(
        ORG_COLUMNS,
        [(o.id, o.short_name, o.name, o.country, o.website, ", ".join(sorted(o.about)),
          book.store.orgs.contact_count(o)) for o in orgs],
        layout=Layout(wide, columns),
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
        st.out.json({**org_json(org), "forms": _forms(org), "version": version,
                     "last_change": change_json(last) if last else None})
        return
    pairs = [("id", org.id), ("name", org.name), ("short name", org.short_name),
             ("country", org.country), ("website", org.website)]
    for field, label in (("names", "name"), ("short_names", "short name"),
                         ("article", "article"), ("of", "of")):
        pairs += [(f"{label} ({lang})", text)
                  for lang, text in sorted(getattr(org, field).items())]
    pairs += [(f"in {lang}", f"{forms['label']}; {forms['of']}")
              for lang, forms in _forms(org).items()]
    pairs += [(f"about ({lang})", text) for lang, text in sorted(org.about.items())]
    pairs += [("version", version),
              ("last change", change_line(last, book.zone) if last else "")]
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
    name_lang: NameLang = None,
    short_lang: ShortLang = None,
    article: Article = None,
    of: OfForm = None,
    if_version: Annotated[int | None, typer.Option(
        "--if-version", metavar="N",
        help="Change it only if it is still at version N, as `show` printed it (else exit 3).")
    ] = None,
    json_out: Json = False,
) -> None:
    """Change an organisation; --about, --name-lang... replace that language's value.

    An empty value removes the language: --short-lang fr= (as --about fr= does).
    Another officer's change made while this one runs (or since `show` printed version N,
    with --if-version N) is never overwritten: this edit is refused (exit 3).

    Example: pressctl orgs edit CNES --about fr=@a-propos-cnes.txt
    Example: pressctl orgs edit CSA --short-lang fr=ASC --of "fr=de l'ASC"
    """
    from pressctl.book.orgs import edit_org

    st = state(ctx)
    changes: dict[str, object] = {
        k: v for k, v in {"name": name, "short_name": short, "country": country,
                          "website": website}.items() if v is not None}
    if about:
        changes["about"] = _about(about)
    changes.update(_languages(name_lang, short_lang, article, of))
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


@app.command("export")
def export(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="JSON file to write (replaced atomically; default: stdout).")] = None,
) -> None:
    """Write every organisation as the JSON list `orgs import` reads.

    Example: pressctl orgs export --out organizations.json
    """
    import json

    from pressctl.book.orgs import file_fields
    from pressctl.config.files import write_private_file
    from pressctl.errors import InvalidInput

    st = state(ctx)
    orgs = [file_fields(o) for o in st.book().store.orgs.all()]
    if out is None:
        st.out.json(orgs)
        return
    try:
        write_private_file(out, json.dumps(orgs, ensure_ascii=False, indent=2) + "\n")
    except OSError as err:
        raise InvalidInput(f"{out}: cannot write ({err.strerror})") from err
    st.out.info(f"Wrote {len(orgs)} organisation(s) to {out}")


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

"""`pressctl audiences ...`: named filters releases use as `audience = "@name"`."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.context import Json, state
from pressctl.cli.tables import Columns, Layout, Wide

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name, e.g. space-fr.")],
    expression: Annotated[str, typer.Argument(help="Filter, e.g. 'tag:space and lang:fr'.")],
) -> None:
    """Save (or replace) an audience; a release then says audience = "@NAME".

    Example: pressctl audiences add space-fr "kind:journalist and tag:space and lang:fr"
    """
    from pressctl.releases import saved_audiences as audiences

    st = state(ctx)
    book = st.book()
    saved = audiences.save(book, name, expression)
    st.out.info(f"Saved @{saved.name}: {saved.members} contact(s) today")


@app.command("list")
def list_(ctx: typer.Context, json_out: Json = False) -> None:
    """List saved audiences with how many contacts each selects now.

    Example: pressctl audiences list
    """
    from pressctl.releases import saved_audiences as audiences

    st = state(ctx)
    book = st.book()
    rows = audiences.listing(book)
    if json_out:
        st.out.json([{"name": a.name, "expression": a.expression, "contacts": a.members}
                     for a in rows])
    else:
        from pressctl.cli.tables import Col

        st.out.table((Col("name", priority=1, min_width=12),
                      Col("expression", priority=1, min_width=24),
                      Col("contacts", priority=1, overflow="whole")),
                     [(a.name, a.expression, a.members) for a in rows])


@app.command("show")
def show(
    ctx: typer.Context,
    expression: Annotated[str, typer.Argument(help="A saved name (@space-fr) or any filter.")],
    json_out: Json = False,
    wide: Wide = False,
    columns: Columns = None,
) -> None:
    """Show who an audience selects now (opted-out contacts never are), as `contacts
    list` shows them.

    Example: pressctl audiences show @space-fr
    """
    from pressctl.cli.views import print_contacts
    from pressctl.releases import saved_audiences as audiences

    st = state(ctx)
    book = st.book()
    audience = audiences.resolve(book, audiences.as_expression(expression))
    print_contacts(st.out, audiences.members(book, audience),
                   book.settings, as_json=json_out, layout=Layout(wide, columns))


@app.command("remove")
def remove(ctx: typer.Context,
           name: Annotated[str, typer.Argument(help="The saved audience.")]) -> None:
    """Remove a saved audience (refused while another one uses it).

    Example: pressctl audiences remove space-fr
    """
    from pressctl.releases import saved_audiences as audiences

    st = state(ctx)
    removed = audiences.remove(st.book(), name)
    st.out.info(f"Removed @{removed}")

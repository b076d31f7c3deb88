"""`pressctl templates ...`: the Jinja2 templates releases are rendered with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, state

if TYPE_CHECKING:
    from pressctl.releases.templating import Templates

app = typer.Typer(no_args_is_help=True)


def _templates(ctx: typer.Context) -> Templates:
    from pressctl.releases.templating import Templates

    return Templates(state(ctx).paths.templates_dir)


@app.command("list")
def list_(ctx: typer.Context, json_out: Json = False) -> None:
    """List the templates in use: yours (in the home) override the defaults.

    Example: pressctl templates list
    """
    rows = _templates(ctx).names()
    st = state(ctx)
    if json_out:
        st.out.json([{"name": n, "source": s, "path": str(p)} for n, s, p in rows])
    else:
        from pressctl.cli.tables import Col

        st.out.table((Col("name", priority=1, overflow="whole"),
                      Col("source", priority=2, overflow="whole"),
                      Col("path", priority=1, min_width=20)), rows)


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Template name, e.g. release.en.html.j2.")],
) -> None:
    """Print a template's source.

    Example: pressctl templates show _contacts.fr.txt.j2
    """
    text, _ = _templates(ctx).source(name)
    state(ctx).out.line(text.rstrip("\n"))


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print your templates folder (files there override the defaults).

    Example: pressctl templates path
    """
    state(ctx).out.line(str(state(ctx).paths.templates_dir))


@app.command("init")
def init(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(
        help="Templates to copy (default: all).")] = None,
) -> None:
    """Copy default templates into your folder to edit them (never overwrites).

    Example: pressctl templates init release.en.html.j2
    """
    st = state(ctx)
    copied = _templates(ctx).copy_defaults(st.paths.templates_dir, names or None)
    for path in copied:
        st.out.info(f"Copied {path}")
    if not copied:
        st.out.info("Nothing copied: your folder already has those templates")

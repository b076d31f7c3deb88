"""The options every table command shares (``--wide``, ``--columns``), as typer reads them.

Kept apart from pressctl.cli.tables so that printing a table imports no typer: the fast
`contacts list` (pressctl.cli.fast_list) prints through tables without loading it. Command
modules still import them from tables, which hands these out on first use.
"""

from __future__ import annotations

from typing import Annotated

import typer

Wide = Annotated[bool, typer.Option(
    "--wide", help="Every column, even wider than the terminal (it wraps or scrolls).")]
Columns = Annotated[str | None, typer.Option(
    "--columns", metavar="NAME,...",
    help="Only these columns, in this order (e.g. name,email,phone).")]

"""Printing: data to stdout, diagnostics to stderr; tables that fit the terminal
(pressctl.cli.tables), tab-separated plain text otherwise; JSON on request. Rich is
imported only for a TTY."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported only when a terminal shows a table
    from rich.console import Console

    from pressctl.cli.tables import Col, Layout


class Output:
    def __init__(self, *, quiet: bool = False, color: bool = True) -> None:
        self.quiet = quiet
        self.color = color and not os.environ.get("NO_COLOR")
        self._console: Console | None = None
        self._err_console: Console | None = None

    # -- where things go -------------------------------------------------------------------

    @property
    def rich_stdout(self) -> bool:
        return sys.stdout.isatty()

    def console(self, stderr: bool = False) -> Console:
        from rich.console import Console

        if stderr:
            if self._err_console is None:
                self._err_console = Console(stderr=True, no_color=not self.color,
                                            highlight=False)
            return self._err_console
        if self._console is None:
            self._console = Console(no_color=not self.color, highlight=False)
        return self._console

    # -- data --------------------------------------------------------------------------------

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    def line(self, text: str = "") -> None:
        sys.stdout.write(text + "\n")

    def table(self, columns: Sequence[str | Col], rows: Sequence[Sequence[Any]],
              title: str | None = None, *, keep_whole: Sequence[str] = (),
              layout: Layout | None = None) -> None:
        """Rows as a table that fits the terminal (pressctl.cli.tables); tab-separated
        when not on one. Columns given as bare headers: see tables.as_columns."""
        from pressctl.cli.tables import as_columns, print_table

        terminal = self.rich_stdout
        print_table(as_columns(columns, keep_whole), rows, terminal=terminal,
                    console=self.console() if terminal else None, title=title,
                    layout=layout, note=self.info)

    def record(self, pairs: Sequence[tuple[str, Any]], title: str | None = None) -> None:
        """One item as label/value lines (show commands)."""
        if self.rich_stdout:
            from rich.table import Table

            table = Table(title=title, show_header=False, box=None, title_justify="left")
            table.add_column(style="bold")
            table.add_column(overflow="fold")
            for label, value in pairs:
                table.add_row(label, _cell(value))
            self.console().print(table)
            return
        width = max((len(label) for label, _ in pairs), default=0)
        for label, value in pairs:
            text = _plain(value).replace("\t", "  ")
            sys.stdout.write(f"{label:<{width}}  {text}\n")

    # -- diagnostics -------------------------------------------------------------------------

    def info(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(text + "\n")

    def warn(self, text: str) -> None:
        sys.stderr.write(f"Warning: {text}\n")

    def error(self, text: str) -> None:
        sys.stderr.write(f"Error: {text}\n")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value).replace("\n", " ")


def _cell(value: Any) -> str:
    from rich.markup import escape

    if isinstance(value, (list, tuple)):
        return escape("\n".join(_plain(v) for v in value))
    return escape(_plain(value) if not isinstance(value, str) else value)

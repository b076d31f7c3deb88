"""Printing: data to stdout, diagnostics to stderr; rich tables on a terminal,
tab-separated plain text otherwise; JSON on request. Rich is imported only for a TTY."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported only when a terminal shows a table
    from rich.console import Console


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

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]],
              title: str | None = None, *, keep_whole: Sequence[str] = ()) -> None:
        """Rows as a table; on a terminal the ``keep_whole`` columns (addresses, numbers)
        are never folded, the others shrink first."""
        if self.rich_stdout:
            from rich.table import Table

            table = Table(title=title, title_justify="left", show_lines=False)
            for column in columns:
                if column in keep_whole:
                    table.add_column(column, no_wrap=True)
                else:
                    table.add_column(column, overflow="ellipsis" if column in ("role", "tags")
                                     else "fold", min_width=14 if column == "name" else None)
            for row in rows:
                table.add_row(*(_cell(v) for v in row))
            self.console().print(table)
            return
        out = sys.stdout
        out.write("\t".join(columns) + "\n")
        for row in rows:
            out.write("\t".join(_plain(v) for v in row) + "\n")

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

"""A terminal's table drawn without rich, byte for byte as rich draws it.

rich's import alone (~45 ms: its console, its table, its Unicode width tables) is more
than a whole `contacts list` of a small book takes otherwise (issue 12). What
pressctl.cli.tables asks rich to draw is narrow: a header in bold, a rule, then cells of
plain text at widths decided beforehand (tables.fit), each cell wrapped at spaces (or
folded) or cut with "…" as its column says; nothing else (box.SIMPLE_HEAD, no edges,
one space of padding and one of divider between columns). :func:`print_table` draws
exactly that, with rich's own algorithms (rich._wrap.divide_line, Text.wrap, truncate,
the cell padding of Table) re-stated for text whose every character is one cell wide.

It draws only when it is sure, and otherwise returns False before writing anything, so
that the caller hands the table to rich:

* every cell and header holds only characters rich measures as one cell (printable
  ASCII and Latin letters up to U+02FF, without the soft hyphen), none of ":" (rich may
  read ``:name:`` as an emoji) or "\\" (markup escapes);
* the console rich would make is plain: stdout a terminal in UTF-8, TERM not "dumb" or
  "unknown", none of the variables that change rich's mind (FORCE_COLOR,
  TTY_COMPATIBLE, TTY_INTERACTIVE, JUPYTER_*); its width found as rich finds it
  (COLUMNS, else the size of stdin, stdout or stderr, else 80);
* no title.

tests/cli/test_fast_plain_table.py compares it with rich over many tables, widths and
colour settings, and the fast `contacts list` tests compare whole commands on a pty.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pressctl.cli.tables import (
    GUTTER,
    Col,
    Layout,
    broken,
    cell_lines,
    chrome,
    dropped_note,
    fit,
    pick,
    pieces,
)

# Anything else is left to rich: wider or narrower characters, controls, soft hyphens,
# ":" (emoji codes) and "\" (markup escapes).
_UNUSUAL = re.compile(r"[^\x20-\x39\x3b-\x5b\x5d-\x7e\xa0-\xac\xae-\u02ff]")
_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap.re_word
_TRAILING_SPACE = re.compile(r"\s+$")  # rich.text._re_whitespace
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_RULE = "\u2500"  # box.SIMPLE_HEAD's head_row
_ELLIPSIS = "\u2026"
# Variables that make rich's console other than a plain terminal's (rich.console).
_RICH_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
                   "JUPYTER_LINES", "DATABRICKS_RUNTIME_VERSION")


def terminal_width(env: Mapping[str, str], stdout: Any = None) -> int | None:
    """The width rich's Console would give stdout, or None when its console would not be
    a plain UTF-8 terminal (then rich draws the table)."""
    stdout = sys.stdout if stdout is None else stdout
    try:
        if not stdout.isatty():
            return None
    except ValueError:
        return None
    if not (getattr(stdout, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None
    if env.get("TERM", "").lower() in ("dumb", "unknown") or any(
            name in env for name in _RICH_VARIABLES):
        return None
    columns = env.get("COLUMNS")
    if columns is not None:
        if not (columns.isascii() and columns.isdigit() and int(columns) > 0):
            return None
        return int(columns)
    width = None
    for descriptor in (0, 1, 2):  # rich.console._STD_STREAMS, in its order
        try:
            width, _ = os.get_terminal_size(descriptor)
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


def print_table(columns: Sequence[Col], rows: Sequence[Sequence[Any]], *,
                layout: Layout | None = None, env: Mapping[str, str] | None = None,
                note: Callable[[str], None] | None = None,
                write: Callable[[str], Any] | None = None, width: int | None = None) -> bool:
    """Draw ``rows`` as pressctl.cli.tables.print_table would on this terminal, and return
    True; or return False, having written nothing, when rich must draw it. ``width``
    (tests) stands for the terminal's."""
    layout = layout or Layout()
    if width is None:
        width = terminal_width(os.environ if env is None else env)
        if width is None:
            return False
    lines = [[cell_lines(row[i]) for i in range(len(columns))] for row in rows]
    if any(_UNUSUAL.search(c.header) for c in columns) or any(
            _UNUSUAL.search(text) for row in lines for cell in row for text in cell):
        return False
    shown = pick(columns, layout.columns)
    naturals = [max([len(c.header)] + [len(t) for r in lines for t in r[i]])
                for i, c in enumerate(columns)]
    words = [[max([0] + [len(w) for r in lines for t in r[i]
                         for w in pieces(t, c.breaks if at_breaks else "").split()])
              for i, c in enumerate(columns)]
             for at_breaks in (False, True)]
    chosen = layout.columns is not None
    layout_fit = fit(columns, naturals, shown, width, words=words,
                     may_drop=not (layout.wide or chosen), may_shrink=not layout.wide)
    text = draw(columns, lines, layout_fit.shown, layout_fit.widths)
    (write or sys.stdout.write)(text)
    if layout_fit.dropped and note is not None:
        note(dropped_note(columns, layout_fit, width))
    return True


def draw(columns: Sequence[Col], lines: list[list[list[str]]], shown: Sequence[int],
         widths: Sequence[int]) -> str:
    """The table as rich's Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False,
    padding=(0, 1, 0, 0), header_style="bold") prints it (pressctl.cli.tables._draw)."""
    out: list[str] = []
    last = len(shown) - 1
    pad = f"{_BOLD}{' ' * (GUTTER - 1)}{_RESET}{' '}"
    header = []
    for n, (index, size) in enumerate(zip(shown, widths, strict=True)):
        text = _cell(columns[index].header, size, "ellipsis")[0]
        header.append(f"{_BOLD}{text}{_RESET}" + (pad if n < last else ""))
    out.append("".join(header) + "\n")
    out.append(_RULE * (sum(widths) + chrome(len(widths))) + "\n")
    gap = " " * GUTTER
    for row in lines:
        cells = []
        for index, size in zip(shown, widths, strict=True):
            column = columns[index]
            content = "\n".join(broken(row[index], column.breaks, size, len))
            cells.append(_cell(content, size, "fold" if column.overflow == "wrap"
                               else "ellipsis"))
        height = max(len(cell) for cell in cells)
        blank = [" " * size for size in widths]
        for n in range(height):
            out.append(gap.join(cell[n] if n < len(cell) else blank[k]
                                for k, cell in enumerate(cells)) + "\n")
    return "".join(out)


def _cell(text: str, width: int, overflow: str) -> list[str]:
    """A cell's lines, each ``width`` wide: rich's Text.wrap with justify "left" and
    ``overflow`` ("fold": wrapped at spaces, long words folded; "ellipsis": not wrapped,
    cut with "…"), for one-cell characters."""
    found: list[str] = []
    for line in text.split("\n"):
        if overflow == "fold":
            parts = _divide(line, _divide_line(line, width))
            parts = [_rstrip_end(part, width) for part in parts]
        else:
            parts = [line]
        for part in parts:
            if len(part) > width:
                part = part[:width - 1] + _ELLIPSIS if overflow == "ellipsis" else part[:width]
            found.append(part.ljust(width))
    return found


def _divide_line(text: str, width: int) -> list[int]:
    """rich._wrap.divide_line(text, width, fold=True) for one-cell characters."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:  # folded across lines
            chunks = [word[i:i + width] for i in range(0, len(word), width)]
            for n, chunk in enumerate(chunks):
                if start:
                    breaks.append(start)
                if n == len(chunks) - 1:
                    offset = len(chunk)
                else:
                    start += len(chunk)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _divide(text: str, offsets: list[int]) -> list[str]:
    """rich's Text.divide: the text cut at ``offsets``."""
    if not offsets:
        return [text]
    bounds = [0, *offsets, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _rstrip_end(text: str, size: int) -> str:
    """rich's Text.rstrip_end: trailing whitespace beyond ``size`` removed."""
    if len(text) > size:
        match = _TRAILING_SPACE.search(text)
        if match is not None:
            return text[:len(text) - min(len(match.group(0)), len(text) - size)]
    return text

"""Tables that fit the terminal: every table the CLI prints goes through :func:`print_table`.

Each table declares its columns (:class:`Col`): a priority (1: what a press officer scans
first, never dropped) and the narrowest width at which a column is still readable. On a
terminal the table is laid out here, not by rich: the columns get their natural widths;
when that is too wide, the least important columns shrink (never below their readable
width), and when even that is too wide the least important columns are left out, with one
line on stderr naming them and how to see them (``--wide``, ``--columns``). Headers never
wrap: no column is narrower than its header. Rich then draws the table at exactly these
widths, so that nothing it decides can squeeze a name to nothing.

Not on a terminal (piped), a table is tab-separated text with every column (or those
``--columns`` picks): scripts get all the data whatever the width.

Imports neither typer nor rich at import time: command modules import this one at
start-up, and the fast `contacts list` (pressctl.cli.fast_list) prints through it without
typer. The shared options (``Wide``, ``Columns``) live in pressctl.cli.table_options and
are handed out from here on first use; a bad ``--columns`` imports typer to say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from rich.console import Console

    from pressctl.cli.table_options import Columns as Columns
    from pressctl.cli.table_options import Wide as Wide

# How a cell longer than its column is shown: wrapped onto more lines (at spaces, else
# folded), cut to one line with "…", or never cut (the column is as wide as its widest
# cell: times, ids, short codes).
Overflow = Literal["wrap", "ellipsis", "whole"]

GUTTER = 2  # spaces between two columns; no outer border: the width goes to the data


class Col(NamedTuple):
    """One column of a table, as the command declares it. (Named tuples, not dataclasses:
    command modules declare their columns at import, and a dataclass costs 0.6 ms each.)"""

    header: str
    priority: int = 2  # 1: never left out; the higher, the sooner it is left out
    min_width: int = 8  # narrowest readable width (a header is never cut: it counts too)
    overflow: Overflow = "wrap"
    key: str = ""  # another name --columns takes ("email" for "e-mail")
    breaks: str = ""  # a line too long may break after these ("@": an address in two)

    def named(self, name: str) -> bool:
        wanted = name.strip().lower()
        return wanted in (self.header.lower(), self.key.lower())

    @property
    def name(self) -> str:
        """The name the dropped-columns note and --columns' error use."""
        return self.key or self.header


class Layout(NamedTuple):
    """What the command line asked of a table: every column (--wide), or some (--columns)."""

    wide: bool = False
    columns: str | None = None  # "name,email,phone", as typed


def __getattr__(name: str) -> Any:
    """``Wide`` and ``Columns`` (typer's options), made when a command module first asks."""
    if name in ("Wide", "Columns"):
        from pressctl.cli import table_options

        return getattr(table_options, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def as_columns(columns: Sequence[str | Col], keep_whole: Sequence[str] = ()) -> list[Col]:
    """Columns given as bare headers become columns of their own: the first one is never
    left out, ``keep_whole`` ones are never cut."""
    return [c if isinstance(c, Col) else
            Col(c, priority=1 if i == 0 else 2, min_width=8,
                overflow="whole" if c in keep_whole else "wrap")
            for i, c in enumerate(columns)]


def pick(columns: Sequence[Col], asked: str | None) -> list[int]:
    """The indexes of the columns to show: all of them, or those ``--columns`` names in
    its order. An unknown name is a bad command line (exit 2), with the known names."""
    if asked is None:
        return list(range(len(columns)))
    chosen: list[int] = []
    for name in (n for n in asked.split(",") if n.strip()):
        index = next((i for i, c in enumerate(columns) if c.named(name)), None)
        if index is None:
            import typer  # only to say what is wrong: printing a table needs none

            known = ", ".join(c.name for c in columns)
            raise typer.BadParameter(f"no column {name.strip()!r} in this table; its "
                                     f"columns are: {known}", param_hint="'--columns'")
        if index not in chosen:
            chosen.append(index)
    if not chosen:
        import typer

        raise typer.BadParameter("name at least one column", param_hint="'--columns'")
    return chosen


# -- the layout (pure: widths in, widths out) -------------------------------------------------


def chrome(count: int) -> int:
    """The width a table of ``count`` columns spends between them."""
    return GUTTER * max(count - 1, 0)


def floor_width(column: Col, natural: int) -> int:
    """The narrowest this column may be: its whole width, or its readable width (if its
    cells need that much), and never narrower than its header."""
    header = _text_width(column.header)
    if column.overflow == "whole":
        return max(natural, header)
    return max(header, min(column.min_width, natural))


class Fit(NamedTuple):
    shown: list[int]  # indexes into the columns, in display order
    widths: list[int]  # one per shown column
    dropped: list[int]  # indexes left out to fit


def fit(columns: Sequence[Col], naturals: Sequence[int], shown: Sequence[int], width: int, *,
        words: Sequence[Sequence[int]] = (), may_drop: bool = True,
        may_shrink: bool = True) -> Fit:
    """Widths for the ``shown`` columns within ``width``.

    ``naturals`` are the columns' full widths; ``words`` the longest words of each column,
    once split at spaces, then also at its ``breaks``. First the columns that wrap give
    back width down to their longest word (a name on two lines loses nothing), then down
    to their longest piece (an address breaks after its "@"), then every column down to
    its floor (an address folds, a role is cut with "…"); at each stage the least
    important columns first, the widest of them first. If the floors do not fit, the
    least important columns (the rightmost of equal priority) are left out first.
    Priority-1 columns never are: if they alone do not fit, they keep their floors and
    the terminal wraps the lines."""
    kept = list(shown)
    floors = {i: floor_width(columns[i], naturals[i]) for i in kept}
    dropped: list[int] = []
    while may_drop and sum(floors[i] for i in kept) + chrome(len(kept)) > width:
        candidates = [i for i in kept if columns[i].priority > 1]
        if not candidates:
            break
        gone = max(candidates, key=lambda i: (columns[i].priority, kept.index(i)))
        kept.remove(gone)
        dropped.append(gone)
    widths = {i: max(naturals[i], floors[i]) for i in kept}
    stages = []  # the widths each column may shrink to, one stage after the other
    for longest in (words or ()):
        stages.append({i: max(floors[i], longest[i]) if columns[i].overflow == "wrap"
                       else widths[i] for i in kept})
    stages.append(floors)
    excess = sum(widths.values()) + chrome(len(kept)) - width
    levels = sorted({columns[i].priority for i in kept}, reverse=True)
    for limits in stages if may_shrink else ():
        for priority in levels:
            level = [i for i in kept if columns[i].priority == priority]
            while excess > 0:  # the widest of this level gives a character back, again
                room = [i for i in level if widths[i] > limits[i]]
                if not room:
                    break
                widest = max(room, key=lambda i: widths[i])
                widths[widest] -= 1
                excess -= 1
    return Fit(kept, [widths[i] for i in kept], sorted(dropped))


# -- printing ----------------------------------------------------------------------------------


def print_table(columns: Sequence[Col], rows: Sequence[Sequence[Any]], *, terminal: bool,
                console: Console | None = None, title: str | None = None,
                layout: Layout | None = None,
                note: Callable[[str], None] | None = None) -> None:
    """Print ``rows`` under ``columns``: laid out for the terminal, else tab-separated.
    ``note`` receives the one line saying which columns were left out (stderr)."""
    layout = layout or Layout()
    shown = pick(columns, layout.columns)
    if not terminal:  # one writer of tab-separated tables: streamed's, which lists use too
        from pressctl.cli.streamed import write_tab_separated  # it imports this module

        write_tab_separated(columns, rows, layout)
        return
    assert console is not None
    lines = [[cell_lines(row[i]) for i in range(len(columns))] for row in rows]
    naturals = [max([_text_width(c.header)] + [_text_width(t) for r in lines for t in r[i]])
                for i, c in enumerate(columns)]
    words = [[max([0] + [_text_width(w) for r in lines for t in r[i]
                         for w in pieces(t, c.breaks if at_breaks else "").split()])
              for i, c in enumerate(columns)]
             for at_breaks in (False, True)]
    width = console.width
    chosen = layout.columns is not None
    layout_fit = fit(columns, naturals, shown, width, words=words,
                     may_drop=not (layout.wide or chosen), may_shrink=not layout.wide)
    _draw(console, columns, lines, layout_fit, title, width)
    if layout_fit.dropped and note is not None:
        note(dropped_note(columns, layout_fit, width))


def dropped_note(columns: Sequence[Col], layout_fit: Fit, width: int) -> str:
    """"Not shown at 80 columns: kind, role, phone (--wide shows all; --columns
    name,organisation,phone picks)": the example keeps the first two readable columns
    and brings back the most important one left out."""
    dropped = [columns[i] for i in layout_fit.dropped]
    kept = [columns[i] for i in layout_fit.shown]
    readable = [c for c in kept if c.overflow != "whole"]
    readable += [c for c in kept if c not in readable]
    back = min(dropped, key=lambda c: c.priority)
    example = ",".join(c.name for c in [*readable[:2], back])
    return (f"Not shown at {width} columns: {', '.join(c.name for c in dropped)} "
            f"(--wide shows all; --columns {example} picks)")


def _draw(console: Console, columns: Sequence[Col], lines: list[list[list[str]]], layout_fit: Fit,
          title: str | None, width: int) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, padding=(0, GUTTER - 1, 0, 0), header_style="bold")
    for index, size in zip(layout_fit.shown, layout_fit.widths, strict=True):
        column = columns[index]
        table.add_column(column.header, width=size, min_width=size, max_width=size,
                         no_wrap=column.overflow != "wrap",
                         overflow="fold" if column.overflow == "wrap" else "ellipsis")
    for row in lines:
        table.add_row(*(escape("\n".join(broken(row[i], columns[i].breaks, size)))
                        for i, size in zip(layout_fit.shown, layout_fit.widths, strict=True)))
    total = sum(layout_fit.widths) + chrome(len(layout_fit.shown))
    if total > width:  # asked for (--wide, --columns): the terminal wraps or scrolls
        from rich.console import Console

        console = Console(file=console.file, width=total, no_color=console.no_color,
                          highlight=False, force_terminal=console.is_terminal)
    console.print(table)


def pieces(line: str, breaks: str) -> str:
    """``line`` with a space after each of ``breaks``: where it may be broken."""
    for char in breaks:
        line = line.replace(char, char + " ")
    return line


def broken(lines: list[str], breaks: str, width: int,
           measure: Callable[[str], int] | None = None) -> list[str]:
    """The lines wider than ``width`` broken at spaces or after ``breaks`` (rich folds
    what is still too wide): "harriet.pennington@" above "orbit-weekly.example.com".
    ``measure``: the width of a text (rich's, unless the caller knows better)."""
    if not breaks:
        return lines
    measure = measure or _text_width
    out: list[str] = []
    for line in lines:
        if measure(line) <= width:
            out.append(line)
            continue
        pieces, last = [], ""
        for char in line:  # each piece ends with a space or a break
            last += char
            if char == " " or char in breaks:
                pieces.append(last)
                last = ""
        current = ""
        for piece in [*pieces, last]:
            if current and measure((current + piece).rstrip()) > width:
                out.append(current.rstrip())
                current = ""
            current += piece
        out.append(current.rstrip())
    return out


def cell_lines(value: Any) -> list[str]:
    """A cell's lines: a list is one item a line, other values one line."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value] or [""]
    text = value if isinstance(value, str) else plain(value)
    return text.split("\n")


def plain(value: Any) -> str:
    """A cell as plain text (tab-separated output): lists joined with ", "."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    return str(value).replace("\n", " ")


def _text_width(text: str) -> int:
    if text.isascii() and text.isprintable():  # one cell a character (rich.cells: ~5 ms)
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)

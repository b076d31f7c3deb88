"""The terminal's table drawn without rich (pressctl.cli.plain_table) is what rich draws,
byte for byte: a differential test over many random tables (the contact list's columns
and others), terminal widths, layouts (--wide, --columns) and colour settings, against
pressctl.cli.tables.print_table on a rich Console that believes it is a terminal. And
whatever it is not sure of, it leaves to rich, having written nothing."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console

from pressctl.cli import plain_table
from pressctl.cli.tables import Col, Layout, print_table
from pressctl.cli.views import CONTACT_COLUMNS

OTHER_COLUMNS = (
    Col("when", priority=1, overflow="whole"),
    Col("kind", priority=1, overflow="whole"),
    Col("release", priority=2, min_width=10),
    Col("detail", priority=1, min_width=20, breaks="@"),
    Col("note", priority=3, min_width=6, overflow="ellipsis"),
)
WORDS = ["Anne", "Lefèvre-Roux", "journalist", "Orbit", "Weekly", "de", "l'Espace", "Ü",
         "anne.lefevre@orbit-weekly.example.com", "x", "+33 1 44 76 75 39", "[mobile]",
         "[fax]", "[1]", "a[b]", "São", "Paulo", "ÆØÅ", "naïve", "supercalifragilistic" * 3,
         "a.b@c", "@", "", "-", "...", "Ǆ", "ʼ", "'quoted'", '"double"', "&", "<x>", "]",
         "[/b]", "[bold]"]


def _text(rng: random.Random) -> str:
    words = [w for w in (rng.choice(WORDS) for _ in range(rng.randint(0, 6))) if w]
    text = ""
    for word in words:
        text += word + rng.choice([" ", " ", "  ", "", "\u00a0" if rng.random() < 0.05 else " "])
    return text if rng.random() < 0.7 else text.strip()


def _cell(rng: random.Random):
    roll = rng.random()
    if roll < 0.1:
        return None
    if roll < 0.25:
        return [_text(rng) for _ in range(rng.randint(0, 3))]
    if roll < 0.3:
        return rng.randint(0, 10 ** rng.randint(1, 7))
    return _text(rng)


def _rich(columns, rows, width: int, layout: Layout, no_color: bool, system: str):
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, no_color=no_color,
                      highlight=False, color_system=system)
    notes: list[str] = []
    print_table(columns, rows, terminal=True, console=console, layout=layout,
                note=notes.append)
    return out.getvalue(), notes


def _plain(columns, rows, width: int, layout: Layout):
    out: list[str] = []
    notes: list[str] = []
    drawn = plain_table.print_table(columns, rows, layout=layout, width=width,
                                    write=out.append, note=notes.append)
    return drawn, "".join(out), notes


@pytest.mark.parametrize("seed", range(40))
def test_the_plain_table_is_what_rich_draws(seed, monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    rng = random.Random(seed)
    drawn_count = 0
    for _ in range(25):
        columns = rng.choice([CONTACT_COLUMNS, OTHER_COLUMNS])
        rows = [[_cell(rng) for _ in columns] for _ in range(rng.randint(0, 12))]
        width = rng.choice([20, 40, 60, 79, 80, 100, 120, 150, 200, 250])
        names = [c.name for c in columns]
        layout = rng.choice([Layout(), Layout(), Layout(wide=True),
                             Layout(columns=",".join(rng.sample(names, rng.randint(1, 3))))])
        system = rng.choice(["standard", "256", "truecolor"])
        no_color = rng.random() < 0.3
        drawn, text, notes = _plain(columns, rows, width, layout)
        assert drawn, rows  # only one-cell characters here: it always draws
        drawn_count += 1
        assert (text, notes) == _rich(columns, rows, width, layout, no_color, system), \
            (rows, width, layout)
    assert drawn_count == 25


def test_the_sample_like_rows_are_drawn_at_every_width(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    rows = [(7, "Anaïs Gauthier", "journalist", "Health reporter", "Santé Hebdo",
             ["anais.gauthier@sante-hebdo.example.org"], ["05 36 49 07 42"],
             "health,radiology", "fr", ""),
            (18, "Ethan Caldwell", "journalist", "Washington correspondent",
             "The Capitol Science Report", ["ethan.caldwell@capitol-science.example.com"],
             ["+1 202-555-0143", "+1 202-555-0178 [mobile]"], "space,science,defence", "en",
             "embargo-ok")]
    for width in range(10, 260):
        drawn, text, notes = _plain(CONTACT_COLUMNS, rows, width, Layout())
        assert drawn
        assert (text, notes) == _rich(CONTACT_COLUMNS, rows, width, Layout(), False, "256")


@pytest.mark.parametrize("text", [
    "Zoë :rocket: launch",  # an emoji code to rich
    "back\\slash",  # markup escapes
    "王小明",  # two cells a character
    "e\u0301",  # a combining accent: no cell
    "soft\u00adhyphen",
    "tab\there",
    "Ω omega",  # beyond U+02FF
    "en — dash",
])
def test_what_it_is_not_sure_of_is_left_to_rich_with_nothing_written(text):
    rows = [(1, text, "other", None, None, [], [], "", "", "")]
    drawn, written, notes = _plain(CONTACT_COLUMNS, rows, 200, Layout())
    assert (drawn, written, notes) == (False, "", [])


class _Tty(io.StringIO):
    def __init__(self, encoding: str = "utf-8") -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("env", "width"), [
    ({"COLUMNS": "120"}, 120),
    ({"COLUMNS": "120", "LINES": "40"}, 120),
    ({"COLUMNS": "0"}, None),
    ({"COLUMNS": "wide"}, None),
    ({"COLUMNS": "99", "TERM": "dumb"}, None),
    ({"COLUMNS": "99", "TERM": "unknown"}, None),
    ({"COLUMNS": "99", "FORCE_COLOR": "1"}, None),
    ({"COLUMNS": "99", "TTY_COMPATIBLE": "1"}, None),
    ({"COLUMNS": "99", "NO_COLOR": "1"}, 99),
])
def test_the_terminal_width_is_rich_s_or_rich_draws(env, width):
    assert plain_table.terminal_width(env, _Tty()) == width
    if width is not None:
        assert Console(file=_Tty(), _environ=env).width == width


def test_a_pipe_or_another_encoding_is_left_to_rich():
    assert plain_table.terminal_width({"COLUMNS": "80"}, io.StringIO()) is None
    assert plain_table.terminal_width({"COLUMNS": "80"}, _Tty("latin-1")) is None

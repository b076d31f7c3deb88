"""Reduce a release's HTML or Markdown to logical text lines for contact extraction.

Contact blocks are laid out with table cells, line breaks and runs of spaces, and those
boundaries are what tells one field from the next. So they survive: a tab between fields
(cells, bold runs, column-aligning spaces) and a new line between records (<br>, <tr>,
<li>), a blank line between blocks (<p>, <table>, headings). Tags, entities and Markdown
syntax go. Each line keeps the 1-based source line it came from, so a proposed contact can
point back into the file.

Pure functions on strings. HTML is read by the stdlib's html.parser, Markdown by
markdown-it (whose tokens carry their source lines), plain text line by line. This is the
only module of the contact domain that imports markdown_it; it is imported only by the
`contacts extract` command, so it costs nothing at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass(frozen=True, slots=True)
class TextLine:
    """One logical line: fields separated by tabs; ``text == ""`` is a block boundary."""

    number: int
    text: str
    heading: bool = False


_SKIPPED = frozenset(["script", "style", "head", "title", "noscript", "template", "svg"])
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# Paragraph-like elements separate blocks; a <div> only starts a line because sites nest
# one <div> per field inside one <div> per person.
_BLOCKS = frozenset(
    ["p", "table", "thead", "tbody", "tfoot", "ul", "ol", "dl", "section", "article",
     "header", "footer", "main", "aside", "nav", "blockquote", "address", "form", "figure",
     "hr", "pre", "body", "html", "center"]
)
_LINES = frozenset(["br", "tr", "li", "dt", "dd", "caption", "div"])
_CELLS = frozenset({"td", "th"})
_BOLD = frozenset({"b", "strong"})  # a bold run is a name or a label: it ends a field

_HTML_HINT = re.compile(
    r"</?(?:a|b|strong|i|em|u|span|font|br|p|div|td|th|tr|table|tbody|thead|li|ul|ol|"
    r"h[1-6]|small|sup|sub|img|hr|address|section|center)\b[^<>]*>"
    r"|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);",
    re.IGNORECASE,
)
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
_ODD_SPACES = "\u00a0\u2007\u2009\u202f\u3000"
_COLUMN_GAP = re.compile(f"[ {_ODD_SPACES}]{{2,}}")  # aligned columns, as in seed 002
_ODD_SPACE = re.compile(f"[{_ODD_SPACES}]")
_TAB_RUN = re.compile(r" *\t[\t ]*")


def tidy(text: str) -> str:
    """Runs of spaces become one tab (a field gap); odd spaces become plain ones."""
    text = _COLUMN_GAP.sub("\t", text.translate(_INVISIBLE))
    return _TAB_RUN.sub("\t", _ODD_SPACE.sub(" ", text)).strip(" \t")


def link_field(href: str, label: str) -> str:
    """What a mailto:/tel: link contributes: the target, plus a label that names someone.

    The href wins over the link text ("Write to us", a stale address); a person's name
    as link text is kept as a field of its own.
    """
    scheme, _, target = href.partition(":")
    target = unquote(target.split("?")[0]).strip()
    label = tidy(label)
    if scheme.strip().lower() == "mailto":
        words = label.split()
        # Link text worth keeping beside the address: two to five capitalised words, the
        # way a person's or an office's name is written ("Write to us", "E-mail" are not).
        if 2 <= len(words) <= 5 and words[0][0].isupper() and words[-1][0].isupper():
            return f"\t{label}\t{target}\t"
        return f"\t{target}\t"
    if sum(ch.isdigit() for ch in label) >= 6:  # the number as written, with its layout
        return f"\t{label}\t"
    return f"\tTel: {target}\t"


class _HtmlLines(HTMLParser):
    """Collects logical lines; ``inline`` is for tags inside a Markdown or text line."""

    def __init__(self, *, inline_line: int | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[TextLine] = []
        self._inline_line = inline_line
        self._parts: list[str] = []
        self._number: int | None = None
        self._heading = self._skip = self._pre = 0
        self._cell_lines = False  # the current cell has line breaks: it is a block itself
        self._link: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # recovers from a <head> that was never closed
            self._skip = 0
        if tag in _SKIPPED:
            self._skip += 1
        if self._skip:
            return
        if tag in _HEADINGS:
            self._break(blank=True)
            self._heading += 1
        elif tag in _BLOCKS:
            self._break(blank=True)
        elif tag in _LINES:
            self._break()
        elif tag in _CELLS:
            self._add("\t")
            self._cell_lines = False
        elif tag in _BOLD:
            self._add("\t")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            if href.lower().startswith(("mailto:", "tel:")):
                self._link = (href, [])
                self._mark_line(self.getpos()[0])
        self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "a" and self._link is not None:
            href, label = self._link
            self._link = None
            self._add(link_field(href, "".join(label)))
        elif tag in _HEADINGS:
            self._flush()
            self._heading = max(0, self._heading - 1)
            self._break(blank=True)
        elif tag in _BLOCKS:
            self._break(blank=True)
        elif tag in _LINES and tag != "br":  # <br/> reports an end tag too
            self._break()
        elif tag in _CELLS and self._cell_lines:
            self._break(blank=True)  # one person per cell, side by side: not one row
        elif tag in _CELLS or tag in _BOLD:
            self._add("\t")
        self._pre = max(0, self._pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._link is not None:
            self._link[1].append(data)
            return
        if self._inline_line is not None:  # one source line: its tabs and runs matter
            self._add(data, self.getpos()[0])
            return
        line = self.getpos()[0]
        if self._pre:
            for offset, piece in enumerate(data.split("\n")):
                if offset:
                    self._break()
                self._add(piece, line + offset)
            return
        stripped = data.lstrip()
        if stripped:
            line += data[: len(data) - len(stripped)].count("\n")
        self._add(re.sub(r"[ \t\r\n\f]+", " ", data), line)

    def finish(self) -> list[TextLine]:
        self.close()
        if self._link is not None:  # an unclosed mailto link still yields its address
            href, label = self._link
            self._link = None
            self._add(link_field(href, "".join(label)))
        self._flush()
        return self.lines

    def _mark_line(self, line: int) -> None:
        if self._number is None:
            self._number = self._inline_line or line

    def _add(self, text: str, line: int | None = None) -> None:
        if text.strip():
            self._mark_line(line if line is not None else self.getpos()[0])
        self._parts.append(text)

    def _flush(self) -> None:
        text = tidy("".join(self._parts))
        if text:
            assert self._number is not None
            self.lines.append(TextLine(self._number, text, self._heading > 0))
        self._parts = []
        self._number = None

    def _break(self, blank: bool = False) -> None:
        self._cell_lines = True
        self._flush()
        if blank and self.lines and self.lines[-1].text:
            self.lines.append(TextLine(self.lines[-1].number, ""))


def html_lines(markup: str) -> list[TextLine]:
    """A whole HTML document (or a fragment of one) as logical lines."""
    parser = _HtmlLines()
    parser.feed(markup)
    return parser.finish()


# --------------------------------------------------------------------------- text and Markdown

_ANGLE_ADDRESS = re.compile(r"<(?:mailto:)?([^<>\s@]+@[^<>\s]+)>", re.IGNORECASE)
_ANGLE_URL = re.compile(r"<((?:https?|ftp)://[^<>\s]+)>", re.IGNORECASE)
_BREAKS = frozenset({"softbreak", "hardbreak"})


def _reduce(line: str, number: int, *, markup: bool, heading: bool = False
            ) -> list[TextLine]:
    """One source line's logical lines, its tags reduced when it has some (``markup``);
    ``[TextLine(number, "")]`` when nothing is left: a block boundary."""
    if markup:
        parser = _HtmlLines(inline_line=number)
        parser.feed(line)
        pieces = [piece.text for piece in parser.finish()]
    else:
        pieces = [tidy(line)]
    pieces = [piece for piece in pieces if piece] or [""]
    return [TextLine(number, piece, heading and bool(piece)) for piece in pieces]


def text_lines(text: str) -> list[TextLine]:
    """Plain text, one source line at a time; a line that looks like HTML is reduced as
    such, but <address> and <https://...> are not tags."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = _ANGLE_URL.sub(r" \1 ", _ANGLE_ADDRESS.sub("\t\\1\t", line))
        lines += _reduce(line, number, markup=bool(_HTML_HINT.search(line)))
    return lines


@dataclass(slots=True)
class _MarkdownLine:
    """What Markdown leaves of one source line: text, and raw HTML kept for _HtmlLines."""

    parts: list[tuple[bool, str]] = field(default_factory=list)  # (is raw HTML, text)
    heading: bool = False

    def add(self, text: str, *, raw: bool = False) -> None:
        self.parts.append((raw, text))

    def reduce(self, number: int) -> list[TextLine]:
        if not any(raw for raw, _ in self.parts):
            return _reduce("".join(text for _, text in self.parts), number, markup=False,
                           heading=self.heading)
        # markdown-it has decoded the entities of the text: escape it again, or a "&lt;b&gt;"
        # written in the release would become a tag in the HTML parser.
        line = "".join(text if raw else escape(text, quote=False) for raw, text in self.parts)
        return _reduce(line, number, markup=True, heading=self.heading)


def markdown_lines(text: str) -> list[TextLine]:
    """Markdown, one source line at a time, read by markdown-it: its block tokens say which
    source lines a paragraph, heading, list item or table row spans (``token.map``), and a
    line break inside a paragraph is a token of its own, so each line keeps its number.

    What goes: markers of headings, lists, quotes, emphasis and code; rules, table
    delimiter rows and setext underlines (left as block boundaries); images. What stays as
    a field boundary (a tab): table cells, bold runs, mailto:/tel: links (their target,
    see :func:`link_field`). Raw HTML is reduced by the same parser as an HTML release,
    one line at a time; code is kept as plain text.
    """
    # splitlines' notion of a line (\v, \f, \u2028 ...) is the one every format numbers by.
    raw_lines = text.splitlines()
    found: dict[int, _MarkdownLine] = {}  # 0-based source line -> what is left of it
    heading = False
    for token in _markdown().parse("\n".join(raw_lines)):
        start, end = token.map or (0, 0)
        if token.type == "heading_open":
            heading = True
        elif token.type == "heading_close":
            heading = False
        elif token.type == "inline" and token.children is not None:
            _inline_lines(token.children, start, found, heading)
        elif token.type == "html_block":  # each line alone, with its Markdown (seed 000)
            for offset, line in enumerate(token.content.split("\n")[:end - start]):
                _inline_lines(_markdown().parseInline(line)[0].children or [], start + offset,
                              found, False)
        elif token.type in ("code_block", "fence"):
            first = start + (token.type == "fence")  # after the opening ``` line
            for offset, line in enumerate(token.content.split("\n")[:-1]):
                found.setdefault(first + offset, _MarkdownLine()).add(line)
    lines: list[TextLine] = []
    for index in range(len(raw_lines)):
        kept = found.get(index)
        lines.extend(kept.reduce(index + 1) if kept else [TextLine(index + 1, "")])
    return lines


def _inline_lines(children: list[Token], first: int, found: dict[int, _MarkdownLine],
                  heading: bool) -> None:
    """Spread one inline token's children over the source lines from ``first`` on. Cells
    of one table row share their line, a tab apart."""
    line = first
    current = found.get(line)
    if current is None:
        current = found[line] = _MarkdownLine(heading=heading)
    elif current.parts:
        current.add("\t")  # the next cell of a table row
    index = 0
    while index < len(children):
        child = children[index]
        index += 1
        if child.type in _BREAKS:
            line += 1
            current = found.setdefault(line, _MarkdownLine(heading=heading))
        elif child.type in ("text", "code_inline"):
            current.add(child.content)
        elif child.type in ("strong_open", "strong_close"):
            current.add("\t")  # a bold run is a name or a label, as <b> in HTML
        elif child.type == "html_inline":
            current.add(child.content, raw=True)
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if href.lower().startswith(("mailto:", "tel:")):
                label, breaks, index = _link_label(children, index)
                current.add(link_field(href, label))
                for _ in range(breaks):  # a label over several lines: keep them counted
                    line += 1
                    current = found.setdefault(line, _MarkdownLine(heading=heading))
            elif child.markup == "autolink":
                current.add(" ")  # <https://...>: the address, apart from its neighbours
        elif child.type == "link_close" and child.markup == "autolink":
            current.add(" ")
        # emphasis, strikethrough and images leave nothing: their text is the children's


def _link_label(children: list[Token], index: int) -> tuple[str, int, int]:
    """(the link's text, how many line breaks it spans, the index after its link_close)."""
    label: list[str] = []
    breaks = 0
    while index < len(children) and children[index].type != "link_close":
        child = children[index]
        if child.type in _BREAKS:
            breaks += 1
            label.append(" ")
        elif child.type in ("text", "code_inline"):
            label.append(child.content)
        index += 1
    return "".join(label), breaks, index + 1


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML (releases carry <b> and <a>), plus GFM tables and ~~strike~~.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


# --------------------------------------------------------------------------- format

_HTML_DOCUMENT = re.compile(r"<!doctype\s+html|<(?:html|body|head)\b", re.IGNORECASE)
_HTML_STRUCTURE = re.compile(r"<(?:p|div|table|tr|td|br|li|h[1-6])\b[^<>]*>", re.IGNORECASE)
_MARKDOWN_SYNTAX = re.compile(
    r"^\s{0,3}#{1,6}\s|\*\*\S|__\S|\]\([^)]*\)|^\s{0,3}(?:-{3,}|\*{3,})\s*$|^\s*\|.*\|\s*$",
    re.MULTILINE,
)


def detect_format(text: str, filename: str | None = None) -> str:
    """"html", "markdown" or "text": an .html/.md name decides, else the content does."""
    base = (filename or "").replace("\\", "/").rpartition("/")[2]
    suffix = "." + base.rpartition(".")[2].lower() if "." in base else ""
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown", ".mdown", ".mkd"):
        return "markdown"
    if _HTML_DOCUMENT.search(text[:5000]):
        return "html"
    markdown = len(_MARKDOWN_SYNTAX.findall(text))
    # Markdown may carry inline HTML (seed 000: <b> and <a> in "## " sections), so tags
    # only make it HTML when no Markdown syntax is around them.
    if len(_HTML_STRUCTURE.findall(text)) >= 2 and markdown == 0:
        return "html"
    return "markdown" if markdown else "text"


def release_lines(text: str, kind: str) -> list[TextLine]:
    """``text`` of the given format ("html", "markdown", "text") as logical lines."""
    if kind == "html":
        return html_lines(text)
    return markdown_lines(text) if kind == "markdown" else text_lines(text)

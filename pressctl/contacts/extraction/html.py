"""Reduce a release's HTML or Markdown to logical text lines for contact extraction.

Contact blocks are laid out with table cells, line breaks and runs of spaces, and those
boundaries are what tells one field from the next. So they survive: a tab between fields
(cells, bold runs, column-aligning spaces) and a new line between records (<br>, <tr>,
<li>), a blank line between blocks (<p>, <table>, headings). Tags, entities and Markdown
syntax go. Each line keeps the 1-based source line it came from, so a proposed contact can
point back into the file. Pure functions on strings; the stdlib html.parser only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote


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
    ["p", "table", "thead", "tbody", "tfoot", "ul", "ol", "dl", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote", "address", "form", "figure", "hr", "pre", "body", "html", "center"]
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


# --------------------------------------------------------------------------- Markdown

_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_QUOTE_OR_ITEM = re.compile(r"^\s*(?:>\s?)*(?:(?:[-*+•]|\d{1,2}[.)])\s+)?")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_STRONG = re.compile(r"(?<!\w)(\*\*|__)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"
)
_CODE_OR_STRIKE = re.compile(r"`+([^`]*)`+|~~(.+?)~~")
_ANGLE_ADDRESS = re.compile(r"<(?:mailto:)?([^<>\s@]+@[^<>\s]+)>", re.IGNORECASE)
_ANGLE_URL = re.compile(r"<((?:https?|ftp)://[^<>\s]+)>", re.IGNORECASE)
_ESCAPED_BASE = 0xE000  # private-use code points hold escaped characters meanwhile


def _markdown_inline(line: str) -> str:
    line = _ESCAPE.sub(lambda m: chr(_ESCAPED_BASE + ord(m.group(1))), line)
    line = _IMAGE.sub("", line)

    def link(match: re.Match[str]) -> str:
        label, href = match.group(1), match.group(2)
        if href.lower().startswith(("mailto:", "tel:")):
            return link_field(href, label)
        return label

    line = _REFERENCE_LINK.sub(r"\1", _LINK.sub(link, line))
    line = _STRONG.sub("\t\\2\t", line)
    line = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), line)
    line = _CODE_OR_STRIKE.sub(lambda m: m.group(1) or m.group(2) or "", line)
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group()) - _ESCAPED_BASE), line)


def source_lines(text: str, *, markdown: bool) -> list[TextLine]:
    """Plain text or Markdown, one source line at a time (inline HTML is reduced too)."""
    raw_lines = text.splitlines()
    lines: list[TextLine] = []
    setext = set()
    if markdown:
        for index in range(1, len(raw_lines)):
            above = raw_lines[index - 1]
            if (_SETEXT_UNDERLINE.match(raw_lines[index]) and above.strip()
                    and not _RULE.match(above) and not _SETEXT_UNDERLINE.match(above)):
                setext.add(index - 1)
    for index, raw in enumerate(raw_lines):
        number, heading, line = index + 1, index in setext, raw
        if markdown:
            if index - 1 in setext or _RULE.match(line) or _TABLE_DELIMITER.match(line):
                line = ""
            elif found := _ATX_HEADING.match(line):
                line, heading = found.group(1), True
            line = line[_QUOTE_OR_ITEM.match(line).end():]
            if line.strip().startswith("|") and line.strip().endswith("|"):
                line = line.strip().strip("|").replace("|", "\t")
            line = _markdown_inline(line)
        line = _ANGLE_URL.sub(r" \1 ", _ANGLE_ADDRESS.sub("\t\\1\t", line))
        if _HTML_HINT.search(line):
            parser = _HtmlLines(inline_line=number)
            parser.feed(line)
            pieces = [piece.text for piece in parser.finish()]
        else:
            pieces = [tidy(line)]
        pieces = [piece for piece in pieces if piece] or [""]
        lines.extend(TextLine(number, piece, heading and bool(piece)) for piece in pieces)
    return lines


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
    return source_lines(text, markdown=kind == "markdown")

"""A release body's Markdown as the two parts of a message: HTML (markdown_to_html) and
plain text (markdown_to_text), and the images it shows (markdown_images).

The body is CommonMark plus tables, read by markdown-it with raw HTML off: HTML in the
Markdown shows as text, and javascript: or data: links are dropped. The HTML carries
inline styles only (many mail clients drop ``<style>`` blocks), and an image shows from
the ``cid:`` part the caller gives it, never from the file name the author wrote.

This is not templating's job: the templates embed ``body_html`` and ``body_text`` as
values the caller computed (pressctl.releases.rendering). Kept apart, neither module
loads the other's library (each takes ~45 ms to import): this one imports markdown_it
and markupsafe, never jinja2, so reading a body's images (images.image_problems, for
``release check``) does not load Jinja2. So TEXT_WIDTH and the heading underline are
written again here rather than imported from templating; a test keeps them the same.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from markupsafe import Markup, escape

TEXT_WIDTH = 72  # the text part's width

_CELL = "border:1px solid #cccccc;padding:4px 8px;vertical-align:top;"
_STYLES = {  # inline styles: many mail clients drop <style> blocks
    **{f"h{n}": f"margin:1.2em 0 0.5em 0;line-height:1.3;font-size:{size}px;"
       for n, size in zip(range(1, 7), (22, 19, 17, 15, 15, 15), strict=True)},
    "p": "margin:0 0 1em 0;", "li": "margin:0 0 0.3em 0;",
    "ul": "margin:0 0 1em 0;padding:0 0 0 1.5em;", "ol": "margin:0 0 1em 0;padding:0 0 0 1.5em;",
    "blockquote": "margin:0 0 1em 0;padding:0 0 0 1em;border-left:3px solid #cccccc;",
    # a long URL breaks anywhere rather than push a phone's screen sideways
    "a": "color:#1a5490;text-decoration:underline;word-break:break-word;overflow-wrap:anywhere;",
    # a wide table scrolls inside the column (display:block), never the whole message
    "table": "border-collapse:collapse;margin:0 0 1em 0;display:block;max-width:100%;"
             "overflow-x:auto;",
    "th": _CELL + "background-color:#f2f2f2;text-align:left;", "td": _CELL,
    "code": "font-family:Consolas,Menlo,monospace;font-size:90%;overflow-wrap:anywhere;",
    "pre": "margin:0 0 1em 0;white-space:pre-wrap;overflow-wrap:anywhere;",
    "hr": "border:0;border-top:1px solid #cccccc;margin:1.5em 0;",
    "img": "display:block;max-width:100%;height:auto;border:0;",
    "figure": "margin:0 0 1em 0;",
}
_CAPTION = "margin:4px 0 0 0;font-size:13px;line-height:1.4;color:#555555;"
MAX_IMAGE_WIDTH = 640  # the column: an Outlook that ignores max-width still fits


@dataclass(frozen=True, slots=True)
class BodyImage:
    """An image of a Markdown body, ``![caption](src)``."""

    src: str  # as markdown-it normalised it (percent-encoded): the key of markdown_to_html's map
    path: str  # the same, decoded: a file name relative to the release file
    caption: str  # the alt text, as plain text
    line: int  # the body's line it is on, from 0


@dataclass(frozen=True, slots=True)
class ShownImage:
    """Where an image of the body is shown from: a ``cid:`` URL, and its width in pixels."""

    url: str
    width: int | None = None


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("image", _render_image)
    return md


def markdown_images(markdown: str) -> list[BodyImage]:
    """Every image of ``markdown`` in order, with the line it is on (a line break inside a
    paragraph moves it down one)."""
    found = []
    for token in _markdown().parse(markdown):
        if token.type != "inline" or not token.children:
            continue
        line = token.map[0] if token.map else 0
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                caption = " ".join(_plain(child.children or []).split())
                found.append(BodyImage(src, unquote(src), caption, line))
    return found


def markdown_to_html(markdown: str, images: Mapping[str, ShownImage] | None = None) -> Markup:
    """HTML for an e-mail: CommonMark plus tables. Raw HTML in the Markdown shows as text,
    and javascript: or data: links are dropped, as markdown-it does. Inline styles only.

    An image shows from ``images[src]`` (a ``cid:`` part of the message), its caption as
    alt text and under it: a paragraph holding only an image becomes a figure with a
    figcaption. An image ``images`` does not have shows its caption alone, never a broken
    ``<img>`` (the caller checks the files first: pressctl.releases.images)."""
    md = _markdown()
    tokens = md.parse(markdown)
    for position, token in enumerate(tokens):
        children = [c for c in token.children or () if c.type != "softbreak"
                    and not (c.type == "text" and not c.content.strip())]
        if (token.type == "inline" and len(children) == 1 and children[0].type == "image"
                and 0 < position < len(tokens) - 1
                and tokens[position - 1].type == "paragraph_open"):
            children[0].meta["figure"] = True
            tokens[position - 1].tag = tokens[position + 1].tag = "figure"
        for styled in [token, *(token.children or ())]:
            style = _STYLES.get(styled.tag)
            if style and styled.nesting != -1:
                # markdown-it's own style (a column's text-align) comes last and wins
                styled.attrSet("style", style + str(styled.attrGet("style") or ""))
    return Markup(md.renderer.render(tokens, md.options, {"images": images or {}}))


def _plain(children: list) -> str:
    """The text of an image's alt tokens, markers dropped (as markdown-it's alt text)."""
    return "".join(child.content if child.type in ("text", "code_inline")
                   else " " if child.type in ("softbreak", "hardbreak")
                   else _plain(child.children or []) for child in children)


def _render_image(self: Any, tokens: list, idx: int, options: Any, env: dict) -> str:
    token = tokens[idx]
    caption = " ".join(_plain(token.children or []).split())
    shown = env["images"].get(str(token.attrGet("src") or ""))
    figure = token.meta.get("figure", False)
    tag = "figcaption" if figure else "span"
    below = (f'<{tag} class="caption" style="display:block;{_CAPTION}">{escape(caption)}</{tag}>'
             if caption else "")  # the class: for the templates' dark-mode rule
    if shown is None:
        return below
    width = f' width="{min(shown.width, MAX_IMAGE_WIDTH)}"' if shown.width else ""
    return (f'<img src="{escape(shown.url)}" alt="{escape(caption)}"{width} '
            f'style="{_STYLES["img"]}">{below}')


def markdown_to_text(markdown: str, width: int = TEXT_WIDTH) -> str:
    """Plain text of the same Markdown, wrapped at ``width``. Headings 1 and 2 are
    underlined and lower ones uppercased. Lists use "- " and "1. ". Links read
    "text <url>", emphasis markers are dropped and tables are aligned in columns. No
    newline at the end: the template places the text."""
    lines = _blocks(SyntaxTreeNode(_markdown().parse(markdown)).children, width, tight=False)
    return "\n".join(lines).strip("\n")


def _blocks(children: list[SyntaxTreeNode], width: int, tight: bool) -> list[str]:
    lines: list[str] = []
    for block in filter(None, (_block(node, max(width, 20)) for node in children)):
        lines.extend(([] if tight or not lines else [""]) + block)
    return lines


def _block(node: SyntaxTreeNode, width: int) -> list[str]:
    kind = node.type
    if kind == "paragraph":
        return _fill(_inline(node), width)
    if kind == "heading":
        lines = _fill(_inline(node), width)
        if lines and node.tag in ("h1", "h2"):  # as templating's underline filter does
            return [*lines, ("=" if node.tag == "h1" else "-") * max(map(len, lines))]
        return [line.upper() for line in lines]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, width)
    if kind == "blockquote":
        return [f"> {line}".rstrip() for line in _blocks(node.children, width - 2, False)]
    if kind in ("fence", "code_block"):
        return ["    " + line if line else "" for line in node.content.rstrip("\n").split("\n")]
    if kind == "hr":
        return ["-" * min(width, TEXT_WIDTH)]
    if kind == "table":
        return _table(node)
    return _fill(node.content, width)


def _list(node: SyntaxTreeNode, width: int) -> list[str]:
    items = node.children
    start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else 0
    markers = [f"{start + i}. " if node.type == "ordered_list" else "- "
               for i in range(len(items))]
    pad = max((len(marker) for marker in markers), default=2)
    tight = all(child.hidden for item in items for child in item.children
                if child.type == "paragraph")
    lines: list[str] = []
    for marker, item in zip(markers, items, strict=True):
        body = _blocks(item.children, width - pad, tight) or [""]
        lines.extend(([] if tight or not lines else [""]) + [marker.ljust(pad) + body[0]])
        lines.extend(" " * pad + line if line else "" for line in body[1:])
    return lines


def _inline(node: SyntaxTreeNode) -> str:
    parts = []
    for child in node.children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "link":
            text, href = _inline(child), str(child.attrs.get("href", ""))
            same = href in (text, "mailto:" + text)
            parts.append(text if same else f"{text} <{href}>" if text else f"<{href}>")
        elif kind == "image":  # the file travels inside the message: its name and caption
            name = unquote(str(child.attrs.get("src", ""))).rstrip("/").rpartition("/")[2]
            caption = " ".join((_inline(child) or child.content).split())
            parts.append(f"[{name}: {caption}]" if caption else f"[{name}]")
        else:  # em, strong, inline: their text without the markers
            parts.append(_inline(child))
    return "".join(parts)


def _fill(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for piece in text.split("\n"):
        lines.extend(textwrap.wrap(piece, width, break_long_words=False,
                                   break_on_hyphens=False) or ([""] if lines else []))
    return lines


def _table(node: SyntaxTreeNode) -> list[str]:
    """Columns padded to their widest cell (markdown-it gives every row the header's
    number of cells), right-aligned where the Markdown says so."""
    rows: list[list[str]] = []
    right: set[int] = set()
    header_rows = 0
    for section in node.children:
        for row in section.children:
            rows.append([" ".join(_inline(cell).split()) for cell in row.children])
            right |= {column for column, cell in enumerate(row.children)
                      if "text-align:right" in str(cell.attrs.get("style", ""))}
            header_rows += section.type == "thead"
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    lines = [" | ".join(cell.rjust(w) if c in right else cell.ljust(w)
                        for c, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    if header_rows:
        lines.insert(header_rows, "-+-".join("-" * w for w in widths))
    return lines

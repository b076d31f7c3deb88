"""Templates and Markdown: the one module that uses Jinja2, turning a render context into
text or HTML.

Templates are files the user edits, so they run in Jinja2's immutable sandbox with
``StrictUndefined``: a typo such as ``{{ releas.title }}`` raises :class:`TemplateError`
naming the file and line. It never renders as an empty string. ``*.html.j2`` files are
autoescaped and ``*.txt.j2`` files are not. Any other name is escaped, so a mistake costs
stray entities in the output, not markup nobody wrote. A file in the user's folder
overrides the default file of the same name.

The render context (the caller builds it; every key is present, optional ones are None):

    release        {reference, kind, language, title, subtitle, date_text, place}
    salutation     str, rendered as given ("Dear Jane Doe," or a per-recipient placeholder)
    body_html      Markup from markdown_to_html
    body_text      str from markdown_to_text
    embargo_line   str, or None when not embargoed
    event          None, or {title, when_text, end_text, zone, venue, url, meeting_id,
                   passcode, dial_in: [str], rsvp, rsvp_deadline_text}
    organizations  [{name, short_name, full_name, short, label, of, website, about}]
    contacts       [{name, role, organization, phones: [str], emails: [str]}]
    sender         {name, organization}

templates/README.md documents the names, the filters and this contract for template
authors. The environment is built once per :class:`Templates`, and compiled templates stay
in its cache (``auto_reload`` off), so a mailout of 10,000 messages reads and parses each
file once. TemplateError is defined here, not in errors.py, because this is the only module
that raises it. Markdown lives here too: markdown_to_html is what the templates embed.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from markupsafe import Markup, escape

from pressctl import resources
from pressctl.errors import InvalidInput, Problem

TEXT_WIDTH = 72
SUFFIX = ".j2"
_LIST_HINT = "pressctl templates list shows the names"


class TemplateError(InvalidInput):
    """A template that can't be found, compiled or rendered: "path:line: reason"."""

    def __init__(self, reason: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + reason, hint=hint)
        self.reason = reason
        self.path = path
        self.line = line


def template_name(kind: str, language: str, fmt: str) -> str:
    """("advisory", "fr-CA", "txt") -> "release.fr.txt.j2": advisories use the release
    template, and a regional language tag uses its language's templates."""
    base = "release" if kind == "advisory" else kind
    return f"{base}.{language.split('-')[0].lower()}.{fmt}{SUFFIX}"


class Templates:
    """The user's templates folder over the shipped defaults."""

    def __init__(self, user_dir: Path | None = None, default_dir: Path | None = None) -> None:
        self.user_dir = Path(user_dir) if user_dir is not None else None
        self.default_dir = (Path(default_dir) if default_dir is not None
                            else resources.shipped_dir("templates"))
        self._folders: list[tuple[str, Path]] = [("user", self.user_dir)] if self.user_dir else []
        self._folders.append(("default", self.default_dir))
        self._roots = tuple(os.path.normpath(folder) + os.sep for _, folder in self._folders)

    @cached_property
    def environment(self) -> ImmutableSandboxedEnvironment:
        env = ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(f) for _, f in self._folders]),
            undefined=jinja2.StrictUndefined, auto_reload=False,
            autoescape=jinja2.select_autoescape(("html.j2",), ("txt.j2",), default=True),
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.filters.update(wrap=wrap, oneline=oneline, underline=underline, mailto=mailto_uri,
                           tel=tel_uri, web_url=web_url, by_organization=by_organization)
        return env

    def names(self) -> list[tuple[str, str, Path]]:
        """Every template that applies, sorted: ``(name, "user" | "default", path)``. A user
        file hides the default file of the same name."""
        found: dict[str, tuple[str, Path]] = {}
        for origin, folder in reversed(self._folders):
            for name, path in _template_files(folder):
                found[name] = (origin, path)
        return [(name, origin, path) for name, (origin, path) in sorted(found.items())]

    def source(self, name: str) -> tuple[str, Path]:
        """The text of the template ``name`` and the file it comes from."""
        try:
            text, filename, _ = self.environment.loader.get_source(  # type: ignore[union-attr]
                self.environment, name)
        except jinja2.TemplateNotFound:
            raise self._not_found(name) from None
        except UnicodeDecodeError as exc:
            raise TemplateError(_describe(exc), hint=f"template {name}") from None
        return text, Path(str(filename))

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render ``name``. Raises TemplateError ("path:line: reason") if the template is
        missing, does not compile, uses an undefined name or breaks the sandbox."""
        try:
            return self.environment.get_template(name).render(context)
        except Exception as exc:
            error = self._explain(exc, name)
            if error is None:
                raise
            raise error from exc

    def check(self) -> list[Problem]:
        """Compile every template that applies, and check that what it includes exists."""
        problems: list[Problem] = []
        env = self.environment
        for name, _, path in self.names():
            try:
                tree = env.parse(path.read_text(encoding="utf-8"), name, str(path))
                env.compile(tree, name, str(path))
            except (UnicodeDecodeError, jinja2.TemplateSyntaxError) as exc:
                line = getattr(exc, "lineno", None)
                problems.append(Problem(f"{path}:{line}" if line else str(path), _describe(exc)))
                continue
            for node in tree.find_all((nodes.Include, nodes.Extends, nodes.Import,
                                       nodes.FromImport)):
                target = getattr(node, "template", None)
                if (isinstance(target, nodes.Const) and isinstance(target.value, str)
                        and not getattr(node, "ignore_missing", False)
                        and not self._exists(target.value)):
                    problems.append(Problem(f"{path}:{node.lineno}",
                                            f"template {target.value!r} not found"))
        return problems

    def copy_defaults(self, target: Path, names: Iterable[str] | None = None) -> list[Path]:
        """Copy default templates (all of them, or ``names``) into ``target`` for editing.
        An existing file is never overwritten. Returns the files created."""
        defaults = dict(_template_files(self.default_dir))
        wanted = sorted(defaults) if names is None else list(names)
        unknown = [name for name in wanted if name not in defaults]
        if unknown:
            raise TemplateError(f"no default template named {', '.join(map(repr, unknown))}",
                                hint=_LIST_HINT)
        return [Path(target, name) for name in wanted
                if _create_new(Path(target, name), defaults[name].read_bytes())]

    # ------------------------------------------------------------------ internals

    def _exists(self, name: str) -> bool:
        return any((folder / name).is_file() for _, folder in self._folders)

    def _not_found(self, name: str) -> TemplateError:
        folders = " or ".join(str(folder) for _, folder in self._folders)
        return TemplateError(f"template {name!r} not found in {folders}", hint=_LIST_HINT)

    def _explain(self, exc: Exception, name: str) -> TemplateError | None:
        """A TemplateError placing ``exc`` in the innermost template line, or None when
        ``exc`` is not the template's doing (a bug in pressctl)."""
        frames = [(frame.f_code.co_filename, line)
                  for frame, line in traceback.walk_tb(exc.__traceback__)
                  if os.path.normpath(frame.f_code.co_filename).startswith(self._roots)]
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
            path, line = exc.filename, exc.lineno
        elif frames:
            path, line = frames[-1]
        elif isinstance(exc, jinja2.TemplateNotFound) and exc.name == name:
            return self._not_found(name)
        elif isinstance(exc, (jinja2.TemplateError, UnicodeDecodeError)):
            return TemplateError(_describe(exc), hint=f"rendering {name}")
        else:
            return None
        outer = frames[0] if frames else None
        hint = (f"included from {outer[0]}:{outer[1]}"
                if outer and os.path.normpath(outer[0]) != os.path.normpath(path) else None)
        return TemplateError(_describe(exc), path=path, line=line, hint=hint)


def _describe(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template {exc.name!r} not found"
    if isinstance(exc, jinja2.TemplateError):
        return exc.message or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _template_files(folder: Path) -> list[tuple[str, Path]]:
    """``(name, path)`` of the ``*.j2`` files under ``folder``, skipping hidden files."""
    paths = sorted(folder.rglob("*" + SUFFIX)) if folder.is_dir() else []
    return [(path.relative_to(folder).as_posix(), path) for path in paths if path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(folder).parts)]


def _create_new(destination: Path, data: bytes) -> bool:
    """Write ``destination`` whole (temp file, then a hard link) unless it exists."""
    if destination.exists() or destination.is_symlink():
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(temp, 0o644)
        try:
            os.link(temp, destination)  # fails, rather than replaces, if it exists
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links
            try:
                with open(destination, "xb") as stream:
                    stream.write(data)
            except FileExistsError:
                return False
        return True
    finally:
        os.unlink(temp)


# ---------------------------------------------------------------------- filters


def wrap(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap each line longer than ``width`` and keep its indent. Long words and URLs are
    never split, and short lines and blank lines stay as they are."""
    def fill(line: str) -> str:
        indent = line[: len(line) - len(line.lstrip())]
        return textwrap.fill(line.strip(), width, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(line if len(line) <= width else fill(line) for line in str(text).splitlines())


def oneline(value: object) -> str:
    """Every run of whitespace (CR and LF included) as one space: a data field can't start
    a new line in a text message."""
    return " ".join(str(value).split())


def underline(text: str, char: str = "-") -> str:
    """``text`` followed by a line of ``char`` as long as its longest line."""
    text = str(text)
    return f"{text}\n{char * max((len(line) for line in text.splitlines()), default=0)}"


def mailto_uri(address: str) -> str:
    """``mailto:`` + the address, percent-encoded: "?" and "#" can't add recipients."""
    return "mailto:" + quote(oneline(address), safe="@+")


_NUMBER = re.compile(r"\+?\d[\d\s().\-/]*\d|\+?\d")
_EXTENSION = re.compile(r"(?:ext\.?|extension|poste|x)\s*(\d+)", re.IGNORECASE)


class ShownPhone(str):
    """A number as the reader sees it ("01 44 76 75 39"), still knowing its E.164 form,
    so that a tel: link dials from abroad too."""

    e164: str = ""
    extension: str | None = None

    def __new__(cls, shown: str, e164: str, extension: str | None = None) -> ShownPhone:
        value = super().__new__(cls, shown)
        value.e164, value.extension = e164, extension
        return value


def tel_uri(phone: str) -> str:
    """``tel:`` URI of a displayed number ("+33 (0)1 44 76 75 39 ext. 5" gives
    "tel:+33144767539;ext=5"), or "" when there is no number in it."""
    if isinstance(phone, ShownPhone) and phone.e164:
        return "tel:" + phone.e164 + (f";ext={phone.extension}" if phone.extension else "")
    text = str(phone).replace("(0)", "")
    number = _NUMBER.search(text)
    if number is None:
        return ""
    digits = re.sub(r"\D", "", number.group())
    extension = _EXTENSION.search(text, number.end())
    return ("tel:" + ("+" if number.group().startswith("+") else "") + digits
            + (f";ext={extension.group(1)}" if extension else ""))


def web_url(value: object) -> str:
    """``value`` if it is an http(s) address with a host and no spaces (only these become
    links), else ""."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    ok = parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"\s", text)
    return text if ok else ""


def by_organization(contacts: Iterable[Mapping[str, Any]],
                    organizations: Iterable[Mapping[str, Any]]) -> list[tuple[Any, list]]:
    """``[(organization, its contacts)]`` in the organizations' order. A contact belongs to
    the organization whose name or short name matches its own (ignoring case). Any other
    contacts come last, as ``(None, [...])``."""
    groups: list[tuple[Any, list]] = [(org, []) for org in organizations]
    index: dict[str, int] = {}
    for position, (org, _) in reversed(list(enumerate(groups))):  # the first match wins
        index.update({str(key).casefold(): position
                      for key in (org.get("name"), org.get("short_name")) if key})
    others: list = []
    for contact in contacts:
        position = index.get(str(contact.get("organization") or "").casefold())
        (others if position is None else groups[position][1]).append(contact)
    if others:
        groups.append((None, others))
    return groups


# --------------------------------------------------------------------- markdown

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
        if lines and node.tag in ("h1", "h2"):
            return underline("\n".join(lines), "=" if node.tag == "h1" else "-").split("\n")
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

"""Templates: the one module that uses Jinja2, turning a render context into text or HTML.

Templates are files the user edits, so they run in Jinja2's immutable sandbox with
``StrictUndefined``: a typo such as ``{{ releas.title }}`` raises :class:`TemplateError`
naming the file and line. It never renders as an empty string. ``*.html.j2`` files are
autoescaped and ``*.txt.j2`` files are not. Any other name is escaped, so a mistake costs
stray entities in the output, not markup nobody wrote. A file in the user's folder
overrides the default file of the same name.

The render context (the caller builds it; every key is present, optional ones are None):

    release        {reference, kind, language, title, subtitle, date_text, place}
    salutation     str, rendered as given ("Dear Jane Doe," or a per-recipient placeholder)
    body_html      Markup from pressctl.releases.markdown.markdown_to_html
    body_text      str from pressctl.releases.markdown.markdown_to_text
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
that raises it. The body's Markdown is converted in pressctl.releases.markdown, before
rendering: no filter here converts Markdown, so templating never imports markdown_it.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
import traceback
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pressctl import resources
from pressctl.errors import InvalidInput, Problem

TEXT_WIDTH = 72  # the text part's width, as markdown.TEXT_WIDTH (a test keeps them equal)
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

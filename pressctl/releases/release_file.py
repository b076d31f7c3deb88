"""Release files: TOML front matter between two ``+++`` lines, then the Markdown body.

    +++
    reference = "PR106-2020"
    language = "en"
    title = "CNES partners with French Radiology Society"
    date = 2020-09-21
    embargo = "2020-09-22 11:30 Europe/Paris"
    organizations = ["CNES", "SFR"]

    [event]
    title = "Online press conference"
    start = "2020-09-22 11:30 Europe/Paris"
    duration = "1h"
    url = "https://zoom.us/j/97981495219"
    meeting_id = "979 8149 5219"
    +++
    Tuesday 22 September, CNES and the French Radiology Society ...

Why TOML: ``tomllib`` is in the standard library, and TOML has no implicit typing. In
YAML ``NO`` becomes false and ``11:30`` becomes 690 minutes; in TOML a string is quoted,
a date is a date (``date = 2020-09-21``) and anything else is a syntax error. The ``+++``
fences are Hugo's convention for TOML front matter, so editors highlight it.

Times are strings, not TOML date-times: TOML only knows UTC offsets, and an offset is not
a zone (+02:00 is Paris in September and Cairo in winter). A time is written
``"YYYY-MM-DD HH:MM Zone/City"`` with an IANA zone; abbreviations (BST, CET, EST) and bare
offsets (UTC+1) are refused as ambiguous, "UTC" is accepted.

:func:`parse_release` reports every problem it can find in one pass, each with the file
line of the key (or of the body line) it concerns. A TOML syntax error stops the key
checks, since nothing after it can be trusted; the body is still checked.
:func:`listed_in` gives what a file names outside itself (organisations, contacts,
attachments, translations) with their lines, even when other keys are wrong, for the
checks against the contact book and the disk (:mod:`pressctl.releases.checking`).

This is the one reader of release files: tomllib does not say where a value came from, and
the line of every key and list item comes from :class:`_KeyLines` here, nowhere else. That
is why the module is longer than the house's ~500 lines: each key's checks share the key
lines and the report. The values it yields are :mod:`pressctl.releases.documents`; the
file a new release starts from is written by :mod:`pressctl.releases.skeleton`. Pure: text
in, values and problems out (the caller reads the file).
"""

from __future__ import annotations

import difflib
import html
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pressctl.contacts.emails import clean_email_field
from pressctl.contacts.model import Phone
from pressctl.contacts.phones import NO_REGION, parse_phone_field
from pressctl.contacts.regions import language_tag
from pressctl.errors import InvalidEmail, InvalidInput, InvalidPhone, Problem
from pressctl.releases.audience import parse_audience
from pressctl.releases.documents import KINDS, Embargo, Event, Release
from pressctl.releases.embargo import format_when
from pressctl.times import WHEN_FORMAT, parse_duration, parse_when

FENCE = "+++"
ROOT_KEYS = ("reference", "kind", "language", "title", "subtitle", "date", "place", "embargo",
             "organizations", "organisations", "contacts", "translations", "audience",
             "attachments", "event")
EVENT_KEYS = ("title", "start", "end", "duration", "venue", "url", "meeting_id", "passcode",
              "dial_in", "rsvp", "rsvp_deadline", "sequence")
# Words people use for a key, for the "did you mean" of unknown keys.
_SYNONYMS = {"location": "venue", "address": "venue", "where": "venue", "link": "url",
             "zoom": "url", "lang": "language", "type": "kind", "ref": "reference",
             "headline": "title", "dateline": "place", "phone": "dial_in", "orgs": "organizations",
             "lift": "embargo", "embargo_until": "embargo", "files": "attachments"}
# Keys that once existed: a file that still has one is told why it is gone, not "unknown".
RETIRED_ROOT_KEYS = {
    "embargo_only": ("embargo_only is no longer needed: pressctl sends the embargoed version "
                     "only to contacts who accept embargoes, and the public version to the "
                     "others at the lift; remove this line"),
}
BODY_SCHEMES = ("http", "https", "mailto", "tel")  # releases list their contacts' addresses

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\r\n]")
_BARE = r"[A-Za-z0-9_-]+|\"[^\"\\]*\"|'[^']*'"
_DOTTED = rf"(?:{_BARE})(?:\s*\.\s*(?:{_BARE}))*"
_KEY_LINE = re.compile(rf"\s*({_DOTTED})\s*=")
_TABLE_LINE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?")
_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_CODE_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_LINK_TARGETS = (
    re.compile(r"\]\(\s*<?((?:[^\s()<>]|\([^\s()]*\))*)"),  # [text](url), ![alt](src)
    re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>"),  # <https://...>
    re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)"),  # [label]: url
    re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE),
)
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")  # browsers skip them: "java\tscript:"


class _AnySavedAudience(dict):
    """Every saved-audience name exists (as "all") while only the syntax is checked."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        return "all"


_ANY_SAVED_AUDIENCE = _AnySavedAudience()


@dataclass(frozen=True, slots=True)
class FrontMatter:
    toml: str  # the text between the fences
    first_line: int  # file line of the first TOML line (the opening fence is line 1)
    body: str
    body_line: int


def read_front_matter(text: str) -> FrontMatter:
    """Split a release file; raises InvalidInput (whose problem is on line 1, the fence)."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    if lines[0].rstrip() != FENCE:
        hint = ("this looks like YAML front matter; pressctl reads TOML between +++ lines"
                if lines[0].rstrip() == "---" else "start the file with a line +++")
        raise InvalidInput("no front matter: a release file starts with a line +++", hint=hint)
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == FENCE:
            return FrontMatter("\n".join(lines[1:index]), 2, "\n".join(lines[index + 1:]),
                               index + 2)
    raise InvalidInput("the front matter opened on line 1 is never closed by a line +++")


def parse_release(
    text: str, path: str, *, today: date | None = None
) -> tuple[Release | None, list[Problem], list[Problem]]:
    """(the release or None if any error, errors, warnings), every problem in one pass.

    ``today`` comes from the caller's clock; without it nothing is said about the past.
    """
    report = _Report(path)
    try:
        front = read_front_matter(text)
    except InvalidInput as err:
        report.error(1, str(err))
        return report.result(None)
    _check_body(front, report)
    lines = _KeyLines(front)
    try:
        data = tomllib.loads(front.toml)
    except tomllib.TOMLDecodeError as err:
        _report_syntax(str(err), lines, front, report)
        return report.result(None)
    return report.result(_Reader(lines, report, path, today).release(data, front))


@dataclass(frozen=True, slots=True)
class Listed:
    """What a release file names that lives outside it, each item with its file line: the
    organisations and contacts (in the contact book), the attachments (files beside it),
    and the paths of its translations.

    Read from the TOML alone by :func:`listed_in`, so that they can be checked even when
    other keys are wrong and :func:`parse_release` returns no release. Items the reader
    refuses (a link as attachment, a malformed address) are left to its report.
    """

    organizations: tuple[tuple[str, int], ...] = ()
    contacts: tuple[tuple[str, int], ...] = ()  # ids, or e-mail addresses normalised
    attachments: tuple[tuple[str, int], ...] = ()  # paths relative to the release file
    translations: tuple[str, ...] = ()  # paths relative to the release file


def listed_in(text: str) -> Listed:
    """What the release file ``text`` names (see :class:`Listed`); nothing when its front
    matter or its TOML cannot be read."""
    try:
        front = read_front_matter(text)
        data = tomllib.loads(front.toml)
    except (InvalidInput, tomllib.TOMLDecodeError):
        return Listed()
    lines = _KeyLines(front)
    found: dict[str, list[tuple[str, int]]] = {"organizations": [], "contacts": [],
                                                "attachments": []}
    for key, kept in (("organizations", found["organizations"]),
                      ("organisations", found["organizations"]),
                      ("contacts", found["contacts"]), ("attachments", found["attachments"])):
        items = data.get(key)
        for item in items if isinstance(items, list) else []:
            if type(item) is int and item > 0 and key == "contacts":
                name = str(item)
            elif isinstance(item, str) and item.strip() and "://" not in item:
                name = item.strip()
            else:
                continue
            line = lines.of_item((key,), name)
            if key == "contacts" and isinstance(item, str):
                address, _ = _one_address(name)
                if address is None:
                    continue
                name = address
            if all(name.casefold() != seen.casefold() for seen, _ in kept):
                kept.append((name, line))
    translations = data.get("translations")
    return Listed(
        tuple(found["organizations"]), tuple(found["contacts"]), tuple(found["attachments"]),
        tuple(target.strip() for target in
              (translations.values() if isinstance(translations, dict) else ())
              if isinstance(target, str) and target.strip()),
    )


# --------------------------------------------------------------------------- where


class _Report:
    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def warning(self, line: int, message: str) -> None:
        self.warnings.append((line, message))

    def result(self, release: Release | None) -> tuple[Release | None, list[Problem],
                                                       list[Problem]]:
        def in_file_order(found: list[tuple[int, str]]) -> list[Problem]:
            ordered = sorted(found, key=lambda item: item[0])  # stable: same line, found order
            return [Problem(f"{self.path}:{line}", message) for line, message in ordered]

        errors = in_file_order(self.errors)
        return (None if errors else release), errors, in_file_order(self.warnings)


def _report_syntax(message: str, lines: _KeyLines, front: FrontMatter, report: _Report) -> None:
    place = _TOML_PLACE.search(message)
    if place:
        line = front.first_line + int(place.group(1)) - 1
        report.error(line, f"TOML: {message[:place.start()]} (column {place.group(2)})")
    elif lines.duplicates:  # tomllib places a repeated key "at end of document"
        for line, key, first in lines.duplicates:
            report.error(line, f'TOML: "{key}" is given twice (first on line {first})')
    else:  # a string or list still open: it was opened on the last key's line at the latest
        reason = message.replace(" (at end of document)", "")
        line = max(lines.lines.values(), default=front.body_line - 1)
        report.error(line, f"TOML: {reason} (still open at the closing +++)")


class _KeyLines:
    """The file line of each key and table. tomllib does not say where a value came from,
    so the front matter's text is scanned for ``key =`` lines under ``[table]`` headers."""

    def __init__(self, front: FrontMatter) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        self.duplicates: list[tuple[int, str, int]] = []
        self.texts = front.toml.split("\n")
        self.fence = front.first_line - 1
        table: tuple[str, ...] = ()
        in_string = False  # inside a multi-line string, "key = value" is text
        for line, text in enumerate(self.texts, start=front.first_line):
            quotes = (text.count('"""') + text.count("'''")) % 2
            if in_string:
                in_string = not quotes
            elif header := _TABLE_LINE.fullmatch(text):
                table = _key_parts(header.group(1))
                self._record(table, line)
            elif key := _KEY_LINE.match(text):
                dotted = (*table, *_key_parts(key.group(1)))
                for length in range(len(table) + 1, len(dotted)):  # venue.city = defines venue
                    self.lines.setdefault(dotted[:length], line)
                self._record(dotted, line)
                in_string = bool(quotes)

    def _record(self, key: tuple[str, ...], line: int) -> None:
        if key in self.lines:
            self.duplicates.append((line, ".".join(key), self.lines[key]))
        else:
            self.lines[key] = line

    def of(self, *key: str) -> int:
        """The key's line, else its table's, else the opening fence's."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.fence

    def of_item(self, key: tuple[str, ...], item: object) -> int:
        """The line of one item of a list written over several lines, else the key's."""
        start = self.of(*key)
        end = min((n for n in self.lines.values() if n > start), default=self.fence + 1
                  + len(self.texts))
        needle = item if isinstance(item, str) else str(item)
        for line in range(start, end):
            if needle in self.texts[line - self.fence - 1]:
                return line
        return start


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in re.findall(_BARE, dotted))


# --------------------------------------------------------------------------- the body


def _check_body(front: FrontMatter, report: _Report) -> None:
    if not front.body.strip():
        report.warning(front.body_line - 1, "the body is empty: nothing follows the front matter")
    fence: str | None = None
    for line, text in enumerate(front.body.split("\n"), start=front.body_line):
        if opening := _CODE_FENCE.match(text):  # code blocks show links, they hold none
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        elif fence is None:
            text = _CODE_SPAN.sub("", text)
            for pattern in _LINK_TARGETS:
                for match in pattern.finditer(text):
                    target = next(group for group in match.groups() if group is not None)
                    _check_link(target, line, report)


def _check_link(target: str, line: int, report: _Report) -> None:
    scheme = _scheme(target)
    if scheme is None:
        report.warning(line, f'link "{target}" has no scheme: in an e-mail it leads nowhere '
                             "(write the full https:// address)")
    elif scheme not in BODY_SCHEMES:
        report.error(line, f'link "{target}": {scheme}: links are not allowed '
                           f"(only {', '.join(BODY_SCHEMES)})")


def _scheme(target: str) -> str | None:
    # As a browser reads it: entities decoded, tabs and newlines dropped, case ignored.
    match = _SCHEME.match(_IGNORED_IN_URLS.sub("", html.unescape(target)).lower())
    return match.group(1) if match else None


# --------------------------------------------------------------------------- the keys


def _toml_type(value: object) -> str:
    for kind, name in ((bool, "true/false"), (int, "a whole number"), (float, "a number"),
                       (str, "a string"), (datetime, "a date-time"), (date, "a date"),
                       (time, "a time"), (list, "a list"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)  # as TOML writes it: true, 1.5


class _Table:
    """Typed access to one TOML table; each wrong value is reported at its key's line.
    Unknown keys are reported when the table is made, so none is forgotten."""

    def __init__(self, data: dict, prefix: tuple[str, ...], reader: _Reader,
                 known: tuple[str, ...]) -> None:
        self.data, self.prefix, self.lines, self.report = data, prefix, reader.lines, reader.report
        for key in data:
            if not prefix and key in RETIRED_ROOT_KEYS:
                self.error(key, RETIRED_ROOT_KEYS[key])
            elif key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
                meant = _SYNONYMS.get(key.lower())
                meant = meant if meant in known else (close[0] if close else None)
                hint = f' (did you mean "{meant}"?)' if meant else ""
                self.error(key, f'unknown key "{self.label(key)}"{hint}')

    def label(self, key: str) -> str:
        return ".".join((*self.prefix, key))

    def error(self, key: str, message: str) -> None:
        self.report.error(self.lines.of(*self.prefix, key), message)

    def warning(self, key: str, message: str) -> None:
        self.report.warning(self.lines.of(*self.prefix, key), message)

    def value(self, key: str, kind: type, expected: str, required: bool = False) -> object:
        value = self.data.get(key)
        if value is None:
            if required:
                self.report.error(self.lines.of(*self.prefix), f"{self.label(key)} is missing")
        elif (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
              or (isinstance(value, datetime) and kind is date)):
            quotes = " (write it in quotes)" if kind is str and isinstance(value, int) else ""
            self.error(key, f"{self.label(key)} must be {expected}, not {_toml_type(value)}"
                            f"{quotes}")
        else:
            return value
        return None

    def text(self, key: str, required: bool = False, one_line: bool = True) -> str | None:
        value = self.value(key, str, "a string", required)
        text = value.strip() if isinstance(value, str) else None
        if text == "" and required:
            self.error(key, f"{self.label(key)} is empty")
        elif text and (_CONTROL.search(text) or (one_line and _LINE_BREAK.search(text))):
            self.error(key, f"{self.label(key)} must be one line without control characters")
            return None
        return text or None

    def texts(self, key: str) -> list[tuple[str, int]]:
        """A list of non-empty strings, each with its line."""
        found = []
        items = self.value(key, list, "a list of strings")
        for number, item in enumerate(items if isinstance(items, list) else [], start=1):
            line = self.lines.of_item((*self.prefix, key), item)
            if isinstance(item, str) and item.strip() and not _CONTROL.search(item):
                found.append((item.strip(), line))
            else:
                self.report.error(line, f"{self.label(key)}: item {number} must be a one-line "
                                        f"string, not {_toml_type(item)} {_shown(item)}")
        return found

    def when(self, key: str, required: bool = False) -> datetime | None:
        text = self.value(key, str, f"a string {WHEN_FORMAT}", required)
        if text is None:
            return None
        try:
            return parse_when(str(text))
        except InvalidInput as err:
            self.error(key, f'{self.label(key)} "{text}": {err}')
            return None


# --------------------------------------------------------------------------- the release


class _Reader:
    """Builds the Release key by key; every problem goes to the report, none stops it."""

    def __init__(self, lines: _KeyLines, report: _Report, path: str, today: date | None):
        self.lines, self.report, self.path, self.today = lines, report, path, today

    def release(self, data: dict, front: FrontMatter) -> Release:
        root = _Table(data, (), self, ROOT_KEYS)
        kind = root.text("kind") or "release"
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, KINDS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            root.error("kind", f'kind "{kind}" is not one of {", ".join(KINDS)}{hint}')
        language = root.text("language", required=True)
        if language and language_tag(language) is None:
            root.error("language", f'language "{language}" is not a BCP 47 tag such as en, fr '
                                   "or fr-CA")
        language = language_tag(language) if language else None
        day = root.value("date", date, "a TOML date without quotes (date = 2020-09-21)", True)
        embargo = self._embargo(root, day)
        event = self._event(root, embargo)
        if kind == "invitation" and "event" not in data:
            root.error("kind", "an invitation needs an [event] table (what, when, where)")
        audience = root.text("audience")
        if audience is not None:
            try:
                # Saved audiences (@name) live in the contact book: `release check`
                # resolves them; here any name stands for "all".
                parse_audience(audience, saved=_ANY_SAVED_AUDIENCE)
            except InvalidInput as err:
                root.error("audience", str(err))
        if "organizations" in data and "organisations" in data:
            root.error("organisations", "give organizations or organisations, not both")
        organizations = "organisations" if "organisations" in data else "organizations"
        return Release(
            path=self.path, reference=root.text("reference", required=True) or "", kind=kind,
            language=language or "", title=root.text("title", required=True) or "",
            date=day if isinstance(day, date) else date.min, subtitle=root.text("subtitle"),
            place=root.text("place"), embargo=embargo,
            embargo_line=self.lines.of("embargo") if embargo else 0,
            organizations=self._unique(organizations, root.texts(organizations)),
            contacts=self._contacts(root), translations=self._translations(root, language),
            event=event, audience=audience,
            attachments=self._attachments(root), body=front.body, body_line=front.body_line,
        )

    def _embargo(self, root: _Table, day: object) -> Embargo | None:
        lift = root.when("embargo")
        if lift is None:
            return None
        if isinstance(day, date) and lift.date() < day:
            root.error("embargo", f"the embargo lifts on {format_when(lift, 'en')}, before the "
                                  f"release date {day.isoformat()}")
        if self.today is not None and lift.date() < self.today:
            root.warning("embargo", f"the embargo lifted in the past ({format_when(lift, 'en')})")
        return Embargo(lift)

    def _unique(self, key: str, items: list[tuple[str, int]]) -> tuple[str, ...]:
        kept: dict[str, str] = {}
        for item, line in items:
            if item.casefold() in kept:
                self.report.warning(line, f'{key}: "{item}" is listed twice')
            kept.setdefault(item.casefold(), item)
        return tuple(kept.values())

    def _contacts(self, root: _Table) -> tuple[str, ...]:
        items = root.value("contacts", list, "a list of e-mail addresses or contact ids")
        found: list[tuple[str, int]] = []
        for number, item in enumerate(items if isinstance(items, list) else [], start=1):
            line = self.lines.of_item(("contacts",), item)
            if type(item) is int and item > 0:
                found.append((str(item), line))
            elif isinstance(item, str):
                address, problem = _one_address(item)
                if address is None:
                    self.report.error(line, f"contacts: {problem}")
                else:
                    found.append((address, line))
            else:
                self.report.error(line, f"contacts: item {number} must be an e-mail address or a "
                                        f"contact id, not {_toml_type(item)} {_shown(item)}")
        return self._unique("contacts", found)

    def _translations(self, root: _Table, language: str | None) -> dict[str, str]:
        table = root.value("translations", dict, 'a table of language = "path"')
        found: dict[str, str] = {}
        for written, target in (table if isinstance(table, dict) else {}).items():
            line = self.lines.of("translations", written)
            tag = language_tag(written)
            if tag is None:
                self.report.error(line, f'translations: "{written}" is not a language tag')
            elif tag == language:
                self.report.error(line, f"translations: {tag} is this release's own language")
            elif not isinstance(target, str) or not target.strip() or _CONTROL.search(target):
                self.report.error(line, f"translations.{written} must be the path of the {tag} "
                                        "release file")
            else:
                found[tag] = target.strip()
        return found

    def _attachments(self, root: _Table) -> tuple[str, ...]:
        files = []
        for path, line in root.texts("attachments"):
            if "://" in path:
                self.report.error(line, f'attachments: "{path}" is a link; attachments are '
                                        "files (put links in the body)")
            else:
                files.append((path, line))
        return self._unique("attachments", files)

    # -- the event

    def _event(self, root: _Table, embargo: Embargo | None) -> Event | None:
        data = root.value("event", dict, "a table: [event]")
        if not isinstance(data, dict):
            return None
        event = _Table(data, ("event",), self, EVENT_KEYS)
        title = event.text("title", required=True)
        start = event.when("start", required=True)
        end = self._end(event, start)
        url = event.text("url")
        if url is not None and not _is_web_address(url):
            event.error("url", f'event.url "{url}" must be an https:// or http:// address')
            url = None
        venue = event.text("venue", one_line=False)
        if venue is None and "url" not in data:
            event.warning("title", "the event has neither a venue nor a url: where do "
                                   "journalists go?")
        rsvp_deadline = event.when("rsvp_deadline")
        if start is not None:
            self._check_event_times(event, start, embargo, rsvp_deadline)
        sequence = event.value("sequence", int, "a whole number (0, 1, 2...)")
        if isinstance(sequence, int) and sequence < 0:
            event.error("sequence", f"event.sequence must be 0 or more, not {sequence}")
        meeting_id, passcode = event.text("meeting_id"), event.text("passcode")
        dial_in, rsvp = self._dial_in(event), self._rsvp(event)
        if title is None or start is None or end is None:
            return None
        return Event(title=title, start=start, end=end, venue=venue, url=url,
                     meeting_id=meeting_id, passcode=passcode, dial_in=dial_in, rsvp=rsvp,
                     rsvp_deadline=rsvp_deadline,
                     sequence=max(0, sequence if isinstance(sequence, int) else 0))

    def _end(self, event: _Table, start: datetime | None) -> datetime | None:
        if "end" in event.data and "duration" in event.data:
            event.error("duration", "give event.end or event.duration, not both")
            return None
        if "duration" in event.data:
            text = event.value("duration", str, 'a string such as "90m", "1h" or "1h30"')
            length = parse_duration(text) if isinstance(text, str) else None
            if isinstance(text, str) and not length:
                event.error("duration", f'event.duration "{text}" is not a duration such as '
                                        '"90m", "1h" or "1h30"')
            if start is None or not length:
                return None
            return _later(start, length)
        if "end" not in event.data:
            event.error("start", 'the event needs an end or a duration (duration = "1h")')
            return None
        end = event.when("end")
        if end is None or start is None:
            return None
        if end <= start:
            event.error("end", f"the event ends ({format_when(end, 'en')}) before it starts "
                               f"({format_when(start, 'en')})")
            return None
        return end.astimezone(start.tzinfo)

    def _check_event_times(self, event: _Table, start: datetime, embargo: Embargo | None,
                           rsvp_deadline: datetime | None) -> None:
        if embargo is not None and start < embargo.lift:
            event.error("start", f"the event starts ({format_when(start, 'en')}) before the "
                                 f"embargo lifts ({format_when(embargo.lift, 'en')}): the "
                                 "press conference would break the embargo")
        if rsvp_deadline is not None and rsvp_deadline > start:
            deadline = format_when(rsvp_deadline, "en")
            event.warning("rsvp_deadline", f"the RSVP deadline ({deadline}) is after the event "
                                           "starts")
        if self.today is not None and start.date() < self.today:
            event.warning("start", f"the event is in the past ({format_when(start, 'en')})")

    def _dial_in(self, event: _Table) -> tuple[Phone, ...]:
        phones: list[Phone] = []
        for text, line in event.texts("dial_in"):
            try:
                phones.extend(parse_phone_field(text, None))
            except InvalidPhone as err:
                reason = err.reason
                if reason == NO_REGION:  # its "--region" advice is for contact imports
                    reason = ("has no country code: journalists dial in from abroad, write "
                              "it as +33 1 44 76 75 39")
                self.report.error(line, f'event.dial_in: phone "{err.value}" {reason}')
        return tuple(phones)

    def _rsvp(self, event: _Table) -> str | None:
        text = event.text("rsvp")
        if text is None:
            return None
        address, problem = _one_address(text)
        if problem:
            event.error("rsvp", f"event.rsvp: {problem}")
        return address


def _later(start: datetime, length: timedelta) -> datetime:
    # Elapsed time, not wall-clock time: a 1 h event across a DST change still lasts 1 h.
    return (start.astimezone(UTC) + length).astimezone(start.tzinfo)


def _is_web_address(url: str) -> bool:
    scheme = _scheme(url)
    rest = url.partition("://")[2]
    return scheme in ("http", "https") and bool(rest.split("/", 1)[0].strip())


def _one_address(text: str) -> tuple[str | None, str | None]:
    """(the normalised address, None) or (None, why ``text`` is not one address)."""
    try:
        found = clean_email_field(text)
    except InvalidEmail as err:
        return None, str(err)
    if len(found) != 1:
        return None, f'"{text}" must be exactly one e-mail address'
    return found[0].normalized, None

"""Finding and replacing a forgotten person's name, addresses and phones in text: free
text of the book (trail summaries, servers' replies, subjects, notes), frozen messages
(JSON, with HTML and iCalendar inside) and the outbox log. Pure but for
:func:`scrub_file`.

Each personal text is looked for in the forms pressctl writes it in: as stored, escaped
for HTML, escaped for iCalendar, and a phone in each display style; case is ignored. A
match must stand alone (``ann@x.fr`` is not found in ``joann@x.fr``, nor "Li" in
"Lille"), and is replaced by the person's token for it. Addresses are replaced first,
then phones, then the name, so that a name that is also the start of an address
("jean@..." for "Jean") never leaves half an address behind.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pressctl.config import write_private_file
from pressctl.contacts.model import Phone
from pressctl.contacts.phones import format_phone

FOLD = 75  # octets per iCalendar line (RFC 5545, 3.1)
_PHONE_STYLES = ("e164", "international", "national", "house")


class Kind(StrEnum):
    ADDRESS = "address"
    PHONE = "phone"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Personal:
    """One personal text and the token that replaces it."""

    kind: Kind
    text: str
    token: str


def phone_forms(phone: Phone) -> list[str]:
    """A stored phone as pressctl may have written it (every display style)."""
    forms = []
    for style in _PHONE_STYLES:
        shown = format_phone(Phone(phone.e164), style)
        forms.append(shown)
        if phone.extension:
            forms.append(format_phone(phone, style))
    return list(dict.fromkeys(forms))


def _forms(text: str) -> list[str]:
    escaped_ical = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return list(dict.fromkeys([text, html.escape(text), html.escape(text, quote=False),
                               escaped_ical]))


_ALONE = {  # what may not touch a match on either side, per kind
    Kind.ADDRESS: (r"(?<![\w.%+-])", r"(?![\w-]|\.\w)"),
    Kind.PHONE: (r"(?<![\d+])", r"(?!\d)"),
    Kind.NAME: (r"(?<!\w)", r"(?!\w)"),
}


class Scrubber:
    """Replaces the personal texts it was given, in their forms, by their tokens."""

    def __init__(self, items: Iterable[Personal]) -> None:
        order = {Kind.ADDRESS: 0, Kind.PHONE: 1, Kind.NAME: 2}
        self.items = sorted({i for i in items if i.text.strip()},
                            key=lambda i: (order[i.kind], -len(i.text), i.text))
        self._rules: list[tuple[re.Pattern[str], str]] = []
        for item in self.items:
            before, after = _ALONE[item.kind]
            forms = sorted(_forms(item.text), key=len, reverse=True)
            alternatives = "|".join(re.escape(f) for f in forms)
            self._rules.append((re.compile(f"{before}(?:{alternatives}){after}",
                                           re.IGNORECASE), item.token))

    def without(self, kind: Kind) -> Scrubber:
        return Scrubber(i for i in self.items if i.kind is not kind)

    @property
    def patterns(self) -> list[str]:
        """What a database query looks for (SQL LIKE, case ignored at least for ASCII):
        every form, also in lower case."""
        found: list[str] = []
        for item in self.items:
            for form in _forms(item.text):
                found += [form, form.lower(), form.casefold(), form.upper()]
        return list(dict.fromkeys(found))

    def __call__(self, text: str) -> str:
        for pattern, token in self._rules:
            text = pattern.sub(token, text)
        return text

    def finds(self, text: str) -> bool:
        return any(pattern.search(text) for pattern, _ in self._rules)

    # -- frozen messages ------------------------------------------------------------------

    def frozen(self, blob: bytes) -> bytes:
        """A frozen variant (pressctl.delivery.frozen's JSON) with every text scrubbed,
        attachments and inline images left as they are (the release's own files); the same
        bytes when nothing changed."""
        data = json.loads(blob)
        scrubbed = self._walk(data)
        if scrubbed == data:
            return blob
        return json.dumps(scrubbed, ensure_ascii=False).encode("utf-8")

    def finds_in_frozen(self, blob: bytes) -> bool:
        return self.frozen(blob) != blob

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if k in ("attachments", "images") else self._walk(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        if "\r\n " not in text:
            return self(text)
        # iCalendar folds long lines: a name may be cut in two. Unfolded, scrubbed, and
        # folded again only when something changed (else the bytes stay as frozen).
        unfolded = text.replace("\r\n ", "")
        scrubbed = self(unfolded)
        return text if scrubbed == unfolded else fold(scrubbed)


def fold(text: str) -> str:
    """iCalendar lines of at most 75 octets (RFC 5545), never cutting a character."""
    lines = []
    for line in text.split("\r\n"):
        parts: list[str] = []
        current: list[str] = []
        size, limit = 0, FOLD
        for char in line:
            width = len(char.encode("utf-8"))
            if size + width > limit:
                parts.append("".join(current))
                current, size, limit = [], 0, FOLD - 1  # a continuation starts with a space
            current.append(char)
            size += width
        parts.append("".join(current))
        lines.append("\r\n ".join(parts))
    return "\r\n".join(lines)


def scrub_file(path: Path, scrubber: Scrubber) -> int:
    """Rewrite a text file (the outbox log) with the person's texts replaced, atomically
    and 0600; returns how many lines changed (0: the file is left alone, or missing)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    lines = data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    scrubbed = [scrubber(line) for line in lines]
    changed = sum(1 for old, new in zip(lines, scrubbed, strict=True) if old != new)
    if changed:
        write_private_file(path, "".join(scrubbed).encode("utf-8", "surrogateescape"))
    return changed


"""E-mail addresses as press officers paste them: cleaned, validated, normalised.

Addresses arrive from releases, signatures and spreadsheets with markup around them
("mailto:", "Name <addr>", a sentence's full stop), obfuscations ("name [at] org.fr")
or several in one cell. This module undoes that, validates each address with
email-validator and returns the normalised form: domain lower-cased and shown in
Unicode, local part kept as written. Every clean-up step is recorded as a human note
so the user can see what was changed.

No I/O here: DNS is consulted only when a caller passes ``check_dns=True``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypedDict
from urllib.parse import unquote

from pressctl.errors import InvalidEmail

__all__ = ["CleanEmail", "EmailCheck", "check_email", "clean_email_field", "email_key"]


@dataclass(frozen=True, slots=True)
class CleanEmail:
    """One valid address found in a field."""

    input: str  # the piece of the field it came from (the whole field if one address)
    normalized: str  # what is stored: "pascale.bresson@cnes.fr"
    cleaned: tuple[str, ...]  # human notes of each clean-up step; () for clean input
    display_name: str | None  # "Pascale Bresson" from 'Pascale Bresson <addr>'


class EmailCheck(TypedDict):
    """What `pressctl check email` says of one address (and prints with --json)."""

    input: str
    valid: bool
    normalized: str | None
    cleaned: list[str]  # the notes of each clean-up step
    error: str | None  # email-validator's reason when invalid


@dataclass(frozen=True, slots=True)
class _Rejected:
    input: str
    cleaned: tuple[str, ...]
    reason: str


# Already-clean ASCII addresses skip every clean-up regex; anything this pattern
# accepts would come out of the slow path unchanged, so results are identical.
# ("{" and "}" are legal but left out: "{at}" is an obfuscation the slow path undoes.)
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`|~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# Invisible format characters that copy-paste from mail clients and word processors
# leaves behind; none of them can be part of an address. ZWJ/ZWNJ are not listed
# because some internationalised domain names legitimately contain them.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200e\u200f\u2060\ufeff"
                                    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_ODD_SPACES = dict.fromkeys([0x00A0, 0x202F, 0x3000, *range(0x2000, 0x200B)], " ")
_FULLWIDTH_AT = {ord("\uff20"): "@", ord("\ufe6b"): "@"}
_CHARACTER_FIXES = (
    (_INVISIBLE, "removed invisible characters"),
    (_ODD_SPACES, "replaced non-breaking spaces"),
    (_FULLWIDTH_AT, "replaced full-width ＠ with @"),
)

_HARD_SEPARATORS = ",;\n\r"
# Words that join two addresses in prose ("a@x.fr or b@y.fr", "a@x.fr et b@y.fr").
_CONNECTORS = frozenset({"or", "ou", "et", "and", "/", "&", "+"})

# Obfuscations that are unambiguous wherever they appear, so they are replaced before
# the field is split. Spaces around them belong to the obfuscation. " AT " counts only
# in capitals: a lower-case " at " is prose as often as not (see _BARE_AT).
# Every leading \s is preceded by (?<!\s) so that a long run of spaces is scanned once,
# not once per position (which made a 20,000-space cell take half a minute).
_MARKED = (
    (re.compile(r"(?<!\s)\s*[\[({]\s*(?:at|@|arobase)\s*[\])}]\s*", re.IGNORECASE), "@", None),
    (re.compile(r"(?<!\s)\s+AT\s+"), "@", "' AT '"),
    (re.compile(r"(?<!\s)\s+arobase\s+", re.IGNORECASE), "@", "' arobase '"),
    (re.compile(r"(?<!\s)\s*[\[({]\s*(?:dot|point|\.)\s*[\])}]\s*", re.IGNORECASE), ".", None),
)
# Plain words are prose as often as obfuscation: tried only on a piece that is
# otherwise invalid, and kept only if the result validates.
_BARE_AT = re.compile(r"(?<!\s)\s+at\s+", re.IGNORECASE)
_BARE_DOT = re.compile(r"(?<!\s)\s+(dot|point)\s+", re.IGNORECASE)
_SPACED_AT = re.compile(r"(?<!\s)\s*@\s*")
_AT_WORD = re.compile(r"\b(?:at|arobase)\b", re.IGNORECASE)

_LABEL = re.compile(r"(e-?mail|courriel|mail|m[eé]l)\s*:\s*", re.IGNORECASE)
_MAILTO = re.compile(r"mailto:\s*", re.IGNORECASE)
# A mailto query runs to the closing bracket, the next mailto: or the end; it is cut
# before splitting because an unencoded subject may hold commas and spaces.
_MAILTO_QUERY = re.compile(r"(mailto:[^?\s<>]*)(\?.*?)(?=>|(?<![\s,;])[\s,;]+mailto:|\Z)",
                           re.IGNORECASE | re.DOTALL)
# Names are matched greedily and stripped afterwards: a lazy name followed by \s*
# backtracks quadratically on long runs of spaces.
_NAME_ANGLE = re.compile(r"(?P<name>[^<>]*)<(?P<addr>[^<>]*)>")
_NAME_PAREN = re.compile(r"(?P<name>[^()@]+)\((?P<addr>[^()\s@]+@[^()\s@]+)\)")
_PAREN_NAME = re.compile(r"(?P<addr>[^()\s@]+@[^()\s@]+)\s*\((?P<name>[^()@]*)\)")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')

_PAIRS = {"(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "«": "»", "“": "”", "‘": "’"}
_OPENERS = {closer: opener for opener, closer in _PAIRS.items()}
_SENTENCE_END = ".,;:!?"

# No single-character top-level domain exists (none has ever been delegated), yet
# email-validator 2.x accepts "name@example.c"; such an address is always a typo.
_SHORT_TLD_REASON = ("The part after the @-sign is not valid. "
                     "A top-level domain has at least two characters.")


def clean_email_field(text: str, *, check_dns: bool = False) -> list[CleanEmail]:
    """One field/cell that may hold zero, one or more addresses. Returns [] for blank.

    Raises InvalidEmail(value, reason) for the first piece that stays invalid after
    cleaning; reason is email-validator's message.
    """
    found: list[CleanEmail] = []
    for outcome in _examine_field(text, check_dns):
        if isinstance(outcome, _Rejected):
            raise InvalidEmail(outcome.input, outcome.reason)
        found.append(outcome)
    return found


def check_email(text: str, *, check_dns: bool = False) -> list[EmailCheck]:
    """One report per address found, for ``pressctl check email``; never raises for bad
    input. Blank input gives []."""
    return [
        EmailCheck(input=outcome.input, valid=True, normalized=outcome.normalized,
                   cleaned=list(outcome.cleaned), error=None)
        if isinstance(outcome, CleanEmail) else
        EmailCheck(input=outcome.input, valid=False, normalized=None,
                   cleaned=list(outcome.cleaned), error=outcome.reason)
        for outcome in _examine_field(text, check_dns)
    ]


def email_key(normalized: str) -> str:
    """Identity key for duplicate detection: local part case-folded, domain lower-cased.

    The domain is lower-cased rather than case-folded because case-folding would merge
    distinct IDN domains ("straße.de" and "strasse.de" are different registrations).
    """
    local, at, domain = normalized.rpartition("@")
    if not at:
        return normalized.casefold()
    return f"{local.casefold()}@{domain.lower()}"


def _examine_field(text: str, check_dns: bool) -> list[CleanEmail | _Rejected]:
    if _PLAIN_ADDRESS.fullmatch(text):
        return [_validated_piece(text, text, (), None, check_dns)]
    quick = _plain_shapes(text, check_dns)
    if quick is not None:
        return quick
    return _examined(text, check_dns)


# Shapes of a field that spreadsheets (and pressctl's own export) write often, read
# without the general clean-up below, which costs ~30-40 µs a field in Python (its
# character scans): plain addresses separated by commas or semicolons ("a@x.org;
# b@y.org"), "mailto:" before a plain address, and a plain address in angle brackets
# after a name of letters ("Jürgen Graßl <j.grassl@x.org>", "<a@x.org>"). Each gives
# exactly what the general path gives (the same pieces, addresses, notes and display
# names: tests compare both on many fields); anything else (a stray separator, spaces
# around the field, a line break, non-ASCII text outside a name, a %-escape or a query
# after mailto:, a name holding a word the general path reads: "AT", "arobase", a
# leading "or"/"et") goes the general way.
_LIST_SEPARATOR = re.compile(r"[,;]")
_PLAIN_MAILTO = re.compile(r"mailto:(?P<addr>[^%?\s]+)", re.IGNORECASE)
_LETTERS_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '.-])*")


def _plain_shapes(text: str, check_dns: bool) -> list[CleanEmail | _Rejected] | None:
    if "\n" in text or "\r" in text or text.strip() != text:
        return None
    if text[-1:] == ">":
        return _named_plain(text, check_dns)
    if not text.isascii():
        return None
    if "," in text or ";" in text:
        parts = [part.strip() for part in _LIST_SEPARATOR.split(text)]
        if not all(_PLAIN_ADDRESS.fullmatch(part) for part in parts):
            return None
        notes = (f"split {len(parts)} addresses in one field",)
        return [_validated_piece(part, part, notes, None, check_dns) for part in parts]
    mailto = _PLAIN_MAILTO.fullmatch(text)
    if mailto is None or not _PLAIN_ADDRESS.fullmatch(address := mailto.group("addr")):
        return None
    return [_validated_piece(text, address, ("removed mailto:",), None, check_dns)]


def _named_plain(text: str, check_dns: bool) -> list[CleanEmail | _Rejected] | None:
    """'Name <addr>' or '<addr>' (see _plain_shapes), else None."""
    match = _NAME_ANGLE.fullmatch(text)
    if match is None or not _PLAIN_ADDRESS.fullmatch(address := match.group("addr")):
        return None
    name = match.group("name")
    if name:
        if not _LETTERS_NAME.fullmatch(name):
            return None
        words = name.split()
        if words[0].lower() in _CONNECTORS or any(
                word == "AT" or word.casefold() == "arobase" for word in words):
            return None
    display_name = _clean_display_name(name)
    note = ("removed angle brackets" if display_name is None
            else "took the address out of 'Name <addr>'")
    return [_validated_piece(text, address, (note,), display_name, check_dns)]


def _examined(text: str, check_dns: bool) -> list[CleanEmail | _Rejected]:
    """The general clean-up of a field (see the module docstring)."""
    field_notes: list[str] = []
    tidy = text
    for table, note in _CHARACTER_FIXES:
        fixed = tidy.translate(table)
        if fixed != tidy:
            field_notes.append(note)
            tidy = fixed
    if tidy.strip() != tidy:
        field_notes.append("trimmed spaces")
    if not tidy.strip():
        return []

    tidy = _MAILTO_QUERY.sub(lambda match: _drop_query(match, field_notes), tidy)
    chunks, strays = _split_hard(tidy)
    field_notes += strays
    pieces: list[tuple[str, list[str]]] = []  # (piece text, notes from its chunk)
    for chunk in chunks:
        chunk, chunk_notes = _replace_marked(chunk)
        pieces += [(piece, chunk_notes) for piece in _split_soft(chunk)]
    if len(pieces) > 1:
        field_notes.append(f"split {len(pieces)} addresses in one field")

    outcomes: list[CleanEmail | _Rejected] = []
    for piece, chunk_notes in pieces:
        address, display_name, piece_notes = _unwrap(piece)
        source = text if len(pieces) == 1 else piece
        notes = (*field_notes, *chunk_notes, *piece_notes)
        outcomes.append(_validated_piece(source, address, notes, display_name, check_dns))
    return outcomes


def _drop_query(match: re.Match[str], notes: list[str]) -> str:
    query = match.group(2)
    notes.append(f"removed {query if len(query) <= 40 else query[:40] + '…'}")
    return match.group(1)


def _split_hard(text: str) -> tuple[list[str], list[str]]:
    """Split at commas, semicolons and line breaks outside "quotes" and <brackets>.

    Returns the non-blank chunks and notes for separators that only produced blanks.
    Outlook's unquoted 'Bresson, Pascale <p@cnes.fr>' is glued back together.
    """
    spans: list[tuple[int, int]] = []
    strays: list[str] = []
    start = 0
    in_quotes = in_angle = escaped = False
    for index, char in enumerate(text + "\n"):  # the sentinel closes the last chunk
        if in_quotes:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif in_angle:
            in_angle = char != ">"
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_angle = True
        elif char in _HARD_SEPARATORS:
            if text[start:index].strip():
                spans.append((start, index))
            elif char in ",;":
                strays.append(f"removed a stray '{char}'")
            start = index + 1
    if spans and text[spans[-1][1]:].strip() in (",", ";"):
        strays.append(f"removed a trailing '{text[spans[-1][1]:].strip()}'")

    glued: list[tuple[int, int]] = []
    for start, end in spans:
        if glued and text[glued[-1][1]] == "," and _is_name_part(text[slice(*glued[-1])]):
            chunk = text[start:end]
            if "<" in chunk and not chunk.lstrip().startswith("<"):
                glued[-1] = (glued[-1][0], end)
                continue
        glued.append((start, end))
    return [text[start:end].strip() for start, end in glued], strays


def _is_name_part(chunk: str) -> bool:
    return "@" not in chunk and "<" not in chunk and not _AT_WORD.search(chunk)


def _replace_marked(chunk: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    for pattern, target, shown in _MARKED:
        for match in pattern.finditer(chunk):
            note = f"replaced {shown or match.group().strip()} with {target}"
            if note not in notes:
                notes.append(note)
        chunk = pattern.sub(target, chunk)
    return chunk, notes


def _split_soft(chunk: str) -> list[str]:
    """Split a chunk into addresses separated only by spaces or words like 'or'/'et'.

    Whitespace-separated words are grouped so that a group ends with the word that
    holds an address's @-sign; words before it (a display name) stay with it, and
    trailing words without one ('(Pascale Bresson)') go with the last address.
    """
    words = _words(chunk)
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for position, (start, end) in enumerate(words):
        word = chunk[start:end]
        if not current and position + 1 < len(words) and word.lower() in _CONNECTORS:
            continue
        current.append((start, end))
        following = chunk[words[position + 1][0]] if position + 1 < len(words) else ""
        unquoted = _QUOTED.sub("", word) if '"' in word else word
        if "@" in unquoted and following not in ("<", "("):
            groups.append(current)
            current = []
    if current:
        if groups:
            groups[-1] += current
        else:
            groups.append(current)
    return [chunk[group[0][0]:group[-1][1]] for group in groups]


def _words(text: str) -> list[tuple[int, int]]:
    """Spans of whitespace-separated words, a "quoted string" or <...> counting as one."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    closer: str | None = None
    for index, char in enumerate(text):
        if closer is not None:
            if char == closer:
                closer = None
            continue
        if char.isspace():
            if start is not None:
                spans.append((start, index))
                start = None
            continue
        if start is None:
            start = index
        if char == '"':
            closer = '"'
        elif char == "<":
            closer = ">"
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _unwrap(piece: str) -> tuple[str, str | None, list[str]]:
    """Take the bare address out of one piece; return it, a display name and notes."""
    notes: list[str] = []
    display_name: str | None = None
    address = piece

    label = _LABEL.match(address)
    if label:
        notes.append(f"removed the label '{label.group(1)}:'")
        address = address[label.end():]
    address = _strip_wrappers(address, notes)

    for pattern, shape in ((_NAME_ANGLE, "Name <addr>"), (_NAME_PAREN, "Name (addr)"),
                           (_PAREN_NAME, "addr (Name)")):
        match = pattern.fullmatch(address)
        if match:
            display_name = _clean_display_name(match.group("name"))
            address = match.group("addr").strip()
            if display_name is None and shape == "Name <addr>":
                notes.append("removed angle brackets")
            else:
                notes.append(f"took the address out of '{shape}'")
            break

    mailto = _MAILTO.match(address)
    if mailto:
        notes.append("removed mailto:")
        address = address[mailto.end():]
        if "%" in address:
            decoded = unquote(address)
            if decoded != address:
                notes.append("decoded %-escapes")
                address = decoded
    return address.strip(), display_name, notes


def _strip_wrappers(text: str, notes: list[str]) -> str:
    """Remove brackets, quotes and sentence punctuation around an address."""
    lead = trail = ""
    text = text.strip()
    while len(text) > 1:
        first, last = text[0], text[-1]
        if first in _PAIRS and last == _PAIRS[first]:
            lead, trail, text = lead + first, last + trail, text[1:-1].strip()
        elif last in _SENTENCE_END or last in _OPENERS and _OPENERS[last] not in text:
            trail, text = last + trail, text[:-1].rstrip()
        elif first in _PAIRS and first not in "'{" and _PAIRS[first] not in text[1:]:
            # ' and { are legal in a local part, so only a matched pair is removed.
            lead, text = lead + first, text[1:].lstrip()
        else:
            break
    if trail == "." and not lead:
        notes.append("removed a trailing dot")
    elif lead and trail:
        notes.append(f"removed '{lead}…{trail}' around the address")
    elif trail:
        notes.append(f"removed a trailing '{trail}'")
    elif lead:
        notes.append(f"removed a leading '{lead}'")
    return text


def _clean_display_name(name: str) -> str | None:
    name = name.strip()
    if len(name) > 1 and name[0] == name[-1] and name[0] in "\"'":
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    name = " ".join(name.split())
    return name or None


def _validated_piece(source: str, address: str, notes: tuple[str, ...],
                     display_name: str | None, check_dns: bool) -> CleanEmail | _Rejected:
    normalized, reason = _validate(address, check_dns)
    if reason is not None and any(char.isspace() for char in address):
        attempt = _join_spelled_out(address)
        if attempt is not None:
            candidate, extra_notes = attempt
            candidate_normalized, candidate_reason = _validate(candidate, check_dns)
            if candidate_reason is None:
                normalized, reason, notes = candidate_normalized, None, (*notes, *extra_notes)
    if normalized is None:
        return _Rejected(source, notes, reason or "")
    return CleanEmail(source, normalized, notes, display_name)


def _join_spelled_out(address: str) -> tuple[str, list[str]] | None:
    """'name at org dot fr' -> 'name@org.fr' when exactly one ' at ' splits two words."""
    notes: list[str] = []
    candidate = address
    if "@" in candidate:
        joined = _SPACED_AT.sub("@", candidate)
        if joined != candidate:
            notes.append("removed spaces around @")
            candidate = joined
    else:
        parts = _BARE_AT.split(candidate)
        if len(parts) != 2 or not all(parts):
            return None
        candidate = "@".join(parts)
        notes.append("replaced ' at ' with @")
    for word in dict.fromkeys(word.lower() for word in _BARE_DOT.findall(candidate)):
        notes.append(f"replaced ' {word} ' with .")
    candidate = _BARE_DOT.sub(".", candidate)
    if not notes or any(char.isspace() for char in candidate):
        return None
    return candidate, notes


def _validate(address: str, check_dns: bool) -> tuple[str | None, str | None]:
    if check_dns:
        # Not cached: a DNS answer (or a time-out) is only true for the moment it came.
        return _run_validator(address, check_dns=True)
    return _validate_offline(address)


# Checking the domain is most of email-validator's work (IDNA and a Unicode test per
# character: about 20 µs, even for a short domain) and a contact list repeats few
# domains. So a plain address is validated in two halves with email-validator's own
# rules: the local part by its local-part function (what validate_email applies to an
# unquoted local part, 0.5 µs), the domain through validate_email once per distinct
# domain. Anything unusual (quoting, display names, literals, long addresses, where
# the whole-address rules and messages matter) goes through whole. A test checks that
# both ways answer alike.
_STAND_IN_LOCAL = "x"
_WHOLE_FROM_LENGTH = 200
_NEEDS_WHOLE = re.compile(r'["\\\[\]()<>\s,;:]')


@lru_cache(maxsize=8192)  # repeats in a list are near each other; memory stays flat
def _validate_offline(address: str) -> tuple[str | None, str | None]:
    # Bulk imports repeat addresses (re-imports, duplicate rows, the same press office
    # in many contacts); invalid results are cached too, hence a tuple, not an exception.
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or "@" in local or len(address) >= _WHOLE_FROM_LENGTH \
            or _NEEDS_WHOLE.search(address):
        return _run_validator(address, check_dns=False)
    local_part, reason = _validate_local(local)
    if reason:
        return None, reason
    domain_normalized, reason = _validate_domain(domain)
    if reason:
        return None, reason
    return f"{local_part}@{domain_normalized}", None


@cache
def _local_part_rules() -> tuple[Any, Any, frozenset[str] | Any]:
    """email-validator, its local-part function and its case-insensitive mailbox names,
    imported on first use (an import statement per address cost ~1 µs of ~20)."""
    import email_validator
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
    from email_validator.syntax import validate_email_local_part

    return email_validator, validate_email_local_part, CASE_INSENSITIVE_MAILBOX_NAMES


def _nfc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", text)


def _validate_local(local: str) -> tuple[str | None, str | None]:
    """validate_email's handling of an unquoted local part, step for step."""
    email_validator, validate_email_local_part, CASE_INSENSITIVE_MAILBOX_NAMES = (
        _local_part_rules())
    options = {"allow_smtputf8": email_validator.ALLOW_SMTPUTF8,
               "allow_empty_local": email_validator.ALLOW_EMPTY_LOCAL,
               "quoted_local_part": False, "strict": email_validator.STRICT}
    try:
        info = validate_email_local_part(local, **options)
        normalized = local if local.isascii() else _nfc(local)  # NFC: ASCII is as it is
        if normalized != local:
            try:
                info = validate_email_local_part(normalized, **options)
            except email_validator.EmailSyntaxError as error:
                raise email_validator.EmailSyntaxError(
                    "After Unicode normalization: " + str(error)) from error
    except email_validator.EmailNotValidError as error:
        return None, str(error)
    part = info["local_part"]
    ascii_part = info["ascii_local_part"]
    if ascii_part is not None and ascii_part.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        part = part.lower()
    return part, None


@lru_cache(maxsize=8192)
def _validate_domain(domain: str) -> tuple[str | None, str | None]:
    normalized, reason = _run_validator(f"{_STAND_IN_LOCAL}@{domain}", check_dns=False)
    return (normalized.rpartition("@")[2] if normalized else None), reason


def _run_validator(address: str, *, check_dns: bool) -> tuple[str | None, str | None]:
    """(normalized, None) if valid, else (None, reason)."""
    import email_validator  # 17 ms to import: only commands that validate pay for it

    try:
        # Looked up on the module at call time so tests can substitute it.
        result = email_validator.validate_email(address, check_deliverability=check_dns)
    except email_validator.EmailNotValidError as error:
        return None, str(error)
    top_level = (result.ascii_domain or result.domain).rpartition(".")[2]
    if len(top_level) < 2:
        return None, _SHORT_TLD_REASON
    return result.normalized, None

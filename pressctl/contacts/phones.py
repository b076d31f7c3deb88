"""Phone numbers as press people write them: parse, validate, store and display.

A field (a cell of a spreadsheet, a line of a press release) may hold several numbers with
labels, annotations and extensions. Everything is parsed with ``phonenumbers`` and stored as
E.164 plus extension (:class:`pressctl.contacts.model.Phone`).

Field grammar, as accepted by :func:`parse_phone_field`:

* Numbers are separated by a newline, ``;``, ``|``, ``,``, the words ``or``/``ou``/``oder``/``o``,
  or ``/`` once at least 7 digits stand on its left (so the German ``030/1234567`` stays one
  number). Separators inside parentheses do not count.
* A part of at most 4 digits after a full number replaces that number's last digits:
  ``202-358-1726/3895`` is 202-358-1726 and 202-358-3895. It inherits the leading label.
* Extension markers (case-insensitive) followed by digits: ``ext``, ``ext.``, ``extn``,
  ``extension``, ``extensión``, ``x``, ``poste``, ``p.``, ``int``, ``int.``, ``interno``,
  ``Durchwahl``, ``DW``; ``:``, ``=`` or ``-`` may sit between marker and digits. A part that is
  only an extension (``..., ext. 5``) belongs to the number before it.
* ``00`` in front means the international prefix whatever the default region, except where
  the region's own international prefix starts with 00 and is longer (Australia's 0011).
* ``(0)`` is the trunk digit that callers from abroad drop. It is dropped for countries whose
  trunk prefix is 0; for countries without one it is kept when the number is valid with it
  (Italy: +39 (0)6... is +39 06...) and dropped otherwise (+1 (0)202... is +1 202...).
* Words before or after the digits are labels, never keypad letters. Letters glued to the
  digits (``1-800-FLOWERS``) form a vanity number. Type words (``_FAX_WORDS``,
  ``_MOBILE_WORDS``, and a lone ``T``/``F``/``M`` prefix as in e-mail signatures) set the
  type; fax wins over mobile. Filler words ("Tél.", "Phone", "No.") are dropped; the rest
  is kept as written as the label ("standard", "Zentrale"), prefix and suffix joined by ", ".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import NamedTuple, TypedDict

import phonenumbers as pn
import phonenumbers.phonenumberutil as _pnu
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as Possible

from pressctl.contacts.model import Phone
from pressctl.contacts.phone_display import house_text, quick_format, quick_forms
from pressctl.contacts.phone_forms import STYLES as STYLES  # read from here too
from pressctl.contacts.phone_forms import formatter
from pressctl.contacts.phone_forms import normal_region as _normal_region
from pressctl.contacts.phone_types import region_and_type
from pressctl.errors import InvalidPhone

CACHE_SIZE = 8192

NO_REGION = (
    "has no country code and no default region (use --region XX or set the contact's country)"
)

_FAX_WORDS = frozenset(
    ["fax", "faxe", "télécopie", "telecopie", "télécopieur", "telecopieur", "telefax", "téléfax"]
)
_MOBILE_WORDS = frozenset(
    ["mobile", "mobil", "mob", "portable", "port", "cell", "cellphone", "cellular", "handy",
     "móvil", "movil", "celular", "cellulare", "gsm", "natel"]
)
# Words that only say "this is a phone number" or join two labels; they make no label.
_FILLER_WORDS = frozenset(
    ["tel", "tél", "téléphone", "telephone", "phone", "ph", "telefon", "telefono", "teléfono",
     "tfno", "tlf", "fon", "no", "nr", "n°", "num", "number", "numéro", "numero",
     "et", "and", "und", "e", "y", "&"]
)
# One-letter prefixes from e-mail signatures ("T +33 1 ...", "M: +33 6 ..."); only alone.
_LETTER_KINDS = {"t": None, "f": "fax", "m": "mobile"}

# Typographic spaces and dashes that spreadsheets and word processors put into numbers.
_UNIFORM = str.maketrans(
    {
        **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u3000\t", " "),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
        "\uff0b": "+",
    }
)
_MAY_SPLIT = re.compile(r"[;\n\r|,/]|\s(?:or|ou|oder|o)\s", re.IGNORECASE)
_WORD_SEPARATOR = re.compile(r"\s+(?:or|ou|oder|o)\s+", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(r"\+?[\d .\-]*\d")
_DIGIT = re.compile(r"\d")
_NON_DIGITS = re.compile(r"\D+")
_LETTER = re.compile(r"[^\W\d_]")
_NUMBER_START = re.compile(r"\+|\d|[(\[]\s*[+\d]")
_NUMBER_BODY = re.compile(r"[+\d()\[\]\s.\-/]*")
_EXTENSION = re.compile(
    r"[\s,]*(?:ext(?:ension|n)?\.?|extensi[oó]n|x|poste|p\.|int\.?|interno|durchwahl|dw\.?)"
    r"\s*[:=]?\s*-?\s*(\d{1,7})(?!\d)",
    re.IGNORECASE,
)
_VANITY_REST = re.compile(r"[-.]?[^\W\d_][\w\-.]*")
_TRUNK_ZERO = re.compile(r"[(\[]\s*0\s*[)\]]")
_COUNTRY_DIGITS = re.compile(r"\+\s*\(?\s*(\d{1,3})")
_LABEL_WORD = re.compile(r"[^\s:;,/()\[\]|]+")


class _Piece(NamedTuple):
    """One number's share of a field, still as written."""

    text: str
    prefix: str
    core: str
    extension: str | None
    tail: str


class PhoneCheck(TypedDict):
    """What `pressctl check phone` says of one number (and prints with --json, in this
    order). ``international`` and ``national`` are the bare number, without extension."""

    input: str
    valid: bool
    e164: str | None
    international: str | None
    national: str | None
    type: str | None
    extension: str | None
    error: str | None


class _Outcome(NamedTuple):
    input: str
    phone: Phone | None
    error: str | None


# --------------------------------------------------------------------------- public API


def parse_phone_field(text: str, region: str | None) -> list[Phone]:
    """Parse one field that may hold several numbers, labels and annotations.

    ``region`` is the ISO 3166 default region for numbers written without a country code.
    Raises :class:`InvalidPhone` for the first invalid number; a blank field gives ``[]``.
    """
    if not text or text.isspace():
        return []
    phones = []
    for outcome in _parse_field(text.strip(), _normal_region(region)):
        if outcome.phone is None:
            raise InvalidPhone(outcome.input, outcome.error or "is not a phone number")
        phones.append(outcome.phone)
    return phones


def check_phone(text: str, region: str | None) -> list[PhoneCheck]:
    """One report per number in ``text`` for ``pressctl check phone``; never raises.

    ``international`` and ``national`` are the bare number; the extension has its own key.
    Blank input gives one invalid report ("is empty") so the user always sees an answer.
    """
    if not text or text.isspace():
        return [_report(_Outcome(text or "", None, "is empty"))]
    return [_report(outcome) for outcome in _parse_field(text.strip(), _normal_region(region))]


def format_phone(phone: Phone, style: str = "international", own_country: str | None = None) -> str:
    """Display a stored number; see ``STYLES``. The extension is appended as " ext. 5"."""
    return phone_formatter(style, own_country)(phone)


def phone_formatter(style: str, own_country: str | None = None) -> Callable[[Phone], str]:
    """:func:`format_phone` with the style and own country fixed, checked once: for the
    many numbers of a list or an export. Numbers read with their stored display forms
    are shown from them (pressctl.contacts.phone_forms), the others from :func:`_shown`."""
    return formatter(style, own_country)


@lru_cache(maxsize=CACHE_SIZE)
def display_forms(e164: str, region: str | None = None) -> tuple[str, str, str] | None:
    """What the store keeps beside a number so that showing it needs no phonenumbers
    (pressctl.contacts.phone_forms): its international and national forms (without
    extension) and its region ("" where phonenumbers names none), all as :func:`_shown`
    and phonenumbers give them. None for a number phonenumbers cannot read, or (never
    seen) one whose international form does not start with "+code ", which "house" reads.
    ``region``: the number's region as validation found it (:func:`region_found`), when
    known, so that a number of a code several regions share is not matched again.
    Cached: a book repeats its switchboards."""
    forms = quick_forms(e164, region)
    if forms is not None:
        return forms
    try:
        international = _shown(e164, "international", "")
        national = _shown(e164, "national", "")
    except InvalidPhone:
        return None
    head, space, _ = international.partition(" ")
    if not (space and head[1:].isdigit() and e164.startswith(head)):
        return None
    return international, national, pn.region_code_for_number(_stored_number(e164)) or ""


# The regions validation found for numbers of a code several regions share (+1, +44,
# +7): e164 -> region ("" for none). An import's validation (in a worker process) sends
# each with its number (pressctl.book.importer), and the store's display forms read it
# instead of matching the number against each region's rules again. A hint, bounded: a
# number not found here has its region looked up as ever.
_FOUND_REGIONS: dict[str, str] = {}


def region_found(e164: str) -> str | None:
    """The region the last validation of ``e164`` in this process found (see
    _FOUND_REGIONS); None when it was not noted (or forgotten)."""
    return _FOUND_REGIONS.get(e164)


def _note_region(e164: str, region: str) -> None:
    if len(_FOUND_REGIONS) >= CACHE_SIZE:
        _FOUND_REGIONS.clear()
    _FOUND_REGIONS[e164] = region


@cache
def _shared_code(code: int) -> bool:
    """Whether several regions share the country calling code ``code``."""
    return len(pn.COUNTRY_CODE_TO_REGION_CODE.get(code, ())) > 1


def shown_without_stored_forms(e164: str, style: str, own_region: str) -> str:
    """A style of a number the store read no display forms for: :func:`_shown`."""
    return _shown(e164, style, own_region)


@lru_cache(maxsize=CACHE_SIZE)
def _shown(e164: str, style: str, own_region: str) -> str:
    """One display form of a stored number: read from the metadata without a parse
    (pressctl.contacts.phone_display), else from a parse. Cached: a book repeats its
    switchboards; one display form per number and style, ever."""
    quick = quick_format(e164, style, own_region)
    if quick is not None:
        return quick
    number = _stored_number(e164)
    if style == "auto":
        at_home = pn.region_code_for_number(number) == own_region
        style = "national" if at_home else "international"
    if style == "national":
        return pn.format_number(number, PhoneNumberFormat.NATIONAL)
    international = pn.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    if style == "house":
        return house_text(number.country_code or 0, international,
                          pn.format_number(number, PhoneNumberFormat.NATIONAL))
    return international


def field_text(phone: Phone, number: str | None = None) -> str:
    """A stored phone written as a field that parse_phone_field reads back to the same
    phone: its type as a label, the number (``number`` if given, a display form, else
    E.164 with its extension) and its annotation: "Mobile: +33625796479 (direct)"."""
    prefix = {"mobile": "Mobile: ", "fax": "Fax: "}.get(phone.type, "")
    if number is None:
        number = phone.e164 + (f" ext. {phone.extension}" if phone.extension else "")
    label = f" ({phone.label})" if phone.label else ""
    return f"{prefix}{number}{label}"


# --------------------------------------------------------------------------- field level


@lru_cache(maxsize=CACHE_SIZE)
def _parse_field(text: str, region: str | None) -> tuple[_Outcome, ...]:
    """Pure and cached: contact lists repeat the same switchboard numbers many times."""
    pieces = _pieces(text if text.isascii() else text.translate(_UNIFORM))
    if not pieces:
        return (_Outcome(text, None, "has no digits"),)
    if len(pieces) == 1:
        return (_outcome(pieces[0], pieces[0].core, region),)
    outcomes = []
    previous_core = previous_prefix = ""
    for piece in pieces:
        core = piece.core
        suffix = bool(previous_core) and _is_suffix(core, previous_core)
        if suffix:
            core = _replace_last_digits(previous_core, _digits(core))
            if not piece.prefix:
                piece = piece._replace(prefix=previous_prefix)
        outcome = _outcome(piece, core, region)
        if suffix and outcome.phone is None:  # say which number its digits stand for
            outcome = outcome._replace(error=f"stands for {core.strip()}, which {outcome.error}")
        outcomes.append(outcome)
        previous_core, previous_prefix = core, piece.prefix
    return tuple(outcomes)


def _pieces(text: str) -> list[_Piece]:
    """Split a field into numbers; label-only and extension-only parts join a neighbour."""
    pieces: list[_Piece] = []
    pending_label = ""
    for part in _split_field(text):
        if not _DIGIT.search(part):
            if pieces:  # trailing annotation, e.g. "01 44 76 75 39, standard"
                last = pieces[-1]
                pieces[-1] = last._replace(tail=f"{last.tail} {part}")
            else:  # leading label split off, e.g. "Tél. et fax ; 01 ..."
                pending_label = f"{pending_label} {part}"
            continue
        if pieces and pieces[-1].extension is None and (alone := _EXTENSION.fullmatch(part)):
            pieces[-1] = pieces[-1]._replace(extension=alone.group(1))
            continue
        piece = _split_piece(part)
        if pending_label:
            piece = piece._replace(prefix=f"{pending_label} {piece.prefix}")
            pending_label = ""
        pieces.append(piece)
    return pieces


def _split_field(text: str) -> list[str]:
    if not _MAY_SPLIT.search(text):
        return [text]
    parts = []
    depth = start = i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            if ch in ";\n\r|," or (ch == "/" and len(_digits(text[start:i])) >= 7):
                parts.append(text[start:i])
                start = i + 1
            elif ch.isspace() and (word := _WORD_SEPARATOR.match(text, i)):
                parts.append(text[start:i])
                start = i = word.end()
                continue
        i += 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _split_piece(part: str) -> _Piece:
    if _PLAIN_NUMBER.fullmatch(part):  # most cells: nothing but the number
        return _Piece(part, "", part, None, "")
    start = _NUMBER_START.search(part)
    if start is None:
        return _Piece(part, part, "", None, "")
    begin = start.start()
    body = _NUMBER_BODY.match(part, begin)  # matches, if only "": the pattern ends in *
    raw = body.group() if body else ""
    core = _close_brackets(raw).rstrip(" .-/([")
    end = begin + len(core)
    tail = part[end:]
    extension = None
    if found := _EXTENSION.match(tail):
        extension = found.group(1)
        tail = tail[found.end() :]
    elif core and core[-1] not in " (" and (vanity := _VANITY_REST.match(tail)):
        # letters glued to the digits belong to a vanity number; spaced words do not
        core += vanity.group()
        tail = tail[vanity.end() :]
    return _Piece(part, part[:begin], core, extension, tail)


def _close_brackets(raw: str) -> str:
    """Cut the number before an unclosed or stray bracket: "39 (standard)" ends at "39 "."""
    opened: list[int] = []
    for i, ch in enumerate(raw):
        if ch in "([":
            opened.append(i)
        elif ch in ")]":
            if not opened:
                return raw[:i]
            opened.pop()
    return raw[: opened[0]] if opened else raw


def _is_suffix(core: str, previous_core: str) -> bool:
    """A short tail of digits after a full number: "202-358-1726/3895"."""
    return (
        1 <= len(_digits(core)) <= 4
        and "+" not in core
        and len(_digits(previous_core)) >= 7
        and not _LETTER.search(previous_core)
    )


def _replace_last_digits(core: str, digits: str) -> str:
    chars, pending = list(core), len(digits)
    for i in range(len(chars) - 1, -1, -1):
        if pending and chars[i].isdigit():
            pending -= 1
            chars[i] = digits[pending]
    return "".join(chars)


def _digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


# --------------------------------------------------------------------------- one number


def _outcome(piece: _Piece, core: str, region: str | None) -> _Outcome:
    number, number_type, error, found = _read_number(core, region)
    if number is None:
        return _Outcome(piece.text, None, error)
    kind, label = _kind_and_label(piece.prefix, piece.tail)
    if kind is None:
        kind = "mobile" if number_type == PhoneNumberType.MOBILE else "work"
    e164 = f"+{number.country_code}{pn.national_significant_number(number)}"
    if _shared_code(_country_code(number)):
        _note_region(e164, found or "")
    extension = piece.extension or number.extension or None
    return _Outcome(piece.text, Phone(e164, extension, kind, label), None)


def _read_number(core: str, region: str | None
                 ) -> tuple[pn.PhoneNumber | None, int, str | None, str | None]:
    """The valid number written in ``core``, its type and the region it belongs to
    (pn.region_code_for_number's), or None and the reason."""
    unknown = PhoneNumberType.UNKNOWN
    if not _DIGIT.search(core):
        return None, unknown, "has no digits", None
    text = core.lstrip("([ ")
    if text.startswith("00") and not _region_dials_longer_idd(region, text):
        text = "+" + text[2:]
    else:
        text = core
    international = text.lstrip("([ ").startswith("+")
    known_region = region if region in pn.SUPPORTED_REGIONS else None
    if not international:
        if region is None:
            return None, unknown, NO_REGION, None
        if known_region is None:
            unknown_region = f'has no country code and the default region "{region}" is unknown'
            return None, unknown, unknown_region, None
    try:
        zero = _TRUNK_ZERO.search(text)
        if zero is None:
            number = _parse(text, international, known_region)
        elif international:
            number = _read_trunk_zero(text, zero)
        else:  # a national number: "(0)1 44 ..." is just its trunk 0
            number = _parse(f"{text[: zero.start()]}0{text[zero.end():]}", False, known_region)
    except NumberParseException as exc:
        return None, unknown, _parse_error_reason(exc, text, international, known_region), None
    found, number_type = _region_and_type(number)
    if number_type == unknown:
        return None, unknown, _invalid_reason(number, known_region, international), None
    return number, number_type, None, found


def _read_trunk_zero(text: str, zero: re.Match) -> pn.PhoneNumber:
    before, after = text[: zero.start()], text[zero.end() :]
    dropped = _parse(f"{before} {after}", True, None)
    if _trunk_prefix(dropped.country_code) == "0":
        return dropped
    # No trunk prefix: a leading 0 may be part of the number itself (Italy), so keep it
    # when that is what makes the number valid; else "(0)" was written out of habit.
    kept = _parse(f"{before} 0{after}", True, None)
    if _valid_type(kept) != PhoneNumberType.UNKNOWN:
        return kept
    return dropped


def _parse(text: str, international: bool, region: str | None) -> pn.PhoneNumber:
    """``pn.parse`` on the bare digits: separators change nothing in what it reads but cost
    time in its own cleaning. Vanity letters are left for phonenumbers to translate."""
    if not _LETTER.search(text):
        digits = _NON_DIGITS.sub("", text)
        text = f"+{digits}" if international else digits
        number = _parse_digits(text, region)
        if number is not None:
            return number
    return pn.parse(text, region)


_NOT_STRIPPED = (Possible.TOO_SHORT, Possible.IS_POSSIBLE_LOCAL_ONLY, Possible.INVALID_LENGTH)


def _parse_digits(text: str, region: str | None) -> pn.PhoneNumber | None:
    """``pn.parse(text, region)`` for the text :func:`_parse` makes of most numbers: ASCII
    digits, after one "+" or not, and a supported region or none. None: anything else, and
    any number ``pn.parse`` refuses, which ``pn.parse`` is then asked to say why.

    The same steps as ``pn.parse``, through its own helpers, without those that change
    nothing in such a text (finding the number in it, its extension, its punctuation)
    and without its digit-by-digit normalisation (a Unicode lookup per digit): half of
    its cost. Tests compare both on the sample contacts, the benchmark's numbers and
    generated ones. The number's validity is still phonenumbers' (:func:`_valid_type`)."""
    plus = text[:1] == "+"
    digits = text[1:] if plus else text
    if not (3 <= len(digits) <= 200 and digits.isascii() and digits.isdigit()):
        return None
    metadata = pn.PhoneMetadata.metadata_for_region(region, None) if region else None
    if metadata is None and not plus:
        return None  # pn.parse: INVALID_COUNTRY_CODE (no region to read it in)
    number = pn.PhoneNumber()
    code = 0
    national = digits
    if not plus:
        assert metadata is not None
        idd = _compiled(metadata.international_prefix or "NonMatch")
        plus, digits = _pnu._parse_prefix_as_idd(idd, digits)
    if plus:
        if len(digits) <= _pnu._MIN_LENGTH_FOR_NSN:
            return None  # TOO_SHORT_AFTER_IDD
        code, national = _pnu._extract_country_code(digits)
        if code == 0:
            return None  # INVALID_COUNTRY_CODE, or pn.parse's second reading
    elif (metadata is not None
          and digits.startswith(prefix := str(metadata.country_code))):
        # pn._maybe_extract_country_code: the region's own code written without "+"
        general = metadata.general_desc
        _, stripped, _ = _pnu._maybe_strip_national_prefix_carrier_code(
            digits[len(prefix):], metadata)
        if ((not _pnu._match_national_number(digits, general, False)
             and _pnu._match_national_number(stripped, general, False))
                or _pnu._test_number_length(digits, metadata) == Possible.TOO_LONG):
            code = metadata.country_code or 0  # a region's metadata always has its code
            national = stripped
    if code:
        number.country_code = code
        number_region = pn.region_code_for_country_code(code)
        if number_region != region:
            metadata = pn.PhoneMetadata.metadata_for_region_or_calling_code(code,
                                                                            number_region)
    else:
        assert metadata is not None
        number.country_code = metadata.country_code
    if len(national) < _pnu._MIN_LENGTH_FOR_NSN:
        return None  # TOO_SHORT_NSN
    if metadata is not None:
        _, potential, _ = _pnu._maybe_strip_national_prefix_carrier_code(national, metadata)
        if _pnu._test_number_length(potential, metadata) not in _NOT_STRIPPED:
            national = potential
    if not _pnu._MIN_LENGTH_FOR_NSN <= len(national) <= _pnu._MAX_LENGTH_FOR_NSN:
        return None  # TOO_SHORT_NSN, TOO_LONG
    _pnu._set_italian_leading_zeros_for_phone_number(national, number)
    number.national_number = int(national)
    return number


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _parse_error_reason(
    exc: NumberParseException, text: str, international: bool, region: str | None
) -> str:
    kind = exc.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        if not international:
            return NO_REGION
        code = _COUNTRY_DIGITS.search(text)
        return f"has an unknown country code +{code.group(1)}" if code else "has no country code"
    if kind == NumberParseException.TOO_LONG:
        return "is too long"
    if kind == NumberParseException.TOO_SHORT_AFTER_IDD:
        return "is too short (nothing usable after the international prefix)"
    where = f" for {region}" if region and not international else ""
    return f"is too short{where}"  # TOO_SHORT_NSN and NOT_A_NUMBER (a single digit)


def _invalid_reason(number: pn.PhoneNumber, region: str | None, international: bool) -> str:
    code = _country_code(number)
    if not international and region and pn.country_code_for_region(region) == code:
        region_code, national = region, True
    else:
        region_code, national = pn.region_code_for_country_code(code), False
    geographic = region_code not in ("ZZ", pn.REGION_CODE_FOR_NON_GEO_ENTITY)
    where = region_code if geographic else f"+{code}"
    why = pn.is_possible_number_with_reason(number)
    if why == Possible.INVALID_COUNTRY_CODE:
        return f"has an unknown country code +{code}"
    if why == Possible.IS_POSSIBLE:
        return f"is not a valid number in {where}"
    if why == Possible.IS_POSSIBLE_LOCAL_ONLY:
        return f"is too short for {where} (a local number: add the area code)"
    expected = _expected_digits(code, region_code, national)
    if why == Possible.TOO_SHORT:
        return f"is too short for {where} ({expected})"
    if why == Possible.TOO_LONG:
        return f"is too long for {where} ({expected})"
    return f"has the wrong number of digits for {where} ({expected})"


def _expected_digits(code: int, region_code: str, national: bool) -> str:
    metadata = _metadata(code, region_code)
    general = metadata.general_desc if metadata else None
    if metadata is None or general is None or not general.possible_length:
        return "check the number of digits"
    lengths = sorted(general.possible_length)
    if len(lengths) == 1:
        count = str(lengths[0])
    elif lengths == list(range(lengths[0], lengths[-1] + 1)):
        count = f"{lengths[0]} to {lengths[-1]}"
    else:
        count = ", ".join(map(str, lengths[:-1])) + f" or {lengths[-1]}"
    if not national:
        return f"expected {count} digits after +{code}"
    if metadata.national_prefix:
        return f"expected {count} digits after the trunk {metadata.national_prefix}"
    return f"expected {count} digits"


def _valid_type(number: pn.PhoneNumber) -> int:
    """``number_type`` computed once; UNKNOWN means invalid, exactly as is_valid_number."""
    return _region_and_type(number)[1]


def _region_and_type(number: pn.PhoneNumber) -> tuple[str | None, int]:
    """region_code_for_number and number_type in one walk (pressctl.contacts.phone_types)."""
    return region_and_type(_country_code(number), pn.national_significant_number(number))


# --------------------------------------------------------------------------- labels


@lru_cache(maxsize=4096)  # the same few labels ("Tél. :", "(standard)") recur on every row
def _kind_and_label(prefix: str, tail: str) -> tuple[str | None, str | None]:
    kind = None
    kept_parts = []
    for position, text in enumerate((prefix, tail)):
        words = _LABEL_WORD.findall(text)
        kept = []
        for word in words:
            key = word.strip(".-=").casefold()
            if key in _FAX_WORDS:
                kind = "fax"
            elif key in _MOBILE_WORDS:
                kind = kind or "mobile"
            elif len(words) == 1 and position == 0 and key in _LETTER_KINDS:
                kind = kind or _LETTER_KINDS[key]
            elif key and key not in _FILLER_WORDS:
                kept.append(word.strip("-").rstrip("."))
        if kept:
            kept_parts.append(" ".join(kept))
    return kind, ", ".join(kept_parts) or None


# --------------------------------------------------------------------------- display


def _report(outcome: _Outcome) -> PhoneCheck:
    phone = outcome.phone
    bare = Phone(phone.e164) if phone else None
    return PhoneCheck(
        input=outcome.input,
        valid=phone is not None,
        e164=phone.e164 if phone else None,
        international=format_phone(bare, "international") if bare else None,
        national=format_phone(bare, "national") if bare else None,
        type=phone.type if phone else None,
        extension=phone.extension if phone else None,
        error=outcome.error,
    )


@lru_cache(maxsize=4096)
def _stored_number(e164: str) -> pn.PhoneNumber:
    try:
        return pn.parse(e164, None)
    except NumberParseException:
        raise InvalidPhone(e164, "is not a stored E.164 number") from None


# --------------------------------------------------------------------------- metadata


@cache
def _metadata(code: int, region: str) -> pn.PhoneMetadata | None:
    return pn.PhoneMetadata.metadata_for_region_or_calling_code(code, region)


@cache
def _trunk_prefix(code: int) -> str | None:
    metadata = _metadata(code, pn.region_code_for_country_code(code))
    return metadata.national_prefix if metadata else None


def _region_dials_longer_idd(region: str | None, text: str) -> bool:
    """True when the region's own international prefix is a longer 00... (Australia's 0011);
    phonenumbers reads those correctly, and rewriting 00 to + would break them."""
    metadata = pn.PhoneMetadata.metadata_for_region(region) if region else None
    prefix = metadata.international_prefix if metadata else None
    found = re.match(prefix, _digits(text)) if prefix else None
    return found is not None and found.end() > 2


def _country_code(number: pn.PhoneNumber) -> int:
    """A parsed number always has a country code; phonenumbers' types say it may not."""
    if number.country_code is None:  # pragma: no cover - pn.parse always sets it
        raise InvalidPhone(str(number), "has no country code")
    return number.country_code

"""vCard files written: 3.0 or 4.0 cards, from Contacts (:func:`iter_vcards`,
:func:`write_vcards`) or from the store's rows (:func:`iter_vcard_rows`, for `contacts
export`: pressctl.contacts.contact_rows, no Contact built; issue 12). Both write a card
from the same lines, with the same escaping, folding, UID and REV
(tests/contacts/test_contact_row_writers.py holds them to the same bytes). What the
card's properties mean, and how they are read back: pressctl.contacts.formats.vcard.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pressctl.contacts.contact_rows import ContactRow, languages_of, scan, strings_of
from pressctl.contacts.model import Contact, Phone

SUPPORTED_WRITE_VERSIONS = ("3.0", "4.0")
PRODID = "-//pressctl//pressctl//EN"
MAX_LINE_OCTETS = 75

# Fixed namespace so that the same contact always gets the same UID across exports,
# which lets address books update a card instead of duplicating it.
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pressctl.invalid/vcard/contact")
_UID_SEED = _UID_NAMESPACE.bytes
_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}  # a hex digit's top bits made 10

# ROLE, the profession (Outlook's "Profession" field), says the kind of contact.
_ROLE_OF_KIND = {"journalist": "Journalist", "officer": "Press officer"}
_SPECIAL = re.compile(r"[\\,;\r\n]")  # what a text value escapes

_TYPES_V3 = {"mobile": "CELL", "fax": "WORK,FAX"}  # _phone_types, without a Phone
_TYPES_V4 = {"mobile": "cell", "fax": "work,fax"}


def iter_vcard_rows(rows: Iterable[ContactRow], version: str,
                    number: Callable[[list[Any]], str]) -> Iterator[str]:
    """vcard.iter_vcards of the store's rows, one card a chunk. ``number`` shows a
    phone's JSON row in a 3.0 TEL (its full text, extension included), as
    ``phone_text`` a Phone. The version is checked now, not at the first card."""
    if version not in SUPPORTED_WRITE_VERSIONS:
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    return (_card(_row_lines(row, version, number)) for row in rows)


def _row_lines(row: ContactRow, version: str,
               number: Callable[[list[Any]], str]) -> list[str]:
    (cid, name, kind, role, organization, outlet, languages, country, notes, embargo_ok,
     opted_out, _, updated, salutation, first_name_ok, emails, phones, tags,
     roles) = row
    addresses = strings_of(emails)
    numbers: list[list[Any]] = scan(phones, 0)[0] if phones != "[]" else []
    labels = strings_of(tags)
    titles: dict[str, str] = scan(roles, 0)[0] if roles != "{}" else {}
    spoken = languages_of(languages)
    is_v4 = version == "4.0"
    texts = [] if is_v4 else [number(phone) for phone in numbers]
    # Most cards have nothing to escape: asked once of all their values, not of each.
    plain = _SPECIAL.search("".join([
        name, kind, role or "", organization or "", outlet or "", notes or "",
        salutation or "", country or "", *addresses, *texts, *labels, *spoken,
        *titles.values()])) is None
    esc: Callable[[str], str] = str if plain else _escape
    family, given = _split_name(name)
    lines = (["BEGIN:VCARD", f"VERSION:{version}", "KIND:individual", f"PRODID:{PRODID}"]
             if is_v4 else ["BEGIN:VCARD", f"VERSION:{version}", f"PRODID:{PRODID}"])
    lines.append(f"FN:{esc(name)}")
    lines.append(f"N:{esc(family)};{esc(given)};;;")
    shown = ((outlet or organization) if kind == "journalist"
             else (organization or outlet))
    if shown:
        lines.append(f"ORG:{esc(shown)}")
    if role:
        lines.append(f"TITLE:{esc(role)}")
    for language, text in titles.items():
        lines.append(f"TITLE;LANGUAGE={language}:{esc(text)}")
    if kind in _ROLE_OF_KIND:
        lines.append(f"ROLE:{_ROLE_OF_KIND[kind]}")
    if addresses:
        if is_v4:
            lines.append(f"EMAIL;PREF=1:{esc(addresses[0])}")
            lines.extend([f"EMAIL:{esc(a)}" for a in addresses[1:]])
        else:
            lines.append(f"EMAIL;TYPE=INTERNET,PREF:{esc(addresses[0])}")
            lines.extend([f"EMAIL;TYPE=INTERNET:{esc(a)}" for a in addresses[1:]])
    if is_v4:
        for phone in numbers:
            e164, extension = phone[0], phone[1]
            lines.append(f"TEL;VALUE=uri;TYPE={_TYPES_V4.get(phone[2], 'work,voice')}:"
                         f"tel:{e164}" + (f";ext={extension}" if extension else ""))
    else:
        lines.extend([f"TEL;TYPE={_TYPES_V3.get(phone[2], 'WORK,VOICE')}:{esc(text)}"
                      for phone, text in zip(numbers, texts, strict=True)])
    if labels:
        lines.append("CATEGORIES:" + ",".join([esc(tag) for tag in labels]))
    if notes:
        lines.append(f"NOTE:{esc(notes)}")
    if is_v4:
        lines.extend([f"LANG;PREF={min(position, 100)}:{esc(language)}"
                      for position, language in enumerate(spoken, start=1)])
    else:
        lines.extend([f"X-PRESSCTL-LANG:{esc(language)}" for language in spoken])
    lines.append(f"X-PRESSCTL-KIND:{esc(kind)}")
    if outlet:
        lines.append(f"X-PRESSCTL-OUTLET:{esc(outlet)}")
    if organization:
        lines.append(f"X-PRESSCTL-ORGANIZATION:{esc(organization)}")
    if salutation:
        lines.append(f"X-PRESSCTL-SALUTATION:{esc(salutation)}")
    if first_name_ok:
        lines.append("X-PRESSCTL-FIRST-NAME-OK:true")
    if country:
        lines.append(f"X-PRESSCTL-COUNTRY:{esc(country)}")
    if embargo_ok:
        lines.append("X-PRESSCTL-EMBARGO-OK:true")
    if opted_out:
        lines.append("X-PRESSCTL-OPTED-OUT:true")
    revision = _revision(updated, is_v4)
    if revision:
        lines.append(f"REV:{revision}")
    lines.append(f"UID:{_uid_of(cid, addresses[0] if addresses else None, name)}")
    lines.append("END:VCARD")
    return lines


def write_vcards(
    contacts: Iterable[Contact],
    version: str = "3.0",
    *,
    phone_text: Callable[[Phone], str] | None = None,
) -> str:
    """Serialise contacts as vCard 3.0 or 4.0 text with CRLF line endings.

    ``phone_text`` gives the human text of a 3.0 TEL value (its full text, extension
    included); by default the E.164 number followed by " ext. N". vCard 4.0 always
    writes tel: URIs built from the E.164 number and extension.
    """
    return "".join(iter_vcards(contacts, version, phone_text=phone_text))


def iter_vcards(
    contacts: Iterable[Contact],
    version: str = "3.0",
    *,
    phone_text: Callable[[Phone], str] | None = None,
) -> Iterator[str]:
    """:func:`write_vcards` one card at a time, each as soon as its contact comes: an
    export of any size in flat memory. The version is checked now, not at the first card."""
    if version not in SUPPORTED_WRITE_VERSIONS:
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    describe_phone = phone_text or _default_phone_text
    return (_card(_card_lines(contact, version, describe_phone)) for contact in contacts)


def _card(lines: list[str]) -> str:
    """A card's lines folded, each ended by CRLF."""
    text = "\r\n".join(lines) + "\r\n"
    longest = max(map(len, lines))
    if longest <= MAX_LINE_OCTETS and (
            text.isascii()  # most cards: no line to fold
            # Nor here: no line has more octets than the longest has characters plus
            # every octet the card has beyond one a character (an accent or two).
            or longest + len(text.encode("utf-8")) - len(text) <= MAX_LINE_OCTETS):
        return text
    return "".join([_fold(line) + "\r\n" for line in lines])


def _default_phone_text(phone: Phone) -> str:
    return phone.e164 + (f" ext. {phone.extension}" if phone.extension else "")


def _card_lines(
    contact: Contact, version: str, describe_phone: Callable[[Phone], str]
) -> list[str]:
    is_v4 = version == "4.0"
    family, given = _split_name(contact.name)
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if is_v4:
        lines.append("KIND:individual")
    lines.append(f"PRODID:{PRODID}")
    lines.append(f"FN:{_escape(contact.name)}")
    lines.append(f"N:{_escape(family)};{_escape(given)};;;")
    # What phones and Outlook show as the company: a journalist's outlet, anyone else's
    # organisation (the other one, if any, is kept in an X-PRESSCTL- property below).
    shown = ((contact.outlet or contact.organization) if contact.kind == "journalist"
             else (contact.organization or contact.outlet))
    if shown:
        lines.append(f"ORG:{_escape(shown)}")
    if contact.role:
        lines.append(f"TITLE:{_escape(contact.role)}")
    for language, role in contact.roles.items():
        lines.append(f"TITLE;LANGUAGE={language}:{_escape(role)}")
    if contact.kind in _ROLE_OF_KIND:
        lines.append(f"ROLE:{_ROLE_OF_KIND[contact.kind]}")
    for position, email in enumerate(contact.emails):
        if is_v4:
            lines.append(f"EMAIL{';PREF=1' if position == 0 else ''}:{_escape(email)}")
        else:
            lines.append(f"EMAIL;TYPE=INTERNET{',PREF' if position == 0 else ''}:{_escape(email)}")
    for phone in contact.phones:
        if is_v4:
            lines.append(f"TEL;VALUE=uri;TYPE={_phone_types(phone).lower()}:{_tel_uri(phone)}")
        else:
            lines.append(f"TEL;TYPE={_phone_types(phone)}:{_escape(describe_phone(phone))}")
    if contact.tags:
        lines.append("CATEGORIES:" + ",".join(_escape(tag) for tag in contact.tags))
    if contact.notes:
        lines.append(f"NOTE:{_escape(contact.notes)}")
    for position, language in enumerate(contact.languages, start=1):
        # vCard 3.0 has no LANG property; keep the languages in our own extension, one
        # per line like LANG, since readers take a comma in a 3.0 value as a list separator.
        if is_v4:
            lines.append(f"LANG;PREF={min(position, 100)}:{_escape(language)}")
        else:
            lines.append(f"X-PRESSCTL-LANG:{_escape(language)}")
    lines.append(f"X-PRESSCTL-KIND:{_escape(contact.kind)}")
    if contact.outlet:
        lines.append(f"X-PRESSCTL-OUTLET:{_escape(contact.outlet)}")
    if contact.organization:
        lines.append(f"X-PRESSCTL-ORGANIZATION:{_escape(contact.organization)}")
    if contact.salutation:
        lines.append(f"X-PRESSCTL-SALUTATION:{_escape(contact.salutation)}")
    if contact.first_name_ok:
        lines.append("X-PRESSCTL-FIRST-NAME-OK:true")
    if contact.country:
        lines.append(f"X-PRESSCTL-COUNTRY:{_escape(contact.country)}")
    if contact.embargo_ok:
        lines.append("X-PRESSCTL-EMBARGO-OK:true")
    if contact.opted_out:
        lines.append("X-PRESSCTL-OPTED-OUT:true")
    revision = _revision(contact.updated, is_v4)
    if revision:
        lines.append(f"REV:{revision}")
    lines.append(f"UID:{_contact_uid(contact)}")
    lines.append("END:VCARD")
    return lines


def _split_name(name: str) -> tuple[str, str]:
    """(family, given) for N. "Family, Given" is taken as written; otherwise the last
    word is the family name, together with lower-case particles before it ("de la Cruz").
    A single word is a given name."""
    words = name.split()  # the name's words: its spaces made single ones
    if name.count(",") == 1:
        family, given = (part.strip() for part in " ".join(words).split(","))
        return family, given
    if len(words) < 2:
        return "", " ".join(words)
    start = len(words) - 1
    while start > 1 and words[start - 1].islower():
        start -= 1
    return " ".join(words[start:]), " ".join(words[:start])


def _contact_uid(contact: Contact) -> str:
    """Stable urn:uuid for a contact: same id and first e-mail, same UID."""
    return _uid_of(contact.id, contact.emails[0] if contact.emails else None, contact.name)


def _uid_of(cid: int | None, first_email: str | None, name: str) -> str:
    """:func:`_contact_uid` of a contact's id, first e-mail and name."""
    seed = f"{cid if cid is not None else ''}|{first_email.lower() if first_email else ''}"
    if seed == "|":
        seed = f"name|{name}"
    # uuid.uuid5, without its UUID object (a fifth of a card's time): SHA-1 of the
    # namespace and the seed, its first 16 bytes stamped version 5 (the 13th hex digit
    # a 5) and RFC 4122 variant (the 17th's top two bits 10: 8, 9, a or b).
    h = hashlib.sha1(_UID_SEED + seed.encode("utf-8")).hexdigest()
    return (f"urn:uuid:{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-"
            f"{h[20:32]}")


def _phone_types(phone: Phone) -> str:
    return {"mobile": "CELL", "fax": "WORK,FAX"}.get(phone.type, "WORK,VOICE")


def _tel_uri(phone: Phone) -> str:
    return f"tel:{phone.e164}" + (f";ext={phone.extension}" if phone.extension else "")


@lru_cache(maxsize=1024)  # an import stamps its contacts with one time: few are different
def _revision(updated: str | None, is_v4: bool) -> str | None:
    """REV as a UTC timestamp; a naive stored time is taken as UTC (what SQLite stores)."""
    if not updated:
        return None
    try:
        moment = datetime.fromisoformat(updated.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ" if is_v4 else "%Y-%m-%dT%H:%M:%SZ")


def _escape(text: str) -> str:
    if _SPECIAL.search(text) is None:
        return text  # most values: nothing to escape
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in ("\\", ",", ";"):
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold at 75 octets; a continuation starts with one space, which counts as an octet.
    Cutting between characters, never inside one, keeps every physical line valid UTF-8."""
    if line.isascii():  # a character an octet
        if len(line) <= MAX_LINE_OCTETS:
            return line  # most lines
        rest = MAX_LINE_OCTETS - 1  # 75 characters, then a space and 74 a line
        return "\r\n ".join([line[:MAX_LINE_OCTETS]] + [
            line[start:start + rest] for start in range(MAX_LINE_OCTETS, len(line), rest)])
    if len(line.encode("utf-8")) <= MAX_LINE_OCTETS:
        return line
    physical: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > MAX_LINE_OCTETS:
            physical.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    physical.append("".join(current))
    return "\r\n".join(physical)

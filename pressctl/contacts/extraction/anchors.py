"""Anchors of a contact: the e-mails (read by the project's cleaner,
:func:`pressctl.contacts.emails.clean_email_field`) and phones (read by
:func:`pressctl.contacts.phones.parse_phone_field`) found in one logical line, each as an
:class:`Item` at its offset. Found spans are masked so that what is left is text fields.

A labelled number ("Tel.", "Mobil", "T:") is read whatever it looks like, so that a bad one
is proposed with its problem. Unlabelled digits are a phone only where libphonenumber's
own ``PhoneNumberMatcher`` (leniency VALID) finds one in the line's region, or in the US
for the North American shape (:func:`matcher_region`), and where contact details are
expected or alone in their field; a conference's dial-in number ("Dial-in:", or a
passcode after it) is nobody's. This is the one module of extraction that imports
phonenumbers (for the matcher)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from phonenumbers import Leniency, PhoneNumberMatcher

from pressctl.contacts.emails import clean_email_field
from pressctl.contacts.model import Phone
from pressctl.contacts.phones import parse_phone_field
from pressctl.errors import InvalidEmail, InvalidPhone

URL = re.compile(
    r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"]+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/[^\s<>\"]*"
)
_DOT = r"(?:\.|\s?[\[({]\s?(?:dot|point|\.)\s?[\])}]\s?)"
# Obfuscated "[at]" counts only with a dotted domain after it ("see you (at) noon" is prose);
# a plain "@" is taken even without a dot, so that "jane@example" is reported as invalid.
_EMAIL = re.compile(
    rf"(?<![\w.+'-])[\w.+'%-]+(?:@[\w-]+(?:{_DOT}[\w-]+)*"
    rf"|\s?[\[({{]\s?(?:at|@|arobase)\s?[\])}}]\s?[\w-]+(?:{_DOT}[\w-]+)+)",
    re.IGNORECASE,
)
# Digit groups joined by one separator each: "+33 (0)1 44 76 75 39", "(+34) 91 000 02 51",
# "(202) 358-1600", "01.23.45.67.89", "030/1234567" and "a / b" pairs, which
# parse_phone_field splits.
_PHONE_SPAN = re.compile(
    r"(?<![\w@/#+-])(?:\(\+ ?\d{1,3}\) ?|\+ ?|00 ?)?(?:\(\d{1,4}\) ?)?\d+"
    r"(?:(?: ?\(\d{1,4}\) ?| ?[./] ?|[-\u2011\u2013]| )\d+)*"
)
_PHONE_LABEL = re.compile(
    r"(?i)(?<![^\W\d_])(?P<word>t[ée]l[ée]phone|telephone|phone|telefon|tel[ée]fono"
    r"|tfno|tlf|tel|t[ée]l|fon|ph|mobile|mobil|mob|portable|port|cell(?:ulare|phone)?|cel"
    r"|celular|m[óo]vil|handy|gsm|natel|fax|t[ée]l[ée]copie|telefax|direct(?:\s+line)?"
    r"|ligne\s+directe|switchboard|standard|zentrale|centralino|centralita)"
    r"(?:\s*(?:number|no\.?|n°|nr\.?|num[ée]ro|nummer|n[úu]mero))?\.?\s*[:.]?\s*$"
    r"|(?<![\w.])(?P<letter>[TMF])\s*[:.]?\s*$"
)
_NOT_PHONE_LABEL = re.compile(
    r"(?i)(?:\b(?:id|passcode|password|pin|code|isbn|issn|ean|siret|siren|rcs|ref|réf|iban"
    r"|bic|vat|tva|order|invoice|no|nr|number|num[ée]ro|nummer|numero)|n°|nº)\.?\s*[:#.]?\s*$"
)
_EXTENSION = re.compile(
    r"(?i)\s*,?\s*(?:ext(?:ension|n)?\.?|extensi[óo]n|x|poste|p\.|int\.|interno|durchwahl|dw\.?)"
    r"\s*[:=]?\s*-?\s*\d{1,7}(?!\d)"
)
_ANNOTATION = re.compile(
    r"(?i)\s*\((?:standard|switchboard|reception|main|office|bureau|direct|ligne\s+directe"
    r"|zentrale|centralino|centralita|mobile|portable|cell|whatsapp|24/7|24h/24|24\s?h)\)"
)
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
FIELD_SEPARATORS = re.compile(r"\s[|/–—-]\s|[\t|;,()<>\[\]{}•·:]")
ANCHORS = ("email", "phone")


@dataclass(slots=True)
class Item:
    """One field of a line: an anchor (email/phone) or text (name/office/role/org/other)."""

    kind: str
    text: str
    line: int
    strong: bool = True  # a name that fills its whole field (else found inside a phrase)
    phones: list[Phone] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    problem: str | None = None


def _blank(text: str, start: int, end: int) -> str:
    """Masks a found span with tabs of the same length, so that positions stay valid."""
    return text[:start] + "\t" * (end - start) + text[end:]


def email_items(text: str, number: int) -> tuple[str, list[tuple[int, Item]]]:
    found = []
    for match in _EMAIL.finditer(text):
        item = Item("email", match.group(), number)
        try:
            item.emails = [email.normalized for email in clean_email_field(match.group())]
        except InvalidEmail as err:
            item.problem = err.message
        found.append((match.start(), item))
        text = _blank(text, *match.span())
    return text, found


# "(301) 555-0142", "301-555-0142", "301.555.0142", "+1-301-555-0142", "450 555-0182" (the
# Quebec way): the North American shape, read as such whatever the default region (a US
# release read with --region FR).
_NANP = re.compile(r"(?:\+?1[-. ]?)?(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-.]\d{4}")
_DIAL_IN_BEFORE = re.compile(
    r"(?i)\b(?:dial[- ]?in|call[- ]?in|conference\s+call|einwahl(?:nummer)?"
    r"|num[ée]ro\s+d['’]acc[èe]s|numero\s+(?:di\s+)?accesso|n[úu]mero\s+de\s+acceso)\b[^\t]{0,30}$"
)
_DIAL_IN_AFTER = re.compile(
    r"(?i)[\s,;.)–—-]{0,4}(?:\(?\s*)?(?:passcode|pass\s+code|access\s+code|participant\s+code"
    r"|conference\s+id|meeting\s+id|pin|code\s+d['’]acc[èe]s|zugangscode|codice\s+(?:di\s+)?accesso"
    r"|c[óo]digo\s+de\s+acceso)\b"
)


def _dial_in(text: str, start: int, end: int) -> bool:
    """Whether the number at text[start:end] is a conference's dial-in (a code follows it,
    or "Dial-in:" stands right before it)."""
    return bool(_DIAL_IN_AFTER.match(text, end) or _DIAL_IN_BEFORE.search(text, 0, start))


def _parse(field_text: str, region: str | None, span: str) -> list[Phone]:
    try:
        return parse_phone_field(field_text, region)
    except InvalidPhone:
        if region != "US" and _NANP.fullmatch(span):
            return parse_phone_field(field_text, "US")
        raise


def matcher_region(span: str, region: str | None) -> str | None:
    """The region in which libphonenumber's own ``PhoneNumberMatcher`` (leniency VALID)
    reads every digit of ``span`` as valid numbers: ``region``, else "US" for the North
    American shape; None when it finds no such reading (a meeting ID, an order number)."""
    digits = sum(ch.isdigit() for ch in span)
    candidates = [region or "ZZ"] + (["US"] if region != "US" and _NANP.fullmatch(span) else [])
    for candidate in candidates:
        found = PhoneNumberMatcher(span, candidate, leniency=Leniency.VALID)
        if sum(ch.isdigit() for match in found for ch in match.raw_string) == digits:
            return None if candidate == "ZZ" else candidate
    return None


def phone_items(
    text: str, number: int, region: str | None, expected: bool
) -> tuple[str, list[tuple[int, Item]]]:
    found = []
    for match in list(_PHONE_SPAN.finditer(text)):
        (start, end), span = match.span(), match.group()
        label = _PHONE_LABEL.search(text, max(0, start - 40), start)
        formatted = span.startswith(("+", "0", "(0", "(+")) or bool(_NANP.fullmatch(span))
        if _dial_in(text, start, end):
            continue  # the dial-in number of an online press conference: nobody's phone
        if label is None:
            # Unlabelled digits must look like a phone and stand where phones are expected
            # (or alone in their field): "Meeting ID: 979 8149 5219", dates, counts and the
            # "dial 0800 123 456" of a sentence are no contact's number.
            before = text[max(0, start - 40) : start]
            alone = not re.search(r"[^\W\d_]", re.split(r"[\t|,;:()–—]|\s[/-]\s", before)[-1])
            if (sum(ch.isdigit() for ch in span) < 8 or _NOT_PHONE_LABEL.search(before)
                    or _DATE.fullmatch(span) or not (expected or formatted and alone)):
                continue
        elif sum(ch.isdigit() for ch in span) < 5:
            continue
        for follower in (_EXTENSION, _ANNOTATION):
            if found_after := follower.match(text, end):
                end = found_after.end()
        # The parser reads the label's word (type fax or mobile, or "standard" kept as the
        # phone's label), without "number"/"n°" and the punctuation around it.
        word = f"{label.group('word') or label.group('letter')}: " if label else ""
        item = Item("phone", span, number)
        read_in = region
        if label is None:
            # Unlabelled digits are a phone where libphonenumber's matcher finds one; those
            # written as a phone (+CC, a trunk 0) are kept with their problem otherwise.
            matched = matcher_region(span, region)
            if matched is None and not formatted:
                continue
            read_in = matched or region
        try:
            item.phones = _parse(word + text[start:end], read_in, span)
        except InvalidPhone as err:
            if not label and not formatted:
                continue  # digits without a label that are no phone: not worth a problem
            item.problem = InvalidPhone(span, err.reason).message
        begin = label.start() if label else start
        found.append((begin, item))
        text = _blank(text, begin, end)
    return text, found

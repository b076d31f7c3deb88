"""Propose contacts from the contact blocks of a press release (text, Markdown or HTML).

How a release is read:

1. :mod:`pressctl.contacts.extraction.html` reduces the markup to logical lines whose fields are
   separated by tabs (cells, column-aligning spaces, bold runs).
2. Heading-like lines set the context: "About X", "X press contacts", "Contacts X" and
   "For X:" name the organisation of the contacts that follow; "Press contacts" and its
   translations open a contact section.
3. Each line is cut into items: e-mails and phones first (the anchors, validated by
   :mod:`pressctl.contacts.emails` and :mod:`pressctl.contacts.phones`), then the text
   between them, which is classified as a person's name, an office, a role, an
   organisation or other text.
4. Items are grouped into contacts. A contact needs an anchor and takes the name that
   precedes its anchors. A line holding both a name and an anchor is a contact of its own
   (tables, column layouts); otherwise a new name after anchors starts the next contact,
   and a name alone on its line keeps its details across a blank line.

Names in body text (the quoted CEO) are never proposed: without an e-mail or a phone next
to them they are no contact, and a sentence of prose ends any contact above it. Unlabelled
digits count as a phone only where contact details are expected or alone in their field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pressctl.contacts.emails import clean_email_field
from pressctl.contacts.extraction.html import TextLine, detect_format, release_lines
from pressctl.contacts.model import Phone
from pressctl.contacts.phones import parse_phone_field
from pressctl.errors import InvalidEmail, InvalidPhone

__all__ = ["ProposedContact", "detect_format", "extract_contacts"]


@dataclass(slots=True)
class ProposedContact:
    """A contact found in a release, for the user to review before importing it."""

    name: str | None  # a person, or the office's text when is_office; None if neither
    role: str | None
    organization: str | None
    phones: list[Phone]  # fax numbers included, with type "fax"
    emails: list[str]  # normalised
    line: int  # 1-based source line where the contact starts
    is_office: bool = False
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """Name, role, organisation, phones to call (RFC 3966 extension) and e-mails."""
        phones = [
            f"{phone.e164};ext={phone.extension}" if phone.extension else phone.e164
            for phone in self.phones
            if phone.type != "fax"
        ]
        return {"name": self.name, "role": self.role, "organization": self.organization,
                "phones": phones, "emails": list(self.emails)}


# --------------------------------------------------------------------------- vocabulary

_CONTACT_WORDS = (
    r"(?:press|media|news)\s+contacts?|contacts?\s+(?:presse|m[ée]dias?|press)|contacts?"
    r"|presse-?kontakte?|medienkontakte?|kontakte?|ansprechpartner(?:in)?"
    r"|contatt[io](?:\s+(?:stampa|per\s+la\s+stampa))?|contactos?(?:\s+(?:de\s+)?(?:prensa"
    r"|medios))?|(?:media|press)\s+(?:enquiries|inquiries)|informations?\s+presse"
    r"|(?:for\s+)?(?:more|further)\s+information|pour\s+(?:plus|en\s+savoir\s+plus)\s+d['’]\s?"
    r"informations?|weitere\s+informationen|r[üu]ckfragen|per\s+(?:maggiori\s+|ulteriori\s+)?"
    r"informazioni|(?:para\s+)?m[áa]s\s+informaci[óo]n"
)
_CONTACT_HEADING = re.compile(rf"(?i)^(?P<before>.*?)\b(?:{_CONTACT_WORDS})\b(?P<after>.*)$")
_INTRO = re.compile(
    rf"(?i)\b(?:{_CONTACT_WORDS}|contact(?:ez|er)?|kontaktieren|contattare|contactar|contacte"
    r"|wenden\s+sie\s+sich|rivolgersi|get\s+in\s+touch)\b"
)
_ABOUT = re.compile(
    r"(?i)^(?:about|[àa]\s+propos\s+(?:de\s+la|de\s+l['’]|du|des|de|d['’])|[üu]ber|ueber"
    r"|a\s+proposito\s+(?:della|dell['’]|dello|del|di)|acerca\s+de(?:l|\s+la|\s+los)?"
    r"|sobre(?:\s+(?:el|la|los))?)\s*(?:the\s+|die\s+|der\s+|das\s+|le\s+|la\s+|l['’])?"
    r"(?P<org>[^:]+?)\s*[:.]?$"
)
_FOR_ORG = re.compile(
    r"(?i)^(?:for|pour|f[üu]r|per|para)\s+(?:the\s+|le\s+|la\s+|les\s+|l['’]|die\s+|der\s+"
    r"|das\s+|el\s+|il\s+|lo\s+)?(?P<org>[^:,;\t]{1,40}?)\s*:\s*"
)
_LEADING_PREPOSITION = re.compile(
    r"(?i)^(?:of|for|at|du|de\s+la|de\s+l['’]|des|de|d['’]|der|die|von|f[üu]r|della|dell['’]"
    r"|di|del|per|para)\s*"
)
# A field holding one of these words is a role: "Press Officer", "Attachée de presse",
# "Chargée de communication", "Pressesprecherin", "Addetta stampa", "Jefe de prensa"...
_ROLE_WORDS = [
    "officer", "manager", "director", "directrice", "directeur", "head", "chief", "coordinator",
    "coordinatrice", "coordinateur", "specialist", "advisor", "adviser", "consultant", "assistant",
    "assistante", "attaché", "attachée", "attache", "chargé", "chargée", "responsable", "leiter",
    "leiterin", "referent", "referentin", "sprecher", "sprecherin", "pressesprecher",
    "pressesprecherin", "pressereferent", "pressereferentin", "direttore", "direttrice",
    "responsabile", "addetto", "addetta", "jefe", "jefa", "director", "directora", "coordinador",
    "coordinadora", "editor", "secretary", "secrétaire", "porte-parole", "portavoce", "portavoz",
    "spokesperson", "spokesman", "spokeswoman", "liaison", "president", "président", "présidente",
    "presidente", "presidenta", "präsident", "präsidentin", "ceo", "founder", "fondateur",
    "fondatrice",
]
_ROLE = re.compile(
    r"(?i)(?<![\w-])(?:" + "|".join(map(re.escape, _ROLE_WORDS))
    + r"|media\s+relations|relations\s+(?:presse|m[ée]dias))(?![\w-])"
)
_OFFICE = re.compile(
    r"(?i)\b(?:(?:press|media|news|communications?|public\s+affairs|public\s+relations"
    r"|media\s+relations)\s+(?:office|desk|team|department|unit|service|centre|center)"
    r"|newsroom|service\s+(?:de\s+)?(?:presse|communication|de\s+la\s+communication)"
    r"|bureau\s+de\s+(?:presse|la\s+communication)|direction\s+de\s+la\s+communication"
    r"|p[ôo]le\s+(?:presse|communication)|pressestelle|presseabteilung|presseb[üu]ro"
    r"|pressereferat|kommunikationsabteilung|ufficio\s+(?:stampa|comunicazione)"
    r"|(?:oficina|gabinete|departamento)\s+de\s+(?:prensa|comunicaci[óo]n))\b"
)
_ORG_WORD = re.compile(  # words that make a name an organisation's; legal forms in capitals
    r"\b(?i:agency|agence|agentur|agenzia|agencia|foundation|fondation|stiftung|fondazione"
    r"|fundaci[óo]n|university|universit[éäà]t?|universidad|institute|institut|istituto"
    r"|instituto|society|soci[ée]t[ée]|gesellschaft|societ[àa]|sociedad|association|verband"
    r"|associazione|asociaci[óo]n|ministry|minist[èe]re|ministerium|ministero|ministerio"
    r"|council|conseil|corporation|company|compagnie|laborator(?:y|ies)|laboratoire"
    r"|observatory|observatoire|group|groupe|gruppe|gruppo|grupo)\b"
    r"|\b(?:Inc|Ltd|LLC|PLC|GmbH|AG|SA|SAS|SARL|SpA|Srl|BV|NV)\b|S\.A\.|S\.p\.A\.|S\.L\."
)
_NOT_ORG_ACRONYMS = frozenset([
    "CEO", "CFO", "CTO", "COO", "PR", "VP", "SVP", "EVP", "MD", "TEL", "FAX", "GSM", "URL", "PDF",
])
# Fields that say nothing about a contact: labels whose value went elsewhere, links, joiners.
_JUNK = re.compile(
    r"(?i)^(?:e-?mail|courriel|mail|m[ée]l|correo(?:\s+electr[óo]nico)?|mailto|adresse\s+e-?mail"
    r"|web(?:site)?|site(?:\s+web|\s+internet)?|internet|www|twitter|x|linkedin|facebook"
    r"|instagram|tel|t[ée]l|phone|t[ée]l[ée]phone|telefon|tel[ée]fono|mobile?|portable|handy"
    r"|fax|or|ou|and|et|und|oder|o|y|e|at|à|bei|presso|en|chez|via|by|par|on|sur)$"
    r"|^(?:follow|suivez|photo|cr[ée]dits?|credit|©|write|send|click|here|ici)\b"
)
# Capitalised words that are never part of a person's name in a contact block.
_NOT_NAME_WORDS = frozenset(_ROLE_WORDS) | frozenset(
    ["the", "a", "an", "and", "or", "for", "of", "to", "in", "on", "at", "by", "with", "from",
     "about", "contact", "contacts", "press", "presse", "media", "médias", "news", "office",
     "bureau", "service", "team", "desk", "relations", "public", "affairs", "communication",
     "communications", "kommunikation", "comunicazione", "comunicación", "prensa", "stampa",
     "senior", "junior", "lead", "deputy", "executive", "associate", "vice", "tel", "tél", "phone",
     "telephone", "téléphone", "telefon", "telefono", "teléfono", "mobile", "mobil", "portable",
     "handy", "fax", "email", "e-mail", "mail", "courriel", "correo", "web", "website",
     "information", "informations", "informationen", "informazioni", "información", "more",
     "further", "pour", "plus", "para", "per", "für", "please", "contactez", "kontakt",
     "pressekontakt", "contatti", "contacto", "agency", "agence", "agentur", "agenzia", "agencia",
     "society", "société", "university", "université", "institute", "institut", "group", "groupe",
     "foundation", "fondation", "centre", "center", "association", "ministry", "ministère",
     "council", "connect", "meeting", "journalists", "journalistes", "journalisten", "giornalisti",
     "periodistas", "immediate", "release", "immédiate", "diffusion", "embargo"]
)
_HONORIFICS = frozenset(
    ["dr", "dr.", "prof", "prof.", "professor", "professeur", "mr", "mr.", "mrs", "mrs.", "ms",
     "ms.", "mme", "mme.", "mlle", "herr", "frau", "dott.", "dott.ssa", "sig.", "sig.ra", "sra.",
     "sr.", "ing.", "mag."]
)
_PARTICLES = frozenset(
    ["de", "du", "des", "d'", "van", "von", "der", "den", "ter", "di", "da", "del", "della", "dos",
     "das", "la", "le", "zu", "y"]
)

# --------------------------------------------------------------------------- anchors

_URL = re.compile(
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
# Digit groups joined by one separator each: "+33 (0)1 44 76 75 39", "(202) 358-1600",
# "01.23.45.67.89", "030/1234567" and "a / b" pairs, which parse_phone_field splits.
_PHONE_SPAN = re.compile(
    r"(?<![\w@/#+-])(?:\+ ?|00 ?)?(?:\(\d{1,4}\) ?)?\d+"
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
_FIELD_SEPARATORS = re.compile(r"\s[|/–—-]\s|[\t|;,()<>\[\]{}•·:]")
_ANCHORS = ("email", "phone")


@dataclass(slots=True)
class _Item:
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


def _email_items(text: str, number: int) -> tuple[str, list[tuple[int, _Item]]]:
    found = []
    for match in _EMAIL.finditer(text):
        item = _Item("email", match.group(), number)
        try:
            item.emails = [email.normalized for email in clean_email_field(match.group())]
        except InvalidEmail as err:
            item.problem = err.message
        found.append((match.start(), item))
        text = _blank(text, *match.span())
    return text, found


def _phone_items(
    text: str, number: int, region: str | None, expected: bool
) -> tuple[str, list[tuple[int, _Item]]]:
    found = []
    for match in list(_PHONE_SPAN.finditer(text)):
        (start, end), span = match.span(), match.group()
        label = _PHONE_LABEL.search(text, max(0, start - 40), start)
        formatted = span.startswith(("+", "0", "(0"))
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
        item = _Item("phone", span, number)
        try:
            item.phones = parse_phone_field(word + text[start:end], region)
        except InvalidPhone as err:
            if not label and not formatted:
                continue  # digits without a label that are no phone: not worth a problem
            item.problem = InvalidPhone(span, err.reason).message
        begin = label.start() if label else start
        found.append((begin, item))
        text = _blank(text, begin, end)
    return text, found


# --------------------------------------------------------------------------- text fields


def _token_kind(token: str) -> str:
    """honorific, particle, initial, cap (Jean-Luc), caps (DUPONT), stop or other."""
    word = token.strip("\"'“”«»*")
    lower = word.lower()
    if lower in _HONORIFICS:
        return "honorific"
    if lower in _PARTICLES:
        return "particle" if word.islower() or word == "d'" else "cap"
    if re.fullmatch(r"[^\W\d_]\.(?:-?[^\W\d_]\.)*", word) and word[0].isupper():
        return "initial"
    word = word.rstrip(".")
    if not word or word.lower() in _NOT_NAME_WORDS:
        return "stop"
    parts = [part for part in re.split(r"[-'’]", word) if part]
    if not parts or not all(part.isalpha() for part in parts):
        return "other"
    if word.isupper() and len(word) > 1:
        return "caps"
    if all(part[0].isupper() and not part[1:].isupper() for part in parts):
        return "cap"  # also O'Brien, McDonald, d'Alembert's "Alembert"
    return "cap" if re.fullmatch(r"[dl]['’][^\W\d_]+", word) and word[2].isupper() else "other"


def _name_run(text: str) -> tuple[int, int, bool] | None:
    """The last person-like run of words in ``text``: (start, end, fills the whole text)."""
    tokens = list(re.finditer(r"\S+", text))
    kinds = [_token_kind(token.group()) for token in tokens]
    best = None
    i = 0
    while i < len(tokens):
        if kinds[i] not in ("cap", "initial", "honorific"):
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and kinds[j + 1] in ("cap", "caps", "initial", "particle"):
            j += 1
        while j > i and kinds[j] == "particle":
            j -= 1
        core = [kind for kind in kinds[i : j + 1] if kind != "honorific"]
        # "European Space Agency" is no person called "European Space"
        org_follows = j + 1 < len(tokens) and _ORG_WORD.fullmatch(tokens[j + 1].group())
        if 2 <= len(core) <= 5 and "cap" in core and kinds[j] != "initial" and not org_follows:
            best = (i, j)
        i = j + 1
    if best is None:
        return None
    start, end = tokens[best[0]].start(), tokens[best[1]].end()
    return start, end, best == (0, len(tokens) - 1)


def _is_org(text: str, known_orgs: set[str]) -> bool:
    if _INTRO.search(text) or _ROLE.search(text) or text.lower() in _NOT_NAME_WORDS:
        return False  # "CONTACT" in capitals is a label; "Group Head of PR" a role
    if text.casefold() in known_orgs or _ORG_WORD.search(text):
        return True
    return bool(re.fullmatch(r"[A-Z][A-Z0-9&-]{1,7}", text)) and text not in _NOT_ORG_ACRONYMS


def _text_items(
    text: str, number: int, known_orgs: set[str], prose: bool
) -> list[tuple[int, _Item]]:
    """Classifies one text field; offsets are relative to the field.

    In a line of ``prose`` a name is weak even when it fills its field: "Le 12 mai, Marie
    Dubois, directrice, a dit..." quotes her; a later name replaces her.
    """
    text = text.strip(" .-–—/|*\"'“”«»")
    words = len(text.split())
    if not any(ch.isalpha() for ch in text) or _JUNK.search(text):
        return []
    if _OFFICE.search(text):
        return [(0, _Item("office", text, number))]
    if _is_org(text, known_orgs):
        return [(0, _Item("org", text, number))]
    run = _name_run(text)
    if run and (run[2] or words <= 8):  # a name inside a long sentence is body text
        start, end, strong = run
        items = [(start, _Item("name", text[start:end].rstrip(".,"), number, strong and not prose))]
        rest = f"{text[:start]} {text[end:]}".strip(" .-–—")
        if _ROLE.search(rest) and not _INTRO.search(rest) and len(rest.split()) <= 8:
            items.append((end, _Item("role", rest, number)))  # "Press Officer Jane Doe"
        return items
    if words <= 8 and _ROLE.search(text) and not _CONTACT_HEADING.search(text):
        return [(0, _Item("role", text, number))]
    if words > 6 or _INTRO.search(text) or any(ch.isdigit() for ch in text):
        return []
    return [(0, _Item("other", text, number))]


def _line_items(
    text: str, number: int, region: str | None, expected: bool, known_orgs: set[str]
) -> tuple[list[_Item], bool, bool]:
    """Items of one line in reading order; whether it introduces contacts; whether it is prose."""
    masked = _URL.sub(lambda m: "\t" * len(m.group()), text)
    masked, found = _email_items(masked, number)
    intro = bool(_INTRO.search(masked))
    masked, phones = _phone_items(masked, number, region, expected or intro or bool(found))
    found += phones
    words = len(re.findall(r"[^\W\d_]{2,}", masked))
    prose = words > 12 or (words > 5 and text.rstrip(" \"'”»").endswith((".", "!", "?")))
    if not found and words > 20:
        return [], intro, True  # a paragraph of body text: its names are quoted people
    separated = _FIELD_SEPARATORS.sub(lambda m: "\t" * len(m.group()), masked)
    for piece in re.finditer(r"[^\t]+", separated):
        found += [(piece.start() + offset, item)
                  for offset, item in _text_items(piece.group(), number, known_orgs, prose)]
    found.sort(key=lambda pair: pair[0])
    return [item for _, item in found], intro, prose


# --------------------------------------------------------------------------- context


def _org_name(text: str) -> str | None:
    """``text`` as an organisation's name, if it can be one (short, capitalised, no vocabulary)."""
    text = _LEADING_PREPOSITION.sub("", text.strip(" :–—-.,\t"))
    words = [word.strip(".,()") for word in text.split()]
    if not words or len(words) > 6 or not text[0].isupper():
        return None
    if any(word.lower() in _NOT_NAME_WORDS and not _ORG_WORD.fullmatch(word) for word in words):
        return None  # "For more information", "Contact Media Relations"
    return text


def _heading_context(text: str) -> tuple[str, str | None] | None:
    """("about", org), ("contacts", org or None), or None for a line that is no such heading."""
    head = re.split(r"\s[:–—]\s|:\s", text, maxsplit=1)[0].strip()
    if len(head.split()) <= 8 and (about := _ABOUT.match(head)):
        org = _org_name(about.group("org"))
        if org and not _CONTACT_HEADING.search(org):
            return "about", org
    if len(text.split()) <= 8 and (heading := _CONTACT_HEADING.match(text.strip())):
        rest = f"{heading.group('before')} {heading.group('after')}".strip(" :–—-.,\t")
        # "for journalists" leaves the heading generic
        if all(word.islower() or word.lower() in _NOT_NAME_WORDS for word in rest.split()):
            return "contacts", None
        run = _name_run(rest)
        if (run is None or not run[2]) and (org := _org_name(rest)):
            return "contacts", org  # but "Contact: Jane Doe" is a contact, not a heading
    return None


def _known_orgs(lines: list[TextLine]) -> list[str]:
    orgs: list[str] = []
    for line in lines:
        prefix = _FOR_ORG.match(line.text)
        context = _heading_context(line.text)
        org = _org_name(prefix.group("org")) if prefix else context[1] if context else None
        if org and org not in orgs:
            orgs.append(org)
    return orgs


def _org_from_domain(emails: list[str], orgs: list[str]) -> str | None:
    """The organisation whose name or acronym is a label of an e-mail's domain."""
    for email in emails:
        labels = set(email.rpartition("@")[2].lower().split(".")[:-1])
        for org in orgs:
            keys = {re.sub(r"\W", "", org.lower())}
            keys |= {word.lower() for word in re.findall(r"\b[A-Z][A-Z0-9&]{1,9}\b", org)}
            if keys & labels:
                return org
    return None


# --------------------------------------------------------------------------- assembly


@dataclass(slots=True)
class _Draft:
    line: int
    section_org: str | None
    section_org_explicit: bool  # named by a contact heading or "For X:", not "About X"
    section_office: str | None
    org: str | None = None
    name: str | None = None
    strong_name: bool = False
    office: str | None = None
    role: str | None = None
    guess: str | None = None  # a leftover text field: the role when no role word is found
    phones: list[Phone] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    anchors: int = 0
    last_anchor_line: int = 0
    context: bool = False  # seen in a contact section or after "Media contact:"


def _continues(draft: _Draft, items: list[_Item]) -> bool:
    """Whether a block after a blank line still belongs to the person named above it."""
    if not draft.anchors:
        return True
    # Once she has details, only details of a kind she lacks follow her (her e-mail
    # after her phone); anything else is the next paragraph.
    kinds = {item.kind for item in items}
    return kinds <= {"email", "phone"} and not (
        ("email" in kinds and draft.emails) or ("phone" in kinds and draft.phones)
    )


class _Assembler:
    """Feeds on lines and groups their items into contacts."""

    def __init__(self, region: str | None, orgs: list[str]) -> None:
        self.region = region
        self.orgs = orgs
        self.known_orgs = {org.casefold() for org in orgs}
        self.contacts: list[ProposedContact] = []
        self.section_org: str | None = None
        self.section_org_explicit = False
        self.section_office: str | None = None  # "## Press office" names what follows
        self.in_section = False
        self.draft: _Draft | None = None
        self.carry: _Draft | None = None  # a name waiting across a blank line for details
        self.block_org: str | None = None  # "Agence Exemple" alone on a line heads its block
        self.line_org: str | None = None  # "Agence Exemple – Sophie Durand – ..."
        self.previous_complete = False
        self.after_name = False  # the line before named someone

    def feed(self, line: TextLine) -> None:
        text = line.text
        if not text:
            self._end_block()
            return
        prefix = _FOR_ORG.match(text)
        if prefix and (org := _org_name(prefix.group("org"))):
            self._end_block(hard=True)
            self._set_section(org, explicit=True, contacts=True)
            text = text[prefix.end() :]
            if not text.strip():
                return
        # Bare digits count as a phone where contact details are expected: in a contact
        # section, or right under a name ("CONTACT: Jane Doe" then "(202) 555-0143").
        draft = self.draft or self.carry
        expected = self.in_section or self.after_name or (draft is not None and draft.context)
        items, intro, prose = _line_items(text, line.number, self.region, expected, self.known_orgs)
        has_anchor = any(item.kind in _ANCHORS for item in items)
        if not has_anchor and self._heading(line, text):
            return
        if prose and not has_anchor:
            self._end_block(hard=True)  # body text: whoever was named above is no contact
        self._place(items, intro, intro or self.in_section)

    def finish(self) -> list[ProposedContact]:
        self._end_block(hard=True)
        return self.contacts

    def _set_section(self, org: str | None, *, explicit: bool, contacts: bool) -> None:
        if org:
            self.section_org, self.section_org_explicit = org, explicit
        self.in_section = contacts
        self.section_office = self.block_org = None

    def _heading(self, line: TextLine, text: str) -> bool:
        context = _heading_context(text)
        if context is None and (not line.heading or (_name_run(text) or (0, 0, False))[2]):
            return False  # not a heading, or a person's name set as one ("### Jane Doe")
        self._end_block(hard=True)
        if context is None:  # another section; an office heading still opens contacts
            office = text if _OFFICE.search(text) and len(text.split()) <= 6 else None
            self._set_section(None, explicit=False, contacts=office is not None)
            self.section_office = office
        else:
            kind, org = context
            self._set_section(org, explicit=kind == "contacts", contacts=kind == "contacts")
        return True

    def _place(self, items: list[_Item], intro: bool, context: bool) -> None:
        self.after_name = any(item.kind == "name" and item.strong for item in items)
        if not items:
            return
        has_name = any(item.kind in ("name", "office") for item in items)
        has_anchor = any(item.kind in _ANCHORS for item in items)
        if self.carry is not None:
            carry, self.carry = self.carry, None
            if self.draft is None and not has_name and not intro and _continues(carry, items):
                self.draft = carry  # "Jane Doe", blank line, then her role or phone
            else:
                self._finalize(carry)
        draft = self.draft
        if has_name and has_anchor:
            self._close()  # a line with a name and an anchor is a contact of its own
        elif has_anchor and self.previous_complete and draft is not None and (
            (draft.role and any(item.kind == "role" for item in items))
            or (draft.emails and any(item.kind == "email" for item in items))
        ):
            self._close()  # a table row without a name still is the next contact
        self.line_org = None
        if len(items) == 1 and items[0].kind == "org" and (draft is None or draft.anchors):
            self.block_org = items[0].text
            return
        for item in items:
            self._take(item, context)
        self.previous_complete = has_name and has_anchor

    def _open(self, item: _Item, context: bool) -> _Draft:
        self._close()
        self.draft = _Draft(item.line, self.section_org, self.section_org_explicit,
                            self.section_office, org=self.line_org or self.block_org,
                            context=context)
        return self.draft

    def _take(self, item: _Item, context: bool) -> None:
        draft, kind = self.draft, item.kind
        if draft is not None:
            draft.context |= context
        if kind in ("name", "office"):
            if draft is None or (draft.anchors and (draft.name or draft.office)):
                draft = self._open(item, context)
            if kind == "office":
                if draft.name:
                    draft.role = draft.role or item.text  # "Jane Doe, Press Office"
                else:
                    draft.office = draft.office or item.text
            elif draft.name is None or (not draft.strong_name and not draft.anchors):
                draft.name, draft.strong_name = item.text, item.strong  # the nearest name wins
            else:
                draft.guess = draft.guess or item.text  # "Senior Writer" looks like a name
        elif kind == "role":
            draft = draft or self._open(item, context)
            draft.role = draft.role or item.text
        elif kind == "org":
            if draft is None or (draft.anchors and item.line > draft.last_anchor_line):
                self.line_org = item.text  # for the contact that starts further on the line
            else:
                draft.org = draft.org or item.text
        elif kind == "other":
            if draft is not None and not (draft.anchors and item.line > draft.last_anchor_line):
                draft.guess = draft.guess or item.text
        else:
            draft = draft or self._open(item, context)
            draft.anchors += 1
            draft.last_anchor_line = item.line
            draft.emails += [email for email in item.emails if email not in draft.emails]
            draft.phones += [phone for phone in item.phones if phone not in draft.phones]
            if item.problem:
                draft.problems.append(item.problem)

    def _close(self) -> None:
        if self.draft is not None:
            self._finalize(self.draft)
        self.draft = None

    def _end_block(self, hard: bool = False) -> None:
        if self.carry is not None and (hard or self.draft is not None):
            self._finalize(self.carry)
            self.carry = None
        if not hard and self.draft is not None and self.draft.strong_name:
            self.carry, self.draft = self.draft, None
        self._close()
        self.block_org = None
        self.previous_complete = False
        self.after_name = self.carry is not None

    def _finalize(self, draft: _Draft) -> None:
        if not draft.anchors:
            return  # a name without an e-mail or a phone: a quoted person, not a contact
        name, is_office = draft.name, False
        if name is None and (draft.office or draft.section_office):
            name, is_office = draft.office or draft.section_office, True
        problems = list(draft.problems)
        if name is None:
            if not draft.context:
                return  # stray details in body text
            problems.append("no name found next to these details")
        role = draft.role or (draft.office if draft.name else None) or draft.guess
        org = draft.org
        if org is None and not draft.section_org_explicit:
            org = _org_from_domain(draft.emails, self.orgs)
        self.contacts.append(ProposedContact(
            name, role, org or draft.section_org, draft.phones, draft.emails, draft.line,
            is_office, problems,
        ))


def extract_contacts(
    text: str, *, region: str | None = "FR", filename: str | None = None
) -> list[ProposedContact]:
    """Contacts proposed from ``text``, in source order; [] when there is no contact block.

    ``region`` is the default country for numbers written without +CC (with None only
    international numbers are accepted; others are kept as problems).
    """
    lines = release_lines(text, detect_format(text, filename))
    assembler = _Assembler(region, _known_orgs(lines))
    for line in lines:
        assembler.feed(line)
    return assembler.finish()

"""Organisations: the headings that name the organisation of the contacts below them
("About X", "X press contacts", "For X:"), the organisations a release names, and the
organisation an e-mail's domain points to: one the release names (its name or acronym is a
label of the domain) or one of the book (its website's domain)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pressctl.contacts.extraction.fields import name_run
from pressctl.contacts.extraction.html import TextLine
from pressctl.contacts.extraction.model import KnownOrg
from pressctl.contacts.extraction.vocabulary import (
    ABOUT,
    CONTACT_HEADING,
    FOR_ORG,
    LEADING_PREPOSITION,
    NOT_NAME_WORDS,
    ORG_WORD,
)


def org_name(text: str) -> str | None:
    """``text`` as an organisation's name, if it can be one (short, capitalised, no vocabulary)."""
    text = LEADING_PREPOSITION.sub("", text.strip(" :–—-.,\t"))
    words = [word.strip(".,()") for word in text.split()]
    if not words or len(words) > 6 or not text[0].isupper():
        return None
    if any(word.lower() in NOT_NAME_WORDS and not ORG_WORD.fullmatch(word) for word in words):
        return None  # "For more information", "Contact Media Relations"
    return text


def heading_context(text: str) -> tuple[str, str | None] | None:
    """("about", org), ("contacts", org or None), or None for a line that is no such heading."""
    head = re.split(r"\s[:–—]\s|:\s", text, maxsplit=1)[0].strip()
    if len(head.split()) <= 8 and (about := ABOUT.match(head)):
        org = org_name(about.group("org"))
        if org and not CONTACT_HEADING.search(org):
            return "about", org
    if len(text.split()) <= 8 and (heading := CONTACT_HEADING.match(text.strip())):
        rest = f"{heading.group('before')} {heading.group('after')}".strip(" :–—-.,\t")
        # "for journalists" leaves the heading generic
        if all(word.islower() or word.lower() in NOT_NAME_WORDS for word in rest.split()):
            return "contacts", None
        run = name_run(rest)
        if (run is None or not run[2]) and (org := org_name(rest)):
            return "contacts", org  # but "Contact: Jane Doe" is a contact, not a heading
    return None


def release_orgs(lines: list[TextLine]) -> list[str]:
    orgs: list[str] = []
    for line in lines:
        prefix = FOR_ORG.match(line.text)
        context = heading_context(line.text)
        org = org_name(prefix.group("org")) if prefix else context[1] if context else None
        if org and org not in orgs:
            orgs.append(org)
    return orgs


def org_from_domain(emails: list[str], orgs: list[str]) -> str | None:
    """The organisation whose name or acronym is a label of an e-mail's domain."""
    for email in emails:
        labels = set(email.rpartition("@")[2].lower().split(".")[:-1])
        for org in orgs:
            keys = {re.sub(r"\W", "", org.lower())}
            keys |= {word.lower() for word in re.findall(r"\b[A-Z][A-Z0-9&]{1,9}\b", org)}
            if keys & labels:
                return org
    return None


_DOMAIN = re.compile(r"@(?P<domain>[\w-]+(?:\.[\w-]+)+)")
_NOT_ACRONYMS = frozenset(["example", "www", "mail", "email", "press", "presse", "media",
                           "news", "gmail", "outlook"])


def domain_labels(text: str) -> frozenset[str]:
    """The labels of the e-mail domains in ``text`` but the last ("eoa" of
    ``@eoa.example.org``), case folded: the organisations' short names."""
    labels = set()
    for match in _DOMAIN.finditer(text):
        labels |= {label.casefold() for label in match.group("domain").split(".")[:-1]}
    return frozenset(label for label in labels if len(label) >= 2) - _NOT_ACRONYMS


def _under(domain: str, site: str) -> bool:
    """Whether two domains are one organisation's: equal, or one under the other."""
    return domain == site or domain.endswith("." + site) or site.endswith("." + domain)


def book_org(emails: list[str], orgs: Sequence[KnownOrg]) -> KnownOrg | None:
    """The book's organisation whose web domain an e-mail's domain is, or is under or
    above (``@cnes.fr`` and https://presse.cnes.fr), if exactly one organisation fits."""
    for email in emails:
        domain = email.rpartition("@")[2].casefold()
        found = {org for org in orgs if any(_under(domain, site) for site in org.domains)}
        if len(found) == 1:
            return found.pop()
    return None


def named_book_org(text: str, orgs: Sequence[KnownOrg]) -> KnownOrg | None:
    """The one organisation of the book that ``text`` names (its name, as a whole word),
    if exactly one is named: the release's own organisation."""
    found = [org for org in orgs
             if re.search(rf"(?<!\w){re.escape(org.name)}(?!\w)", text)]
    return found[0] if len(found) == 1 else None


_NAME_JOINERS = frozenset(["für", "fur", "de", "du", "des", "d'", "of", "for", "di", "del",
                           "della", "y", "and", "et", "und", "la", "le", "l'"])


_ARTICLES = frozenset(["the", "le", "la", "les", "die", "der", "das", "el", "il", "lo"])


def _name_before(text: str) -> str | None:
    """The capitalised words that end ``text`` ("... the Deutsches Zentrum für
    Raumfahrtforschung "), joiners such as "für" and "of" included."""
    words: list[str] = []
    for word in reversed(text.rsplit("\n", 1)[-1].split()[-8:]):
        if word.lower() in _ARTICLES or not (word[0].isupper() or word.lower() in _NAME_JOINERS):
            break  # "The European Orbital Agency (EOA)": the name starts after "The"
        words.insert(0, word)
    while words and (words[0].lower() in _NAME_JOINERS or words[0].lower() in NOT_NAME_WORDS):
        words.pop(0)
    return " ".join(words) if len(words) >= 2 else None


def acronym_orgs(text: str, labels: frozenset[str]) -> dict[str, str]:
    """E-mail domain labels the release writes as an acronym ("EOA" for ``@eoa.example.org``),
    each with the organisation it names: the full name written before "(EOA)" when there
    is one ("Deutsches Zentrum für Raumfahrtforschung (DZR)"), else the acronym."""
    found = {}
    for label in labels:
        acronym = label.upper()
        if not re.search(rf"(?<![\w-]){re.escape(acronym)}(?![\w-])", text):
            continue
        full = re.search(rf"\({re.escape(acronym)}\)", text)
        found[label] = (_name_before(text[: full.start()]) if full else None) or acronym
    return found


@dataclass(frozen=True, slots=True)
class ReleaseOrgs:
    """What the whole release, and the book, say about organisations, read once before
    its lines are: the organisations its headings name, the labels of its e-mail domains
    (no part of a person's name), the book's organisations, the one of them the release
    names, and the organisations it names by the acronym of an e-mail domain."""

    headings: list[str] = field(default_factory=list)
    labels: frozenset[str] = frozenset()
    book: Sequence[KnownOrg] = ()
    named_in_book: str | None = None
    by_acronym: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, lines: list[TextLine], book: Sequence[KnownOrg] = ()) -> ReleaseOrgs:
        labels = domain_labels(text)
        named = named_book_org(text, book)
        return cls(release_orgs(lines), labels, book, named.name if named else None,
                   acronym_orgs(text, labels))

    def of_contact(self, emails: list[str]) -> str | None:
        """A contact's organisation when its block names none: the book's organisation of
        its e-mail domain, else one the release names (by its name or acronym in the
        domain); without an e-mail, the one organisation of the book the release names."""
        known = book_org(emails, self.book)
        if known is not None:
            return known.name
        found = org_from_domain(emails, self.headings)
        for email in emails:
            labels = email.rpartition("@")[2].casefold().split(".")[:-1]
            found = found or next(
                (self.by_acronym[label] for label in labels if label in self.by_acronym),
                None)
        return found or (None if emails else self.named_in_book)

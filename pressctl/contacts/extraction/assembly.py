"""Grouping the items of successive lines into proposed contacts: each anchor is attached
to the nearest name in reading order; blocks end at blank lines and prose; the organisation
comes from the block's heading or own line, else the section's contact heading, else the
e-mail domain (:class:`~pressctl.contacts.extraction.context.ReleaseOrgs`); each proposal
gets its confidence (:mod:`~pressctl.contacts.extraction.scoring`) and the source line of
each field."""

from __future__ import annotations

from dataclasses import dataclass, field

from pressctl.contacts.extraction.anchors import ANCHORS, Item
from pressctl.contacts.extraction.context import ReleaseOrgs, heading_context, org_name
from pressctl.contacts.extraction.fields import line_items, name_run
from pressctl.contacts.extraction.html import TextLine
from pressctl.contacts.extraction.model import ProposedContact
from pressctl.contacts.extraction.scoring import Evidence, confidence
from pressctl.contacts.extraction.vocabulary import FOR_ORG, OFFICE
from pressctl.contacts.model import Phone


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
    after_prose: bool = False  # opened under a sentence of its paragraph
    name_line: int | None = None
    office_line: int | None = None
    phone_lines: list[int] = field(default_factory=list)  # one per phone
    email_lines: list[int] = field(default_factory=list)  # one per e-mail


def _continues(draft: _Draft, items: list[Item]) -> bool:
    """Whether a block after a blank line still belongs to the person named above it."""
    if not draft.anchors:
        return True
    # Once she has details, only details of a kind she lacks follow her (her e-mail
    # after her phone); anything else is the next paragraph.
    kinds = {item.kind for item in items}
    return kinds <= {"email", "phone"} and not (
        ("email" in kinds and draft.emails) or ("phone" in kinds and draft.phones)
    )


def _domain(email: str) -> str:
    return email.rpartition("@")[2].casefold()


def _share_organizations(contacts: list[ProposedContact]) -> None:
    """A contact without an organisation takes the one of the release's other contacts at
    the same e-mail domain, when they agree on one ("Lucía Navarro" beside "Oficina de
    Comunicación, Universidad de Almendral", both @almendral.example.es)."""
    by_domain: dict[str, set[str]] = {}
    for contact in contacts:
        if contact.organization:
            for email in contact.emails:
                by_domain.setdefault(_domain(email), set()).add(contact.organization)
    for contact in contacts:
        if contact.organization is None:
            found = {org for email in contact.emails for org in by_domain.get(_domain(email), ())}
            if len(found) == 1:
                contact.organization = found.pop()


class Assembler:
    """Feeds on lines and groups their items into contacts."""

    def __init__(self, region: str | None, orgs: ReleaseOrgs | None = None) -> None:
        self.region = region
        self.orgs = orgs or ReleaseOrgs()
        # the release's organisations, and the labels of its e-mail domains ("eoa")
        self.known_orgs = {org.casefold() for org in self.orgs.headings} | self.orgs.labels
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
        self.prose_paragraph = False  # the paragraph so far holds a sentence of body text

    def feed(self, line: TextLine, region: str | None = None) -> None:
        """Reads one line; ``region`` (default: the assembler's) reads its national numbers."""
        text = line.text
        if not text:
            self.prose_paragraph = False
            self._end_block()
            return
        prefix = FOR_ORG.match(text)
        if prefix and (org := org_name(prefix.group("org"))):
            self._end_block(hard=True)
            self._set_section(org, explicit=True, contacts=True)
            text = text[prefix.end() :]
            if not text.strip():
                return
        # Bare digits count as a phone where contact details are expected: in a contact
        # section, or right under a name ("CONTACT: Jane Doe" then "(202) 555-0143").
        draft = self.draft or self.carry
        expected = self.in_section or self.after_name or (draft is not None and draft.context)
        items, intro, prose = line_items(text, line.number, region or self.region, expected,
                                         self.known_orgs)
        has_anchor = any(item.kind in ANCHORS for item in items)
        if not has_anchor and self._heading(line, text):
            return
        if prose and not has_anchor:
            self._end_block(hard=True)  # body text: whoever was named above is no contact
        self._place(items, intro, intro or self.in_section)
        self.prose_paragraph |= prose

    def finish(self) -> list[ProposedContact]:
        self._end_block(hard=True)
        _share_organizations(self.contacts)
        return self.contacts

    def _set_section(self, org: str | None, *, explicit: bool, contacts: bool) -> None:
        if org:
            self.section_org, self.section_org_explicit = org, explicit
        self.in_section = contacts
        self.section_office = self.block_org = None

    def _heading(self, line: TextLine, text: str) -> bool:
        context = heading_context(text)
        if context is None and (not line.heading or (name_run(text) or (0, 0, False))[2]):
            return False  # not a heading, or a person's name set as one ("### Jane Doe")
        self._end_block(hard=True)
        if context is None:  # another section; an office heading still opens contacts
            office = text if OFFICE.search(text) and len(text.split()) <= 6 else None
            self._set_section(None, explicit=False, contacts=office is not None)
            self.section_office = office
        else:
            kind, org = context
            self._set_section(org, explicit=kind == "contacts", contacts=kind == "contacts")
        return True

    def _place(self, items: list[Item], intro: bool, context: bool) -> None:
        self.after_name = any(item.kind == "name" and item.strong for item in items)
        if not items:
            return
        has_name = any(item.kind in ("name", "office") for item in items)
        has_anchor = any(item.kind in ANCHORS for item in items)
        if self.carry is not None:
            carry, self.carry = self.carry, None
            if self.draft is None and not has_name and not intro and _continues(carry, items):
                self.draft = carry  # "Jane Doe", blank line, then her role or phone
            else:
                self._finalize(carry)
        draft = self.draft
        kinds = [item.kind for item in items]
        if (draft is not None and draft.name and draft.strong_name and not draft.anchors
                and not draft.role and "name" in kinds and "role" in kinds):
            # "Ópticas del Sur" then "Carlos Medina, director de comunicación": a name is
            # not followed by another person's name before any detail; the first one
            # heads the block as its organisation
            draft.org = draft.org or draft.name
            draft.name, draft.strong_name, draft.name_line = None, False, None
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
        for index, item in enumerate(items):
            # "... giulia@example.it | Agenzia Eco – Marco Bellini, ...": an organisation
            # with a name after it on the line is the next contact's
            heads_next = any(later.kind in ("name", "office") for later in items[index + 1 :])
            self._take(item, context, heads_next=heads_next)
        self.previous_complete = has_name and has_anchor

    def _open(self, item: Item, context: bool) -> _Draft:
        self._close()
        self.draft = _Draft(item.line, self.section_org, self.section_org_explicit,
                            self.section_office, org=self.line_org or self.block_org,
                            context=context, after_prose=self.prose_paragraph)
        return self.draft

    def _take(self, item: Item, context: bool, *, heads_next: bool = False) -> None:
        draft, kind = self.draft, item.kind
        if draft is not None:
            draft.context |= context
        if kind in ("name", "office"):
            if draft is None or (draft.anchors and (draft.name or draft.office)):
                draft = self._open(item, context)
            if kind == "office":
                if draft.name:
                    draft.role = draft.role or item.text  # "Jane Doe, Press Office"
                elif draft.office is None:
                    draft.office, draft.office_line = item.text, item.line
            elif draft.name is None or (not draft.strong_name and not draft.anchors):
                draft.name, draft.strong_name = item.text, item.strong  # the nearest name wins
                draft.name_line = item.line
            else:
                draft.guess = draft.guess or item.text  # "Senior Writer" looks like a name
        elif kind == "role":
            draft = draft or self._open(item, context)
            draft.role = draft.role or item.text
        elif kind == "org":
            if draft is None or (draft.anchors and (item.line > draft.last_anchor_line
                                                    or heads_next)):
                self.line_org = item.text  # for the contact that starts further on the line
            else:
                draft.org = draft.org or item.text
        elif kind == "division":
            if draft is not None and draft.office and not draft.name and not draft.anchors:
                draft.office = f"{draft.office}, {item.text}"  # the office's division
            elif draft is not None and not draft.anchors:
                draft.guess = draft.guess or item.text
        elif kind == "other":
            if draft is not None and not (draft.anchors and item.line > draft.last_anchor_line):
                draft.guess = draft.guess or item.text
        else:
            draft = draft or self._open(item, context)
            draft.anchors += 1
            draft.last_anchor_line = item.line
            for email in item.emails:
                if email not in draft.emails:
                    draft.emails.append(email)
                    draft.email_lines.append(item.line)
            for phone in item.phones:
                if phone not in draft.phones:
                    draft.phones.append(phone)
                    draft.phone_lines.append(item.line)
            if item.problem:
                draft.problems.append(item.problem)

    def _close(self) -> None:
        if self.draft is not None:
            if not self.draft.anchors and self.draft.org and self.block_org is None:
                # "Media Relations" / "Canadian Orbital Agency" / "Jane Doe, jane@...": the
                # organisation seen before the name still heads the block
                self.block_org = self.draft.org
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
        name, is_office, name_line = draft.name, False, draft.name_line
        if name is None and (draft.office or draft.section_office):
            name, is_office = draft.office or draft.section_office, True
            name_line = draft.office_line
        if draft.after_prose and not draft.emails and not draft.context:
            # "Registration: Westbridge Events, +1 515 555 0100." under a sentence: a
            # company's number given to readers, no press contact
            return
        problems = list(draft.problems)
        if name is None:
            if not draft.context:
                return  # stray details in body text
            problems.append("no name found next to these details")
        role = draft.role or (draft.office if draft.name else None) or draft.guess
        org = self._organization(draft)
        first = min([*draft.phone_lines, *draft.email_lines], default=draft.line)
        evidence = Evidence(
            name="none" if name is None else "office" if is_office
            else "person" if draft.strong_name else "weak",
            emails=len(draft.emails), phones=len(draft.phones), context=draft.context,
            organization=org is not None, spread=abs(first - (name_line or draft.line)),
            problems=len(problems),
        )
        self.contacts.append(ProposedContact(
            name, role, org, draft.phones, draft.emails, draft.line, is_office, problems,
            confidence(evidence), name_line, list(draft.phone_lines), list(draft.email_lines),
        ))

    def _organization(self, draft: _Draft) -> str | None:
        """The block's heading or own line, else the section named by a contact heading,
        else what the e-mail domain says (:meth:`ReleaseOrgs.of_contact`), else the
        section's "About X"."""
        if draft.org:
            return draft.org
        if draft.section_org_explicit:
            return draft.section_org
        return self.orgs.of_contact(draft.emails) or draft.section_org

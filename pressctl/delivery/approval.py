"""What a person approves when `mailout create` asks: the planned mailouts summed up.

The summary is read from what will be frozen, never worked out a second time: the subject
of each language version and the From come from the rendered variants
(:func:`pressctl.delivery.mailouts.render_mailouts`), the counts from the rows each phase
will store, the exclusions from the audience's own resolution
(:func:`pressctl.releases.recipients.select_recipients`) and the embargo split
(:mod:`pressctl.releases.embargo`). So the screen cannot promise a subject or a recipient
list that differs from what is sent.

Who is left out, and why:

* opted out (the contact, or its address): never mailed;
* no e-mail address;
* bouncing: the row is stored, but the run skips it while the address bounces
  (pressctl.delivery.ledger), so it is counted among the messages and named here;
* no consent to the embargo: before the lift they get the public version at the lift,
  or nothing with ``--no-public``.

:func:`summarize` sums up plans held in lists; pressctl.delivery.spooled counts the same
summary as it plans a large audience (the groups of members left out with the first
NAMED of each, every member in a spool), for the same screen.

Times stay aware and in UTC here; the CLI shows them in the release's zone (``zone``) and
in the user's. Pure of I/O but for the book's store, which it reads (bouncing states, the
outlets of the first recipients); it never prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pressctl.book.bounces import skip_reason
from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import ContactFilter
from pressctl.delivery.mailouts import PlannedMailout
from pressctl.releases.embargo import Phase
from pressctl.releases.messages import Sender
from pressctl.releases.recipients import Excluded, Exclusion, Recipient
from pressctl.releases.rendering import Plan

if TYPE_CHECKING:
    from pressctl.store.inbox import Bouncing

FIRST_SHOWN = 5  # recipients named on the screen before "... and N more"
NAMED = 5  # left-out members kept by name per reason (the screen names as many)


class Reason(StrEnum):
    """Why a member of the audience is not sent (all or part of) the release."""

    OPTED_OUT = "opted-out"
    NO_ADDRESS = "no-address"
    BOUNCING = "bouncing"
    NO_EMBARGO_CONSENT = "no-embargo-consent"


class Outcome(StrEnum):
    """What a member left out gets instead."""

    NOTHING = "nothing"  # no message at all
    SKIPPED = "skipped-when-sending"  # a stored row the run skips while the reason holds
    PUBLIC_AT_LIFT = "public-at-lift"  # the public version at the lift, not the embargoed one


@dataclass(frozen=True, slots=True)
class LeftOut:
    """One member of the audience left out, why, what they get instead, and the why in
    words (``detail``: a bouncing address says since when and the server's reply)."""

    contact_id: int | None
    name: str
    address: str | None
    reason: Reason
    outcome: Outcome
    detail: str

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.address else self.name


@dataclass(frozen=True, slots=True)
class Version:
    """A language version of one phase: its subject as sent, and how many get it."""

    language: str
    subject: str
    messages: int


@dataclass(frozen=True, slots=True)
class PhaseSummary:
    phase: Phase
    due_at: datetime  # aware, UTC
    messages: int  # the rows stored (bouncing ones included: they are skipped when sending)
    versions: tuple[Version, ...]  # by language
    left_out: int = 0  # an embargoed phase without public phase: members who get nothing


@dataclass(frozen=True, slots=True)
class FirstRecipient:
    name: str
    address: str
    outlet: str | None  # a journalist's outlet, else the organisation
    phase: Phase
    language: str

    def __str__(self) -> str:
        shown = f"{self.name} <{self.address}>"
        return f"{shown} ({self.outlet})" if self.outlet else shown


@dataclass(frozen=True, slots=True)
class LeftOutGroup:
    """The members left out for one reason, with one outcome: how many, and the first
    ones (the screen names a few, then says how many more)."""

    reason: Reason
    outcome: Outcome
    count: int
    first: tuple[LeftOut, ...]  # the first NAMED of them, in order


class LeftOutTally:
    """Members left out, counted by (reason, outcome) as they are found, the first
    ``named`` of each group kept; every member goes on to ``members`` (a list, or a
    pressctl.book.spool.Spool when the audience is large)."""

    def __init__(self, members: Any, named: int = NAMED) -> None:
        self.members = members
        self.named = named
        self._groups: dict[tuple[Reason, Outcome], tuple[int, list[LeftOut]]] = {}

    def add(self, member: LeftOut) -> None:
        key = (member.reason, member.outcome)
        count, first = self._groups.get(key, (0, []))
        if len(first) < self.named:
            first.append(member)
        self._groups[key] = (count + 1, first)
        self.members.append(member)

    def groups(self) -> list[LeftOutGroup]:
        return [LeftOutGroup(reason, outcome, count, tuple(first))
                for (reason, outcome), (count, first) in self._groups.items()]


def merge_groups(*tallies: LeftOutTally) -> tuple[LeftOutGroup, ...]:
    """The groups of ``tallies`` taken one after the other, as if one tally had seen all
    their members in that order."""
    merged: dict[tuple[Reason, Outcome], LeftOutGroup] = {}
    for tally in tallies:
        for group in tally.groups():
            key = (group.reason, group.outcome)
            before = merged.get(key)
            if before is not None:
                group = LeftOutGroup(group.reason, group.outcome, before.count + group.count,
                                     (before.first + group.first)[:tally.named])
            merged[key] = group
    return tuple(merged.values())


@dataclass(frozen=True, slots=True)
class Approval:
    """What `mailout create` shows before it asks, and what --json says of it.

    The members left out are summed up in ``groups`` (by reason and outcome, in the
    order each first appears); ``members`` gives them all, in order, when iterated (it
    may be spooled: a 300,000-contact audience is not held)."""

    reference: str
    sender: Sender | None  # None: nobody gets a message, so nothing is sent from anyone
    zone: str | None  # the release's own zone (IANA), None: it has none
    phases: tuple[PhaseSummary, ...]
    first: tuple[FirstRecipient, ...]
    groups: tuple[LeftOutGroup, ...]
    members: Iterable[LeftOut]

    @property
    def messages(self) -> int:
        return sum(phase.messages for phase in self.phases)

    @property
    def more(self) -> int:
        """Recipients not among ``first``."""
        return self.messages - len(self.first)

    @property
    def left_out(self) -> tuple[LeftOut, ...]:
        """Every member left out, in order (all held: for small audiences and tests)."""
        return tuple(self.members)

    def left_out_for(self, reason: Reason, outcome: Outcome | None = None) -> list[LeftOut]:
        return [member for member in self.members if member.reason == reason
                and (outcome is None or member.outcome == outcome)]


def summarize(book: Book, plans: list[PlannedMailout], rendered: list[Plan], *,
              shown: int = FIRST_SHOWN) -> Approval:
    """The approval summary of ``plans`` as :func:`render_mailouts` rendered them."""
    if len(plans) != len(rendered):
        raise ValueError(f"{len(rendered)} rendered plan(s) for {len(plans)} mailout(s)")
    phases = tuple(_phase(plan, built) for plan, built in zip(plans, rendered, strict=True))
    sender = next((variants[0][1] for variants in (b.variants for b in rendered) if variants),
                  None)
    picked: list[tuple[Phase, Recipient]] = []
    for plan in plans:
        picked += [(plan.phase, r) for r in plan.recipients[:shown - len(picked)]]
    tally = LeftOutTally([])
    for member in _left_out(book, plans):
        tally.add(member)
    return Approval(
        reference=plans[0].releases.main.reference if plans else "",
        sender=sender, zone=plans[0].zone if plans else None, phases=phases,
        first=first_recipients(book, picked), groups=merge_groups(tally),
        members=tuple(tally.members))


def _rows(plan: PlannedMailout, built: Plan) -> Iterator[tuple[str, str, bool]]:
    """(language, subject, gets a row) of each message rendered for the phase: a public
    phase is rendered for the whole audience but stores rows only for its recipients."""
    has_row = {r.address for r in plan.recipients} if plan.covers is not None else None
    for message in built.messages:
        variant = built.variants[message.variant][0]
        stored = has_row is None or message.recipient.address in has_row
        yield variant.language, variant.subject, stored


def _phase(plan: PlannedMailout, built: Plan) -> PhaseSummary:
    subjects: dict[str, str] = {}
    counts: dict[str, int] = {}
    for language, subject, stored in _rows(plan, built):
        subjects.setdefault(language, subject)
        if stored:
            counts[language] = counts.get(language, 0) + 1
    return phase_summary(plan, len(plan.recipients), subjects, counts, plan.left_out)


def phase_summary(plan: PlannedMailout, messages: int, subjects: dict[str, str],
                  counts: dict[str, int], left_out: int) -> PhaseSummary:
    """A phase summed up: ``subjects`` by language in the order the messages rendered
    them, ``counts`` the rows stored by language."""
    # Languages nobody in this phase gets are left out, unless nobody gets anything: a
    # public phase planned for consents withdrawn later still shows what it would send.
    shown = [language for language in subjects if counts.get(language)] or list(subjects)
    versions = tuple(Version(language, subjects[language], counts.get(language, 0))
                     for language in sorted(shown))
    return PhaseSummary(plan.phase, plan.due_at.astimezone(UTC), messages, versions, left_out)


def first_recipients(book: Book, picked: list[tuple[Phase, Recipient]]
                     ) -> tuple[FirstRecipient, ...]:
    """The recipients named on the screen, with their outlets."""
    # A recipient keeps only what its message needs: the outlet is read from the book.
    ids = tuple(r.contact.id for _, r in picked if r.contact.id is not None)
    found = {c.id: c for c in book.store.contacts.select(ContactFilter(ids=ids))} if ids else {}
    first = []
    for phase, recipient in picked:
        contact = found.get(recipient.contact.id, recipient.contact)
        first.append(FirstRecipient(contact.name, recipient.address,
                                    contact.outlet or contact.organization, phase,
                                    recipient.version.language))
    return tuple(first)


_EXCLUDED = {
    Exclusion.OPTED_OUT: (Reason.OPTED_OUT, "the contact opted out: never mailed"),
    Exclusion.ADDRESS_OPTED_OUT: (Reason.OPTED_OUT, "the address opted out: never mailed"),
    Exclusion.NO_ADDRESS: (Reason.NO_ADDRESS, "no e-mail address: add one with "
                           "`pressctl contacts edit --add-email`"),
}


def excluded_member(excluded: Excluded) -> LeftOut:
    """A member of the audience who gets no message at all, as the screen names it."""
    reason, detail = _EXCLUDED[excluded.why]
    contact = excluded.contact
    return LeftOut(contact.id, contact.name, contact.emails[0] if contact.emails else None,
                   reason, Outcome.NOTHING, detail)


def bouncing_member(recipient: Recipient, state: Bouncing) -> LeftOut:
    return _member(recipient, Reason.BOUNCING, Outcome.SKIPPED, skip_reason(state))


def refusing_member(recipient: Recipient, *, public_at_lift: bool) -> LeftOut:
    """A member who does not accept embargoes: the public version at the lift, or
    nothing (--no-public)."""
    if public_at_lift:
        return _member(recipient, Reason.NO_EMBARGO_CONSENT, Outcome.PUBLIC_AT_LIFT,
                       "does not accept embargoes: gets the public version at the lift")
    return _member(recipient, Reason.NO_EMBARGO_CONSENT, Outcome.NOTHING,
                   "does not accept embargoes: gets nothing (--no-public)")


def _left_out(book: Book, plans: list[PlannedMailout]) -> Iterator[LeftOut]:
    if not plans:
        return
    for excluded in plans[0].excluded:  # the audience's, the same on every phase
        yield excluded_member(excluded)
    bouncing = book.store.inbox.bouncing_all()  # few: cheaper than asking for every key
    if bouncing:
        seen: set[str] = set()
        for plan in plans:
            for recipient in plan.recipients:
                state = bouncing.get(email_key(recipient.address))
                if state is not None and recipient.address not in seen:
                    seen.add(recipient.address)
                    yield bouncing_member(recipient, state)
    embargoed = any(plan.phase == Phase.EMBARGOED for plan in plans)
    for plan in plans:
        if plan.phase == Phase.PUBLIC and embargoed:
            for recipient in plan.recipients:
                yield refusing_member(recipient, public_at_lift=True)
        for recipient in plan.left_out_members:
            yield refusing_member(recipient, public_at_lift=False)


def _member(recipient: Recipient, reason: Reason, outcome: Outcome, detail: str) -> LeftOut:
    return LeftOut(recipient.contact.id, recipient.contact.name, recipient.address, reason,
                   outcome, detail)

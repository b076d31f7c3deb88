"""`mailout create` for an audience of any size: planned, summed up for approval and
stored in flat memory, with exactly the rows, ids and approval screen of
:func:`~pressctl.delivery.mailouts.plan_mailouts` + ``render_mailouts`` + ``summarize`` +
``store_mailouts`` (tests/delivery/test_spooled.py compares them on twin books).

Those hold every recipient, message and left-out member in lists: 170 MiB for 100,000
recipients, past 200 MB at 300,000. Here the book is read once
(:func:`pressctl.releases.recipients.stream_recipients`); each recipient's rows are
planned as it comes (:class:`pressctl.releases.rendering.MessagePlanner`: the variants
rendered once each, in the same order) and put in a spool per phase
(:class:`pressctl.book.spool.Spool`: the first rows in memory, the others in an unnamed
temporary file), while the approval summary is counted: rows per phase and language,
the first recipients, the members left out by reason with the first few named (all of
them spooled, for --json). What the person approves is what the spools hold, and
:func:`store_spooled` stores exactly that, in one transaction, a chunk of rows per
executemany: the book is not read a second time, so a contact edited meanwhile cannot
slip in a row nobody approved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pressctl.book.changes import record_many
from pressctl.book.session import Book
from pressctl.book.spool import Spool
from pressctl.contacts.emails import email_key
from pressctl.delivery.approval import (
    FIRST_SHOWN,
    Approval,
    LeftOut,
    LeftOutTally,
    bouncing_member,
    excluded_member,
    first_recipients,
    merge_groups,
    phase_summary,
    refusing_member,
)
from pressctl.delivery.mailouts import (
    PlannedMailout,
    PreparedRelease,
    approval_change,
    left_out_warning,
)
from pressctl.errors import Problem
from pressctl.releases.embargo import Phase
from pressctl.releases.recipients import Recipient, public_copy, stream_recipients
from pressctl.releases.rendering import MessagePlanner, Plan, PlannedMessage
from pressctl.times import iso

if TYPE_CHECKING:
    from pressctl.releases.templating import Templates


@dataclass(slots=True)
class SpooledPhase:
    """One mailout to store: ``plan`` says what (its ``recipients`` stay empty: the rows
    are in ``rows``, (variant, contact id, name, address, salutation, Message-ID, and
    for an embargoed row its place in the public phase: variant, Message-ID))."""

    plan: PlannedMailout
    planner: MessagePlanner
    rows: Spool = field(default_factory=Spool)
    per_language: dict[str, int] = field(default_factory=dict)
    first: list[Recipient] = field(default_factory=list)
    bouncing: LeftOutTally = field(default_factory=lambda: LeftOutTally(Spool()))
    left_out: int = 0  # an embargoed phase without public phase: members who get nothing

    @property
    def messages(self) -> int:
        return len(self.rows)

    def add(self, planned: PlannedMessage, fallback: PlannedMessage | None, *, shown: int,
            bouncing: dict, seen: set[str]) -> None:
        recipient = planned.recipient
        self.rows.append((planned.variant, recipient.contact.id, recipient.contact.name,
                          recipient.address, planned.salutation, planned.message_id,
                          fallback.variant if fallback else None,
                          fallback.message_id if fallback else None))
        language = recipient.version.language
        self.per_language[language] = self.per_language.get(language, 0) + 1
        if len(self.first) < shown:
            self.first.append(recipient)
        state = bouncing.get(email_key(recipient.address)) if bouncing else None
        if state is not None and recipient.address not in seen:
            seen.add(recipient.address)
            self.bouncing.add(bouncing_member(recipient, state))


@dataclass(slots=True)
class SpooledMailouts:
    """What `mailout create` asks approval for, and stores: close it when done."""

    prepared: PreparedRelease
    phases: list[SpooledPhase]
    excluded: LeftOutTally  # opted out, no address: nothing at all
    refusing: LeftOutTally  # no embargo consent: the public version, or nothing
    warnings: list[Problem]  # found while planning (the release's own are printed before)
    shown: int = FIRST_SHOWN

    closed: bool = False

    def close(self) -> None:
        self.closed = True
        for tally in self._tallies():
            tally.members.close()
        for phase in self.phases:
            phase.rows.close()

    def __enter__(self) -> SpooledMailouts:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _tallies(self) -> list[LeftOutTally]:
        # The order the approval lists them in (pressctl.delivery.approval._left_out).
        return [self.excluded, *(p.bouncing for p in self.phases), self.refusing]


def spool_mailouts(book: Book, prepared: PreparedRelease, templates: Templates, *,
                   audience: str | None, public_at_lift: bool = True,
                   shown: int = FIRST_SHOWN) -> SpooledMailouts:
    """Plan the mailouts of ``prepared`` (pressctl.delivery.mailouts.prepare_mailouts) as
    plan_mailouts and render_mailouts plan them, one recipient at a time."""
    releases, public, when, zone = (prepared.releases, prepared.public, prepared.when,
                                    prepared.zone)

    def phase(kind: Phase, due, versions) -> SpooledPhase:
        seed = f"{versions.main.reference}/{kind}/{iso(due)}/{book.now}"
        return SpooledPhase(PlannedMailout(kind, due, versions, [], zone=zone),
                            MessagePlanner(book, versions, templates, now=due, seed=seed))

    if when.embargoed_at is None:
        phases = [phase(Phase.SINGLE, when.public_at, public)]
    else:
        phases = [phase(Phase.EMBARGOED, when.embargoed_at, releases)]
        if public_at_lift:  # rendered for everyone: see PlannedMailout.covers
            phases.append(phase(Phase.PUBLIC, when.public_at, public))
    spooled = SpooledMailouts(prepared, phases, LeftOutTally(Spool()), LeftOutTally(Spool()),
                              [], shown)
    try:
        _plan(book, spooled, audience, public_at_lift)
    except BaseException:
        spooled.close()
        raise
    if phases[0].left_out:
        spooled.warnings.append(left_out_warning(prepared.path, phases[0].left_out))
    return spooled


def _plan(book: Book, spooled: SpooledMailouts, audience: str | None,
          public_at_lift: bool) -> None:
    phases, shown = spooled.phases, spooled.shown
    bouncing = book.store.inbox.bouncing_all()  # few: cheaper than asking for every key
    seen: set[str] = set()
    prepared = spooled.prepared
    single = prepared.when.embargoed_at is None
    source = prepared.public if single else prepared.releases
    exclude = spooled.excluded.add
    for recipient in stream_recipients(book, source, audience,
                                       exclude=lambda e: exclude(excluded_member(e))):
        if single:
            phases[0].add(phases[0].planner.plan(recipient), None, shown=shown,
                          bouncing=bouncing, seen=seen)
            continue
        # The public phase plans every member's public copy, in the audience's order:
        # its variants are numbered as render_mailouts numbers them for `covers`.
        copy = (phases[1].planner.plan(public_copy(recipient, prepared.public))
                if public_at_lift else None)
        if recipient.embargoed:
            phases[0].add(phases[0].planner.plan(recipient), copy, shown=shown,
                          bouncing=bouncing, seen=seen)
        elif copy is not None:
            phases[1].add(copy, None, shown=shown, bouncing=bouncing, seen=seen)
            spooled.refusing.add(refusing_member(copy.recipient, public_at_lift=True))
        else:
            phases[0].left_out += 1
            spooled.refusing.add(refusing_member(recipient, public_at_lift=False))


def summarize_spooled(book: Book, spooled: SpooledMailouts) -> Approval:
    """The approval summary (pressctl.delivery.approval.Approval) of what is spooled."""
    summaries = []
    for phase in spooled.phases:
        subjects: dict[str, str] = {}
        for variant, _ in phase.planner.variants:  # in the order the messages rendered them
            subjects.setdefault(variant.language, variant.subject)
        summaries.append(phase_summary(phase.plan, phase.messages, subjects,
                                       phase.per_language, phase.left_out))
    sender = next((p.planner.variants[0][1] for p in spooled.phases if p.planner.variants),
                  None)
    picked: list[tuple[Phase, Recipient]] = []
    for phase in spooled.phases:
        picked += [(phase.plan.phase, r) for r in phase.first[:spooled.shown - len(picked)]]
    return Approval(
        reference=spooled.prepared.releases.main.reference, sender=sender,
        zone=spooled.prepared.zone, phases=tuple(summaries),
        first=first_recipients(book, picked), groups=merge_groups(*spooled._tallies()),
        members=_Members(spooled))


class _Members:
    """Every member left out, in order, each time it is iterated; refused once the spools
    are closed (their files gone: it would be a part of them)."""

    def __init__(self, spooled: SpooledMailouts) -> None:
        self.spooled = spooled

    def __iter__(self) -> Iterator[LeftOut]:
        if self.spooled.closed:
            raise ValueError("the spooled mailouts are closed: their members are gone")
        for tally in self.spooled._tallies():
            yield from tally.members


def store_spooled(book: Book, spooled: SpooledMailouts, *, token_key: bytes) -> list[int]:
    """Freeze what is spooled in one transaction, as store_mailouts freezes its plans
    (same mailouts, variants, rows and ids, same trail); returns the mailouts' ids. A
    failure stores nothing."""
    from pressctl.delivery.events import record_version
    from pressctl.delivery.frozen import freeze
    from pressctl.delivery.unsubscribe import unsubscribe_token

    path = spooled.prepared.path
    phases = spooled.phases
    with book.store.transaction():
        for phase in phases:
            plan, planner = phase.plan, phase.planner
            plan.id = book.store.mailouts.insert(
                reference=plan.releases.main.reference, release_path=str(path.resolve()),
                phase=plan.phase, linked_to=phases[0].plan.id if phase is not phases[0] else None,
                due_at=iso(plan.due_at), domain=planner.domain, now=book.now,
                variants=[freeze(variant, sender) for variant, sender in planner.variants])
        public_id = next((p.plan.id for p in phases if p.plan.phase == Phase.PUBLIC), None)
        for phase in phases:
            mailout_id = phase.plan.id
            assert mailout_id is not None
            book.store.mailouts.insert_rows(mailout_id, (
                (variant, contact_id, name, address, salutation, message_id,
                 unsubscribe_token(token_key, mailout_id, address),
                 *((fallback_variant, fallback_id,
                    unsubscribe_token(token_key, public_id, address))
                   if fallback_variant is not None and public_id is not None
                   else (None, None, None)))
                for (variant, contact_id, name, address, salutation, message_id,
                     fallback_variant, fallback_id) in phase.rows), book.now)
        # An invitation's SEQUENCE and details: from the plans' releases and domain.
        record_version(book, [p.plan for p in phases],
                       [Plan(p.planner.variants, [], p.planner.domain) for p in phases])
        record_many(book, (approval_change(p.plan, p.messages) for p in phases))
    return [p.plan.id for p in phases if p.plan.id is not None]

"""Mailout use cases: freeze an approved release into mailouts, and the manual actions
(cancel, pause, resume, retry). Delivering them is pressctl.delivery.run's job.

Who gets which version is decided in pressctl.releases.embargo (the embargo rule); this
module freezes that decision. What is frozen is what was approved; only opt-outs and
embargo consent are checked again at send time: a contact who no longer accepts embargoes
is moved from the embargoed phase to the public one (pressctl.store.consent).

Approving (freezing) a mailout and every manual action on it is recorded in the trail
with who did it, in its transaction (pressctl.book.changes): `mailout show` lists them.
What a delivery run does on its own (sending, finishing) is the run's, not a person's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.book.changes import Change, ChangeAction, NewChange, Subject, record, record_many
from pressctl.book.session import Book
from pressctl.errors import InvalidInput, NotFound, Problem
from pressctl.outbox.policy import Action, manual_transition
from pressctl.outbox.states import MailoutState, RowState
from pressctl.releases.checking import load_release_set
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.embargo import Phase, Timing, split_audience, timing
from pressctl.releases.recipients import Excluded, Recipient, public_copy, select_recipients
from pressctl.releases.rendering import Plan, plan_messages
from pressctl.store.mailouts import MailoutRecord
from pressctl.times import iso, parse_start

if TYPE_CHECKING:
    from pressctl.releases.events import EventNotice

# -- creating -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedMailout:
    """One mailout to store: who gets a row (``recipients``), when, which copy.

    A public phase linked to an embargoed one is rendered for the whole audience
    (``covers``), though only those who do not accept embargoes get a row: an embargoed
    recipient who withdraws consent later is moved into it without rendering anything.
    """

    phase: Phase
    due_at: datetime
    releases: ReleaseSet
    recipients: list[Recipient]
    covers: list[Recipient] | None = None  # rendered for; None: the recipients
    # An embargoed phase without public phase: the audience members who get nothing.
    left_out_members: list[Recipient] = field(default_factory=list)
    # Members of the audience who get no message in any phase, and why (the same list on
    # every phase of a plan): what the approval screen says is excluded.
    excluded: list[Excluded] = field(default_factory=list)
    zone: str | None = None  # the release's own zone (its embargo's, else its event's)
    id: int | None = None
    notice: EventNotice | None = None  # an update or cancellation (pressctl.delivery.events)
    withdraws: tuple[int, ...] = ()  # mailouts whose queued rows it cancels (a cancelled event)

    @property
    def left_out(self) -> int:
        return len(self.left_out_members)


def plan_mailouts(book: Book, path: Path, *, at: str | None, audience: str | None,
                  public_at_lift: bool = True, now: datetime) -> list[PlannedMailout]:
    """Who gets which version when, as the embargo rule decides (pressctl.releases.embargo).

    An embargoed release sent before its lift: the embargoed version goes out at WHEN
    (default now), only ever to contacts who accept embargoes; with ``public_at_lift``
    (the default) everyone else gets the public version at the lift, in a linked public
    mailout that is planned even when nobody needs it yet (a contact who withdraws consent
    is moved there). Without it they get nothing, and the plan says how many
    (``left_out``, and a warning). WHEN "lift" (or any time after it) sends the public
    version to everyone in one mailout.
    """
    prepared = prepare_mailouts(book, path, at=at, now=now)
    releases, public, when, zone = (prepared.releases, prepared.public, prepared.when,
                                    prepared.zone)
    excluded: list[Excluded] = []
    if when.embargoed_at is None:
        everyone = select_recipients(book, public, audience, excluded=excluded)
        return [PlannedMailout(Phase.SINGLE, when.public_at, public, everyone,
                               excluded=excluded, zone=zone)]
    everyone = select_recipients(book, releases, audience, excluded=excluded)
    split = split_audience(everyone, public_at_lift=public_at_lift)
    plans = [PlannedMailout(Phase.EMBARGOED, when.embargoed_at, releases, split.embargoed,
                            excluded=excluded, zone=zone)]
    if public_at_lift:  # rendered for everyone: see PlannedMailout
        covers = [public_copy(recipient, public) for recipient in everyone]
        plans.append(PlannedMailout(Phase.PUBLIC, when.public_at, public, split.public,
                                    covers=covers, excluded=excluded, zone=zone))
    elif split.left_out:
        plans[0].left_out_members = split.left_out
        releases.warnings.append(left_out_warning(path, len(split.left_out)))
    return plans


@dataclass(frozen=True, slots=True)
class PreparedRelease:
    """A release about to be planned: its versions, when each phase is due, its zone."""

    path: Path
    releases: ReleaseSet  # as approved: an invitation carries its SEQUENCE
    public: ReleaseSet  # the versions once the embargo has lifted
    when: Timing
    zone: str | None  # see release_zone


def prepare_mailouts(book: Book, path: Path, *, at: str | None,
                     now: datetime) -> PreparedRelease:
    """The release at ``path`` loaded and timed for :func:`plan_mailouts` (and its
    streamed form, pressctl.delivery.spooled): WHEN ``at`` (default now, or "lift")."""
    from pressctl.delivery.events import prepare_invitation

    # An invitation carries the SEQUENCE pressctl keeps for its event (pressctl.delivery.events).
    releases = prepare_invitation(book, load_release_set(path, now.date()), path)
    lift = releases.main.embargo.utc if releases.main.embargo else None
    if at == "lift":
        if lift is None:
            raise InvalidInput(f"{path}: --at lift, but the release has no embargo")
        due = lift
    else:
        due = parse_start(at, now) if at else now
    return PreparedRelease(path, releases, releases.public(), timing(lift, due, now),
                           release_zone(releases))


def release_zone(releases: ReleaseSet) -> str | None:
    """The zone the release's own times are written in: its embargo's, else its event's
    start; None when it has neither (a release for immediate use)."""
    main = releases.main
    if main.embargo is not None:
        return main.embargo.zone
    if main.event is not None:
        return getattr(main.event.start.tzinfo, "key", None)
    return None


def left_out_warning(path: Path, count: int) -> Problem:
    return Problem(str(path), f"{count} contact(s) of the audience do not accept embargoes "
                   "and get nothing (--no-public): leave out --no-public to send them the "
                   "public version at the lift")


def render_mailouts(book: Book, plans: list[PlannedMailout], templates) -> list[Plan]:
    """Render every planned mailout (each variant once): what :func:`store_mailouts`
    freezes, and what the approval summary (pressctl.delivery.approval) reads its subjects
    and sender from, so that what is shown is what is stored."""
    built = []
    for plan in plans:
        seed = f"{plan.releases.main.reference}/{plan.phase}/{iso(plan.due_at)}/{book.now}"
        built.append(plan_messages(book, plan.releases, plan.recipients
                                   if plan.covers is None else plan.covers, templates,
                                   now=plan.due_at, seed=seed, notice=plan.notice))
    return built


def store_mailouts(book: Book, plans: list[PlannedMailout], templates, *, path: Path,
                   token_key: bytes, rendered: list[Plan] | None = None) -> list[int]:
    """Freeze the planned mailouts in one transaction; returns their ids. ``rendered`` is
    what :func:`render_mailouts` made of ``plans`` (rendered here when not given).

    Each row's one-click unsubscribe token is an HMAC of (its mailout, its address) under
    ``token_key`` (pressctl.delivery.unsubscribe). An embargoed row also keeps its recipient's
    place in the public phase (variant, Message-ID, token), for a consent withdrawn later.
    """
    from pressctl.delivery.events import record_version
    from pressctl.delivery.frozen import freeze
    from pressctl.delivery.unsubscribe import unsubscribe_token

    # Rendered before the transaction: no lock held meanwhile.
    built = rendered if rendered is not None else render_mailouts(book, plans, templates)
    if len(built) != len(plans):
        raise ValueError(f"{len(built)} rendered plan(s) for {len(plans)} mailout(s)")
    with book.store.transaction():
        for plan, messages in zip(plans, built, strict=True):
            plan.id = book.store.mailouts.insert(
                reference=plan.releases.main.reference, release_path=str(path.resolve()),
                phase=plan.phase, linked_to=plans[0].id if plan is not plans[0] else None,
                due_at=iso(plan.due_at), domain=messages.domain, now=book.now,
                variants=[freeze(variant, sender) for variant, sender in messages.variants])
        # An embargoed row's place in the public phase, should its contact withdraw consent.
        fallback: dict[str, tuple[int, str, str]] = {}
        for plan, messages in zip(plans, built, strict=True):
            if plan.phase == Phase.PUBLIC and plan.id is not None:
                fallback = {m.recipient.address: (m.variant, m.message_id, unsubscribe_token(
                    token_key, plan.id, m.recipient.address)) for m in messages.messages}
        nowhere = (None, None, None)
        for plan, messages in zip(plans, built, strict=True):
            mailout_id = plan.id
            assert mailout_id is not None
            has_row = {r.address for r in plan.recipients}  # a public phase covers more
            book.store.mailouts.insert_rows(mailout_id, (
                (m.variant, m.recipient.contact.id, m.recipient.contact.name,
                 m.recipient.address, m.salutation, m.message_id,
                 unsubscribe_token(token_key, mailout_id, m.recipient.address),
                 *(fallback.get(m.recipient.address, nowhere) if plan.phase == Phase.EMBARGOED
                   else nowhere))
                for m in messages.messages if m.recipient.address in has_row), book.now)
        record_version(book, plans, built)  # an invitation's SEQUENCE and details
        for plan in plans:
            for withdrawn in plan.withdraws:
                _cancel(book, withdrawn, f"the event was cancelled (mailout #{plan.id})")
        record_many(book, (approval_change(plan, len(plan.recipients)) for plan in plans
                           if plan.id is not None))
    return [plan.id for plan in plans if plan.id is not None]


def approval_change(plan: PlannedMailout, messages: int) -> NewChange:
    """The trail's line for the approval of a stored ``plan`` of ``messages`` rows."""
    assert plan.id is not None, "stored plans only"
    return NewChange(ChangeAction.APPROVE, Subject.MAILOUT, plan.id,
                     f"approved {_what(plan)} ({plan.phase}): "
                     f"{messages} message(s) due {iso(plan.due_at)}")


def _what(plan: PlannedMailout) -> str:
    reference = plan.releases.main.reference
    if plan.notice is None:
        return reference
    return f"the {plan.notice.kind.noun} of {reference}'s event, SEQUENCE {plan.notice.sequence}"


# -- reading and manual actions ----------------------------------------------------------------


def get_mailout(book: Book, mailout_id: int) -> MailoutRecord:
    record = book.store.mailouts.get(mailout_id)
    if record is None:
        raise NotFound(f"no mailout #{mailout_id}", hint="see `pressctl mailout list`")
    return record


def history(book: Book, mailout_id: int) -> list[Change]:
    """Who approved, paused, resumed, cancelled or retried the mailout, and when (oldest
    first)."""
    return book.store.changes.trail(subject=Subject.MAILOUT, subject_id=mailout_id)


def _change(book: Book, mailout: MailoutRecord, action: Action) -> None:
    """Inside a transaction: the mailout's new state after a person's ``action``."""
    state = MailoutState(manual_transition(action, mailout.state))
    book.store.mailouts.set_state(mailout.id, state, book.now)


def cancel(book: Book, mailout_id: int) -> int:
    with book.store.transaction():
        return _cancel(book, mailout_id, "cancelled by the user")


def _cancel(book: Book, mailout_id: int, why: str) -> int:
    """Inside a transaction: cancel the mailout and its queued rows (saying ``why``)."""
    _change(book, get_mailout(book, mailout_id), Action.CANCEL)
    count = book.store.mailouts.set_rows_state(mailout_id, [RowState.QUEUED],
                                               RowState.CANCELLED, book.now, why)
    record(book, ChangeAction.CANCEL, Subject.MAILOUT, mailout_id,
           f"cancelled: {count} queued message(s) will not be sent")
    return count


def pause(book: Book, mailout_id: int, *, resume: bool = False) -> None:
    with book.store.transaction():
        _change(book, get_mailout(book, mailout_id), Action.RESUME if resume else Action.PAUSE)
        if resume:
            record(book, ChangeAction.RESUME, Subject.MAILOUT, mailout_id, "resumed")
        else:
            record(book, ChangeAction.PAUSE, Subject.MAILOUT, mailout_id, "paused")


def retry(book: Book, mailout_id: int, *, include_unknown: bool = False) -> int:
    """Queue the failed rows again (and the unknown ones, only when asked)."""
    with book.store.transaction():
        mailout = get_mailout(book, mailout_id)
        if mailout.state == MailoutState.CANCELLED:
            raise InvalidInput(f"mailout #{mailout_id} is cancelled: nothing to retry")
        states = [RowState.FAILED, RowState.UNKNOWN] if include_unknown else [RowState.FAILED]
        count = book.store.mailouts.set_rows_state(mailout_id, states, RowState.QUEUED,
                                                   book.now)
        if count and mailout.state == MailoutState.DONE:
            book.store.mailouts.set_state(mailout_id, MailoutState.SCHEDULED, book.now)
        if count:  # a retry that found nothing to queue changed nothing
            which = "failed or unknown" if include_unknown else "failed"
            record(book, ChangeAction.RETRY, Subject.MAILOUT, mailout_id,
                   f"retried: {count} {which} message(s) queued again")
        return count

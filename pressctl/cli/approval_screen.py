"""The approval screen of `mailout create` (stderr) and its JSON shape (--json).

Presentation only: the summary is the core's (pressctl.delivery.approval.Approval). Due
times are shown twice: in the release's own zone, because that is what the press office
announced, and in the user's zone (config ``display.timezone``, else the system's),
because that is the clock on the wall; --json gives UTC. On a terminal with colours the
screen uses rich styles; off a terminal, or with NO_COLOR / --no-color, the same lines are
plain text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pressctl.cli.output import Output
from pressctl.delivery.approval import NAMED, Outcome, Reason
from pressctl.releases.embargo import Phase
from pressctl.times import iso

if TYPE_CHECKING:
    from pressctl.delivery.approval import Approval, LeftOut, LeftOutGroup, PhaseSummary

NAMES_SHOWN = NAMED  # left-out contacts named per reason before "... and N more"
_LABEL = 11  # width of the labels column

# Who is left out, as the screen says it: (reason, outcome) -> words after the count.
_LEFT_OUT = {
    (Reason.OPTED_OUT, Outcome.NOTHING): "opted out: never mailed",
    (Reason.NO_ADDRESS, Outcome.NOTHING): "without an e-mail address",
    (Reason.BOUNCING, Outcome.SKIPPED): ("bouncing: counted above, but skipped when sending "
                                         "while they bounce"),
    (Reason.NO_EMBARGO_CONSENT, Outcome.PUBLIC_AT_LIFT): ("do not accept embargoes: the "
                                                          "public version at the lift instead"),
    (Reason.NO_EMBARGO_CONSENT, Outcome.NOTHING): ("do not accept embargoes: get nothing "
                                                   "(--no-public)"),
}

Line = list[tuple[str, str]]  # (rich style, text) segments


def due_lines(moment: datetime, release_zone: str | None, user_zone: tzinfo) -> list[str]:
    """A due time in the release's zone, then in the user's (once when they agree):
    ["2099-09-22 08:00 CEST (Europe/Paris)", "2099-09-22 02:00 EDT your time
    (America/Montreal)"]."""
    from pressctl.cli.views import format_local

    user_name = getattr(user_zone, "key", None)
    mine = format_local(moment, user_zone)
    mine_line = f"{mine} your time" + (f" ({user_name})" if user_name else "")
    if release_zone is None:
        return [mine_line]
    theirs = format_local(moment, ZoneInfo(release_zone))
    if user_name == release_zone or mine == theirs:
        return [f"{theirs} ({release_zone}), also your time"]
    return [f"{theirs} ({release_zone})", mine_line]


def approval_lines(approval: Approval, user_zone: tzinfo) -> list[Line]:
    lines: list[Line] = [[("bold", f"{approval.reference}: approve {approval.messages} "
                                   "message(s)")]]
    sender = approval.sender
    lines.append(_row("From", f"{sender.name} <{sender.address}>" if sender else
                      "(nobody gets a message)"))
    for phase in approval.phases:
        lines += _phase_lines(phase, approval.zone, user_zone)
    for index, first in enumerate(approval.first):
        lines.append(_row("To" if index == 0 else "", f"{first}"))
    if approval.more > 0:
        lines.append(_row("", f"… and {approval.more} more"))
    for index, group in enumerate(approval.groups):
        lines += _left_out_lines("Left out" if index == 0 else "", group)
    if not approval.groups:
        lines.append(_row("Left out", "nobody of the audience"))
    return lines


def _row(label: str, text: str, style: str = "") -> Line:
    return [("bold", f"  {label:<{_LABEL}}"), (style, text)]


def _phase_lines(phase: PhaseSummary, release_zone: str | None, user_zone: tzinfo) -> list[Line]:
    style = "yellow" if phase.phase == Phase.EMBARGOED else ""
    lines = [_row(str(phase.phase).capitalize(), f"{phase.messages} message(s)", style)]
    for index, due in enumerate(due_lines(phase.due_at, release_zone, user_zone)):
        lines.append(_row("", f"{'due' if index == 0 else '':<3} {due}", style))
    for version in phase.versions:
        lines.append(_row("", f"{version.language:<3} {version.messages:>5}  {version.subject}"))
    return lines


def _left_out_lines(label: str, group: LeftOutGroup) -> list[Line]:
    first = group.first[0]
    words = _LEFT_OUT.get((group.reason, group.outcome), first.detail)
    lines = [_row(label, f"{group.count} {words}", "red")]
    for member in group.first[:NAMES_SHOWN]:
        # Each bouncing address has its own since-when and server reply.
        extra = f": {member.detail}" if group.reason == Reason.BOUNCING else ""
        lines.append(_row("", f"  {member}{extra}"))
    if group.count > NAMES_SHOWN:
        lines.append(_row("", f"  … and {group.count - NAMES_SHOWN} more"))
    return lines


def _styled(out: Output) -> bool:
    """Rich styles: stderr is a terminal and colours are allowed (tests replace it)."""
    return out.color and sys.stderr.isatty()


def print_approval(out: Output, approval: Approval, user_zone: tzinfo) -> None:
    """The screen, on stderr: rich on a terminal with colours, plain text otherwise."""
    lines = approval_lines(approval, user_zone)
    if _styled(out):
        from rich.text import Text

        console = out.console(stderr=True)
        for line in lines:
            console.print(Text.assemble(*((text, style) for style, text in line)),
                          overflow="fold", crop=False)
        return
    for line in lines:
        sys.stderr.write("".join(text for _, text in line).rstrip() + "\n")


# -- JSON ------------------------------------------------------------------------------------


def phase_rows(approval: Approval) -> list[dict]:
    """One entry per mailout (as `mailout create --json` has always listed them), its due
    time in UTC, with the subject and the count of each language version."""
    return [{
        "phase": str(phase.phase), "due": iso(phase.due_at), "recipients": phase.messages,
        "languages": sorted(v.language for v in phase.versions if v.messages),
        "embargoed": phase.phase == Phase.EMBARGOED,
        "left_out": phase.left_out,
        "per_language": {v.language: v.messages for v in phase.versions},
        "subjects": {v.language: v.subject for v in phase.versions},
    } for phase in approval.phases]


def approval_json(approval: Approval) -> dict:
    """The whole summary, as `mailout create --dry-run --json` prints it (times in UTC)."""
    return {**_approval_head(approval),
            "left_out_contacts": [_left_out_json(m) for m in approval.members]}


def write_approval_json(approval: Approval) -> None:
    """:func:`approval_json` printed as ``Output.json`` prints it, the members left out
    written as they are read (an embargoed release to 300,000 contacts may leave out
    most of them until the lift)."""
    from pressctl.cli.streamed import INDENT, indented_json, write_blocks

    head = indented_json(_approval_head(approval))  # "{\n  ...\n}": reopened below
    inner = INDENT * 2

    def text() -> Iterator[str]:
        yield head[:-2] + ',\n  "left_out_contacts": '
        count = 0
        for member in approval.members:
            yield ("[\n" if count == 0 else ",\n") + inner + indented_json(
                _left_out_json(member), inner)
            count += 1
        yield ("\n" + INDENT + "]" if count else "[]") + "\n}\n"

    write_blocks(text())


def _left_out_json(member: LeftOut) -> dict:
    return {"id": member.contact_id, "name": member.name, "address": member.address,
            "reason": str(member.reason), "gets": str(member.outcome), "detail": member.detail}


def _approval_head(approval: Approval) -> dict:
    sender = approval.sender
    return {
        "reference": approval.reference,
        "from": {"name": sender.name, "address": sender.address} if sender else None,
        "zone": approval.zone,
        "messages": approval.messages,
        "mailouts": phase_rows(approval),
        "first_recipients": [{"name": f.name, "address": f.address, "outlet": f.outlet,
                              "phase": str(f.phase), "language": f.language}
                             for f in approval.first],
        "more": approval.more,
    }

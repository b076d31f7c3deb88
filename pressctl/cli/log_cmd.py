"""`pressctl log`: who changed what, and when (the audit trail of the book)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, change_json, local_time, state
from pressctl.cli.tables import Col, Columns, Layout, Wide

if TYPE_CHECKING:
    from pressctl.store.changes import Change

# One command, though a group in the registry: no subcommand to show in its usage line;
# its help is the registry's summary, so the example is the epilog.
app = typer.Typer(subcommand_metavar="", epilog="Example: pressctl log --contact "
                  "pascale.bresson@cnes.fr --since \"2026-11-23 09:00 Europe/Paris\" --json")

SINCE_FORMS = ('"2026-11-23 09:00 Europe/Paris", an ISO 8601 time with its offset '
               '("2026-11-23T08:00:00Z"), a date ("2026-11-23": from midnight, local time) '
               'or a time back from now ("2h", "90m", "1h30", "3d")')
LOG_COLUMNS = (
    Col("when", priority=1, overflow="whole"),
    Col("who", priority=2, min_width=8),
    Col("action", priority=3, overflow="whole"),
    Col("subject", priority=2, min_width=12, breaks="@"),
    Col("summary", priority=1, min_width=20),
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DAYS = re.compile(r"(\d+)\s*(?:d|days?)")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T")


@app.callback(invoke_without_command=True)
def log(
    ctx: typer.Context,
    contact: Annotated[str | None, typer.Option(
        "--contact", metavar="REF",
        help="Only this contact: id (also of a removed one), e-mail or name.")
    ] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="WHEN",
        help='From this time on: "2026-11-23 09:00 Europe/Paris", "2026-11-23", '
             '"2026-11-23T08:00:00Z" or "2h" (the last two hours).')] = None,
    json_out: Json = False,
    wide: Wide = False,
    columns: Columns = None,
) -> None:
    """List who changed what, and when, oldest first (newest last).

    Every change to contacts, organisations, saved audiences and mailouts is recorded
    with the acting user (--as, PRESSCTL_USER, else the login name).

    Example: pressctl log --contact pascale.bresson@cnes.fr --since "2026-11-23 09:00 Europe/Paris"
    """
    from pressctl.book.changes import trail

    st = state(ctx)
    book = st.book()
    # A date or a bare time is read in the zone times are shown in.
    moment = since_moment(since, datetime.now(book.zone)) if since is not None else None
    entries = trail(book, contact=contact, since=moment)
    if json_out:
        st.out.json([change_json(c) for c in entries])
        return
    if not entries:
        st.out.info("No change recorded" + (" for this selection" if contact or since else ""))
        return
    st.out.table(LOG_COLUMNS,
                 [(local_time(c.at, book.zone), c.actor, c.action, subject_text(c), c.summary)
                  for c in entries], layout=Layout(wide, columns))


def since_moment(text: str, now: datetime) -> datetime:
    """``--since`` as an aware time (see SINCE_FORMS); ``now`` is aware, in the display
    zone, where a date starts at midnight. Refused (exit 3) with the forms it takes."""
    from pressctl.errors import InvalidInput
    from pressctl.times import parse_duration, parse_when

    cleaned = " ".join(text.split())
    date = _DATE.fullmatch(cleaned)
    try:
        if date:
            try:
                year, month, day_of_month = (int(part) for part in date.groups())
                day = datetime(year, month, day_of_month)
            except ValueError as err:
                raise InvalidInput(f"not a real date ({err})") from None
            return day.replace(tzinfo=now.tzinfo)  # midnight, in the display zone
        days = _DAYS.fullmatch(cleaned.lower())
        back = timedelta(days=int(days.group(1))) if days else parse_duration(cleaned)
        if back is not None:
            return now - back
        if _ISO.match(cleaned):  # ISO 8601, with its offset ("Z", "+01:00")
            try:
                moment = datetime.fromisoformat(cleaned)
            except ValueError:
                raise InvalidInput("not an ISO 8601 time") from None
            if moment.tzinfo is None:
                raise InvalidInput("no time zone or offset")
            return moment
        return parse_when(cleaned)
    except InvalidInput as err:
        raise InvalidInput(f'--since "{text}": {err.message}', hint=f"write {SINCE_FORMS}"
                           ) from None
    except OverflowError:
        raise InvalidInput(f'--since "{text}" is too far back',
                           hint=f"write {SINCE_FORMS}") from None


def subject_text(change: Change) -> str:
    """What a change is about, as other commands name it: "contact #12", "@space-fr"."""
    from pressctl.store.changes import Subject

    names = {Subject.CONTACT: f"contact #{change.subject_id}",
             Subject.ORGANIZATION: f"organisation #{change.subject_id}",
             Subject.AUDIENCE: f"@{change.subject_id}",
             Subject.MAILOUT: f"mailout #{change.subject_id}",
             Subject.ADDRESS: change.subject_id,
             Subject.IMPORT: change.subject_id}
    return names[change.subject]

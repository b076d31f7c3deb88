"""A new release file to start from (`pressctl release new`): every key, with a comment.

The writer of the format whose one reader is :mod:`pressctl.releases.release_file`; the
skeleton it writes parses there without a problem, whatever kind and language are asked
for (tests/releases/test_release_file.py holds it to that).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from pressctl.contacts.regions import language_tag
from pressctl.errors import InvalidInput
from pressctl.releases.documents import KINDS
from pressctl.releases.release_file import FENCE
from pressctl.times import parse_when


def skeleton(kind: str, organizations: list[str], today: date, language: str = "en", *,
             zone: str = "Europe/Paris") -> str:
    """A release file to start from (``pressctl release new``): every key with a comment.

    ``zone`` is the press office's IANA zone, used in the example times. An invitation gets
    an [event] table (it needs one); the other kinds get it commented out.
    """
    if kind not in KINDS:
        raise InvalidInput(f'kind "{kind}" is not one of {", ".join(KINDS)}')
    tag = language_tag(language)
    if tag is None:
        raise InvalidInput(f'language "{language}" is not a BCP 47 tag such as en or fr')
    parse_when(f"{today.isoformat()} 12:00 {zone}")  # refuses BST, UTC+1, typos
    week, other = today + timedelta(days=7), "en" if tag.startswith("fr") else "fr"
    when = f"{week.isoformat()} 11:30 {zone}"
    event = [  # (optional, line): an invitation needs the event, other kinds may add one
        (False, "[event]   # the press conference or briefing"),
        (False, 'title = "Press conference"'),
        (False, f'start = "{when}"   # not before the embargo lifts'),
        (False, 'duration = "1h"   # "90m", "1h30"; or end = "YYYY-MM-DD HH:MM Zone/City"'),
        (False, 'venue = "Venue, street, city"   # and/or the online meeting:'),
        (True, 'url = "https://example.org/meeting"'),
        (True, 'meeting_id = "000 0000 0000"'),
        (True, 'passcode = "000000"'),
        (True, 'dial_in = ["+44 20 7946 0958"]   # international numbers'),
        (True, 'rsvp = "press@example.org"   # accreditation address'),
        (True, f'rsvp_deadline = "{week.isoformat()} 09:00 {zone}"'),
    ]
    return "\n".join([
        FENCE,
        "# Front matter in TOML; the body in Markdown follows the closing +++ line.",
        "# Times are \"YYYY-MM-DD HH:MM Zone/City\" with an IANA zone name (Europe/London,",
        "# America/New_York, UTC); abbreviations such as CET or BST are refused.",
        f"reference = \"PR001-{today.year}\"   # your house reference",
        f"kind = {_toml_string(kind)}   # release, invitation or advisory",
        f"language = {_toml_string(tag)}   # BCP 47: en, fr, en-GB, fr-CA",
        "title = \"Headline of the release\"",
        "subtitle = \"One sentence that says what is new\"   # optional",
        f"date = {today.isoformat()}   # the release date: a TOML date, no quotes",
        "place = \"Paris\"   # the dateline; optional",
        f"organizations = [{', '.join(_toml_string(o) for o in organizations)}]   # in order",
        f"# embargo = \"{when}\"   # lift time; leave out for immediate release. The",
        "#   embargoed version goes only to contacts who accept embargoes, the others get",
        "#   the public version at the lift. Translations give the same embargo.",
        "# contacts = [\"press.officer@example.org\"]   # default: the organisations' officers",
        "# audience = \"kind:journalist and tag:space\"   # who receives it; default: all",
        "# attachments = [\"photo.jpg\"]   # files, relative to this file",
        "# The body below is the release itself: the \"About\" text of each organisation",
        "# and the press contacts are added from the contact book (`pressctl orgs`).",
        "",
        "# [translations]   # the same release in other languages: language = \"path\"",
        f"# {other} = \"PR001-{today.year}.{other}.md\"",
        "",
        *(("# " if optional or kind != "invitation" else "") + line for optional, line in event),
        FENCE,
        "",
        "The first paragraph says who, what, when and where.",
        "",
    ])


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
    return json.dumps(text, ensure_ascii=False)

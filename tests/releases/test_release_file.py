"""Tests for pressctl.releases.release_file: the release file format and its checks.

Real cases first: seed release 000 (CNES/SFR, embargoed online press conference on Zoom)
written as a release file in English and in French. Then a file with many problems, every
one reported with its line in one pass; then each check on its own.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pressctl.errors import InvalidInput, Problem
from pressctl.releases.release_file import (
    Listed,
    listed_in,
    parse_release,
    read_front_matter,
)
from pressctl.releases.skeleton import skeleton

RELEASES = Path(__file__).resolve().parent.parent / "data" / "releases"
PARIS = ZoneInfo("Europe/Paris")
SEED_DAY = date(2020, 9, 21)  # the day seed release 000 was sent, embargoed until the 22nd


def parse_fixture(name: str, today: date | None = SEED_DAY):
    return parse_release((RELEASES / name).read_text(encoding="utf-8"), name, today=today)


def lines_of(problems) -> list[tuple[int, str]]:
    return [(int(p.where.rsplit(":", 1)[1]), p.message) for p in problems]


# --------------------------------------------------------------------------- seed 000


@pytest.mark.parametrize(
    ("name", "language", "title", "event_title", "translation"),
    [
        ("pr106-2020.en.md", "en", "CNES partners with French Radiology Society",
         "Online press conference", {"fr": "pr106-2020.fr.md"}),
        ("pr106-2020.fr.md", "fr", "Le CNES s'associe à la Société Française de Radiologie",
         "Conférence de presse en ligne", {"en": "pr106-2020.en.md"}),
    ],
)
def test_seed_000_release_file(name, language, title, event_title, translation):
    release, errors, warnings = parse_fixture(name)
    assert errors == [] and warnings == []
    assert release is not None
    assert (release.path, release.reference, release.kind, release.language, release.title) == (
        name, "PR106-2020", "release", language, title)
    assert release.date == date(2020, 9, 21)
    assert release.place == "Paris"
    assert release.embargo is not None
    assert release.embargo.lift == datetime(2020, 9, 22, 11, 30, tzinfo=PARIS)
    assert release.embargo.lift.tzinfo == PARIS  # kept in the release's own zone
    assert release.embargo.utc.hour == 9
    assert release.organizations == ("CNES", "SFR")  # organisations (fr) or organizations
    assert release.contacts == ("pascale.bresson@cnes.fr", "raphael.sart@cnes.fr",
                                "nicolasmerlet@ortus-sante.fr", "francoisemillet@ortus-sante.fr")
    assert release.translations == translation
    event = release.event
    assert event is not None
    assert event.title == event_title
    assert event.start == datetime(2020, 9, 22, 11, 30, tzinfo=PARIS)
    assert event.end == datetime(2020, 9, 22, 12, 30, tzinfo=PARIS)
    assert event.url == "https://zoom.us/j/97981495219"
    assert event.meeting_id == "979 8149 5219"
    assert (event.venue, event.passcode, event.dial_in, event.rsvp, event.sequence) == (
        None, None, (), None, 0)
    assert release.body_line == 29
    assert release.body.startswith("Tuesday 22 September" if language == "en" else "Le mardi")
    assert release.attachments == ()
    assert release.embargo_line == 9  # where problems across versions point


def test_seed_000_read_years_later_warns_that_it_is_in_the_past():
    release, errors, warnings = parse_fixture("pr106-2020.en.md", today=date(2026, 11, 22))
    assert release is not None and errors == []
    assert lines_of(warnings) == [
        (9, "the embargo lifted in the past (Tuesday 22 September 2020, 11:30 CEST)"),
        (24, "the event is in the past (Tuesday 22 September 2020, 11:30 CEST)"),
    ]


def test_without_today_nothing_is_said_about_the_past():
    assert parse_fixture("pr106-2020.en.md", today=None)[2] == []


# --------------------------------------------------------------------------- many problems


def test_many_problems_are_all_reported_with_their_lines_in_one_pass():
    release, errors, warnings = parse_fixture("many_problems.md", today=date(2026, 11, 22))
    assert release is None
    assert [p.where for p in errors][:1] == ["many_problems.md:4"]
    assert lines_of(errors) == [
        (4, 'language "english please" is not a BCP 47 tag such as en, fr or fr-CA'),
        (5, "title must be one line without control characters"),
        (7, "subtitle must be a string, not a whole number (write it in quotes)"),
        (9, ("the embargo lifts on Sunday 20 September 2020, 11:30 CEST, before the release "
            "date 2020-09-21")),
        (10, "give organizations or organisations, not both"),
        (14, 'contacts: e-mail "not an address": An email address must have an @-sign.'),
        (15, "contacts: item 3 must be an e-mail address or a contact id, not a number 1.5"),
        (17, 'audience "tag:space and": expected a term after "and" (column 14)'),
        (18, ("embargo_only is no longer needed: pressctl sends the embargoed version only to "
              "contacts who accept embargoes, and the public version to the others at the "
              "lift; remove this line")),
        (19, ('attachments: "https://example.org/photo.jpg" is a link; attachments are files '
             "(put links in the body)")),
        (20, 'unknown key "titel" (did you mean "title"?)'),
        (23, 'translations: "xx yy" is not a language tag'),
        (27, ("the event starts (Sunday 20 September 2020, 11:00 CEST) before the embargo lifts "
             "(Sunday 20 September 2020, 11:30 CEST): the press conference would break the "
             "embargo")),
        (28, ("the event ends (Sunday 20 September 2020, 10:00 CEST) before it starts "
             "(Sunday 20 September 2020, 11:00 CEST)")),
        (29, 'event.url "ftp://zoom.us/j/97981495219" must be an https:// or http:// address'),
        (30, ('event.dial_in: phone "01 44 76 75 39" has no country code: journalists dial in '
             "from abroad, write it as +33 1 44 76 75 39")),
        (31, 'event.rsvp: e-mail "press at": An email address must have an @-sign.'),
        (32, ('event.rsvp_deadline "2020-09-20 09:00 BST": "BST" is an ambiguous abbreviation, '
             "not a time zone (write an IANA zone name such as Europe/London)")),
        (33, "event.sequence must be 0 or more, not -1"),
        (34, 'unknown key "event.location" (did you mean "venue"?)'),
        (36, ('link "ftp://files.example.org/release.pdf": ftp: links are not allowed '
             "(only http, https, mailto, tel)")),
        (37, ('link "javascript:alert(1)": javascript: links are not allowed '
             "(only http, https, mailto, tel)")),
        # line 40 (a code block) and line 43 (a code span) show links, they hold none
        (44, ('link "JaVaScRiPt&#58;alert(2)": javascript: links are not allowed '
             "(only http, https, mailto, tel)")),
    ]
    assert lines_of(warnings) == [
        (9, "the embargo lifted in the past (Sunday 20 September 2020, 11:30 CEST)"),
        (10, 'organisations: "CNES" is listed twice'),
        (27, "the event is in the past (Sunday 20 September 2020, 11:00 CEST)"),
        (37, ('link "release.html" has no scheme: in an e-mail it leads nowhere '
             "(write the full https:// address)")),
    ]


# --------------------------------------------------------------------------- one by one

# Every case below is BASE (lines 2-5) plus its own lines, which start on line 6.
BASE = ['reference = "PR106-2020"', 'language = "en"', 'title = "CNES partners with SFR"',
        "date = 2020-09-21"]
EMBARGO = 'embargo = "2020-09-22 11:30 Europe/Paris"'  # line 6 when first
EVENT = ["[event]", 'title = "Online press conference"', 'start = "2020-09-22 11:30 Europe/Paris"',
         'duration = "1h"', 'url = "https://zoom.us/j/97981495219"']


def release_text(*lines: str, body: str = "Body.") -> str:
    return "\n".join(["+++", *BASE, *lines, "+++", body]) + "\n"


def check(*lines: str, body: str = "Body.", today: date | None = SEED_DAY):
    return parse_release(release_text(*lines, body=body), "pr.md", today=today)


def test_the_base_of_the_cases_is_valid():
    release, errors, warnings = check(EMBARGO, *EVENT)
    assert release is not None and errors == [] and warnings == []


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        # Keys and types.
        (['kind = "invite"'], 6, ('kind "invite" is not one of release, invitation, advisory '
                                 '(did you mean "invitation"?)')),
        (['lang = "en"'], 6, 'unknown key "lang" (did you mean "language"?)'),
        (['embargo_until = "x"'], 6, 'unknown key "embargo_until" (did you mean "embargo"?)'),
        (['picture = "x"'], 6, 'unknown key "picture"'),
        (["[evnt]", 'title = "x"'], 6, 'unknown key "evnt" (did you mean "event"?)'),
        ([*EVENT, 'zoom = "https://zoom.us/j/1"'], 11,
         'unknown key "event.zoom" (did you mean "url"?)'),
        (['subtitle = ""', "place = 12"], 7, ("place must be a string, not a whole number "
                                              "(write it in quotes)")),
        (['embargo = 2020-09-22T11:30:00+02:00'], 6,
         ('embargo must be a string "YYYY-MM-DD HH:MM Zone/City", e.g. "2020-09-22 11:30 '
         'Europe/Paris", not a date-time')),
        (["organizations = 'CNES'"], 6, "organizations must be a list of strings, not a string"),
        (["organizations = [", '  "CNES",', "  42,", "]"], 8,
         "organizations: item 2 must be a one-line string, not a whole number 42"),
        (['title = "Again"'], 6, 'TOML: "title" is given twice (first on line 4)'),
        (["contacts = [0]"], 6, ("contacts: item 1 must be an e-mail address or a contact id, "
                                "not a whole number 0")),
        (['contacts = ["a@cnes.fr, b@cnes.fr"]'], 6,
         'contacts: "a@cnes.fr, b@cnes.fr" must be exactly one e-mail address'),
        (['translations = { en = "pr.en.md" }'], 6, ("translations: en is this release's own "
                                                   "language")),
        (["[translations]", 'fr = ""'], 7, ("translations.fr must be the path of the fr release "
                                           "file")),
        (['audience = "kind:jouralist"'], 6, ('audience "kind:jouralist": kind "jouralist" is '
                                             "not one of officer, journalist, other (column 1)")),
        (['attachments = ["ftp://example.org/a.pdf"]'], 6,
         ('attachments: "ftp://example.org/a.pdf" is a link; attachments are files (put links '
         "in the body)")),
        # The embargo.
        (['embargo = "2020-09-22 11:30 CET"'], 6,
         ('embargo "2020-09-22 11:30 CET": "CET" is an ambiguous abbreviation, not a time zone '
         "(write an IANA zone name such as Europe/Paris)")),
        (['embargo = "2020-09-22 11:30 UTC+1"'], 6,
         ('embargo "2020-09-22 11:30 UTC+1": "UTC+1" is a fixed offset, not a time zone: it '
         "ignores summer time (write the place's zone, e.g. Europe/Paris, or UTC)")),
        (['embargo = "2020-09-22 11:30"'], 6,
         ('embargo "2020-09-22 11:30": no time zone (write "YYYY-MM-DD HH:MM Zone/City", e.g. '
         '"2020-09-22 11:30 Europe/Paris")')),
        (['embargo = "2020-09-20 23:59 Europe/Paris"'], 6,
         ("the embargo lifts on Sunday 20 September 2020, 23:59 CEST, before the release date "
         "2020-09-21")),
        # The event.
        (['kind = "invitation"'], 6, "an invitation needs an [event] table (what, when, where)"),
        (["[event]", 'start = "2020-09-22 11:30 Europe/Paris"', 'duration = "1h"'], 6,
         "event.title is missing"),
        (["[event]", 'title = "Briefing"', 'venue = "CNES, Paris"', ('end = "2020-09-22 12:30 '
          'Europe/Paris"')], 6, "event.start is missing"),
        ([EMBARGO, *EVENT[:3], 'url = "https://zoom.us/j/97981495219"'], 9,
         'the event needs an end or a duration (duration = "1h")'),
        ([EMBARGO, *EVENT, 'end = "2020-09-22 12:30 Europe/Paris"'], 10,
         "give event.end or event.duration, not both"),
        ([EMBARGO, *EVENT[:3], 'duration = "an hour"'], 10,
         'event.duration "an hour" is not a duration such as "90m", "1h" or "1h30"'),
        ([EMBARGO, *EVENT[:3], 'end = "2020-09-22 11:30 Europe/Paris"'], 10,
         ("the event ends (Tuesday 22 September 2020, 11:30 CEST) before it starts "
         "(Tuesday 22 September 2020, 11:30 CEST)")),
        # The seed's press conference moved half an hour earlier would break the embargo.
        ([EMBARGO, *EVENT[:2], 'start = "2020-09-22 11:00 Europe/Paris"', *EVENT[3:]], 9,
         ("the event starts (Tuesday 22 September 2020, 11:00 CEST) before the embargo lifts "
         "(Tuesday 22 September 2020, 11:30 CEST): the press conference would break the "
         "embargo")),
        # The same instant written in London time is not before the lift.
        ([EMBARGO, *EVENT[:2], 'start = "2020-09-22 10:29 Europe/London"', *EVENT[3:]], 9,
         ("the event starts (Tuesday 22 September 2020, 10:29 BST) before the embargo lifts "
         "(Tuesday 22 September 2020, 11:30 CEST): the press conference would break the "
         "embargo")),
        ([*EVENT[:4], 'url = "javascript:alert(1)"'], 10,
         'event.url "javascript:alert(1)" must be an https:// or http:// address'),
        ([*EVENT[:4], 'url = "https://"'], 10,
         'event.url "https://" must be an https:// or http:// address'),
        ([*EVENT, 'dial_in = ["+33 1 70 37 22", "+44 20 7946 0958"]'], 11,
         ('event.dial_in: phone "+33 1 70 37 22" is too short for FR (expected 9 digits after '
         "+33)")),
        ([*EVENT, 'rsvp = "press@cnes.fr, accreditation@cnes.fr"'], 11,
         'event.rsvp: "press@cnes.fr, accreditation@cnes.fr" must be exactly one e-mail address'),
        ([*EVENT, "sequence = 1.0"], 11, ("event.sequence must be a whole number (0, 1, 2...), "
                                         "not a number")),
        ([*EVENT, "sequence = true"], 11, ("event.sequence must be a whole number (0, 1, 2...), "
                                          "not true/false")),
        ([*EVENT, 'meeting_id = 97981495219'], 11,
         "event.meeting_id must be a string, not a whole number (write it in quotes)"),
        (["event = 1"], 6, "event must be a table: [event], not a whole number"),
    ],
)
def test_each_error_with_its_line(lines, line, message):
    release, errors, _ = check(*lines)
    assert release is None
    assert (line, message) in lines_of(errors), lines_of(errors)


RETIRED = ("embargo_only is no longer needed: pressctl sends the embargoed version only to "
           "contacts who accept embargoes, and the public version to the others at the lift; "
           "remove this line")


@pytest.mark.parametrize("value", ["true", "false", '"yes"'])
@pytest.mark.parametrize("embargo", [[EMBARGO], []])
def test_embargo_only_is_refused_at_its_line_saying_why_it_is_no_longer_needed(value, embargo):
    # Finding 1 of issue 7: it used to be read (and, in a translation, silently ignored).
    release, errors, _ = check(*embargo, f"embargo_only = {value}", 'place = "Paris"')
    assert release is None
    assert lines_of(errors) == [(6 + len(embargo), RETIRED)]


def test_embargo_only_inside_a_table_is_an_unknown_key_there():
    _, errors, _ = check(EMBARGO, *EVENT, "embargo_only = true")
    assert lines_of(errors) == [(12, 'unknown key "event.embargo_only"')]


def test_the_skeleton_no_longer_offers_embargo_only():
    text = skeleton("release", ["CNES"], date(2026, 11, 22))
    assert "embargo_only" not in text
    assert "only to contacts who accept embargoes" in text


@pytest.mark.parametrize("key", ["reference", "language", "title", "date"])
def test_missing_required_keys_are_reported_at_the_opening_fence(key):
    lines = [line for line in BASE if not line.startswith(key)]
    text = "\n".join(["+++", *lines, "+++", "Body."])
    release, errors, _ = parse_release(text, "pr.md")
    assert release is None
    assert lines_of(errors) == [(1, f"{key} is missing")]


@pytest.mark.parametrize(
    ("lines", "body", "line", "message"),
    [
        ([*EVENT, 'rsvp_deadline = "2020-09-22 12:00 Europe/Paris"'], "Body.", 11,
         "the RSVP deadline (Tuesday 22 September 2020, 12:00 CEST) is after the event starts"),
        (['organizations = ["CNES", "cnes"]'], "Body.", 6, 'organizations: "cnes" is listed twice'),
        (["contacts = [17, 17]"], "Body.", 6, 'contacts: "17" is listed twice'),
        (['[event]', 'title = "Briefing"', 'start = "2020-09-22 11:30 Europe/Paris"',
          'duration = "1h"'], "Body.", 7,
         "the event has neither a venue nor a url: where do journalists go?"),
        ([], "[photo library](#)", 7, ('link "#" has no scheme: in an e-mail it leads nowhere '
                                      "(write the full https:// address)")),
        ([], "", 6, "the body is empty: nothing follows the front matter"),
    ],
)
def test_each_warning_with_its_line(lines, body, line, message):
    release, errors, warnings = check(*lines, body=body)
    assert errors == [] and release is not None
    assert lines_of(warnings) == [(line, message)]


def test_the_past_is_judged_against_today_not_the_release_date():
    _, errors, warnings = check(EMBARGO, *EVENT, today=date(2020, 9, 23))
    assert errors == []
    assert [line for line, _ in lines_of(warnings)] == [6, 9]
    _, _, warnings = check(EMBARGO, *EVENT, today=date(2020, 9, 22))
    assert warnings == []  # the day of the lift is not the past


# --------------------------------------------------------------------------- values


def full_text(*lines: str, body: str = "Body.") -> str:
    return "\n".join(["+++", *lines, "+++", body]) + "\n"


def test_values_are_normalised():
    release, errors, warnings = parse_release(full_text(
        'reference = "  PR106-2020 "', 'kind = "advisory"', 'language = "fr_ca"',
        'title = "Le CNES et la SFR"', "date = 2020-09-21", 'embargo = "2020-09-22 09:30 UTC"',
        'contacts = ["Pascale Bresson <pascale.bresson@CNES.FR>", 17]',
        'audience = "lang:fr"', 'attachments = ["photos/launch.jpg"]',
        "[translations]", 'EN = "pr106.en.md"',
        "[event]", 'title = "Point presse"', 'start = "2020-09-22 13:30 Europe/Paris"',
        'end = "2020-09-22 13:00 Europe/London"',
        'venue = """CNES\n2 place Maurice Quentin\n75001 Paris"""',
        'dial_in = ["+33 1 44 76 75 39", "+44 20 7946 0958"]',
        'rsvp = "mailto:presse@cnes.fr"', 'rsvp_deadline = "2020-09-22 09:00 Europe/Paris"',
        'passcode = "123456"', "sequence = 2",
    ), "pr.fr.md", today=SEED_DAY)
    assert errors == [] and warnings == []
    assert release is not None
    assert (release.reference, release.kind, release.language) == ("PR106-2020", "advisory",
                                                                   "fr-CA")
    assert release.embargo is not None and str(release.embargo.lift.tzinfo) == "UTC"
    assert release.contacts == ("pascale.bresson@cnes.fr", "17")
    assert release.translations == {"en": "pr106.en.md"}
    assert release.attachments == ("photos/launch.jpg",)
    event = release.event
    assert event is not None
    assert event.end == datetime(2020, 9, 22, 14, 0, tzinfo=PARIS)  # in the start's zone
    assert event.end.tzinfo == PARIS
    assert event.venue == "CNES\n2 place Maurice Quentin\n75001 Paris"
    assert [phone.e164 for phone in event.dial_in] == ["+33144767539", "+442079460958"]
    assert event.rsvp == "presse@cnes.fr"
    assert (event.passcode, event.sequence) == ("123456", 2)


def test_a_duration_is_elapsed_time_across_a_change_of_summer_time():
    release, errors, _ = check("[event]", 'title = "Night launch"', 'venue = "Kourou"',
                               'start = "2026-10-25 01:30 Europe/Paris"', 'duration = "2h"')
    assert errors == [] and release is not None and release.event is not None
    assert release.event.end.strftime("%H:%M %Z") == "02:30 CET"  # 02:30 CEST came and went


@pytest.mark.parametrize(
    "title", ['"Line\\nbreak"', '"Bell\\u0007"', '"Subject: x\\r\\nBcc: all@example.org"'],
)
def test_one_line_values_refuse_line_breaks_and_control_characters(title):
    text = release_text().replace('title = "CNES partners with SFR"', f"title = {title}")
    _, errors, _ = parse_release(text, "pr.md")
    assert lines_of(errors) == [(4, "title must be one line without control characters")]


# --------------------------------------------------------------------------- front matter


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# Title\n\nNo front matter.", ("no front matter: a release file starts with a line "
                                        "+++ (start the file with a line +++)")),
        ("---\ntitle: x\n---\n", ("no front matter: a release file starts with a line +++ "
                                 "(this looks like YAML front matter; pressctl reads TOML "
                                 "between +++ lines)")),
        ("+++\ntitle = \"x\"\n\nBody without a closing fence.",
         "the front matter opened on line 1 is never closed by a line +++"),
        ("", ("no front matter: a release file starts with a line +++ (start the file with a "
             "line +++)")),
    ],
)
def test_front_matter_problems_are_on_line_1(text, message):
    assert parse_release(text, "pr.md") == (None, [Problem("pr.md:1", message)], [])


def test_windows_line_endings_and_a_byte_order_mark_are_read():
    text = "\ufeff" + release_text(EMBARGO, body="Line one.\nLine two.").replace("\n", "\r\n")
    release, errors, _ = parse_release(text, "pr.md")
    assert errors == [] and release is not None
    assert release.body == "Line one.\nLine two.\n" and release.body_line == 8


def test_read_front_matter_splits_the_file():
    front = read_front_matter("+++\na = 1\nb = 2\n+++\nBody\n")
    assert (front.toml, front.first_line, front.body, front.body_line) == (
        "a = 1\nb = 2", 2, "Body\n", 5)
    with pytest.raises(InvalidInput):
        read_front_matter("Body only")


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (['embargo = 2020-09-22 11:30 Europe/Paris'], 6,
         "TOML: Expected newline or end of document after a statement (column 22)"),
        (['place = "Paris', 'subtitle = "x"'], 6, "TOML: Illegal character '\\n' (column 15)"),
        (['subtitle = "x"', 'place = "Paris'], 7, ("TOML: Unterminated string (still open at the "
                                                  "closing +++)")),
        (['organizations = ["CNES",', 'place = "Paris"'], 7, "TOML: Invalid value (column 1)"),
        (['subtitle = """never closed', "", "# comment"], 6,
         "TOML: Unterminated string (still open at the closing +++)"),
        (["[event]", 'title = "a"', "[event]"], 8, ("TOML: Cannot declare ('event',) twice "
                                                   "(column 7)")),
    ],
)
def test_toml_syntax_errors_are_placed_on_the_file_line(lines, line, message):
    assert lines_of(check(*lines)[1]) == [(line, message)]


def test_a_syntax_error_does_not_stop_the_body_checks():
    _, errors, _ = check('place = "Paris', body="\n[x](javascript:alert(1))")
    assert [line for line, _ in lines_of(errors)] == [6, 9]


def test_key_lines_follow_tables_comments_dotted_keys_and_multiline_strings():
    release, errors, _ = check(
        "# a comment: title = not a key",  # 6
        'subtitle = """',  # 7
        'place = "inside the string"',  # 8
        '"""',  # 9
        "  [ event ]   # spaced header",  # 10
        '  "title" = "Briefing"',  # 11
        'start = "2020-09-22 11:30 CEST"',  # 12
        'duration = "1h"',  # 13
        "venue.city = 'Paris'",  # 14
    )
    assert release is None
    assert lines_of(errors) == [
        (12, ('event.start "2020-09-22 11:30 CEST": "CEST" is an ambiguous abbreviation, not a '
             "time zone (write an IANA zone name such as Europe/Paris)")),
        (14, "event.venue must be a string, not a table"),
    ]


# --------------------------------------------------------------------------- what a file names


def test_listed_gives_each_named_item_with_its_line():
    listed = listed_in(release_text(
        'organisations = ["CNES", "SFR", "cnes"]',  # 6: listed twice, kept once
        "contacts = [",  # 7
        '  "Pascale Bresson <Pascale.Bresson@CNES.fr>",',  # 8: normalised
        "  12,",  # 9: a contact id
        '  "not an address",',  # 10: the reader reports it, not listed
        "]",  # 11
        'attachments = ["photo.jpg", "https://example.org/a.pdf"]',  # 12: a link is no file
        "[translations]",  # 13
        'fr = "pr106-2020.fr.md"',  # 14
    ))
    assert listed == Listed(
        organizations=(("CNES", 6), ("SFR", 6)),
        contacts=(("Pascale.Bresson@cnes.fr", 8), ("12", 9)),
        attachments=(("photo.jpg", 12),),
        translations=("pr106-2020.fr.md",),
    )


def test_listed_items_are_read_even_when_other_keys_are_wrong():
    text = release_text('kind = "communique"', 'organizations = ["CNES"]', "subtitle = 1")
    assert parse_release(text, "pr.md")[0] is None
    assert listed_in(text).organizations == (("CNES", 7),)


@pytest.mark.parametrize("text", ["no front matter", release_text('title = "open')])
def test_nothing_is_listed_from_a_file_whose_toml_cannot_be_read(text):
    assert listed_in(text) == Listed()


# --------------------------------------------------------------------------- the body


@pytest.mark.parametrize(
    "body",
    [
        "[presse.cnes.fr](http://presse.cnes.fr)",
        "<https://zoom.us/j/97981495219> - Meeting ID: 979 8149 5219",
        "[Pascale Bresson](mailto:pascale.bresson@cnes.fr) [call](tel:+33144767539)",
        '<a href="mailto:raphael.sart@cnes.fr">raphael.sart@cnes.fr</a>',
        "[label]: https://cnes.fr/en\n\n![logo](https://cnes.fr/logo.png)",
        "~~~\n[x](javascript:alert(1))\n~~~",
        "Text with brackets [not a link] (and parentheses).",
        "[Wikipedia](https://en.wikipedia.org/wiki/CNES_(agency))",
    ],
)
def test_body_links_that_are_fine(body):
    release, errors, warnings = check(body=body)
    assert errors == [] and warnings == [] and release is not None


@pytest.mark.parametrize(
    ("body", "target", "scheme"),
    [
        ("[report](ftp://ftp.cnes.fr/report.pdf)", "ftp://ftp.cnes.fr/report.pdf", "ftp"),
        ("[click](javascript:alert(1))", "javascript:alert(1)", "javascript"),
        ("[click](  JavaScript:alert(1))", "JavaScript:alert(1)", "javascript"),
        # Browsers decode entities and drop tabs: this is javascript: too.
        ('<a href="java&#9;script:alert(1)">x</a>', "java&#9;script:alert(1)", "javascript"),
        ("<javascript:alert(1)>", "javascript:alert(1)", "javascript"),
        ("[x]: data:text/html;base64,PHNjcmlwdD4=", "data:text/html;base64,PHNjcmlwdD4=", "data"),
        ("<img src='file:///etc/passwd'>", "file:///etc/passwd", "file"),
        ("![pixel](vbscript:msgbox)", "vbscript:msgbox", "vbscript"),
    ],
)
def test_body_links_that_are_refused(body, target, scheme):
    release, errors, _ = check(body=body)
    assert release is None
    assert lines_of(errors) == [
        (7, f'link "{target}": {scheme}: links are not allowed (only http, https, mailto, tel)')
    ]


# --------------------------------------------------------------------------- skeleton


@pytest.mark.parametrize("kind", ["release", "invitation", "advisory"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_skeleton_parses(kind, language):
    today = date(2026, 11, 22)
    text = skeleton(kind, ["CNES", 'SFR "Société Française de Radiologie"'], today, language)
    release, errors, warnings = parse_release(text, "new.md", today=today)
    assert errors == [] and warnings == []
    assert release is not None
    assert (release.kind, release.language, release.date) == (kind, language, today)
    assert release.organizations == ("CNES", 'SFR "Société Française de Radiologie"')
    assert (release.event is not None) == (kind == "invitation")
    # The About texts and contacts come from the book: the body never offers to repeat
    # them, nor asks for a SEQUENCE pressctl now keeps itself.
    body = text.rsplit("+++", 1)[1]
    assert "About" not in body and "## " not in body
    assert "sequence" not in text


@pytest.mark.parametrize("kind", ["release", "invitation", "advisory"])
def test_skeleton_with_every_optional_key_uncommented_parses(kind):
    today = date(2026, 11, 22)
    text = skeleton(kind, ["CNES"], today, zone="America/New_York")
    uncommented = re.sub(r"(?m)^# (?=\[|[a-z_]+ = )", "", text)
    release, errors, warnings = parse_release(uncommented, "new.md", today=today)
    assert errors == [] and warnings == []
    assert release is not None and release.event is not None and release.embargo is not None
    assert release.event.start == release.embargo.lift  # the conference opens at the lift
    assert str(release.embargo.lift.tzinfo) == "America/New_York"
    assert release.translations == {"fr": "PR001-2026.fr.md"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("invite", [], date(2026, 11, 22)), ('kind "invite" is not one of release, invitation, '
                                              "advisory")),
        (("release", [], date(2026, 11, 22), "english please"),
         'language "english please" is not a BCP 47 tag such as en or fr'),
    ],
)
def test_skeleton_refuses_what_it_cannot_fill_in(arguments, message):
    with pytest.raises(InvalidInput) as caught:
        skeleton(*arguments)
    assert str(caught.value) == message


def test_skeleton_refuses_an_abbreviated_zone():
    with pytest.raises(InvalidInput, match="ambiguous abbreviation"):
        skeleton("release", [], date(2026, 11, 22), zone="CET")


# --------------------------------------------------------------------------- purity


@pytest.mark.parametrize("module", ["release_file", "documents", "embargo", "audience"])
def test_domain_modules_read_no_files_no_clock_and_print_nothing(module):
    import ast

    source = (Path(__file__).resolve().parent.parent.parent / "pressctl" / "releases" / f"{module}.py").read_text(
        encoding="utf-8")
    tree = ast.parse(source)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in (node.names if isinstance(node, ast.Import)
                              else [ast.alias(node.module or "")])}
    assert imported & {"os", "sys", "pathlib", "io", "subprocess", "socket", "time", "locale",
                       "typer", "rich", "sqlite3"} == set()
    called = {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
              for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name | ast.Attribute)}
    assert called & {"open", "print", "input", "now", "today", "utcnow", "read_text"} == set()

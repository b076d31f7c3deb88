"""Tests for pressctl.releases.embargo: the embargo rule (who gets which version, when),
reading times with zones, writing them, the embargo notice.

Real cases first: seed release 000 (CNES/SFR, embargo 11:30 Paris time on Tuesday 22
September 2020), a British 00:01 embargo whose UTC time falls on the previous day, then the
summer-time changes of Europe/Paris in both directions, New York and Tokyo.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from pressctl.errors import InvalidInput
from pressctl.releases.documents import Embargo
from pressctl.releases.embargo import (
    Phase,
    Timing,
    embargo_notice,
    format_when,
    gets_embargoed_version,
    split_audience,
    timing,
)
from pressctl.times import parse_duration, parse_when


def at(zone: str, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


SEED_000 = at("Europe/Paris", 2020, 9, 22, 11, 30)
LONDON_MIDNIGHT = at("Europe/London", 2026, 6, 2, 0, 1)


# --------------------------------------------------------------------------- format_when


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        (SEED_000, "en", "Tuesday 22 September 2020, 11:30 CEST"),
        (SEED_000, "fr", "mardi 22 septembre 2020 à 11 h 30 (heure de Paris)"),
        (LONDON_MIDNIGHT, "en", "Tuesday 2 June 2026, 00:01 BST"),
        (LONDON_MIDNIGHT, "fr", "mardi 2 juin 2026 à 00 h 01 (heure de Londres)"),
        (at("America/New_York", 2026, 1, 5, 9, 0), "en", "Monday 5 January 2026, 09:00 EST"),
        (at("America/New_York", 2026, 7, 6, 9, 0), "en", "Monday 6 July 2026, 09:00 EDT"),
        (at("America/New_York", 2026, 7, 6, 9, 0), "fr",
         "lundi 6 juillet 2026 à 09 h 00 (heure de New York)"),
        (at("Asia/Tokyo", 2026, 4, 1, 8, 0), "en", "Wednesday 1 April 2026, 08:00 JST"),
        (at("Asia/Tokyo", 2026, 4, 1, 8, 0), "fr",
         "mercredi 1er avril 2026 à 08 h 00 (heure de Tokyo)"),
        (at("UTC", 2026, 2, 1, 23, 59), "en", "Sunday 1 February 2026, 23:59 UTC"),
        (at("UTC", 2026, 2, 1, 23, 59), "fr", "dimanche 1er février 2026 à 23 h 59 UTC"),
        # The tz database has no letters for Istanbul ("+03"), and IST is also Irish and
        # Israeli time: the city is written instead.
        (at("Europe/Istanbul", 2026, 8, 14, 10, 0), "en",
         "Friday 14 August 2026, 10:00 Istanbul time"),
        (at("Asia/Kolkata", 2026, 8, 14, 10, 0), "en", "Friday 14 August 2026, 10:00 Kolkata time"),
        (at("Europe/Amsterdam", 2026, 8, 14, 10, 0), "fr",
         "vendredi 14 août 2026 à 10 h 00 (heure d'Amsterdam)"),
        (at("Africa/Cairo", 2026, 12, 14, 10, 0), "fr",
         "lundi 14 décembre 2026 à 10 h 00 (heure du Caire)"),
        (at("Indian/Reunion", 2026, 12, 14, 10, 0), "fr",
         "lundi 14 décembre 2026 à 10 h 00 (heure de la Réunion)"),
        # Canadian French is French; languages we do not write fall back to English.
        (SEED_000, "fr-CA", "mardi 22 septembre 2020 à 11 h 30 (heure de Paris)"),
        (SEED_000, "de", "Tuesday 22 September 2020, 11:30 CEST"),
    ],
)
def test_format_when(moment, language, expected):
    assert format_when(moment, language) == expected


def test_format_when_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        format_when(datetime(2020, 9, 22, 11, 30), "en")


# --------------------------------------------------------------------------- the notice


def test_seed_000_notice_in_english():
    notice = embargo_notice(Embargo(SEED_000), "en")
    assert notice.text == (
        "Embargoed until Tuesday 22 September 2020, 11:30 CEST (09:30 UTC)\n"
        "Not for publication, broadcast or posting online before this time."
    )
    assert notice.subject_prefix == "EMBARGO 22 Sep 2020 11:30 CEST – "


def test_seed_000_notice_in_french():
    notice = embargo_notice(Embargo(SEED_000), "fr")
    assert notice.text == (
        "Sous embargo jusqu'au mardi 22 septembre 2020 à 11 h 30 (heure de Paris), "
        "soit 09 h 30 UTC\n"
        "Ne pas publier, diffuser ni mettre en ligne avant cette date."
    )
    assert notice.subject_prefix == "EMBARGO 22/09/2020 11 h 30 (heure de Paris) – "


@pytest.mark.parametrize(
    ("language", "first_line"),
    [
        ("en", ("Embargoed until Tuesday 2 June 2026, 00:01 BST "
               "(Monday 1 June 2026, 23:01 UTC)")),
        ("fr", ("Sous embargo jusqu'au mardi 2 juin 2026 à 00 h 01 (heure de Londres), "
               "soit le lundi 1er juin 2026 à 23 h 01 UTC")),
    ],
)
def test_london_one_minute_past_midnight_is_the_day_before_in_utc(language, first_line):
    notice = embargo_notice(Embargo(LONDON_MIDNIGHT), language)
    assert notice.text.splitlines()[0] == first_line


@pytest.mark.parametrize(
    ("moment", "first_line"),
    [
        # Paris, the day before and the day of the spring change (last Sunday of March).
        (at("Europe/Paris", 2026, 3, 28, 10, 0),
         "Embargoed until Saturday 28 March 2026, 10:00 CET (09:00 UTC)"),
        (at("Europe/Paris", 2026, 3, 29, 10, 0),
         "Embargoed until Sunday 29 March 2026, 10:00 CEST (08:00 UTC)"),
        # ... and of the autumn change (last Sunday of October).
        (at("Europe/Paris", 2026, 10, 24, 10, 0),
         "Embargoed until Saturday 24 October 2026, 10:00 CEST (08:00 UTC)"),
        (at("Europe/Paris", 2026, 10, 25, 10, 0),
         "Embargoed until Sunday 25 October 2026, 10:00 CET (09:00 UTC)"),
        # New York in the evening is already tomorrow in UTC.
        (at("America/New_York", 2026, 1, 5, 20, 0),
         "Embargoed until Monday 5 January 2026, 20:00 EST (Tuesday 6 January 2026, 01:00 UTC)"),
        (at("America/New_York", 2026, 7, 6, 9, 0),
         "Embargoed until Monday 6 July 2026, 09:00 EDT (13:00 UTC)"),
        # Tokyo in the morning is still yesterday in UTC.
        (at("Asia/Tokyo", 2026, 4, 1, 8, 0),
         "Embargoed until Wednesday 1 April 2026, 08:00 JST (Tuesday 31 March 2026, 23:00 UTC)"),
        # A release kept in UTC says it once.
        (at("UTC", 2026, 6, 1, 23, 1), "Embargoed until Monday 1 June 2026, 23:01 UTC"),
    ],
)
def test_english_notice_across_zones_and_summer_time(moment, first_line):
    assert embargo_notice(Embargo(moment), "en").text.splitlines()[0] == first_line


@pytest.mark.parametrize(
    ("moment", "first_line"),
    [
        (at("Europe/Paris", 2026, 3, 28, 10, 0),
         "Sous embargo jusqu'au samedi 28 mars 2026 à 10 h 00 (heure de Paris), soit 09 h 00 UTC"),
        (at("Europe/Paris", 2026, 3, 29, 10, 0),
         ("Sous embargo jusqu'au dimanche 29 mars 2026 à 10 h 00 (heure de Paris), "
         "soit 08 h 00 UTC")),
        (at("Europe/Paris", 2026, 10, 25, 10, 0),
         ("Sous embargo jusqu'au dimanche 25 octobre 2026 à 10 h 00 (heure de Paris), "
         "soit 09 h 00 UTC")),
        (at("Asia/Tokyo", 2026, 4, 1, 8, 0),
         ("Sous embargo jusqu'au mercredi 1er avril 2026 à 08 h 00 (heure de Tokyo), "
         "soit le mardi 31 mars 2026 à 23 h 00 UTC")),
        (at("UTC", 2026, 6, 1, 23, 1), "Sous embargo jusqu'au lundi 1er juin 2026 à 23 h 01 UTC"),
    ],
)
def test_french_notice_across_zones_and_summer_time(moment, first_line):
    assert embargo_notice(Embargo(moment), "fr").text.splitlines()[0] == first_line


def test_other_languages_get_the_english_notice():
    assert embargo_notice(Embargo(SEED_000), "es") == embargo_notice(Embargo(SEED_000), "en")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_html_notice_is_the_text_notice_escaped(language):
    notice = embargo_notice(Embargo(SEED_000), language)
    match = re.fullmatch(r'<p class="notice-urgent" style="[^"<>]*">(.*)<br>(.*)</p>', notice.html)
    assert match, notice.html
    assert [html.unescape(part) for part in match.groups()] == notice.text.splitlines()
    assert "'" not in match.group(1)  # jusqu'au is escaped too


class _HostileZone(tzinfo):
    """A zone whose names carry markup: what reaches the HTML must be escaped."""

    key = 'Planet/Mars<img src=x onerror=alert(1)>&"Co"'

    def utcoffset(self, dt):
        return timedelta(hours=1)

    def dst(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return "<b>"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_html_notice_escapes_what_it_is_given(language):
    notice = embargo_notice(Embargo(datetime(2026, 6, 1, 9, 0, tzinfo=_HostileZone())), language)
    assert "<img" not in notice.html and "<b>" not in notice.html
    assert "Mars&lt;img src=x onerror=alert(1)&gt;&amp;&quot;Co&quot;" in notice.html
    assert 'Mars<img src=x onerror=alert(1)>&"Co"' in notice.text  # plain text stays plain


# --------------------------------------------------------------------------- parse_when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-09-22 11:30 Europe/Paris", at("Europe/Paris", 2020, 9, 22, 11, 30)),
        ("2026-06-02 00:01 Europe/London", at("Europe/London", 2026, 6, 2, 0, 1)),
        ("2020-09-22T11:30 Asia/Tokyo", at("Asia/Tokyo", 2020, 9, 22, 11, 30)),
        ("  2020-09-22 9:05 America/New_York ", at("America/New_York", 2020, 9, 22, 9, 5)),
        ("2020-09-22 11:30 UTC", at("UTC", 2020, 9, 22, 11, 30)),
        ("2020-09-22 11:30 utc", at("UTC", 2020, 9, 22, 11, 30)),
        ("2020-09-22 11:30 Etc/UTC", at("UTC", 2020, 9, 22, 11, 30)),
    ],
)
def test_parse_when(text, expected):
    parsed = parse_when(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()
    assert str(parsed.tzinfo) == str(expected.tzinfo)


WRITE_THE_ZONE = "(write the place's zone, e.g. Europe/Paris, or UTC)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2020-09-22 11:30 CET", ('"CET" is an ambiguous abbreviation, not a time zone '
                                 "(write an IANA zone name such as Europe/Paris)")),
        ("2020-09-22 11:30 BST", ('"BST" is an ambiguous abbreviation, not a time zone '
                                 "(write an IANA zone name such as Europe/London)")),
        ("2020-09-22 11:30 EST", ('"EST" is an ambiguous abbreviation, not a time zone '
                                 "(write an IANA zone name such as America/New_York)")),
        ("2020-09-22 11:30 GMT", ('"GMT" is an ambiguous abbreviation, not a time zone (write '
                                 "an IANA zone name such as Europe/London (UK time) or UTC)")),
        ("2020-09-22 11:30 UTC+1", ('"UTC+1" is a fixed offset, not a time zone: it ignores '
                                   "summer time " + WRITE_THE_ZONE)),
        ("2020-09-22 11:30 +02:00", ('"+02:00" is a fixed offset, not a time zone: it ignores '
                                    "summer time " + WRITE_THE_ZONE)),
        ("2020-09-22 11:30 Etc/GMT-2", ('"Etc/GMT-2" counts its offset backwards (Etc/GMT-2 is '
                                       "UTC+2) " + WRITE_THE_ZONE)),
        ("2020-09-22 11:30 Paris", '"Paris" is not a zone name (write Europe/Paris)'),
        ("2020-09-22 11:30 Europe/Pari", ('"Europe/Pari" is not a known time zone '
                                         "(did you mean Europe/Paris?)")),
        ("2020-09-22 11:30 europe/paris", ('"europe/paris" is not a known time zone '
                                          "(did you mean Europe/Paris?)")),
        ("2020-09-22 11:30", ('no time zone (write "YYYY-MM-DD HH:MM Zone/City", '
                             'e.g. "2020-09-22 11:30 Europe/Paris")')),
        ("22/09/2020 11:30 Europe/Paris", ('not a date and time (write "YYYY-MM-DD HH:MM '
                                          'Zone/City", e.g. "2020-09-22 11:30 Europe/Paris")')),
        ("2020-02-30 11:30 Europe/Paris", ("not a real date and time (day is out of range for "
                                          "month)")),
        # The night the clocks go forward 02:30 never happens; the night they go back it
        # happens twice: neither can be an embargo.
        ("2026-03-29 02:30 Europe/Paris", ("this time does not exist in Europe/Paris, the "
                                          "clocks go forward (choose another time)")),
        ("2026-10-25 02:30 Europe/Paris", ("this time happens twice in Europe/Paris, the clocks "
                                          "go back (choose another time or give it in UTC)")),
    ],
)
def test_parse_when_refuses(text, message):
    with pytest.raises(InvalidInput) as caught:
        parse_when(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("1h", 60), ("90m", 90), ("1h30", 90), ("1h30m", 90), ("2 h", 120), ("45 min", 45),
     ("1H", 60), ("abc", None), ("1h60", None), ("", None), ("90", None), ("-1h", None)],
)
def test_parse_duration(text, minutes):
    length = parse_duration(text)
    assert (None if length is None else length.total_seconds() / 60) == minutes


# --------------------------------------------------------------------------- versions agree


def test_embargoes_agree_only_on_the_same_instant_in_the_same_zone():
    paris = Embargo(SEED_000)
    assert paris.same_as(Embargo(parse_when("2020-09-22 11:30 Europe/Paris")))
    # 10:30 in London is the same instant, but the notice would name another zone
    london = Embargo(at("Europe/London", 2020, 9, 22, 10, 30))
    assert london.utc == paris.utc and not london.same_as(paris)
    assert not Embargo(at("Europe/Paris", 2020, 9, 22, 11, 0)).same_as(paris)
    # Europe/Brussels keeps the same offset as Paris: still another zone
    assert not Embargo(at("Europe/Brussels", 2020, 9, 22, 11, 30)).same_as(paris)


@pytest.mark.parametrize("text", ["2020-09-22 11:30 Europe/Paris", "2026-06-02 00:01 UTC",
                                  "2026-03-29 09:00 America/New_York"])
def test_an_embargo_is_shown_as_a_release_file_writes_it(text):
    embargo = Embargo(parse_when(text))
    assert str(embargo) == text
    assert Embargo(parse_when(str(embargo))).same_as(embargo)


# --------------------------------------------------------------------------- the rule

LIFT = datetime(2020, 9, 22, 9, 30, tzinfo=UTC)
BEFORE, AFTER = LIFT - timedelta(hours=3), LIFT + timedelta(hours=1)


@dataclass(frozen=True)
class Member:
    name: str
    embargoed: bool


@pytest.mark.parametrize(("embargo_ok", "expected"), [(True, True), (False, False)])
def test_the_embargoed_version_goes_only_to_contacts_who_accept_embargoes(embargo_ok, expected):
    assert gets_embargoed_version(Embargo(SEED_000), embargo_ok) is expected


@pytest.mark.parametrize("embargo_ok", [True, False])
def test_a_release_without_an_embargo_has_no_embargoed_version(embargo_ok):
    assert gets_embargoed_version(None, embargo_ok) is False


def test_sent_before_the_lift_the_public_version_follows_at_the_lift():
    assert timing(LIFT, BEFORE, now=BEFORE) == Timing(public_at=LIFT, embargoed_at=BEFORE)


@pytest.mark.parametrize(("lift", "due", "now"), [
    (None, BEFORE, BEFORE),  # no embargo
    (LIFT, LIFT, BEFORE),  # sent at the lift (--at lift)
    (LIFT, AFTER, BEFORE),  # sent after it
    (LIFT, AFTER, AFTER),  # the embargo has lifted already
    (LIFT, LIFT, AFTER),  # --at lift, once it has lifted
])
def test_at_or_after_the_lift_one_public_mailout_goes_at_its_time(lift, due, now):
    assert timing(lift, due, now) == Timing(public_at=due)


def test_those_who_do_not_accept_embargoes_get_the_public_version_at_the_lift():
    audience = [Member("a", True), Member("b", False), Member("c", True)]
    split = split_audience(audience, public_at_lift=True)
    assert [m.name for m in split.embargoed] == ["a", "c"]
    assert [m.name for m in split.public] == ["b"]
    assert split.left_out == []


def test_without_a_public_phase_those_who_do_not_accept_embargoes_get_nothing():
    audience = [Member("a", True), Member("b", False), Member("c", False)]
    split = split_audience(audience, public_at_lift=False)
    assert [m.name for m in split.embargoed] == ["a"]
    assert split.public == []
    assert [m.name for m in split.left_out] == ["b", "c"]


def test_phases_are_stored_by_their_names():
    assert [str(phase) for phase in Phase] == ["single", "embargoed", "public"]
    assert Phase("embargoed") == "embargoed"

"""pressctl.releases.calendar: every invitation is read back with third-party parsers (icalendar,
and vobject where a second opinion helps), and its raw bytes are checked against RFC 5545."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, vCalAddress
from icalendar import Event as VEvent

from pressctl.contacts.model import Phone
from pressctl.errors import InvalidInput
from pressctl.releases.calendar import event_uid, fold, invitation_template
from pressctl.releases.documents import Event

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2020, 9, 21, 8, 0, tzinfo=UTC)
ZOOM = "https://zoom.us/j/97981495219"
UID = "pr106-2020-event@cnes.fr"

# The seed PR106-2020: an online press conference, Tuesday 22 September 2020, 11:30 Paris.
SEED = Event(
    title="CNES partners with French Radiology Society",
    start=datetime(2020, 9, 22, 11, 30, tzinfo=PARIS),
    end=datetime(2020, 9, 22, 12, 30, tzinfo=PARIS),
    url=ZOOM,
    meeting_id="979 8149 5219",
    passcode="418273",
    dial_in=(Phone("+33170379729", label="France"), Phone("+16465588656")),
    rsvp="presse@cnes.fr",
    rsvp_deadline=datetime(2020, 9, 21, 18, 0, tzinfo=PARIS),
    sequence=2,
)


def build(event: Event = SEED, **overrides):
    arguments = {
        "uid": UID,
        "summary": "Online press conference: CNES and SFR",
        "description": "CNES and SFR sign a partnership agreement.",
        "organizer_name": "Pascale Bresson, CNES",
        "organizer_email": "pascale.bresson@cnes.fr",
        "now": NOW,
    }
    arguments.update(overrides)
    return invitation_template(event, **arguments)


def invite(name="Raphaël Sart", email="raphael.sart@cnes.fr", event=SEED, **overrides) -> bytes:
    return build(event, **overrides).for_attendee(name, email)


def parse(data: bytes) -> tuple[Calendar, VEvent]:
    calendar = Calendar.from_ical(data)
    (vevent,) = calendar.walk("VEVENT")
    return calendar, vevent


def attendees(vevent: VEvent) -> list[vCalAddress]:
    found = vevent.get("ATTENDEE", [])
    return found if isinstance(found, list) else [found]


def assert_wire_format(data: bytes) -> None:
    """RFC 5545 3.1: CRLF line ends only, lines of at most 75 octets, each valid UTF-8."""
    assert data.endswith(b"\r\n")
    lines = data[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 75, line
        line.decode("utf-8")  # strict: a split character would raise here


def unfolded_lines(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


# --------------------------------------------------------------------------- envelope


def test_request_envelope_and_event_status():
    data = invite()
    assert_wire_format(data)
    calendar, vevent = parse(data)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["PRODID"] == "-//pressctl//EN"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["TRANSP"] == "OPAQUE"
    assert vevent["SUMMARY"] == "Online press conference: CNES and SFR"
    assert vevent.decoded("DTSTAMP") == NOW
    assert b"DTSTAMP:20200921T080000Z\r\n" in data


def test_dtstamp_is_now_in_utc_whatever_zone_now_is_given_in():
    _, vevent = parse(invite(now=NOW.astimezone(PARIS)))
    assert b"DTSTAMP:20200921T080000Z" in invite(now=NOW.astimezone(PARIS))
    assert vevent.decoded("DTSTAMP") == NOW


def test_cancel_marks_the_event_cancelled_and_asks_no_answer():
    template = build(dataclasses.replace(SEED, sequence=3), method="CANCEL")
    assert template.content_type == 'text/calendar; method=CANCEL; charset="UTF-8"'
    calendar, vevent = parse(template.for_attendee("Raphaël Sart", "raphael.sart@cnes.fr"))
    assert calendar["METHOD"] == "CANCEL"
    assert vevent["STATUS"] == "CANCELLED"
    assert str(vevent["UID"]) == UID and vevent["SEQUENCE"] == 3
    (attendee,) = attendees(vevent)
    assert "RSVP" not in attendee.params and "PARTSTAT" not in attendee.params


def test_content_type_names_the_method():
    assert build().content_type == 'text/calendar; method=REQUEST; charset="UTF-8"'


# --------------------------------------------------------------------------- UID, SEQUENCE


def test_event_uid_is_deterministic():
    assert event_uid("PR106-2020", "cnes.fr") == UID
    assert event_uid("PR106-2020", "CNES.fr") == event_uid(" PR106-2020 ", "cnes.fr")
    assert event_uid("CP Été/2024", "cnes.fr") == "cp-ete-2024-event@cnes.fr"
    assert event_uid("PR107-2020", "cnes.fr") != UID


@pytest.mark.parametrize(("reference", "domain"), [("", "cnes.fr"), ("--", "cnes.fr"),
                                                   ("PR1", ""), ("PR1", "cnes .fr"),
                                                   ("PR1", "a@cnes.fr")])
def test_event_uid_refuses_what_cannot_make_a_uid(reference, domain):
    with pytest.raises(ValueError):
        event_uid(reference, domain)


def test_uid_survives_a_changed_title_and_sequence_comes_from_the_event():
    first = invite(summary="Press conference", uid=event_uid("PR106-2020", "cnes.fr"))
    changed = dataclasses.replace(SEED, title="Rescheduled", sequence=3,
                                  start=SEED.start + timedelta(hours=1),
                                  end=SEED.end + timedelta(hours=1))
    second = invite(event=changed, summary="Press conference (new time)",
                    uid=event_uid("PR106-2020", "cnes.fr"))
    (_, one), (_, two) = parse(first), parse(second)
    assert str(one["UID"]) == str(two["UID"]) == UID
    assert (one["SEQUENCE"], two["SEQUENCE"]) == (2, 3)


# --------------------------------------------------------------------------- time


def test_start_and_end_carry_the_paris_zone_and_its_vtimezone():
    calendar, vevent = parse(invite())
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start.utcoffset() is not None and end.utcoffset() is not None
    assert str(start.tzinfo) == "Europe/Paris"
    assert start.astimezone(UTC) == datetime(2020, 9, 22, 9, 30, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2020, 9, 22, 10, 30, tzinfo=UTC)
    tzid = vevent["DTSTART"].params["TZID"]
    assert tzid == vevent["DTEND"].params["TZID"] == "Europe/Paris"
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert vtimezone["TZID"] == tzid


def test_vtimezone_alone_gives_the_right_instants_across_a_dst_change():
    # Sunday 25 October 2026, 03:00 CEST becomes 02:00 CET: a 01:00-05:00 event lasts 5 h.
    night = dataclasses.replace(SEED, start=datetime(2026, 10, 25, 1, 0, tzinfo=PARIS),
                                end=datetime(2026, 10, 25, 5, 0, tzinfo=PARIS))
    data = invite(event=night)
    assert b"DTSTART;TZID=Europe/Paris:20261025T010000\r\n" in data
    assert b"DTEND;TZID=Europe/Paris:20261025T050000\r\n" in data
    calendar, vevent = parse(data)
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start.astimezone(UTC) == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 10, 25, 4, 0, tzinfo=UTC)
    # A client without the IANA database reads the zone from the VTIMEZONE we sent.
    (vtimezone,) = calendar.walk("VTIMEZONE")
    sent_zone = vtimezone.to_tz()
    for wall, instant in [(datetime(2026, 10, 25, 1, 0), datetime(2026, 10, 24, 23, 0)),
                          (datetime(2026, 10, 25, 5, 0), datetime(2026, 10, 25, 4, 0))]:
        assert wall.replace(tzinfo=sent_zone).astimezone(UTC) == instant.replace(tzinfo=UTC)


def test_second_pass_of_a_repeated_hour_is_written_in_utc():
    # 02:30 happens twice on 25 October 2026; iCalendar would read TZID 02:30 as the first.
    second_pass = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)
    event = dataclasses.replace(SEED, start=second_pass, end=second_pass + timedelta(hours=1))
    calendar, vevent = parse(invite(event=event))
    assert vevent.decoded("DTSTART") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert vevent.decoded("DTEND") == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert calendar.walk("VTIMEZONE") == []


def test_first_pass_of_a_repeated_hour_keeps_its_zone():
    first_pass = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS)
    end = datetime(2026, 10, 25, 3, 30, tzinfo=PARIS)  # CET, two real hours later
    event = dataclasses.replace(SEED, start=first_pass, end=end)
    _, vevent = parse(invite(event=event))
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent.decoded("DTSTART").astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert vevent.decoded("DTEND").astimezone(UTC) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_an_event_over_new_year_gets_a_vtimezone_for_both_years():
    event = dataclasses.replace(SEED, start=datetime(2026, 12, 31, 22, 0, tzinfo=PARIS),
                                end=datetime(2027, 1, 1, 2, 0, tzinfo=PARIS))
    calendar, vevent = parse(invite(event=event))
    assert vevent.decoded("DTEND").astimezone(UTC) == datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    onsets = [observance.decoded("DTSTART") for observance in vtimezone.subcomponents]
    assert min(onsets) <= datetime(2026, 12, 31, 22, 0)  # the zone is defined from the start
    sent_zone = vtimezone.to_tz()
    assert datetime(2027, 1, 1, 2, 0, tzinfo=sent_zone).utcoffset() == timedelta(hours=1)


def test_an_event_in_utc_has_no_vtimezone():
    event = dataclasses.replace(SEED, start=SEED.start.astimezone(UTC),
                                end=SEED.end.astimezone(UTC))
    data = invite(event=event)
    calendar, _ = parse(data)
    assert b"DTSTART:20200922T093000Z\r\n" in data
    assert calendar.walk("VTIMEZONE") == []


# --------------------------------------------------------------------------- the people


def test_organizer_and_the_one_attendee():
    _, vevent = parse(invite())
    organizer = vevent["ORGANIZER"]
    assert str(organizer) == "mailto:pascale.bresson@cnes.fr"
    assert organizer.params["CN"] == "Pascale Bresson, CNES"
    (attendee,) = attendees(vevent)
    assert str(attendee) == "mailto:raphael.sart@cnes.fr"
    assert attendee.params["CN"] == "Raphaël Sart"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"


def test_cn_with_separators_is_quoted_on_the_wire():
    data = invite(name="Sart; Raphaël, CNES: press")
    assert any(line.startswith('ATTENDEE;CN="Sart; Raphaël, CNES: press";')
               for line in unfolded_lines(data))
    assert attendees(parse(data)[1])[0].params["CN"] == "Sart; Raphaël, CNES: press"


LONG_NAME = ("Maître Émilie-Geneviève Ångström-Désirée de la Rochefoucauld-Lévêque, "
             "Agence France-Presse, Département Sciences & Santé")


@pytest.mark.parametrize("name", ["Raphaël Sart", "Françoise Millet", LONG_NAME,
                                  "Σωκράτης Παπαδόπουλος-Καραγιάννης του Ηρακλείου Κρήτης",
                                  "李小龍 " * 12, "🛰️ Équipe Espace 🚀 " * 4])
def test_names_survive_the_round_trip_and_the_bytes_are_well_formed(name):
    data = invite(name=name)
    assert_wire_format(data)
    _, vevent = parse(data)
    (attendee,) = attendees(vevent)
    assert attendee.params["CN"] == " ".join(name.split())


@pytest.mark.parametrize(("width", "shift"), [(2, 0), (3, 0), (3, 1), (4, 0), (4, 1), (4, 2)])
def test_folding_never_splits_a_character(width, shift):
    wide = {2: "é", 3: "€", 4: "𝄞"}[width]
    # The unquoted line starts "ATTENDEE;CN=" (12 octets): pad so that octet 75, where a
    # byte-counting fold would cut, falls inside a multi-byte character.
    name = "a" * (62 - shift) + wide * 40
    logical = ("ATTENDEE;CN=" + name).encode()
    assert logical[75] & 0xC0 == 0x80  # a continuation byte: inside `wide`
    data = invite(name=name)
    assert_wire_format(data)
    attendee_lines = [line for line in data.split(b"\r\n") if line.startswith(b"ATTENDEE")]
    assert len(attendee_lines) == 1
    _, vevent = parse(data)
    assert attendees(vevent)[0].params["CN"] == name


def test_fold_keeps_every_octet_and_character():
    chunks = ["a", "é", "€", "𝄞", ";", " ", "^"]
    rng = random.Random(5545)
    for _ in range(500):
        line = "".join(rng.choice(chunks) for _ in range(rng.randrange(1, 200))).encode()
        folded = fold(line)
        assert folded.replace(b"\r\n ", b"") == line
        physical = folded.split(b"\r\n")
        assert len(physical[0]) <= 75 and all(len(p) <= 75 for p in physical)
        assert all(p.startswith(b" ") for p in physical[1:])
        for part in physical:
            part.decode("utf-8")


# --------------------------------------------------------------------------- injection

HOSTILE_NAMES = [
    'Eve "the reporter"',
    'Eve";RSVP=FALSE;X-EVIL="1',
    "Eve\r\nATTENDEE:mailto:mallory@evil.example",
    "Eve\nORGANIZER:mailto:mallory@evil.example",
    "Eve\rDESCRIPTION:pwned",
    "Eve:mailto:mallory@evil.example",
    "Eve; ROLE=CHAIR, Inc.",
    "Eve\u2028ATTENDEE:mailto:mallory@evil.example",
    "Eve\x85END:VEVENT",
    "Eve\x00\x1b[31m",
    "Eve ^n^' \\n \\; caret",
    '"\r\n"',
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_cannot_add_a_property(name):
    baseline = parse(invite())[1]
    data = invite(name=name)
    assert_wire_format(data)
    calendar, vevent = parse(data)
    assert sorted(vevent.keys()) == sorted(baseline.keys())
    assert [c.name for c in calendar.walk()] == [c.name for c in parse(invite())[0].walk()]
    (attendee,) = attendees(vevent)
    assert str(attendee) == "mailto:raphael.sart@cnes.fr"
    cn = attendee.params.get("CN", "")
    assert not set(cn) & set('"\r\n\u2028\x85\x00')
    assert sorted(attendee.params) == ["CN", "PARTSTAT", "ROLE", "RSVP"] or not cn
    assert attendee.params["RSVP"] == "TRUE"
    assert str(vevent["ORGANIZER"]) == "mailto:pascale.bresson@cnes.fr"
    vobject = pytest.importorskip("vobject")
    second_opinion = vobject.readOne(data.decode("utf-8"))
    assert len(second_opinion.vevent.contents["attendee"]) == 1


def test_caret_is_escaped_as_rfc_6868_says():
    data = invite(name="Eve ^n^' caret")
    assert any(line.startswith("ATTENDEE;CN=Eve ^^n^^' caret;") for line in unfolded_lines(data))
    assert attendees(parse(data)[1])[0].params["CN"] == "Eve ^n^' caret"


def test_hostile_organizer_name_is_cleaned_too():
    data = invite(organizer_name='Mallory"\r\nATTENDEE:mailto:x@evil.example')
    _, vevent = parse(data)
    assert len(attendees(vevent)) == 1
    assert vevent["ORGANIZER"].params["CN"] == "Mallory ATTENDEE:mailto:x@evil.example"


def test_a_name_of_nothing_printable_gives_no_cn():
    (attendee,) = attendees(parse(invite(name=' \r\n"\t'))[1])
    assert "CN" not in attendee.params and attendee.params["RSVP"] == "TRUE"


@pytest.mark.parametrize("email", ["", "eve @example.com", "eve@example.com\r\nX-EVIL:1",
                                   "eve@example.com\n", "\teve@example.com",
                                   "eve@exa\u2028mple.com", "eve@example.com\x00"])
def test_addresses_with_white_space_or_controls_are_refused(email):
    template = build()
    with pytest.raises(ValueError):
        template.for_attendee("Eve", email)
    with pytest.raises(ValueError):
        build(organizer_email=email)


# --------------------------------------------------------------------------- per recipient


def test_two_attendees_differ_in_the_attendee_line_only():
    template = build()
    one = unfolded_lines(template.for_attendee("Raphaël Sart", "raphael.sart@cnes.fr"))
    two = unfolded_lines(template.for_attendee("Nicolas Merlet", "nicolasmerlet@ortus-sante.fr"))
    assert len(one) == len(two)
    differing = [(a, b) for a, b in zip(one, two, strict=True) if a != b]
    assert len(differing) == 1
    a, b = differing[0]
    assert a.startswith("ATTENDEE;CN=Raphaël Sart;") and a.endswith(":mailto:raphael.sart@cnes.fr")
    assert b.startswith("ATTENDEE;CN=Nicolas Merlet;")
    assert b.endswith(":mailto:nicolasmerlet@ortus-sante.fr")


def test_the_splice_equals_what_icalendar_would_write_for_that_attendee():
    """The fast path against the slow one: the same calendar built whole by icalendar."""
    data = invite(name="Sart, Raphaël", email="raphael.sart@cnes.fr")
    calendar, vevent = parse(data)
    slow = Calendar.from_ical(calendar.to_ical())  # icalendar re-serialising what it read
    del vevent["ATTENDEE"]
    attendee = vCalAddress("mailto:raphael.sart@cnes.fr")
    attendee.params.update({"CN": "Sart, Raphaël", "ROLE": "REQ-PARTICIPANT",
                            "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
    vevent.add("attendee", attendee)
    assert Calendar.from_ical(calendar.to_ical()).to_ical() == slow.to_ical()


# --------------------------------------------------------------------------- content


def test_description_carries_the_way_in():
    _, vevent = parse(invite())
    text = str(vevent["DESCRIPTION"])
    assert text.startswith("CNES and SFR sign a partnership agreement.")
    assert ZOOM in text
    assert "Meeting ID: 979 8149 5219" in text
    assert "Passcode: 418273" in text
    assert "+33 1 70 37 97 29 (France)" in text
    assert "+1 646-558-8656" in text
    assert "RSVP: presse@cnes.fr by Monday 21 September 2020, 18:00 (Europe/Paris)" in text


def test_description_without_online_details_is_the_text_alone():
    bare = Event(title="Briefing", start=SEED.start, end=SEED.end, venue="CNES, Paris")
    _, vevent = parse(invite(event=bare))
    assert str(vevent["DESCRIPTION"]) == "CNES and SFR sign a partnership agreement."


@pytest.mark.parametrize(
    ("venue", "url", "location"),
    [
        (None, ZOOM, ZOOM),
        ("CNES, 2 place Maurice Quentin, Paris", None, "CNES, 2 place Maurice Quentin, Paris"),
        ("CNES Paris", ZOOM, f"CNES Paris / {ZOOM}"),
    ],
    ids=["online", "venue", "both"],
)
def test_location_and_url(venue, url, location):
    event = dataclasses.replace(SEED, venue=venue, url=url)
    _, vevent = parse(invite(event=event))
    assert str(vevent["LOCATION"]) == location
    if url:
        assert str(vevent["URL"]) == url
    else:
        assert "URL" not in vevent


def test_no_venue_and_no_url_means_no_location():
    event = dataclasses.replace(SEED, venue=None, url=None)
    _, vevent = parse(invite(event=event))
    assert "LOCATION" not in vevent and "URL" not in vevent


# --------------------------------------------------------------------------- refusals


def test_refusals():
    with pytest.raises(ValueError, match="method"):
        build(method="PUBLISH")
    with pytest.raises(ValueError, match="aware"):
        build(now=datetime(2020, 9, 21, 8, 0))
    backwards = dataclasses.replace(SEED, end=SEED.start - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="before it starts"):
        build(backwards)
    naive = dataclasses.replace(SEED, start=datetime(2020, 9, 22, 11, 30))
    with pytest.raises(InvalidInput, match="time zone"):
        build(naive)


def test_details_in_description_follow_the_message_language():
    template = invitation_template(
        SEED, uid="pr106-2020-event@cnes.fr", summary="Conférence de presse",
        description="Signature du partenariat", organizer_name="Pascale Bresson",
        organizer_email="pascale.bresson@cnes.fr", now=datetime(2020, 9, 21, 8, tzinfo=UTC),
        language="fr")
    event = Calendar.from_ical(template.for_attendee("Claire Fontaine", "claire@example.org"))
    text = str(event.walk("VEVENT")[0]["DESCRIPTION"])
    # typeset as the message is: a no-break space before the colon, in "18 h 00"
    assert "ID de réunion\u00a0: 979 8149 5219" in text and "Meeting ID" not in text
    assert ("Inscription\u00a0: presse@cnes.fr avant le lundi 21 septembre 2020 à "
            "18\u00a0h\u00a000 (heure de Paris)") in text

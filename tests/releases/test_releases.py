"""The release use cases on the sample book: the joint CNES/SFR release and invitation of
seed 000 (examples/PR106-2020.*.md) built for real recipients, read back with the standard
e-mail parser and icalendar."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import DATA, REPO, SAMPLES, db_snapshot
from icalendar import Calendar
from mailing import edit_front

from pressctl.book.contacts import add_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.contacts.formats.files import open_contact_file
from pressctl.errors import InvalidInput, ProblemsFound
from pressctl.releases.checking import check_release, load_release_set
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import build_messages
from pressctl.releases.templating import TemplateError, Templates

IT = DATA / "releases_it"
EXAMPLES = REPO / "examples"
TODAY = date(2020, 9, 1)  # before the seed's embargo: no "in the past" warnings
NOW = datetime(2020, 9, 21, 8, 0, tzinfo=UTC)

FR_READER = "claire.fontaine@gazette-espace.example.org"  # fr, en; FR
EN_READER = "harriet.pennington@orbit-weekly.example.com"  # en; GB
OPTED_OUT = "elodie.marchand@example.net"
OFFICERS = ("Pascale Bresson", "Raphaël Sart", "Nicolas Merlet", "Françoise Millet")
PHONES = {  # each officer's number, as a French and as a British reader sees it
    "FR": ("01 44 76 75 39", "01 44 76 74 51", "06 25 79 64 79", "06 86 89 55 17"),
    "GB": ("+33 1 44 76 75 39", "+33 1 44 76 74 51", "+33 6 25 79 64 79", "+33 6 86 89 55 17"),
}
TITLES = {"en": "CNES partners with French Radiology Society",
          "fr": "Le CNES s'associe à la Société Française de Radiologie"}
PREFIXES = {"en": "EMBARGO 22 Sep 2020 11:30 CEST – ",
            "fr": "EMBARGO 22/09/2020 11\u00a0h\u00a030 (heure de Paris) – "}
NOTICES = {
    "en": ("Embargoed until Tuesday 22 September 2020, 11:30 CEST (09:30 UTC)",
           "Not for publication, broadcast or posting online before this time."),
    "fr": (("Sous embargo jusqu'au mardi 22 septembre 2020 à 11\u00a0h\u00a030 (heure de Paris), "
            "soit 09\u00a0h\u00a030 UTC"),  # typeset: no-break spaces (releases.typography)
           "Ne pas publier, diffuser ni mettre en ligne avant cette date."),
}
UID = "pr106-2020-event@cnes.fr"
ZOOM = "https://zoom.us/j/97981495219"
MEETING_ID = "979 8149 5219"
HEADERS = ["Date", "Message-ID", "From", "To", "Reply-To", "Subject", "MIME-Version",
           "Content-Language", "List-Unsubscribe", "Content-Type"]


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def sample(book):
    """The sample book: CNES and SFR, their four officers and 22 journalists."""
    assert import_orgs(book, SAMPLES / "organizations.json") == (2, 0)
    report = import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    assert report.added == 26
    return book


def copy_example(folder: Path, kind: str = "release") -> Path:
    """The seed-000 release (en + fr) copied into ``folder``, as a ``kind``."""
    folder.mkdir(parents=True, exist_ok=True)
    for language in ("en", "fr"):
        text = (EXAMPLES / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        if kind != "release":
            text, count = re.subn(r'(?m)^kind = "release"$', f'kind = "{kind}"', text)
            assert count == 1
        (folder / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return folder / "PR106-2020.en.md"


def write_release(folder: Path, *, language: str = "en", embargo: str | None = None,
                  day: str = "2026-06-01", extra: str = "", name: str | None = None) -> Path:
    """A small release of CNES (no event) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["+++", 'reference = "PR300-2026"', f'language = "{language}"',
             'title = "Small release"', f"date = {day}", 'organizations = ["CNES"]']
    if embargo:
        lines.append(f'embargo = "{embargo}"')
    lines += [extra, "+++", "", "CNES says something short."]
    path = folder / (name or f"PR300-2026.{language}.md")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def built(book, path: Path, *, audience: str | None = None, only: list[str] | None = None,
          templates: Templates | None = None, now: datetime = NOW) -> list:
    releases = load_release_set(path, TODAY)
    recipients = select_recipients(book, releases, audience, only=only)
    return list(build_messages(book, releases, recipients, templates or Templates(), now=now))


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def bodies(message) -> tuple[str, str]:
    """The text and HTML parts, decoded, with the wire's CRLF line ends made LF."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n")
                 for kind in ("plain", "html"))  # type: ignore[return-value]


def words(text: str) -> str:
    """Whitespace collapsed: wrapped text compares with the text it was made from."""
    return " ".join(text.split())


def html_words(markup: str) -> str:
    return words(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def calendars(message) -> list[bytes]:
    """The inline text/calendar and the attached invite.ics, decoded."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert len(inline) == 1 and len(attached) == 1
    return [inline[0].get_payload(decode=True), attached[0].get_payload(decode=True)]


def check_ics(data: bytes, address: str) -> Calendar:
    """One REQUEST for one event in Paris time, from Pascale Bresson, to ``address``."""
    calendar = Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == "REQUEST"
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == UID
    assert event.decoded("SEQUENCE") == 0
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert start.utcoffset() == timedelta(hours=2)
    assert start.astimezone(UTC) == datetime(2020, 9, 22, 9, 30, tzinfo=UTC)
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(event["ORGANIZER"]) == "mailto:pascale.bresson@cnes.fr"
    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list), "exactly one ATTENDEE"
    assert str(attendee) == f"mailto:{address}"
    assert attendee.params["RSVP"] == "TRUE"
    assert str(event["URL"]) == ZOOM
    return calendar


def about(language: str) -> list[str]:
    orgs = json.loads((SAMPLES / "organizations.json").read_text(encoding="utf-8"))
    return [org["about"][language] for org in orgs]


def by_address(messages: list, address: str):
    found = [m for m in messages if m.recipient.address == address]
    assert len(found) == 1
    return found[0]


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("kind", ["release", "invitation"])
@pytest.mark.parametrize(("address", "language", "country"),
                         [(FR_READER, "fr", "FR"), (EN_READER, "en", "GB")])
def test_the_joint_release_as_each_reader_gets_it(sample, tmp_path, kind, address, language,
                                                  country):
    path = copy_example(tmp_path / "release", kind)
    [message] = built(sample, path, only=[address])
    assert message.recipient.version.language == language
    assert message.recipient.embargoed and message.has_calendar and message.attachments == 0
    parsed = parse(message.raw)

    sender = parsed["From"].addresses
    assert [(a.display_name, a.addr_spec) for a in sender] == [
        ("Pascale Bresson (CNES)", "pascale.bresson@cnes.fr")]
    assert [a.addr_spec for a in parsed["To"].addresses] == [address]
    subject = str(parsed["Subject"])
    assert subject == PREFIXES[language] + TITLES[language]
    assert parsed["Date"].datetime == NOW
    assert parsed["Message-ID"].startswith("<") and parsed["Message-ID"].endswith("@cnes.fr>")
    assert parsed["List-Unsubscribe"] == "<mailto:pascale.bresson@cnes.fr?subject=unsubscribe>"
    assert parsed["Content-Language"] == language

    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html",
        "text/calendar", "application/ics"]
    inline = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == "REQUEST"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["invite.ics"]
    for ics in calendars(parsed):
        check_ics(ics, address)

    text, markup = bodies(parsed)
    salutation = {"fr": "Bonjour Claire Fontaine,", "en": "Dear Harriet Pennington,"}[language]
    for body in (words(text), html_words(markup)):
        for blurb in about(language):
            assert words(blurb) in body
        for name in OFFICERS:
            assert name in body
        for number in PHONES[country]:
            assert number in body
        for number in PHONES["GB" if country == "FR" else "FR"]:
            assert number not in body
        assert ZOOM in body and MEETING_ID in body
        assert salutation in body
    for blurb in about("en" if language == "fr" else "fr"):
        assert words(blurb)[:60] not in words(text)
    assert f'href="{ZOOM}"' in markup
    assert text.splitlines()[:2] == list(NOTICES[language])
    header = {("release", "en"): "PRESS RELEASE", ("release", "fr"): "COMMUNIQUÉ DE PRESSE",
              ("invitation", "en"): "PRESS INVITATION",
               ("invitation", "fr"): "INVITATION PRESSE"}[kind, language]
    assert text.splitlines()[3] == header


# The French goldens are typeset (pressctl.releases.typography): \u00a0 is a no-break space.
GOLDEN_FR = """\
Sous embargo jusqu'au mardi 22 septembre 2020 à 11\u00a0h\u00a030 (heure de Paris), soit 09\u00a0h\u00a030 UTC
Ne pas publier, diffuser ni mettre en ligne avant cette date.

COMMUNIQUÉ DE PRESSE
Paris, le 21 septembre 2020
Réf. PR106-2020

Le CNES s'associe à la Société Française de Radiologie
======================================================
De nouvelles synergies entre spatial et santé

Bonjour Claire Fontaine,

Le mardi 22 septembre, le CNES et la Société Française de Radiologie
"""

GOLDEN_FR_EVENT = """
CONFÉRENCE DE PRESSE EN LIGNE\u00a0: SIGNATURE DU PARTENARIAT CNES - SFR
-------------------------------------------------------------------
Date\u00a0:            mardi 22 septembre 2020 à 11\u00a0h\u00a030 (heure de Paris) – 12\u00a0h\u00a030
En ligne\u00a0:        https://zoom.us/j/97981495219
ID de réunion\u00a0:   979 8149 5219

À propos du CNES
----------------
"""

GOLDEN_FR_CONTACTS = """
Contacts presse du CNES
-----------------------
Pascale Bresson, Attachée de presse
  Tél.\u00a001 44 76 75 39
  pascale.bresson@cnes.fr

Raphaël Sart, Responsable presse
  Tél.\u00a001 44 76 74 51
  raphael.sart@cnes.fr
"""

GOLDEN_EN = """\
Embargoed until Tuesday 22 September 2020, 11:30 CEST (09:30 UTC)
Not for publication, broadcast or posting online before this time.

PRESS RELEASE
Paris, 21 September 2020
Ref. PR106-2020

CNES partners with French Radiology Society
===========================================
New synergies between space and healthcare

Dear Harriet Pennington,

On Tuesday 22 September, CNES and the French Radiology Society (Société
"""

GOLDEN_EN_EVENT = """
ONLINE PRESS CONFERENCE: CNES AND SFR SIGN THEIR PARTNERSHIP
------------------------------------------------------------
When:        Tuesday 22 September 2020, 11:30 CEST – 12:30
Online:      https://zoom.us/j/97981495219
Meeting ID:  979 8149 5219

About CNES
----------
"""

GOLDEN_EN_TAIL = """
SFR press contacts
------------------
Françoise Millet, Press Officer
  Tel. +33 6 86 89 55 17
  francoisemillet@ortus-sante.fr

Nicolas Merlet, Press Officer
  Tel. +33 6 25 79 64 79
  nicolasmerlet@ortus-sante.fr

-- 
To stop receiving our press releases and invitations:
mailto:pascale.bresson@cnes.fr?subject=unsubscribe
"""  # the footer last (no [branding]): the List-Unsubscribe mailto


def test_golden_text_in_french(sample, tmp_path):
    [message] = built(sample, copy_example(tmp_path), only=[FR_READER])
    text, _ = bodies(parse(message.raw))
    assert text.startswith(GOLDEN_FR)
    assert GOLDEN_FR_EVENT in text
    assert GOLDEN_FR_CONTACTS in text


def test_golden_text_in_english(sample, tmp_path):
    [message] = built(sample, copy_example(tmp_path), only=[EN_READER])
    text, _ = bodies(parse(message.raw))
    assert text.startswith(GOLDEN_EN)
    assert GOLDEN_EN_EVENT in text
    assert text.rstrip("\n").endswith(GOLDEN_EN_TAIL.rstrip("\n"))


def test_the_invitation_puts_the_event_before_the_body(sample, tmp_path):
    [message] = built(sample, copy_example(tmp_path, "invitation"), only=[EN_READER])
    text, _ = bodies(parse(message.raw))
    assert text.index("ONLINE PRESS CONFERENCE") < text.index("On Tuesday 22 September, CNES")
    [release] = built(sample, copy_example(tmp_path / "r"), only=[EN_READER])
    text, _ = bodies(parse(release.raw))
    assert text.index("ONLINE PRESS CONFERENCE") > text.index("On Tuesday 22 September, CNES")


# --------------------------------------------------------------------------- every message


@pytest.mark.parametrize("kind", ["release", "invitation"])
def test_every_message_parses_without_defects(sample, tmp_path, kind):
    path = copy_example(tmp_path, kind)
    messages = built(sample, path, audience="all")
    assert len(messages) == 25  # 26 contacts, one opted out
    for message in messages:
        parsed = parse(message.raw)
        for part in parsed.walk():
            assert part.defects == [], (message.recipient.address, part.get_content_type())
        assert [a.addr_spec for a in parsed["To"].addresses] == [message.recipient.address]
        assert [name for name, _ in parsed.items()] == HEADERS
        assert b"\r\n" in message.raw and b"\n" not in message.raw.replace(b"\r\n", b"")
        assert max(len(line) for line in message.raw.split(b"\r\n")) <= 998
        inline, attached = calendars(parsed)
        assert inline.replace(b"\r\n", b"\n") == attached.replace(b"\r\n", b"\n")
        for ics in (inline, attached):
            check_ics(ics, message.recipient.address)


def test_the_event_uid_is_stable_between_builds_and_languages(sample, tmp_path):
    path = copy_example(tmp_path, "invitation")
    first = built(sample, path, only=[FR_READER, EN_READER])
    again = built(sample, path, only=[FR_READER, EN_READER], now=NOW + timedelta(days=1))
    assert {m.recipient.version.language for m in first} == {"fr", "en"}
    events = [Calendar.from_ical(ics).walk("VEVENT")[0]
              for m in first + again for ics in calendars(parse(m.raw))]
    assert {str(e["UID"]) for e in events} == {UID}
    assert {e.decoded("DTSTAMP") for e in events} == {NOW, NOW + timedelta(days=1)}
    # starting from the French file changes nothing
    french = built(sample, path.with_name("PR106-2020.fr.md"), only=[FR_READER])
    assert str(Calendar.from_ical(calendars(parse(french[0].raw))[0])
               .walk("VEVENT")[0]["UID"]) == UID


def test_a_raised_sequence_reaches_the_calendar(sample, tmp_path):
    path = copy_example(tmp_path, "invitation")
    edit_front(path, 'meeting_id = "979 8149 5219"', 'meeting_id = "979 8149 5219"\nsequence = 2')
    [message] = built(sample, path, only=[EN_READER])
    for ics in calendars(parse(message.raw)):
        assert Calendar.from_ical(ics).walk("VEVENT")[0].decoded("SEQUENCE") == 2


# --------------------------------------------------------------------------- recipients


def test_recipients_never_include_the_opted_out_contact(sample, tmp_path):
    releases = load_release_set(copy_example(tmp_path), TODAY)
    for audience in (None, "all", "tag:space", "not embargo_ok", 'outlet:"Freelance"'):
        chosen = select_recipients(sample, releases, audience)
        assert OPTED_OUT not in {r.address for r in chosen}, audience
    assert select_recipients(sample, releases, 'outlet:"Freelance"') == []
    with pytest.raises(InvalidInput, match="opted out"):
        select_recipients(sample, releases, only=[OPTED_OUT])


def test_recipients_without_an_email_are_skipped(sample, tmp_path):
    add_contact(sample, {"name": "Phone Only", "phones": "+33 1 44 76 70 00",
                         "tags": "space", "languages": "fr"})
    releases = load_release_set(copy_example(tmp_path), TODAY)
    for audience in (None, "all", "tag:space"):
        names = {r.contact.name for r in select_recipients(sample, releases, audience)}
        assert "Phone Only" not in names and "Claire Fontaine" in names
    with pytest.raises(InvalidInput, match="Phone Only has no e-mail address"):
        select_recipients(sample, releases, only=["Phone Only"])


def test_each_reader_gets_the_version_of_their_first_language(sample, tmp_path):
    add_contact(sample, {"name": "Geneviève Roy", "emails": "g.roy@example.ca",
                         "languages": "fr-CA, en", "country": "CA", "tags": "space"})
    releases = load_release_set(copy_example(tmp_path), TODAY)
    chosen = select_recipients(sample, releases, "all")
    assert len(chosen) == 26
    for recipient in chosen:
        first = recipient.contact.languages[0].split("-")[0]
        assert recipient.version.language == ("fr" if first == "fr" else "en"), recipient
        assert recipient.address == recipient.contact.emails[0]
    version = {r.contact.name: r.version.language for r in chosen}
    assert version["Geneviève Roy"] == version["Marie-Ève Tremblay"] == "fr"
    assert version["Thomas Vandenberghe"] == "fr"  # fr, nl, en
    assert version["Lotte Vermeulen"] == "en"  # nl, en, fr
    assert version["Lucía Navarro"] == version["Matteo Rinaldi"] == "en"  # es, en; it
    assert {Path(r.version.path).name for r in chosen} == {"PR106-2020.en.md",
                                                           "PR106-2020.fr.md"}
    # and the message to fr-CA is the French one, greeting in French
    [message] = built(sample, copy_example(tmp_path), only=["g.roy@example.ca"])
    parsed = parse(message.raw)
    assert parsed["Content-Language"] == "fr"
    assert "Bonjour Geneviève Roy," in bodies(parsed)[0]


def test_the_second_address_of_a_contact_is_not_mailed(sample, tmp_path):
    releases = load_release_set(copy_example(tmp_path), TODAY)
    addresses = [r.address for r in select_recipients(sample, releases, "all")]
    assert "harriet.pennington@orbit-weekly.example.com" in addresses
    assert "newsdesk@orbit-weekly.example.com" not in addresses
    assert len(addresses) == len(set(addresses))


def test_a_contact_named_twice_gets_one_message(sample, tmp_path):
    releases = load_release_set(copy_example(tmp_path), TODAY)
    claire = select_recipients(sample, releases, only=[FR_READER])[0].contact
    chosen = select_recipients(sample, releases, only=[str(claire.id), FR_READER,
                                                       "Claire Fontaine"])
    assert [r.address for r in chosen] == [FR_READER]


NOT_EMBARGO_OK = {"Anaïs Gauthier", "Lotte Vermeulen", "Lukas Brunner", "Rosa Delgado",
                  "Jonas Schäfer", "Matteo Rinaldi", "Oliver Whitcombe"}


def test_the_embargoed_version_goes_only_to_contacts_who_accept_embargoes(sample, tmp_path):
    # Finding 1 of issue 7: without embargo_only, everyone got the embargoed version.
    releases = load_release_set(copy_example(tmp_path), TODAY)
    chosen = select_recipients(sample, releases)
    assert len(chosen) == 23 and {r.contact.name for r in chosen} >= NOT_EMBARGO_OK
    for recipient in chosen:
        assert recipient.embargoed == recipient.contact.embargo_ok
        assert (recipient.version.embargo is not None) == recipient.contact.embargo_ok
    assert {r.contact.name for r in chosen if not r.embargoed} == NOT_EMBARGO_OK
    # the one whose note says "does not sign embargo agreements", named on her own
    [anais] = select_recipients(sample, releases, only=["Anaïs Gauthier"])
    assert not anais.embargoed and anais.version.embargo is None


def test_who_does_not_accept_embargoes_gets_a_message_without_any_embargo(sample, tmp_path):
    messages = built(sample, copy_example(tmp_path), audience="tag:health")
    assert {m.recipient.contact.name for m in messages} >= {"Anaïs Gauthier", "Priya Raman"}
    for message in messages:
        parsed = parse(message.raw)
        text, markup = bodies(parsed)
        if message.recipient.contact.embargo_ok:
            assert str(parsed["Subject"]).startswith("EMBARGO")
            assert "mbargo" in text and "mbargo" in markup
        else:
            assert str(parsed["Subject"]) in TITLES.values()
            assert "mbargo" not in text and "mbargo" not in markup


def test_without_an_embargo_nobody_is_left_out(sample, tmp_path):
    path = write_release(tmp_path, embargo=None)
    releases = load_release_set(path, TODAY)
    chosen = select_recipients(sample, releases)
    assert {r.contact.name for r in chosen} >= NOT_EMBARGO_OK
    assert not any(r.embargoed for r in chosen)
    assert releases.public() is releases


def test_the_public_copy_has_no_embargo_in_any_version(sample, tmp_path):
    releases = load_release_set(copy_example(tmp_path), TODAY)
    public = releases.public()
    assert set(public.versions) == set(releases.versions) == {"en", "fr"}
    assert all(v.embargo is None for v in public.versions.values())
    assert public.main is public.versions["en"] and public.main.title == releases.main.title
    assert all(v.embargo is not None for v in releases.versions.values())  # untouched


@pytest.mark.parametrize("where", ["PR106-2020.en.md", "PR106-2020.fr.md"])
def test_embargo_only_is_refused_in_the_main_file_and_in_a_translation(sample, tmp_path, where):
    # Finding 1 of issue 7: in a translation it used to be silently ignored.
    path = copy_example(tmp_path)
    edit_front(path.with_name(where), 'place = "Paris"', 'place = "Paris"\nembargo_only = true')
    with pytest.raises(ProblemsFound) as caught:
        load_release_set(path, TODAY)
    [problem] = caught.value.problems
    shown = str(path.with_name(where).resolve() if where.endswith("fr.md") else path)
    assert problem.where == f"{shown}:10"
    assert problem.message.startswith("embargo_only is no longer needed: pressctl sends the "
                                      "embargoed version only to contacts who accept embargoes")
    errors, _ = check_release(sample, path, Templates(), TODAY)
    assert [e.where for e in errors] == [f"{shown}:10"]


EMBARGO_LINE = 'embargo = "2020-09-22 11:30 Europe/Paris"'


@pytest.mark.parametrize(("french", "line", "message"), [
    ('embargo = "2020-09-22 11:00 Europe/Paris"', 10,
     ('embargo "2020-09-22 11:00 Europe/Paris" differs from "2020-09-22 11:30 Europe/Paris" in '
      "PR106-2020.en.md: every version of a release lifts at the same moment; write the same "
      "embargo in both")),
    ('embargo = "2020-09-22 10:30 Europe/London"', 10,
     ('embargo "2020-09-22 10:30 Europe/London" differs from "2020-09-22 11:30 Europe/Paris" '
      "in PR106-2020.en.md: the same moment in another zone (Europe/London, not Europe/Paris): "
      "the notices would name different zones; write the same embargo in both")),
    ("", None,
     ('no embargo, but PR106-2020.en.md is embargoed until "2020-09-22 11:30 Europe/Paris": '
      'this version would go out at once; add embargo = "2020-09-22 11:30 Europe/Paris"')),
])
def test_translations_must_agree_on_the_embargo_time_and_zone(sample, tmp_path, french, line,
                                                             message):
    path = copy_example(tmp_path)
    translation = path.with_name("PR106-2020.fr.md")
    edit_front(translation, EMBARGO_LINE, french)
    where = f"{translation.resolve()}" + (f":{line}" if line else "")
    errors, _ = check_release(sample, path, Templates(), TODAY)
    assert [(e.where, e.message) for e in errors] == [(where, message)]
    with pytest.raises(ProblemsFound) as caught:
        load_release_set(path, TODAY)
    assert [(p.where, p.message) for p in caught.value.problems] == [(where, message)]


def test_a_translation_cannot_be_embargoed_when_the_release_is_not(sample, tmp_path):
    english = write_release(tmp_path, extra='translations = { fr = "PR300-2026.fr.md" }')
    french = write_release(tmp_path, language="fr", embargo="2026-06-02 09:00 Europe/Paris")
    errors, _ = check_release(sample, english, Templates(), date(2026, 5, 1))
    assert [str(e) for e in errors] == [
        (f'{french.resolve()}:7: embargo "2026-06-02 09:00 Europe/Paris", but PR300-2026.en.md '
         "has no embargo: every version of a release lifts at the same moment; write the same "
         "embargo in both, or none")]
    with pytest.raises(ProblemsFound):
        load_release_set(english, date(2026, 5, 1))


def test_translations_that_agree_on_the_embargo_load(sample, tmp_path):
    english = write_release(tmp_path, embargo="2026-06-02 09:00 Europe/Paris",
                            extra='translations = { fr = "PR300-2026.fr.md" }')
    write_release(tmp_path, language="fr", embargo="2026-06-02 09:00 Europe/Paris")
    releases = load_release_set(english, date(2026, 5, 1))
    assert {v.embargo for v in releases.versions.values()} == {releases.main.embargo}


def test_previews_never_carry_a_real_unsubscribe_token(sample, tmp_path):
    # Issue 7: the token was the contact id, so anyone could unsubscribe anyone.
    sample.settings = dataclasses.replace(sample.settings, sender=dataclasses.replace(
        sample.settings.sender, unsubscribe_url="https://presse.example.org/unsubscribe?t={token}"))
    [message] = built(sample, copy_example(tmp_path), only=[EN_READER])
    parsed = parse(message.raw)
    assert "t=preview-token>" in str(parsed["List-Unsubscribe"])
    assert str(message.recipient.contact.id) not in str(parsed["List-Unsubscribe"])


def test_an_audience_overrides_the_release_s(sample, tmp_path):
    releases = load_release_set(copy_example(tmp_path), TODAY)
    chosen = select_recipients(sample, releases, "lang:fr and kind:journalist")
    assert {r.contact.name for r in chosen} == {
        "Claire Fontaine", "Mathieu Lefèvre-Roux", "Anaïs Gauthier", "Thomas Vandenberghe",
        "Lotte Vermeulen", "Sophie Keller", "Marie-Ève Tremblay"}
    officers = select_recipients(sample, releases, "kind:officer and org:SFR")
    assert {r.contact.name for r in officers} == {"Nicolas Merlet", "Françoise Millet"}
    with pytest.raises(InvalidInput, match="column"):
        select_recipients(sample, releases, "kind:jouralist")


# --------------------------------------------------------------------------- the embargo stamp


def test_templates_cannot_remove_the_embargo_notice(sample, tmp_path):
    templates = Templates(IT / "minimal-templates")
    [message] = built(sample, copy_example(tmp_path), only=[EN_READER], templates=templates)
    parsed = parse(message.raw)
    text, markup = bodies(parsed)
    assert "PRESS RELEASE" not in text and "<!DOCTYPE" not in markup  # the override is used
    assert text.splitlines()[:3] == [*NOTICES["en"], ""]
    assert text.splitlines()[3].startswith("On Tuesday 22 September, CNES")
    body = markup[markup.index("<body>") + len("<body>"):]
    assert body.startswith('<p class="notice-urgent" style="')
    first = body[:body.index("</p>")]
    assert html.unescape(re.sub(r"<br>", "\n", re.sub(r"<p[^>]*>", "", first))) == \
        "\n".join(NOTICES["en"])
    assert str(parsed["Subject"]) == PREFIXES["en"] + TITLES["en"]


def test_a_release_without_embargo_has_no_notice(sample, tmp_path):
    path = copy_example(tmp_path)
    for language in ("en", "fr"):
        edit_front(path.with_name(f"PR106-2020.{language}.md"),
                   'embargo = "2020-09-22 11:30 Europe/Paris"\n', "")
    for templates in (Templates(), Templates(IT / "minimal-templates")):
        messages = built(sample, path, only=[EN_READER, FR_READER], templates=templates)
        assert len(messages) == 2
        for message in messages:
            assert not message.recipient.embargoed
            parsed = parse(message.raw)
            text, markup = bodies(parsed)
            assert str(parsed["Subject"]) == TITLES[message.recipient.version.language]
            for shown in (text, markup):
                assert "mbargo" not in shown and "EMBARGO" not in shown
                assert "b00020" not in shown  # the notice's border colour


@pytest.mark.parametrize(("embargo", "english", "french", "prefix"), [
    ("2026-06-02 00:01 Europe/London",
     "Embargoed until Tuesday 2 June 2026, 00:01 BST (Monday 1 June 2026, 23:01 UTC)",
     ("Sous embargo jusqu'au mardi 2 juin 2026 à 00\u00a0h\u00a001 (heure de Londres), soit le lundi "
      "1er juin 2026 à 23\u00a0h\u00a001 UTC"),
     ("EMBARGO 2 Jun 2026 00:01 BST – ", "EMBARGO 02/06/2026 00\u00a0h\u00a001 (heure de Londres) – ")),
    ("2026-03-29 09:00 Europe/Paris",  # the morning after the clocks went forward
     "Embargoed until Sunday 29 March 2026, 09:00 CEST (07:00 UTC)",
     ("Sous embargo jusqu'au dimanche 29 mars 2026 à 09\u00a0h\u00a000 (heure de Paris), soit "
      "07\u00a0h\u00a000 UTC"),
     ("EMBARGO 29 Mar 2026 09:00 CEST – ", "EMBARGO 29/03/2026 09\u00a0h\u00a000 (heure de Paris) – ")),
    ("2026-03-28 09:00 Europe/Paris",  # the day before: still winter time
     "Embargoed until Saturday 28 March 2026, 09:00 CET (08:00 UTC)",
     ("Sous embargo jusqu'au samedi 28 mars 2026 à 09\u00a0h\u00a000 (heure de Paris), soit "
      "08\u00a0h\u00a000 UTC"),
     ("EMBARGO 28 Mar 2026 09:00 CET – ", "EMBARGO 28/03/2026 09\u00a0h\u00a000 (heure de Paris) – ")),
])
def test_embargo_times_in_the_messages(sample, tmp_path, embargo, english, french, prefix):
    en = write_release(tmp_path, embargo=embargo, day="2026-03-27",
                       extra='translations = { fr = "PR300-2026.fr.md" }')
    write_release(tmp_path, language="fr", embargo=embargo, day="2026-03-27",
                  extra='translations = { en = "PR300-2026.en.md" }')
    messages = built(sample, en, only=[EN_READER, FR_READER])
    for message, notice, subject in zip(messages, (english, french), prefix, strict=True):
        parsed = parse(message.raw)
        text, markup = bodies(parsed)
        assert text.splitlines()[0] == notice
        assert html.unescape(notice) in html.unescape(markup)
        assert str(parsed["Subject"]) == subject + "Small release"


# --------------------------------------------------------------------------- templates


def typo_in(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = (REPO / "templates" / name).read_text(encoding="utf-8").split("\n")
    source.insert(2, "{{ releas.title }}")
    (folder / name).write_text("\n".join(source), encoding="utf-8")
    return folder / name


@pytest.mark.parametrize("name", ["release.en.txt.j2", "release.fr.txt.j2",
                                  "release.fr.html.j2", "_contacts.en.html.j2"])
def test_check_finds_a_template_typo_in_any_language(sample, tmp_path, name):
    path = copy_example(tmp_path / "release")
    templates = Templates(tmp_path / "templates")
    assert check_release(sample, path, templates, TODAY) == ([], [])
    broken = typo_in(tmp_path / "templates", name)
    errors, _ = check_release(sample, path, Templates(tmp_path / "templates"), TODAY)
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"{broken}:3: 'releas' is undefined")


def test_check_renders_a_version_nobody_in_the_audience_gets(sample, tmp_path):
    path = copy_example(tmp_path / "release")
    for language in ("en", "fr"):
        edit_front(path.with_name(f"PR106-2020.{language}.md"),
                   'audience = "tag:space or tag:health or tag:radiology"',
                   'audience = "country:GB"')
    releases = load_release_set(path, TODAY)
    assert {r.version.language for r in select_recipients(sample, releases)} == {"en"}
    broken = typo_in(tmp_path / "templates", "release.fr.html.j2")
    errors, _ = check_release(sample, path, Templates(tmp_path / "templates"), TODAY)
    assert [str(e) for e in errors] == [f"{broken}:3: 'releas' is undefined"]


def test_a_template_typo_stops_the_build_with_file_and_line(sample, tmp_path):
    with pytest.raises(TemplateError) as caught:
        built(sample, copy_example(tmp_path), only=[EN_READER],
              templates=Templates(IT / "typo-templates"))
    assert caught.value.path == str(IT / "typo-templates" / "release.en.txt.j2")
    assert caught.value.line == 3
    assert "'releas' is undefined" in str(caught.value)


def test_a_french_release_dated_the_first_and_fr_ca(sample, tmp_path):
    path = write_release(tmp_path, language="fr-CA", day="2026-06-01", extra='place = "Paris"')
    [message] = built(sample, path, only=[EN_READER])  # the only version there is
    text, _ = bodies(parse(message.raw))
    assert text.splitlines()[:2] == ["COMMUNIQUÉ DE PRESSE", "Paris, le 1er juin 2026"]
    assert "Bonjour Harriet Pennington," in text


# --------------------------------------------------------------------------- the sender


def test_the_sender_is_the_first_officer_with_an_email(sample, tmp_path):
    phone_only = add_contact(sample, {"name": "Standard CNES", "kind": "officer",
                                      "organization": "CNES",
                                      "phones": "+33 1 44 76 70 00"}).contact
    path = copy_example(tmp_path, "invitation")
    for language in ("en", "fr"):
        edit_front(path.with_name(f"PR106-2020.{language}.md"),
                   'organizations = ["CNES", "SFR"]\n',
                   f'organizations = ["CNES", "SFR"]\ncontacts = [{phone_only.id}, '
                   '"raphael.sart@cnes.fr"]\n')
    [message] = built(sample, path, only=[EN_READER])
    parsed = parse(message.raw)
    assert parsed["From"].addresses[0].addr_spec == "raphael.sart@cnes.fr"
    assert str(parsed["From"].addresses[0].display_name) == "Raphaël Sart (CNES)"
    text, _ = bodies(parsed)
    assert "Standard CNES" in text and "+33 1 44 76 70 00" in text  # still listed
    event = Calendar.from_ical(calendars(parsed)[0]).walk("VEVENT")[0]
    assert str(event["ORGANIZER"]) == "mailto:raphael.sart@cnes.fr"
    assert event["ORGANIZER"].params["CN"] == "Raphaël Sart"


def test_no_officer_with_an_email_is_an_error_not_a_crash(sample, tmp_path):
    phone_only = add_contact(sample, {"name": "Standard CNES", "kind": "officer",
                                      "organization": "CNES",
                                      "phones": "+33 1 44 76 70 00"}).contact
    path = write_release(tmp_path, extra=f"contacts = [{phone_only.id}]")
    with pytest.raises(InvalidInput, match="no press officer with an e-mail address"):
        built(sample, path, only=[EN_READER])
    errors, _ = check_release(sample, path, Templates(), TODAY)
    assert [e.message for e in errors] == [
        (f"{path}: no press officer with an e-mail address to send from (add officers of the "
         "organisations (kind officer) or list contacts)")]


# --------------------------------------------------------------------------- contact data


STRANGE_NAMES = [
    'Jane "JJ" <b>Doe</b>',
    "<script>alert('x')</script> Smith",
    "O'Brien, Pat",
    "Eve <eve@evil.example>",
    "Bcc: victim@evil.example",
    "=?utf-8?q?Fake?= Name",
    "Ünïcödé <i>Ñame</i> & Co",
]


def test_contact_names_cannot_add_lines_or_markup(sample, home, tmp_path):
    before = db_snapshot(home)
    for name in ("Mallory\r\nBcc: victim@evil.example", "Mallory\nX-Evil: 1", "Mal\rlory",
                 "Mal\u2028lory"):
        with pytest.raises(ProblemsFound, match="line break or control character"):
            add_contact(sample, {"name": name, "emails": "mallory@example.org"})
    assert db_snapshot(home) == before
    addresses = []
    for number, name in enumerate(STRANGE_NAMES):
        address = f"strange{number}@example.org"
        add_contact(sample, {"name": name, "emails": address, "languages": "en",
                             "country": "GB", "tags": "space"})
        addresses.append(address)
    messages = built(sample, copy_example(tmp_path, "invitation"), only=addresses)
    assert len(messages) == len(STRANGE_NAMES)
    for name, message in zip(STRANGE_NAMES, messages, strict=True):
        parsed = parse(message.raw)
        for part in parsed.walk():
            assert part.defects == []
        assert [name for name, _ in parsed.items()] == HEADERS
        assert parsed.get_all("Bcc") is None and parsed.get_all("Cc") is None
        [to] = parsed["To"].addresses
        assert (to.display_name, to.addr_spec) == (name, message.recipient.address)
        text, markup = bodies(parsed)
        assert f"Dear {name}," in text
        assert f"Dear {html.escape(name)}," in markup
        assert "<script" not in markup and "<b>" not in markup and "<i>" not in markup
        for ics in calendars(parsed):
            event = Calendar.from_ical(ics).walk("VEVENT")[0]
            assert str(event["ATTENDEE"]) == f"mailto:{message.recipient.address}"
            assert b"\r\nBCC" not in ics.upper()


# --------------------------------------------------------------------------- check


MANY_PROBLEMS = [  # line, what the message must say
    (7, 'unknown key "headline" (did you mean "title"?)'),
    (8, "before the release date 2026-06-02"),
    (9, 'organisation "ESA" is not in the contact book'),
    (10, "contacts: no contact with e-mail nobody@example.org"),
    (11, 'attachment "missing-photo.jpg" does not exist'),
    (15, "before the embargo lifts"),
    (18, '"CET" is an ambiguous abbreviation'),
    (23, "javascript: links are not allowed"),
]


def test_check_lists_every_problem_of_a_file_in_one_pass(sample):
    path = IT / "many-problems.en.md"
    errors, warnings = check_release(sample, path, Templates(), date(2026, 5, 1))
    assert len(errors) == len(MANY_PROBLEMS)
    for error, (line, text) in zip(errors, MANY_PROBLEMS, strict=True):  # in file order
        assert error.where == f"{path}:{line}" and text in error.message, error
    assert warnings == []
    assert not any("CNES" in e.message or "pascale" in e.message for e in errors)


def test_check_finds_book_problems_in_a_translation_too(sample, tmp_path):
    path = copy_example(tmp_path)
    french = path.with_name("PR106-2020.fr.md")
    edit_front(french, 'organizations = ["CNES", "SFR"]', 'organizations = ["CNES", "ESA"]')
    edit_front(french, 'reference = "PR106-2020"', 'reference = "PR106-2020"\nheadline = "x"')
    errors, warnings = check_release(sample, path, Templates(), TODAY)
    assert [str(e) for e in errors] == [
        f'{french.resolve()}:4: unknown key "headline" (did you mean "title"?)',
        (f'{french.resolve()}:12: organisation "ESA" is not in the contact book '
         "(see `pressctl orgs list`)")]
    assert warnings == []
    # an error in the English file does not hide the French file's
    edit_front(path, 'place = "Paris"', 'place = "Paris"\nheadline = "x"')
    errors, warnings = check_release(sample, path, Templates(), TODAY)
    assert [str(e) for e in errors] == [
        f'{path}:10: unknown key "headline" (did you mean "title"?)',
        f'{french.resolve()}:4: unknown key "headline" (did you mean "title"?)',
        (f'{french.resolve()}:12: organisation "ESA" is not in the contact book '
         "(see `pressctl orgs list`)")]
    assert warnings == []


def test_check_keeps_warnings_beside_errors(sample, tmp_path):
    path = copy_example(tmp_path)
    edit_front(path, 'organizations = ["CNES", "SFR"]', 'organizations = ["CNES", "SFR", "ESA"]')
    edit_front(path, 'place = "Paris"', 'place = "Paris"\nheadline = "x"')
    errors, warnings = check_release(sample, path, Templates(), date(2026, 1, 1))
    assert [e.message for e in errors] == [
        'unknown key "headline" (did you mean "title"?)',
        'organisation "ESA" is not in the contact book (see `pressctl orgs list`)']
    assert sum("in the past" in w.message for w in warnings) == 4  # embargo, event x 2 files


def test_check_with_warnings_only(sample):
    path = IT / "warnings-only.en.md"
    errors, warnings = check_release(sample, path, Templates(), date(2026, 5, 1))
    assert errors == []
    assert [(w.where, w.message.split(":")[0]) for w in warnings] == [
        (f"{path}:6", 'organizations'), (f"{path}:9", "the event has neither a venue nor a url"),
        (f"{path}:14", 'link "www.cnes.fr" has no scheme')]


def test_check_of_a_missing_file(sample, tmp_path):
    errors, warnings = check_release(sample, tmp_path / "nope.md", Templates(), TODAY)
    assert [str(e) for e in errors] == [f"{tmp_path / 'nope.md'}: no such release file"]
    assert warnings == []


def test_load_refuses_a_release_with_errors(sample):
    with pytest.raises(ProblemsFound) as caught:
        load_release_set(IT / "many-problems.en.md", date(2026, 5, 1))
    assert len(caught.value.problems) == 5  # the file's own; the book is not its business

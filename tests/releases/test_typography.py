"""French typography (pressctl.releases.typography): a table of cases for text and HTML,
what never changes (URLs, addresses, code, tags, attributes, other languages), and the real
French and English messages of the sample release and invitation, read back with the
standard e-mail parser and icalendar."""

from __future__ import annotations

import email
import email.policy
import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from icalendar import Calendar

from pressctl.book.contacts import edit_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import Phone
from pressctl.releases.calendar import invitation_template, read_invitation
from pressctl.releases.checking import load_release_set
from pressctl.releases.documents import Event
from pressctl.releases.events import EventDetails, changes_between
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import build_messages
from pressctl.releases.templating import Templates
from pressctl.releases.typography import (
    NBSP,
    NNBSP,
    NOWRAP_OPEN,
    code_in_html,
    is_french,
    typeset,
    typeset_html,
)

NB, NN = NBSP, NNBSP
TODAY = date(2020, 9, 1)
NOW = datetime(2020, 9, 21, 8, 0, tzinfo=UTC)
FR_READER = "claire.fontaine@gazette-espace.example.org"  # gets the French version
EN_READER = "harriet.pennington@orbit-weekly.example.com"  # gets the English version

# --------------------------------------------------------------------------- the table

TEXT_CASES = [
    # punctuation: a full no-break space before ":", a thin one before ; ! ? and in « »
    ("Date : mardi", f"Date{NB}: mardi"),
    ("trois axes d'action :", f"trois axes d'action{NB}:"),
    ("pour l'exploration lointaine ;", f"pour l'exploration lointaine{NN};"),
    ("Vraiment ? Oui !", f"Vraiment{NN}? Oui{NN}!"),
    ("« Ce partenariat va créer », souligne-t-il.", f"«{NN}Ce partenariat va créer{NN}», souligne-t-il."),
    ("‹ Oui ›", f"‹{NN}Oui{NN}›"),
    ("Quoi ?!", f"Quoi{NN}?!"),
    ("Date  :  mardi", f"Date{NB}:  mardi"),  # a run of spaces becomes one
    (f"Date{NN}: mardi", f"Date{NB}: mardi"),  # the wrong no-break space is corrected
    # a line the wrapping began with ";" or "»" goes back to the line before it
    ("l'exploration\n   lointaine\n;", f"l'exploration\n   lointaine{NN};"),
    ("en commun\n», souligne", f"en commun{NN}», souligne"),
    ("«\nCe partenariat", f"«{NN}Ce partenariat"),
    # but a blank line is a paragraph break, never joined
    ("Fin\n\n: début", "Fin\n\n: début"),
    # hours
    ("à 14 h 45", f"à 14{NB}h{NB}45"),
    ("de 9 h à 17 h.", f"de 9{NB}h à 17{NB}h."),
    ("à 11 h\n30", f"à 11{NB}h{NB}30"),
    ("3 hommes", "3 hommes"),
    # thousands and units
    ("1 500 km", f"1{NN}500{NB}km"),
    ("quelque 2 500 femmes et hommes", f"quelque 2{NN}500 femmes et hommes"),
    ("1 234 567 habitants", f"1{NN}234{NN}567 habitants"),
    ("5 000 €", f"5{NN}000{NB}€"),
    ("10 % des voix", f"10{NB}% des voix"),
    ("12,5 % et 3 km/h", f"12,5{NB}% et 3{NB}km/h"),
    ("2 millions d'euros", f"2{NB}millions d'euros"),
    ("20 °C", f"20{NB}°C"),
    ("3 mois", "3 mois"),  # not a unit
    # numbers a reader types back keep their spaces: meeting IDs, phone numbers, codes
    ("ID de réunion : 123 456 789", f"ID de réunion{NB}: 123 456 789"),
    ("ID : 123 456 789\nCode : x", f"ID{NB}: 123 456 789\nCode{NB}: x"),
    ("979 8149 5219", "979 8149 5219"),
    ("du 2 au 5 octobre", "du 2 au 5 octobre"),
    ("en 2019 150 salariés", "en 2019 150 salariés"),
    # initials, titles, "Tél."
    ("J.-Y. Le Gall", f"J.-Y.{NB}Le{NB}Gall"),
    ("J. Dupont", f"J.{NB}Dupont"),
    ("J. R. R. Tolkien", f"J.{NB}R.{NB}R.{NB}Tolkien"),
    ("Mme Roy et M. de Villepin", f"Mme{NB}Roy et M.{NB}de{NB}Villepin"),
    ("Tél. 01 44 76 75 39", f"Tél.{NB}01 44 76 75 39"),
    ("n° 5", f"n°{NB}5"),
    # never inside URLs, addresses or code
    ("https://x.fr/a:b ; voir", f"https://x.fr/a:b{NN}; voir"),
    ("Écrire à presse@cnes.fr !", f"Écrire à presse@cnes.fr{NN}!"),
    ("mailto:presse@cnes.fr?subject=a:b", "mailto:presse@cnes.fr?subject=a:b"),
    ("www.cnes.fr/a?b=1 ; c", f"www.cnes.fr/a?b=1{NN}; c"),
    ("`a : b` : c", f"`a : b`{NB}: c"),
    ("http://[::1]:8080 :", f"http://[::1]:8080{NB}:"),
    # what an author left out stays out: that is editing, not typesetting
    ("«Oui» et Quoi? Bien!", "«Oui» et Quoi? Bien!"),
    ("10:30, 14h45, 10%", "10:30, 14h45, 10%"),
    ("", ""),
]


@pytest.mark.parametrize(("source", "expected"), TEXT_CASES)
def test_french_text_gets_its_no_break_spaces(source, expected):
    assert typeset(source, "fr") == expected


@pytest.mark.parametrize(("source", "expected"), TEXT_CASES)
def test_typesetting_twice_is_typesetting_once(source, expected):
    assert typeset(expected, "fr") == expected


@pytest.mark.parametrize(("source", "expected"), TEXT_CASES)
def test_the_html_part_reads_as_the_text_part(source, expected):
    markup = typeset_html(html.escape(source, quote=False), "fr")
    assert markup.replace(NOWRAP_OPEN, "").replace("</span>", "") == html.escape(
        expected, quote=False)


@pytest.mark.parametrize("language", ["fr", "fr-CA", "fr-BE", "FR", "fr_CH"])
def test_every_french_tag_is_french(language):
    assert is_french(language)
    assert typeset("Date : 14 h 45", language) == f"Date{NB}: 14{NB}h{NB}45"


@pytest.mark.parametrize("language", ["en", "en-GB", "de", "es", "frr", "", "und"])
@pytest.mark.parametrize("source", [source for source, _ in TEXT_CASES])
def test_other_languages_keep_their_own_rules(language, source):
    assert not is_french(language)
    assert typeset(source, language) == source
    markup = f"<p>{html.escape(source)} Jean-Yves</p>"
    assert typeset_html(markup, language) == markup


def test_keep_leaves_code_alone_however_it_was_wrapped():
    text = "Tapez\n    config : valeur ; fin\n\net voilà : fait"
    assert typeset(text, "fr", keep=["config : valeur ;\nfin"]) == (
        f"Tapez\n    config : valeur ; fin\n\net voilà{NB}: fait")
    assert typeset(text, "fr") == f"Tapez\n    config{NB}: valeur{NN}; fin\n\net voilà{NB}: fait"


# --------------------------------------------------------------------------- HTML

NOWRAP = NOWRAP_OPEN

HTML_CASES = [
    ("<p>Date : mardi</p>", f"<p>Date{NB}: mardi</p>"),
    # the words beside an inline tag are read as one line of text
    ("<p>« <em>ConnectByCnes</em> »</p>", f"<p>«{NN}<em>ConnectByCnes</em>{NN}»</p>"),
    ("<p><strong>à 11 h 30</strong> : le lien</p>",
     f"<p><strong>à 11{NB}h{NB}30</strong>{NB}: le lien</p>"),
    ('<p>Tél. <a href="tel:+33144767539">01 44 76 75 39</a></p>',
     f'<p>Tél.{NB}<a href="tel:+33144767539">01 44 76 75 39</a></p>'),
    # but not across a block tag: a space at a block's edge is not between two words
    ("<p>fin</p>\n<p> : début</p>", "<p>fin</p>\n<p> : début</p>"),
    ("<td>Date</td><td> : x</td>", "<td>Date</td><td> : x</td>"),
    # entities count as the character they stand for, and stay as written
    ("<p>Oui&nbsp;! et &laquo; non &raquo; &amp; Date :</p>",
     f"<p>Oui{NN}! et &laquo;{NN}non{NN}&raquo; &amp; Date{NB}:</p>"),
    ("<p>Oui&nbsp;:</p>", "<p>Oui&nbsp;:</p>"),  # already the right space: kept as written
    ("<p>a &unknown; : b</p>", f"<p>a &unknown;{NB}: b</p>"),
    # tags and attributes are never touched, alt and title included
    ('<p title="a : b"><img alt="x ; y" src="a.png"> : c</p>',
     f'<p title="a : b"><img alt="x ; y" src="a.png">{NB}: c</p>'),
    ('<a href="https://x.fr/a?b=1&amp;c=2" style="a : b">https://x.fr/a?b=1&amp;c=2</a> ?',
     f'<a href="https://x.fr/a?b=1&amp;c=2" style="a : b">https://x.fr/a?b=1&amp;c=2</a>{NN}?'),
    ("<p>presse@cnes.fr : écrire</p>", f"<p>presse@cnes.fr{NB}: écrire</p>"),
    # code, head, style, script, comments, conditional comments: as written
    ("<p><code>a : b</code> : c</p>", f"<p><code>a : b</code>{NB}: c</p>"),
    ("<pre>x ; y\n<b>z ! w</b></pre>", "<pre>x ; y\n<b>z ! w</b></pre>"),
    ("<kbd>Ctrl ; x</kbd><samp>ok !</samp>", "<kbd>Ctrl ; x</kbd><samp>ok !</samp>"),
    ("<head><title>Le CNES : tout</title><style>a : b {}</style></head>",
     "<head><title>Le CNES : tout</title><style>a : b {}</style></head>"),
    ("<script>if (a ? b : c) {}</script>", "<script>if (a ? b : c) {}</script>"),
    ("<!-- a : b --><!--[if mso]><p>x : y</p><![endif]-->",
     "<!-- a : b --><!--[if mso]><p>x : y</p><![endif]-->"),
    ("<p title='a > b'>c : d</p>", f"<p title='a > b'>c{NB}: d</p>"),
    # hyphenated first names and compound initials stay on one line (no U+2011)
    ("<p>par Jean-Yves Le Gall</p>", f"<p>par {NOWRAP}Jean-Yves</span> Le Gall</p>"),
    ("<p>J.-Y. Le Gall</p>", f"<p>{NOWRAP}J.-Y.</span>{NB}Le{NB}Gall</p>"),
    ("<p>le professeur Jean-François Meder</p>",
     f"<p>le professeur {NOWRAP}Jean-François</span> Meder</p>"),
    ("<p>Île-de-France, CNES-SFR, jean-yves@cnes.fr, https://x.fr/Jean-Yves</p>",
     "<p>Île-de-France, CNES-SFR, jean-yves@cnes.fr, https://x.fr/Jean-Yves</p>"),
    ('<span style="white-space:nowrap">Jean-Yves</span>',
     '<span style="white-space:nowrap">Jean-Yves</span>'),
    ("<title>Jean-Yves</title><textarea>Jean-Yves : x</textarea>",
     "<title>Jean-Yves</title><textarea>Jean-Yves : x</textarea>"),
    # whatever the markup, the bytes around the text come back as they were
    ("a < b : c", f"a < b{NB}: c"),
    ("<!-- unclosed : comment", "<!-- unclosed : comment"),
    ("", ""),
]


@pytest.mark.parametrize(("source", "expected"), HTML_CASES)
def test_french_html_gets_its_no_break_spaces_in_text_only(source, expected):
    assert typeset_html(source, "fr") == expected


@pytest.mark.parametrize(("source", "expected"), HTML_CASES)
def test_typesetting_html_twice_is_typesetting_once(source, expected):
    assert typeset_html(expected, "fr") == expected


@pytest.mark.parametrize("name", ["release.fr.html.j2", "invitation.fr.html.j2",
                                  "_contacts.fr.html.j2", "_event.fr.html.j2"])
def test_html_round_trips_byte_for_byte_apart_from_the_spaces(name):
    document = (REPO / "templates" / name).read_text(encoding="utf-8")
    document += "<p>Le CNES : « oui » ; 11 h 30, 1 500 km, J. Dupont &amp; co&#8239;!</p>"
    typeset_document = typeset_html(document, "fr")
    assert typeset_document != document
    assert "co&#8239;!" in typeset_document  # the right space, written as an entity: kept
    assert typeset_document.replace(NB, " ").replace(NN, " ") == document


def test_code_in_html_is_what_the_text_part_must_keep():
    markup = ("<p>Tapez <code>a : b</code>, puis</p><pre><code>x ; y\n<span>z</span> ! "
              "&amp;</code></pre><p>fin : <kbd>Ctrl</kbd></p>")
    assert code_in_html(markup) == ["a : b", "x ; y\nz ! &", "Ctrl"]


# --------------------------------------------------------------------------- the calendar


SEED_FR = Event(
    title="Conférence de presse en ligne : signature du partenariat CNES - SFR",
    start=datetime(2020, 9, 22, 9, 30, tzinfo=UTC), end=datetime(2020, 9, 22, 10, 30, tzinfo=UTC),
    venue="CNES, salle « Ariane »", url="https://zoom.us/j/97981495219",
    meeting_id="979 8149 5219", passcode="41 : 82", dial_in=(Phone("+33170379729", label="France"),),
    rsvp="presse@cnes.fr", rsvp_deadline=datetime(2020, 9, 21, 16, 0, tzinfo=UTC))


def french_invitation(event: Event = SEED_FR, language: str = "fr") -> bytes:
    template = invitation_template(
        event, uid="pr106-2020-event@cnes.fr", summary=event.title,
        description="Le CNES s'associe à la SFR (PR106-2020)", organizer_name="Pascale Bresson",
        organizer_email="pascale.bresson@cnes.fr", now=NOW, language=language)
    return template.for_attendee("Claire Fontaine", "claire@example.org")


def test_the_calendar_labels_keep_their_space_in_french():
    [vevent] = Calendar.from_ical(french_invitation()).walk("VEVENT")
    description = str(vevent["DESCRIPTION"])
    assert f"Rejoindre en ligne{NB}: https://zoom.us/j/97981495219" in description
    assert f"ID de réunion{NB}: 979 8149 5219" in description
    assert f"Par téléphone{NB}: +33 1 70 37 97 29 (France)" in description
    assert "ligne:" not in description and "réunion:" not in description
    assert str(vevent["SUMMARY"]) == (
        f"Conférence de presse en ligne{NB}: signature du partenariat CNES - SFR")
    assert str(vevent["LOCATION"]) == f"CNES, salle «{NN}Ariane{NN}» / https://zoom.us/j/97981495219"


def test_the_values_a_reader_types_back_are_never_typeset():
    [vevent] = Calendar.from_ical(french_invitation()).walk("VEVENT")
    assert f"Code secret{NB}: 41 : 82\n" in str(vevent["DESCRIPTION"])
    _, _, event = read_invitation(french_invitation())
    assert (event.meeting_id, event.passcode, event.url) == (
        "979 8149 5219", "41 : 82", "https://zoom.us/j/97981495219")
    assert [(p.e164, p.label) for p in event.dial_in] == [("+33170379729", "France")]


def test_the_english_calendar_has_none_of_it():
    english = french_invitation(language="en").decode("utf-8")
    assert NB not in english and NN not in english
    assert "Join online: https://zoom.us/j/97981495219" in english.replace("\r\n ", "")


def test_a_typeset_title_read_back_is_no_change_of_title():
    sent = EventDetails.of(read_invitation(french_invitation())[2])
    assert sent.title != SEED_FR.title  # typeset in the calendar...
    assert changes_between(sent, EventDetails.of(SEED_FR), "fr") == ()  # ...but no update


def test_invitations_written_before_typesetting_still_read_back():
    old = french_invitation().decode("utf-8").replace("\r\n ", "").replace(f"{NB}:", ":")
    _, _, event = read_invitation(old.encode("utf-8"))
    assert (event.meeting_id, event.passcode) == ("979 8149 5219", "41 : 82")


# --------------------------------------------------------------------------- the messages


@pytest.fixture
def sample(book):
    """The sample book: CNES and SFR, their four officers and 22 journalists."""
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def sample_message(book, folder: Path, kind: str, address: str, french_body: str = ""):
    folder.mkdir()
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        text += french_body if language == "fr" else ""
        (folder / f"PR106-2020.{language}.md").write_text(
            text.replace('kind = "release"', f'kind = "{kind}"'), encoding="utf-8")
    releases = load_release_set(folder / "PR106-2020.en.md", TODAY)
    recipients = select_recipients(book, releases, None, only=[address])
    [message] = build_messages(book, releases, recipients, Templates(), now=NOW)
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    text, markup = (parsed.get_body((kind,)).get_content().replace("\r\n", "\n")
                    for kind in ("plain", "html"))
    [ics] = [part.get_payload(decode=True) for part in parsed.walk()
             if part.get_content_type() == "text/calendar"]
    return str(parsed["Subject"]), text, markup, ics


def shown(markup: str) -> str:
    """The HTML as a reader sees its characters: tags out, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.mark.parametrize("kind", ["release", "invitation"])
def test_the_french_sample_is_typeset_everywhere(sample, tmp_path, kind):
    subject, text, markup, ics = sample_message(sample, tmp_path / kind, kind, FR_READER)
    assert subject.startswith(f"EMBARGO 22/09/2020 11{NB}h{NB}30 (heure de Paris) – ")
    both = [
        f"à 11{NB}h{NB}30 (heure de Paris), soit 09{NB}h{NB}30 UTC",  # the embargo notice
        f"en ligne{NB}: signature",  # the event's title
        f"l'exploration lointaine{NN};", f"«{NN}Ce partenariat", f"en commun{NN}»",
        f"ConnectByCnes.{NN}»", f"trois axes d'action{NB}:", f"2{NN}500 femmes",
        f"Tél.{NB}01 44 76 75 39", f"2{NN}037 venus",
    ]
    one_line = re.sub(r" *\n *", " ", text)  # the text part is wrapped at 72 columns
    for fragment in [*both, f"Date{NB}:", f"ID de réunion{NB}:"]:  # the labels of the text
        assert fragment.upper() in one_line.upper(), fragment
    seen = shown(markup)
    for fragment in [*both, f"11{NN}000 membres"]:
        assert fragment in seen, fragment
    assert re.search(r'<span style="white-space: ?nowrap;?">Jean-François</span>', markup)
    assert "https://zoom.us/j/97981495219" in text and "pascale.bresson@cnes.fr" in text
    [vevent] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(vevent["SUMMARY"]).startswith(f"Conférence de presse en ligne{NB}: ")
    assert f"Rejoindre en ligne{NB}: https://zoom.us/j/97981495219" in str(vevent["DESCRIPTION"])
    # what was sent is typeset once and for all: typesetting it again changes nothing
    assert typeset_html(markup, "fr") == markup and typeset(text, "fr") == text


def test_code_in_a_french_body_is_left_as_written_in_both_parts(sample, tmp_path):
    body = ("\nTapez `pressctl release check : ok ; fin` pour vérifier : voilà.\n\n"
            "```\n[sender]\nname = \"CNES : presse\" ; commentaire !\n```\n")
    _, text, markup, _ = sample_message(sample, tmp_path / "code", "release", FR_READER, body)
    assert "pressctl release check : ok ; fin" in re.sub(r" *\n *", " ", text)
    assert 'name = "CNES : presse" ; commentaire !' in text
    assert f"pour vérifier{NB}: voilà." in re.sub(r" *\n *", " ", text)
    assert re.search(r"<code[^>]*>pressctl release check : ok ; fin</code>", markup)
    assert 'name = "CNES : presse" ; commentaire !' in html.unescape(markup)
    assert f"pour vérifier{NB}: voilà." in shown(markup)


@pytest.mark.parametrize("kind", ["release", "invitation"])
def test_the_english_sample_has_none_of_it(sample, tmp_path, kind):
    subject, text, markup, ics = sample_message(sample, tmp_path / kind, kind, EN_READER)
    for part in (subject, text, shown(markup), ics.decode("utf-8")):
        assert NB not in part and NN not in part
    assert not re.search(r'nowrap;?">[A-Z][a-z]+-', markup)
    assert "Join online: https://zoom.us/j/97981495219" in ics.decode("utf-8").replace(
        "\r\n ", "")


def test_the_salutation_is_typeset_with_its_message(sample, tmp_path):
    edit_contact(sample, FR_READER, {"salutation": "Cher J.-Y. Le Gall : bonjour"})
    edit_contact(sample, EN_READER, {"salutation": "Dear J. R. Smith : hello"})
    _, french, french_html, _ = sample_message(sample, tmp_path / "fr", "release", FR_READER)
    assert f"\nCher J.-Y.{NB}Le{NB}Gall{NB}: bonjour,\n" in french
    assert f"Cher J.-Y.{NB}Le{NB}Gall{NB}: bonjour," in shown(french_html)
    _, english, _, _ = sample_message(sample, tmp_path / "en", "release", EN_READER)
    assert "\nDear J. R. Smith : hello,\n" in english

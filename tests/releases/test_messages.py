"""pressctl.releases.messages (and the header fields of pressctl.releases.headers): every
message built here is parsed back with Python's own e-mail parser (policy default) and
compared with what went in."""

from __future__ import annotations

import ast
import email
import email.policy
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pressctl.releases import headers, messages
from pressctl.releases.headers import needs_smtputf8
from pressctl.releases.messages import (
    SALUTATION,
    Attachment,
    MessageFactory,
    Sender,
    Variant,
    new_message_id,
)

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
SENDER = Sender("Pascale Bresson (CNES Press Office)", "pascale.bresson@cnes.fr",
                reply_to="presse@cnes.fr")
TEXT = f"Bonjour {SALUTATION},\n\nLe CNES annonce le lancement réussi d'Ariane 6.\n-- \nCNES\n"
HTML = f"<p>Bonjour {SALUTATION},</p>\n<p>Le CNES annonce le lancement réussi d'Ariane 6.</p>\n"
PDF = bytes(range(256)) * 40 + b"\r\n\n\r\x00--=_mix_ end"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pressctl//EN\r\nMETHOD:REQUEST\r\n"
       b"BEGIN:VEVENT\r\nUID:ariane6@cnes.fr\r\nSUMMARY:Point presse\r\nEND:VEVENT\r\n"
       b"END:VCALENDAR\r\n")


def variant(**changes) -> Variant:
    values = {"subject": "Ariane 6 : premier vol commercial réussi", "text": TEXT, "html": HTML,
                  "language": "fr"}
    values.update(changes)
    return Variant(**values)


def build(factory: MessageFactory | None = None, **changes) -> bytes:
    values = {"name": "Raphaël Sart", "address": "raphael.sart@example.org",
                  "salutation": "Monsieur Sart", "now": NOW,
                  "message_id": new_message_id("mailout-1:42", "cnes.fr")}
    values.update(changes)
    return (factory or MessageFactory(variant(), SENDER, domain="cnes.fr")).build(**values)


def parse(raw: bytes) -> EmailMessage:
    check_lines(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        if part["Content-Transfer-Encoding"] in ("quoted-printable", "base64"):
            # RFC 2045: encoded lines are at most 76 characters
            assert max(map(len, part.get_payload().splitlines()), default=0) <= 76
    return message


def check_lines(raw: bytes) -> None:
    """CRLF everywhere, no line over 998 octets, header lines within 78 where they could
    have been folded (one unbreakable word is allowed to stick out)."""
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    for line in lines[: lines.index(b"")]:
        assert len(line) <= 78 or not _foldable(line), line


def _foldable(line: bytes) -> bool:
    """Whether a long header line has a space after its first word (the field name and its
    colon do not count) where it could have been folded within 78 characters."""
    content = len(line) - len(line.lstrip(b" "))
    if content == 0:  # the first line of a field
        content = line.index(b":") + 1
        content += len(line[content:]) - len(line[content:].lstrip(b" "))
    space = line.find(b" ", content)
    return 0 <= space <= 78


def text_of(message: EmailMessage, subtype: str) -> str:
    return message.get_body((subtype,)).get_content().replace("\r\n", "\n")


def structure(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


# -- headers ------------------------------------------------------------------------------

NAMES = [
    "Raphaël Sart",
    "Françoise Millet",
    "Pascale Bresson (CNES Press Office)",
    "Doe, Jane",
    'Jane "JJ" Doe',
    "O'Brien",
    "Dr. Who",
    "back\\slash",
    "jane@example.org",
    "Zoë (Le Monde), «Sciences» <rédaction>",
    "Jean\u00a0Dupont",  # a no-break space is part of the name
    "山田 太郎",
    "Éléonore-Françoise de la Tour d'Auvergne-Lauraguais, Directrice (Communication)",
    "A very long ASCII name, with a comma, that goes on (and on) past sixty characters",
    "=?utf-8?q?not_an_encoded_word?=",
    "Anne =?x?= Marie",
]


@pytest.mark.parametrize("name", NAMES)
def test_display_names_parse_back_exactly(name):
    sender = Sender(name, "pascale.bresson@cnes.fr")
    factory = MessageFactory(variant(), sender, domain="cnes.fr")
    message = parse(build(factory, name=name, address="jane.doe@example.org"))
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "jane.doe@example.org")
    (sender_address,) = message["From"].addresses
    assert (sender_address.display_name, sender_address.addr_spec) == (name, sender.address)
    assert message["To"].defects == () and message["From"].defects == ()


def test_an_empty_name_gives_a_bare_address():
    raw = build(name="  ", address="jane.doe@example.org")
    assert b"\r\nTo: jane.doe@example.org\r\n" in raw
    assert parse(raw)["To"].addresses[0].display_name == ""


SUBJECTS = [
    "Ariane 6 : premier vol commercial réussi",
    ("Sous embargo jusqu'au 12 mars 2025 à 10 h 00 (heure de Paris) : la mission « Ariane 6 »"
    " réussit son premier vol commercial et place en orbite le satellite CSO-3 de la DGA"),
    ("Plain ASCII subject that is long enough to need folding across more than one line of"
    " the header, with no accent at all"),
    "Literal =?utf-8?q?abc?= in a subject",
    "Two  spaces and  élan  twice, é  é",
    "Un lien https://presse.cnes.fr/" + "a" * 120 + " dans le sujet",
    "Запуск «Ариане 6» прошёл успешно — пресс-релиз ЦНЕС о первом коммерческом полёте",
    "阿丽亚娜6号首次商业发射取得圆满成功，法国国家空间研究中心发布新闻稿",
    "",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subjects_round_trip(subject):
    factory = MessageFactory(variant(subject=subject), SENDER, domain="cnes.fr")
    raw = build(factory)
    message = parse(raw)
    assert message["Subject"] == subject
    assert len(message.get_all("Subject")) == 1
    head = raw[raw.index(b"\r\nSubject:") + 2 : raw.index(b"\r\nMIME-Version:")]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))  # always foldable
    assert all(len(word) <= 75 for word in re.findall(rb"=\?utf-8\?q\?[^?]*\?=", head))


def test_the_usual_headers():
    message_id = new_message_id("mailout-1:42", "cnes.fr")
    message = parse(build(message_id=message_id))
    assert message["Date"].datetime == NOW
    assert message["Date"] == format_datetime(NOW)
    assert message["Message-ID"] == message_id and message_id.endswith("@cnes.fr>")
    assert str(message["Reply-To"]) == "presse@cnes.fr"
    assert message["MIME-Version"] == "1.0"
    assert message["Content-Language"] == "fr"
    assert len(message["To"].addresses) == 1
    assert "List-Unsubscribe" not in message and "Auto-Submitted" not in message


def test_a_new_date_for_a_new_now():
    factory = MessageFactory(variant(), SENDER, domain="cnes.fr")
    first = parse(build(factory, now=NOW))
    later = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
    assert parse(build(factory, now=later))["Date"].datetime == later
    assert first["Date"].datetime == NOW


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="timezone"):
        build(now=datetime(2025, 3, 12, 10, 0))


def test_message_ids_come_from_the_seed_only():
    first = new_message_id("mailout-1:42", "cnes.fr")
    assert first == new_message_id("mailout-1:42", "cnes.fr")
    assert first != new_message_id("mailout-1:43", "cnes.fr")
    assert new_message_id("s", "exämple.de").endswith("@xn--exmple-cua.de>")
    factory = MessageFactory(variant(), SENDER, domain="cnes.fr")
    assert factory.message_id("mailout-1:42") == first
    assert parse(build(message_id=first))["Message-ID"].defects == ()


@pytest.mark.parametrize("sender, expected", [
    (Sender("P", "p@cnes.fr", list_unsubscribe_mailto="unsubscribe@cnes.fr"),
     "<mailto:unsubscribe@cnes.fr?subject=unsubscribe>"),
    (Sender("P", "p@cnes.fr", unsubscribe_url="https://presse.cnes.fr/u/{token}?l=fr"),
     "<https://presse.cnes.fr/u/t0k3n?l=fr>"),
    (Sender("P", "p@cnes.fr", list_unsubscribe_mailto="unsubscribe@cnes.fr",
            unsubscribe_url="https://presse.cnes.fr/desabonnement/{token}"),
     ("<mailto:unsubscribe@cnes.fr?subject=unsubscribe>,"
     " <https://presse.cnes.fr/desabonnement/t0k3n>")),
])
def test_list_unsubscribe(sender, expected):
    factory = MessageFactory(variant(), sender, domain="cnes.fr")
    message = parse(build(factory, unsubscribe_token="t0k3n"))
    assert message["List-Unsubscribe"] == expected
    one_click = message.get_all("List-Unsubscribe-Post")
    assert one_click == (["List-Unsubscribe=One-Click"] if sender.unsubscribe_url else None)


def test_unsubscribe_tokens_are_percent_encoded_and_required():
    sender = Sender("P", "p@cnes.fr", unsubscribe_url="https://presse.cnes.fr/u/{token}")
    factory = MessageFactory(variant(), sender, domain="cnes.fr")
    message = parse(build(factory, unsubscribe_token="a b\r\nBcc: x@example.com"))
    encoded = "a%20b%0D%0ABcc%3A%20x%40example.com"
    assert message["List-Unsubscribe"] == f"<https://presse.cnes.fr/u/{encoded}>"
    assert "Bcc" not in message
    with pytest.raises(ValueError, match="unsubscribe_token"):
        build(factory)


@pytest.mark.parametrize("url", ["http://cnes.fr/u/{token}", "https://cnes.fr/u/",
                                 "https://cnes.fr/u/{token}\r\nBcc: x@example.com"])
def test_unsubscribe_urls_are_checked(url):
    with pytest.raises(ValueError, match="unsubscribe_url"):
        MessageFactory(variant(), Sender("P", "p@cnes.fr", unsubscribe_url=url), domain="cnes.fr")


# -- nothing gets into the headers --------------------------------------------------------

EVIL_NAMES = [
    "Eve\r\nBcc: victim@example.com",
    "Eve\nBcc: victim@example.com",
    "Eve\rBcc: victim@example.com",
    "Eve <x@evil>",
    'Eve" <x@evil>, "Mallory',
    "Bcc: victim@example.com",
    "Eve\r\n\r\n<html>body</html>",
    "Ève\r\nBcc: victim@example.com",
    "Eve\x00\x0b\x0c\x85\u2028Bcc: victim@example.com",
    "victim@example.com, other@example.com",
]
EXPECTED_HEADERS = ["Date", "Message-ID", "From", "To", "Reply-To", "Subject", "MIME-Version",
                    "Content-Language", "Content-Type"]


@pytest.mark.parametrize("evil", EVIL_NAMES)
def test_names_and_subjects_cannot_add_headers_or_recipients(evil):
    factory = MessageFactory(variant(subject=evil), Sender(evil, "p@cnes.fr", reply_to="r@cnes.fr"),
                             domain="cnes.fr")
    message = parse(build(factory, name=evil, address="jane@example.org", salutation=evil))
    assert message.keys() == EXPECTED_HEADERS
    assert [a.addr_spec for a in message["To"].addresses] == ["jane@example.org"]
    assert [a.addr_spec for a in message["From"].addresses] == ["p@cnes.fr"]
    assert len(message.get_all("Subject")) == 1
    flat = " ".join(evil.replace("\x85", " ").replace("\u2028", " ").split())
    assert message["To"].addresses[0].display_name.split() == flat.replace("\x00", " ").split()
    assert structure(message) == ["multipart/alternative", "text/plain", "text/html"]


@pytest.mark.parametrize("address", [
    "jane@example.org\r\nBcc: victim@example.com", "jane@example.org\n", "jane doe@example.org",
    "<jane@example.org>", "jane@example.org>, <victim@example.com", "jane@example.org,x@y.org",
    '"jane"@example.org', "jane(x)@example.org", "jane", "@example.org", "jane@", "a@b@c",
    "jane@[192.0.2.1]", "jane@exa\u2028mple.org", "jane\t@example.org",
])
def test_bad_addresses_are_refused(address):
    with pytest.raises(ValueError):
        build(address=address)
    with pytest.raises(ValueError):
        MessageFactory(variant(), Sender("P", address), domain="cnes.fr")
    with pytest.raises(ValueError):
        MessageFactory(variant(), Sender("P", "p@cnes.fr", reply_to=address), domain="cnes.fr")


@pytest.mark.parametrize("message_id", ["<a@b>\r\nBcc: x@example.com", "a@b", "<a b@c>",
                                        "<a@b@c>", "<é@b>", ""])
def test_bad_message_ids_are_refused(message_id):
    with pytest.raises(ValueError, match="Message-ID"):
        build(message_id=message_id)


@pytest.mark.parametrize("changes", [{"language": "fr\r\nBcc: x@example.com"},
                                     {"attachments": (Attachment("a", "text\r\nBcc:", b""),)},
                                     {"attachments": (Attachment("a", "pdf", b""),)}])
def test_bad_languages_and_content_types_are_refused(changes):
    with pytest.raises(ValueError):
        MessageFactory(variant(**changes), SENDER, domain="cnes.fr")


# -- addresses beyond ASCII ---------------------------------------------------------------


def test_a_non_ascii_domain_goes_in_idna_form():
    raw = build(address="jean@exämple.de")
    assert b"<jean@xn--exmple-cua.de>" in raw
    assert parse(raw)["To"].addresses[0].addr_spec == "jean@xn--exmple-cua.de"
    assert not needs_smtputf8("jean@exämple.de")


def test_a_non_ascii_local_part_stays_utf8_and_needs_smtputf8():
    raw = build(address="jéan@exämple.de")
    assert "<jéan@exämple.de>".encode() in raw
    (to,) = parse(raw)["To"].addresses
    assert to.addr_spec.encode("ascii", "surrogateescape").decode("utf-8") == "jéan@exämple.de"
    assert needs_smtputf8("jéan@exämple.de")


# -- structure and bodies -----------------------------------------------------------------


def test_text_and_html_alternative():
    message = parse(build(salutation="Monsieur Sart"))
    assert structure(message) == ["multipart/alternative", "text/plain", "text/html"]
    assert text_of(message, "plain") == TEXT.replace(SALUTATION, "Monsieur Sart")
    assert text_of(message, "html") == HTML.replace(SALUTATION, "Monsieur Sart")
    for part in message.walk():
        if not part.is_multipart():
            assert part.get_content_charset() == "utf-8"
            assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")


def test_the_salutation_is_escaped_in_html_only():
    salutation = 'Chère <b>Zoë</b> & "Ève"'
    message = parse(build(salutation=salutation))
    assert text_of(message, "plain") == TEXT.replace(SALUTATION, salutation)
    escaped = "Chère &lt;b&gt;Zoë&lt;/b&gt; &amp; &quot;Ève&quot;"
    assert text_of(message, "html") == HTML.replace(SALUTATION, escaped)


def _bodies() -> list[str]:
    long_line = "Le lanceur européen " + "très " * 300 + "lourd."
    cases = [long_line + "\n" + SALUTATION + "\n" + long_line,
             SALUTATION, SALUTATION + SALUTATION, f"{SALUTATION} au début", f"à la fin {SALUTATION}",
             "no marker at all, " + "x" * 3000, "x" * 2000 + SALUTATION + "y" * 2000,
             "CRLF\r\nline ends\rand CR\n" + SALUTATION + "\r\n", ".\n" + SALUTATION + "\n.\n",
             "trailing spaces   \n" + SALUTATION + "   \n\ttabs\t\n", "=3D =\n" + SALUTATION + "=",
             "Запуск «Ариане 6» прошёл успешно. " * 40 + SALUTATION + " 阿丽亚娜6号" * 50]
    # the marker at every column around the quoted-printable line limit, after escapes too
    for width in range(70, 80):
        cases.append("a" * width + SALUTATION + "b" * 5)
        cases.append("é" * (width // 3) + "a" * (width % 3) + SALUTATION + "\n")
        cases.append("a" * width + " " + SALUTATION)
    return cases


@pytest.mark.parametrize("body", _bodies())
@pytest.mark.parametrize("salutation", ["Madame Millet", "", "Très cher\nami", "x" * 90 + " ",
                                        "=?utf-8?q?x?= =XX", "é" * 40])
def test_bodies_round_trip_with_the_salutation(body, salutation):
    factory = MessageFactory(variant(text=body, html=body), SENDER, domain="cnes.fr")
    message = parse(build(factory, salutation=salutation))
    expected = body.replace(SALUTATION, salutation).replace("\r\n", "\n").replace("\r", "\n")
    assert text_of(message, "plain") == expected
    assert text_of(message, "html") == expected.replace(
        salutation, salutation.replace("&", "&amp;").replace('"', "&quot;"))
    for part in message.walk():
        assert part.defects == []


def test_mostly_non_latin_text_goes_in_base64():
    body = "Запуск «Ариане 6» прошёл успешно. " * 40 + SALUTATION
    factory = MessageFactory(variant(text=body, html=TEXT), SENDER, domain="cnes.fr")
    message = parse(build(factory, salutation="Мария"))
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain["Content-Transfer-Encoding"] == "base64"
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert text_of(message, "plain") == body.replace(SALUTATION, "Мария")


def test_attachments_in_a_mixed_part():
    attachments = (Attachment("communiqué de presse – été 2025.pdf", "application/pdf", PDF),
                   Attachment('photo "Ariane 6".jpg', "image/JPEG", b"\xff\xd8" + PDF),
                   Attachment("Très long nom de fichier pour un dossier de presse très complet "
                              "avec des accents partout, éèàùç.zip", "application/zip", b""),
                   Attachment("tab\there\r\nBcc: x@example.com.txt", "text/plain", b"hello\n"))
    factory = MessageFactory(variant(attachments=attachments), SENDER, domain="cnes.fr")
    message = parse(build(factory))
    assert structure(message) == ["multipart/mixed", "multipart/alternative", "text/plain",
                                  "text/html", "application/pdf", "image/jpeg",
                                  "application/zip", "text/plain"]
    assert text_of(message, "plain") == TEXT.replace(SALUTATION, "Monsieur Sart")
    found = list(message.iter_attachments())
    assert [part.get_filename() for part in found] == [
        "communiqué de presse – été 2025.pdf", 'photo "Ariane 6".jpg',
        attachments[2].filename, "tab here  Bcc: x@example.com.txt"]
    for part, attachment in zip(found, attachments, strict=True):
        assert part.get_content_disposition() == "attachment"
        assert part["Content-Transfer-Encoding"] == "base64"
        assert part.get_payload(decode=True) == attachment.data
        assert part.get_param("name") is not None
    assert "Bcc" not in message


def test_an_invitation_carries_its_calendar_twice():
    seen = []

    def calendar(name: str, address: str) -> bytes:
        seen.append((name, address))
        return ICS.replace(b"END:VEVENT", f"ATTENDEE;CN={name}:mailto:{address}\r\nEND:VEVENT"
                           .encode())

    attachments = (Attachment("dossier.pdf", "application/pdf", PDF),)
    factory = MessageFactory(variant(attachments=attachments, calendar=calendar), SENDER,
                             domain="cnes.fr")
    message = parse(build(factory, name="Françoise Millet", address="f.millet@example.org"))
    assert seen == [("Françoise Millet", "f.millet@example.org")]
    assert structure(message) == ["multipart/mixed", "multipart/alternative", "text/plain",
                                  "text/html", "text/calendar", "application/pdf",
                                  "application/ics"]
    alternative = message.get_payload()[0]
    inline = alternative.get_payload()[2]
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST" and inline.get_content_charset() == "utf-8"
    assert inline["Content-Type"].params == {"charset": "UTF-8", "method": "REQUEST"}
    assert inline.get_content_disposition() is None
    expected = calendar("Françoise Millet", "f.millet@example.org")
    assert inline.get_payload(decode=True) == expected
    assert inline["Content-Transfer-Encoding"] == "quoted-printable"  # "ç" in the CN
    attached = list(message.iter_attachments())[-1]
    assert attached.get_filename() == "invite.ics"
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_payload(decode=True) == expected


@pytest.mark.parametrize("ics, encoding", [
    (ICS, "7bit"),
    (ICS.replace(b"\r\n", b"\n"), "7bit"),  # sent with CRLF, attached as it came
    (ICS.replace(b"Point presse", "Point presse à Paris".encode()), "quoted-printable"),
    (ICS.replace(b"Point presse", b"--=_alt_ in a summary"), "quoted-printable"),
    (ICS.replace(b"Point presse", b"x" * 1200), "quoted-printable"),
])
def test_inline_calendar_encoding(ics, encoding):
    factory = MessageFactory(variant(calendar=lambda name, address: ics), SENDER,
                             domain="cnes.fr")
    message = parse(build(factory))
    inline = message.get_body(("calendar",)) or message.get_payload()[0].get_payload()[2]
    assert inline["Content-Transfer-Encoding"] == encoding
    canonical = ics.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert inline.get_payload(decode=True) == canonical
    assert list(message.iter_attachments())[-1].get_payload(decode=True) == ics


def test_a_single_variant_serves_many_recipients():
    factory = MessageFactory(variant(attachments=(Attachment("a.pdf", "application/pdf", PDF),)),
                             SENDER, domain="cnes.fr")
    for number, name in enumerate(["Raphaël Sart", "Doe, Jane", "Françoise Millet"]):
        address = f"r{number}@example.org"
        message = parse(build(factory, name=name, address=address, salutation=name,
                              message_id=factory.message_id(f"m:{number}")))
        assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [(name, address)]
        assert text_of(message, "plain") == TEXT.replace(SALUTATION, name)


# -- the same message as EmailMessage would make ------------------------------------------


def test_same_content_as_email_message():
    sender = Sender("Pascale Bresson (CNES Press Office)", "pascale.bresson@cnes.fr",
                    reply_to="presse@cnes.fr", list_unsubscribe_mailto="unsubscribe@cnes.fr",
                    unsubscribe_url="https://presse.cnes.fr/u/{token}")
    subject = "Sous embargo jusqu'au 12 mars 2025 à 10 h 00 : la mission « Ariane 6 » réussit"
    attachment = Attachment("communiqué.pdf", "application/pdf", PDF)
    factory = MessageFactory(variant(subject=subject, attachments=(attachment,)), sender,
                             domain="cnes.fr")
    message_id = factory.message_id("m:1")
    ours = parse(build(factory, name="Raphaël Sart", address="raphael@example.org",
                       salutation="Cher Raphaël", message_id=message_id, unsubscribe_token="tok"))

    reference = EmailMessage()
    reference["Date"] = format_datetime(NOW)
    reference["Message-ID"] = message_id
    reference["From"] = Address(sender.name, addr_spec=sender.address)
    reference["To"] = Address("Raphaël Sart", addr_spec="raphael@example.org")
    reference["Reply-To"] = "presse@cnes.fr"
    reference["Subject"] = subject
    reference["List-Unsubscribe"] = ("<mailto:unsubscribe@cnes.fr?subject=unsubscribe>, "
                                     "<https://presse.cnes.fr/u/tok>")
    reference["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    reference.set_content(TEXT.replace(SALUTATION, "Cher Raphaël"))
    reference.add_alternative(HTML.replace(SALUTATION, "Cher Raphaël"), subtype="html")
    reference.add_attachment(PDF, maintype="application", subtype="pdf",
                             filename="communiqué.pdf")
    reference["Content-Language"] = "fr"  # after: make_mixed() moves Content-* headers down
    theirs = email.message_from_bytes(reference.as_bytes(), policy=email.policy.default)

    for field in ("Date", "Message-ID", "Subject", "Content-Language", "List-Unsubscribe",
                  "List-Unsubscribe-Post", "MIME-Version", "Reply-To", "From", "To"):
        assert str(ours[field]) == str(theirs[field]), field
    for field in ("From", "To", "Reply-To"):
        assert ours[field].addresses == theirs[field].addresses
    assert structure(ours) == structure(theirs)
    for subtype in ("plain", "html"):
        assert text_of(ours, subtype) == text_of(theirs, subtype)
    (ours_pdf,), (theirs_pdf,) = ours.iter_attachments(), theirs.iter_attachments()
    assert ours_pdf.get_filename() == theirs_pdf.get_filename() == "communiqué.pdf"
    assert ours_pdf.get_content() == theirs_pdf.get_content() == PDF


# -- the module's own rules ---------------------------------------------------------------


@pytest.mark.parametrize("module", [messages, headers], ids=["messages", "headers"])
def test_no_clock_and_no_randomness_inside(module):
    source = Path(module.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert not imported & {"random", "secrets", "time", "uuid", "os", "socket"}
    assert ".now(" not in source and "make_msgid" not in source and "today(" not in source

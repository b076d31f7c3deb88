"""pressctl.releases.messages with inline images and the per-recipient unsubscribe link:
multipart/related beside the text, each cid: of the HTML naming a part, the link filled in
per recipient (escaped in HTML). Every message is read back with Python's e-mail parser."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from pictures import gif_header, png

from pressctl.releases.messages import (
    SALUTATION,
    UNSUBSCRIBE,
    Attachment,
    InlineImage,
    MessageFactory,
    Sender,
    Variant,
    new_content_id,
    new_message_id,
)

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
SENDER = Sender("Pascale Bresson (CNES)", "pascale.bresson@cnes.fr",
                list_unsubscribe_mailto="presse@cnes.fr")
ONE_CLICK = Sender("Pascale Bresson (CNES)", "pascale.bresson@cnes.fr",
                   list_unsubscribe_mailto="presse@cnes.fr",
                   unsubscribe_url="https://presse.cnes.fr/unsubscribe?t={token}&l=fr")
LOGO = png(8, 4)
PHOTO = gif_header(3, 2)
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pressctl//EN\r\nMETHOD:REQUEST\r\n"
       b"BEGIN:VEVENT\r\nUID:x@cnes.fr\r\nSUMMARY:Point presse\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def images() -> tuple[InlineImage, ...]:
    return (InlineImage(new_content_id(LOGO, "cnes.fr"), "logo.png", "image/png", LOGO),
            InlineImage(new_content_id(PHOTO, "cnes.fr"), "pas de tir.gif", "image/gif", PHOTO))


def variant(**changes) -> Variant:
    logo, photo = images()
    values = {
        "subject": "Ariane 6", "language": "fr", "images": images(),
        "text": f"Bonjour {SALUTATION},\n[pas de tir.gif]\n-- \nDésinscription :\n{UNSUBSCRIBE}\n",
        "html": (f'<p><img src="{logo.url}" alt="CNES"></p><p>Bonjour {SALUTATION},</p>'
                 f'<figure><img src="{photo.url}" alt="Le pas de tir"></figure>'
                 f'<p><a href="{UNSUBSCRIBE}">Désinscription</a></p>\n'),
    }
    values.update(changes)
    return Variant(**values)


def build(variant: Variant, sender: Sender = SENDER, token: str = "", address: str =
          "raphael.sart@example.org", salutation: str = "Monsieur Sart") -> EmailMessage:
    raw = MessageFactory(variant, sender, domain="cnes.fr").build(
        name="Raphaël Sart", address=address, salutation=salutation, now=NOW,
        message_id=new_message_id(f"m/{address}", "cnes.fr"), unsubscribe_token=token)
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert not [d for part in message.walk() for d in part.defects]
    return message


def structure(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def resolve(message: EmailMessage) -> dict[str, EmailMessage]:
    """Every cid: of the HTML -> the part whose Content-ID it names (as a client does)."""
    parts = {str(part["Content-ID"]): part for part in message.walk() if part["Content-ID"]}
    return {cid: parts.get(f"<{cid}>") for cid in re.findall(r'src="cid:([^"]+)"',
                                                           html_of(message))}


def test_the_html_and_its_images_are_one_related_part():
    message = build(variant())
    assert structure(message) == ["multipart/alternative", "text/plain", "multipart/related",
                                  "text/html", "image/png", "image/gif"]
    related = message.get_payload()[1]
    assert related.get_param("type") == "text/html"
    assert related.get_payload()[0].get_content_type() == "text/html"  # the root comes first


def test_every_cid_names_a_part_with_the_image_bytes():
    message = build(variant())
    found = resolve(message)
    assert len(found) == 2 and all(part is not None for part in found.values())
    logo, photo = found.values()
    assert logo.get_content() == LOGO and photo.get_content() == PHOTO
    assert logo.get_content_disposition() == "inline" and logo.get_filename() == "logo.png"
    assert photo.get_filename() == "pas de tir.gif"  # RFC 2231 for the space, read back
    assert photo["Content-Transfer-Encoding"] == "base64"


def test_with_a_calendar_and_attachments_the_related_part_stays_in_the_alternative():
    message = build(variant(calendar=lambda name, address: ICS,
                            attachments=(Attachment("dossier.pdf", "application/pdf",
                                                    b"%PDF-1.7 x"),)))
    assert structure(message) == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
        "text/html", "image/png", "image/gif", "text/calendar", "application/pdf",
        "application/ics"]
    assert all(part is not None for part in resolve(message).values())
    assert message.get_body(("html",)) is not None  # the reader's choice of body still works


def test_without_images_there_is_no_related_part():
    message = build(variant(images=(), html=f"<p>Bonjour {SALUTATION}</p>"))
    assert structure(message) == ["multipart/alternative", "text/plain", "text/html"]


def test_a_content_id_depends_on_the_bytes_only():
    assert new_content_id(LOGO, "cnes.fr") == new_content_id(LOGO, "cnes.fr")
    assert new_content_id(LOGO, "cnes.fr") != new_content_id(PHOTO, "cnes.fr")
    assert re.fullmatch(r"<img\.[0-9a-f]{24}@xn--prss-cpa\.fr>", new_content_id(LOGO, "préss.fr"))


@pytest.mark.parametrize("content_id", ["img@cnes.fr", "<a b@cnes.fr>", "<x@y>\r\nBcc: v@x"])
def test_a_bad_content_id_is_refused(content_id):
    bad = InlineImage(content_id, "logo.png", "image/png", LOGO)
    with pytest.raises(ValueError, match="Content-ID"):
        MessageFactory(variant(images=(bad,)), SENDER, domain="cnes.fr")


# -- the unsubscribe link --------------------------------------------------------------


def test_the_link_is_the_mailto_without_a_one_click_page():
    message = build(variant())
    mailto = "mailto:presse@cnes.fr?subject=unsubscribe"
    assert f'<a href="{mailto}">' in html_of(message)
    assert text_of(message).endswith(f"\n{mailto}\n")
    assert str(message["List-Unsubscribe"]) == f"<{mailto}>"


def test_the_link_is_each_recipients_one_click_url_escaped_in_html():
    first = build(variant(), ONE_CLICK, token="tok-1", address="a@example.org")
    second = build(variant(), ONE_CLICK, token="tok/2", address="b@example.org")
    for message, token in ((first, "tok-1"), (second, "tok%2F2")):
        url = f"https://presse.cnes.fr/unsubscribe?t={token}&l=fr"
        assert f'<a href="{url.replace("&", "&amp;")}">' in html_of(message)
        assert text_of(message).endswith(f"\n{url}\n")
        assert f"<{url}>" in str(message["List-Unsubscribe"])  # the header's own URL
    assert "tok-1" not in html_of(second)


def test_the_salutation_and_the_link_fill_every_hole_in_both_encodings():
    # mostly non-Latin text goes base64: the holes are filled there too
    text = "日本語のテキスト" * 40 + f"\n{SALUTATION} {UNSUBSCRIBE} {SALUTATION}\n"
    message = build(variant(text=text), ONE_CLICK, token="t1", salutation="M. <Sart>")
    assert message.get_body(("plain",))["Content-Transfer-Encoding"] == "base64"
    body = text_of(message)
    assert body.endswith("\nM. <Sart> https://presse.cnes.fr/unsubscribe?t=t1&l=fr M. <Sart>\n")
    assert "Bonjour M. &lt;Sart&gt;," in html_of(message)
    assert "\x00" not in body and "\x00" not in html_of(message)

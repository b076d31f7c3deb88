"""A branded mailout, frozen then delivered: the images travel in the frozen variant (and
survive a rebuild from it), and each recipient's footer links their own one-click
unsubscribe URL, the one of their List-Unsubscribe header, in the HTML and the text."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
from pathlib import Path

import pytest
from conftest import SAMPLES
from mailing import APPROVED, KEY, Clock, deliver, edit_front, release
from pictures import png

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.config import SenderSettings
from pressctl.config.branding import BrandingSettings
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery import mailouts as mailout
from pressctl.delivery.frozen import freeze, thaw
from pressctl.delivery.transport import RecordingTransport
from pressctl.releases.messages import InlineImage, Sender, Variant
from pressctl.releases.templating import Templates

URL = "https://presse.example.org/unsubscribe?t={token}"


@pytest.fixture
def branded(book, tmp_path):
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    (tmp_path / "logo.png").write_bytes(png(120, 40))
    book.settings = dataclasses.replace(
        book.settings, sender=SenderSettings(unsubscribe_url=URL),
        branding=BrandingSettings(logo=tmp_path / "logo.png", footer={"*": "CNES Press"}))
    return book


def with_picture(tmp_path: Path) -> Path:
    path = release(tmp_path, embargo=None)
    edit_front(path, "Body of the release.", "Body of the release.\n\n![The pad](pad.png)")
    (tmp_path / "pad.png").write_bytes(png(640, 320))
    return path


def test_each_recipient_gets_their_own_link_and_the_images(branded, tmp_path):
    path = with_picture(tmp_path)
    plans = mailout.plan_mailouts(branded, path, now=APPROVED, at=None, audience=None)
    [mid] = mailout.store_mailouts(branded, plans, Templates(), path=path, token_key=KEY)
    transport = RecordingTransport()
    deliver(branded, Clock(APPROVED), transport)
    tokens = {row.address: row.token for row in branded.store.mailouts.rows(mid)}
    assert len(transport.sent) == len(tokens) > 1
    links = set()
    for _, address, data in transport.sent:
        message = email.message_from_bytes(data, policy=email.policy.default)
        url = URL.format(token=tokens[address])
        assert f"<{url}>" in str(message["List-Unsubscribe"])
        markup = message.get_body(("html",)).get_content()
        assert f'href="{url}"' in markup
        assert message.get_body(("plain",)).get_content().rstrip().endswith(url)
        links.add(url)
        parts = {str(p["Content-ID"]): p.get_content() for p in message.walk()
                 if p["Content-ID"]}
        cids = re.findall(r'src="cid:([^"]+)"', markup)
        assert [parts[f"<{cid}>"] for cid in cids] == [(tmp_path / "logo.png").read_bytes(),
                                                      (tmp_path / "pad.png").read_bytes()]
    assert len(links) == len(tokens)  # one link per recipient, never shared


def test_a_frozen_variant_keeps_its_images():
    image = InlineImage("<img.1@cnes.fr>", "pad de tir.png", "image/png", png(3, 3))
    variant = Variant("Ariane", "text", '<img src="cid:img.1@cnes.fr">', "fr", images=(image,))
    sender = Sender("CNES", "presse@cnes.fr", unsubscribe_url=URL)
    thawed, same_sender = thaw(freeze(variant, sender))
    assert thawed == variant and same_sender == sender


def test_a_variant_frozen_before_images_thaws_without_them():
    blob = freeze(Variant("Ariane", "text", "<p>x</p>", "fr"), Sender("CNES", "presse@cnes.fr"))
    old = blob.replace(b', "images": []', b"")
    assert b"images" not in old
    assert thaw(old)[0].images == ()

"""Proofs (pressctl.delivery.proof): the real message one recipient would get, delivered to
the press officer's own address through the configured transport, against a real SMTP
server (aiosmtpd on loopback) and the home's Maildir, read back with Python's e-mail
parser and icalendar.

The sample book and the example release (en + fr, embargo and press conference) moved to
2099, proofed on 2 March 2030: before the lift, so that who accepts embargoes gets the
embargoed copy and the others the public one, as `mailout create` would decide now.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import NOW, REPO, SAMPLES, db_snapshot, home_location
from icalendar import Calendar
from mailing import APPROVED, Clock, deliver, embargoed_release
from smtp_fixtures import AUTH_PASSWORD, AUTH_USER

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.book.unsubscribe import InvalidToken, opt_out_by_token, token_holder
from pressctl.config import load_settings
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.proof import (
    PROOF_HEADER,
    PROOF_TOKEN,
    ProofReport,
    proof_subject,
    send_proof,
)
from pressctl.delivery.run import transport_for
from pressctl.delivery.transport import RecordingTransport
from pressctl.delivery.unsubscribe import TOKEN_LENGTH, load_key
from pressctl.delivery.unsubscribe_app import token_verifier
from pressctl.errors import ConfigError, DeliveryFailed, InvalidInput
from pressctl.releases.checking import load_release_set
from pressctl.releases.recipients import select_recipients
from pressctl.releases.templating import Templates
from pressctl.store import Store

OFFICER = "pascale.bresson@cnes.fr"  # the press officer proofing: the release's sender
CLAIRE = "claire.fontaine@gazette-espace.example.org"  # fr, accepts embargoes
ANAIS = "anais.gauthier@sante-hebdo.example.org"  # fr, does not accept embargoes
HARRIET = "harriet.pennington@orbit-weekly.example.com"  # en, accepts embargoes
ELODIE = "elodie.marchand@example.net"  # opted out
UNSUBSCRIBE_URL = "https://presse.example.org/unsubscribe?t={token}"


# --------------------------------------------------------------------------- helpers


def write_config(home: Path, server=None, **smtp) -> None:
    """config.toml: [smtp] pointing at ``server`` (none: the Maildir default) and a
    one-click unsubscribe URL."""
    lines = []
    if server is not None:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {server.port}",
                  f'security = "{server.security}"']
        if server.ca_file:
            lines.append(f'ca_file = "{server.ca_file}"')
        lines += [f'{key} = "{value}"' for key, value in smtp.items()]
    lines += ["[sender]", f'unsubscribe_url = "{UNSUBSCRIBE_URL}"']
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def opened(home: Path) -> Iterator[Book]:
    """The home's book with the settings of its config.toml (closed after)."""
    store = Store.open(home_location(home), create=False)
    try:
        yield Book(store, load_settings(home / "config.toml"), NOW, actor="pascale")
    finally:
        store.close()


@pytest.fixture
def sample_home(home: Path) -> Path:
    """``home`` holding the sample organisations and contacts."""
    write_config(home)
    with opened(home) as book:
        import_orgs(book, SAMPLES / "organizations.json")
        import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return home


@pytest.fixture
def embargoed(tmp_path: Path) -> Path:
    """The example release (en + fr, embargo, press conference) moved to 2099."""
    return embargoed_release(tmp_path, "release")


def proof(home: Path, path: Path, as_contact: str | None, *, to: str = OFFICER,
          env: dict[str, str] | None = None, audience: str | None = None) -> ProofReport:
    """send_proof as the CLI calls it: the configured transport of ``home``."""
    with opened(home) as book:
        return send_proof(book, path, to=to, as_contact=as_contact, audience=audience,
                          templates=Templates(), now=APPROVED,
                          transports=transport_for(book.settings, home, env or {}))


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def only_message(server) -> email.message.EmailMessage:
    """The one message the server received, checked to have gone to the officer only."""
    [received] = server.messages
    assert received.rcpt_tos == [OFFICER]
    return parse(received.data)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def calendar_of(message) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def real_mailout(home: Path, path: Path, transport: RecordingTransport) -> dict[str, bytes]:
    """Approve ``path`` as `mailout create` does and deliver its embargoed phase to
    ``transport``: recipient -> the message they received."""
    with opened(home) as book:
        plans = plan_mailouts(book, path, at=None, audience=None, now=APPROVED)
        store_mailouts(book, plans, Templates(), path=path,
                       token_key=load_key(home / "unsubscribe.key"))
        deliver(book, Clock(APPROVED), transport)
    return {recipient: data for _, recipient, data in transport.sent}


# --------------------------------------------------------------------------- the message


def test_the_proof_goes_only_to_the_officer_marked_proof_once(sample_home, smtp_server,
                                                              embargoed):
    write_config(sample_home, smtp_server)
    report = proof(sample_home, embargoed, CLAIRE)
    [received] = smtp_server.messages
    assert received.rcpt_tos == [OFFICER]  # the envelope: never the journalist
    assert received.mail_from == OFFICER  # the plain sender: no bounce token
    message = parse(received.data)
    subject = str(message["Subject"])
    assert subject.startswith("[PROOF] ") and subject.count("[PROOF]") == 1
    assert subject == report.subject
    assert str(message["To"]) == OFFICER
    assert CLAIRE not in received.data.decode("utf-8", "replace")
    assert message[PROOF_HEADER] == (f"copy of PR106-2020 for contact #{report.contact_id}, "
                                     "embargoed, fr; never sent to the contact")
    assert (report.to, report.address, report.chosen) == (OFFICER, CLAIRE, True)
    assert report.via == f"smtp 127.0.0.1:{smtp_server.port} (plain)"


def test_the_proof_prefix_is_never_doubled(sample_home, smtp_server, embargoed):
    assert proof_subject("[PROOF] Title") == "[PROOF] Title"
    assert proof_subject("Title") == "[PROOF] Title"
    for version in embargoed.parent.glob("*.md"):  # a title left as a proof's
        text = version.read_text(encoding="utf-8")
        version.write_text(text.replace('title = "', 'title = "[PROOF] ', 1), encoding="utf-8")
    write_config(sample_home, smtp_server)
    proof(sample_home, embargoed, ANAIS)  # the public copy: its subject is the title
    subject = str(only_message(smtp_server)["Subject"])
    assert subject.startswith("[PROOF] Le CNES") and subject.count("[PROOF]") == 1
    assert "[PROOF]" in text_of(only_message(smtp_server))  # the title as sent, seen


def test_a_french_contact_gets_the_french_version_with_their_salutation(
        sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    french = proof(sample_home, embargoed, CLAIRE)
    english = proof(sample_home, embargoed, "Harriet Pennington")  # by name
    fr, en = (parse(m.data) for m in smtp_server.messages)
    assert {tuple(m.rcpt_tos) for m in smtp_server.messages} == {(OFFICER,)}
    assert (french.language, english.language) == ("fr", "en")
    assert fr["Content-Language"] == "fr" and en["Content-Language"] == "en"
    assert "Bonjour Claire Fontaine," in text_of(fr)
    assert "Le CNES s'associe" in str(fr["Subject"])
    assert "Dear Harriet Pennington," in text_of(en)
    assert "CNES partners with French Radiology Society" in str(en["Subject"])


def test_an_embargoed_copy_only_for_a_contact_who_accepts_embargoes(sample_home, smtp_server,
                                                                    embargoed):
    write_config(sample_home, smtp_server)
    accepts = proof(sample_home, embargoed, CLAIRE)
    refuses = proof(sample_home, embargoed, ANAIS)
    embargoed_copy, public_copy = (parse(m.data) for m in smtp_server.messages)
    assert (accepts.embargoed, refuses.embargoed) == (True, False)
    assert str(embargoed_copy["Subject"]).startswith("[PROOF] EMBARGO")
    assert "Sous embargo jusqu'au" in text_of(embargoed_copy)
    assert "EMBARGO" not in str(public_copy["Subject"])
    assert "embargo" not in text_of(public_copy).lower()
    assert "Bonjour Anaïs Gauthier," in text_of(public_copy)


def test_once_the_embargo_has_lifted_everyone_gets_the_public_copy(sample_home, smtp_server,
                                                                   tmp_path):
    path = tmp_path / "PR106-2020.en.md"  # the example as it is: its embargo lifted in 2020
    for language in ("en", "fr"):
        source = REPO / "examples" / f"PR106-2020.{language}.md"
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"),
                                            encoding="utf-8")
    write_config(sample_home, smtp_server)
    report = proof(sample_home, path, CLAIRE)
    assert not report.embargoed
    assert "EMBARGO" not in str(only_message(smtp_server)["Subject"])


def test_the_invitation_is_the_real_request_with_the_uid_of_the_real_mailout(
        sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    report = proof(sample_home, embargoed, CLAIRE)
    assert report.calendar
    invitation = calendar_of(only_message(smtp_server))
    real = calendar_of(parse(real_mailout(sample_home, embargoed, RecordingTransport())[CLAIRE]))
    assert invitation["METHOD"] == real["METHOD"] == "REQUEST"
    [event] = invitation.walk("VEVENT")
    [real_event] = real.walk("VEVENT")
    assert str(event["UID"]) == str(real_event["UID"])
    assert event["DTSTART"].dt == real_event["DTSTART"].dt
    assert str(event["SUMMARY"]) == str(real_event["SUMMARY"])
    # An "Accept" clicked in the proof answers as the officer, never as the journalist.
    assert str(event["ATTENDEE"]) == f"mailto:{OFFICER}"
    assert str(real_event["ATTENDEE"]) == f"mailto:{CLAIRE}"


def test_attachments_travel_with_the_proof(sample_home, smtp_server, embargoed):
    pdf = b"%PDF-1.4\n% the fact sheet\n" + bytes(range(256))
    for language in ("en", "fr"):
        version = embargoed.with_name(f"PR106-2020.{language}.md")
        text = version.read_text(encoding="utf-8")
        version.write_text(text.replace("\n[event]", '\nattachments = ["fact-sheet.pdf"]\n'
                                        "\n[event]", 1), encoding="utf-8")
    (embargoed.parent / "fact-sheet.pdf").write_bytes(pdf)
    write_config(sample_home, smtp_server)
    report = proof(sample_home, embargoed, HARRIET)
    assert report.attachments == 1
    files = {part.get_filename(): part.get_payload(decode=True)
             for part in only_message(smtp_server).iter_attachments()}
    assert files["fact-sheet.pdf"] == pdf
    assert "invite.ics" in files


def test_without_as_the_first_recipient_of_the_audience_is_proofed_and_named(
        sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    report = proof(sample_home, embargoed, None)
    with opened(sample_home) as book:
        first = select_recipients(book, load_release_set(embargoed, APPROVED.date()))[0]
    assert (report.contact_id, report.address) == (first.contact.id, first.address)
    assert not report.chosen and "the first of the audience" in report.summary()
    assert first.contact.name in report.summary()
    only_message(smtp_server)


def test_the_maildir_is_the_default_transport(sample_home, embargoed):
    report = proof(sample_home, embargoed, CLAIRE)  # no [smtp]: the home's Maildir
    assert report.via == f"Maildir {sample_home / 'outbox'}"
    box = mailbox.Maildir(sample_home / "outbox", factory=None, create=False)
    [key] = box.keys()
    message = parse(box.get_bytes(key))
    assert message["Delivered-To"] == OFFICER and str(message["To"]) == OFFICER
    assert str(message["Subject"]).startswith("[PROOF] EMBARGO")
    assert "Bonjour Claire Fontaine," in text_of(message)


def test_smtp_password_and_tls_rules_apply_to_a_proof(sample_home, auth_server, embargoed):
    write_config(sample_home, auth_server, username=AUTH_USER, password_env="SMTP_PASSWORD")
    with pytest.raises(ConfigError, match="SMTP_PASSWORD"):
        proof(sample_home, embargoed, CLAIRE, env={})
    assert auth_server.messages == []
    proof(sample_home, embargoed, CLAIRE, env={"SMTP_PASSWORD": AUTH_PASSWORD})
    [received] = auth_server.messages
    assert received.tls and received.login == AUTH_USER and received.rcpt_tos == [OFFICER]


# --------------------------------------------------------------------------- nothing recorded


def test_a_proof_changes_nothing_in_the_book(sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    real_mailout(sample_home, embargoed, RecordingTransport())  # rows and history to keep
    before = db_snapshot(sample_home)
    proof(sample_home, embargoed, CLAIRE)
    proof(sample_home, embargoed, None)
    assert len(smtp_server.messages) == 2
    assert db_snapshot(sample_home) == before  # no mailout, row, history or trail entry


def test_the_unsubscribe_link_of_a_proof_opts_nobody_out(sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    real = parse(real_mailout(sample_home, embargoed, RecordingTransport())[CLAIRE])
    proof(sample_home, embargoed, CLAIRE)
    message = only_message(smtp_server)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = re.findall(r"<(https://[^>]+)>", str(message["List-Unsubscribe"]))
    token = url.partition("?t=")[2]
    assert token == PROOF_TOKEN
    assert len(token) != TOKEN_LENGTH and "." in token  # never the shape of a real token
    [real_url] = re.findall(r"<(https://[^>]+)>", str(real["List-Unsubscribe"]))
    verify = token_verifier(load_key(sample_home / "unsubscribe.key"))
    before = db_snapshot(sample_home)
    with opened(sample_home) as book:
        assert token_holder(book, real_url.partition("?t=")[2], verify).address == CLAIRE
        with pytest.raises(InvalidToken):
            opt_out_by_token(book, token, verify)
        assert book.store.suppressions.opted_out_keys([email_key(CLAIRE)]) == set()
    assert db_snapshot(sample_home) == before


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("who", "message"), [
    (ELODIE, "#8 Élodie Marchand has opted out: never mailed"),
    (OFFICER, "#1 Pascale Bresson is not in the audience (kind:journalist) of PR106-2020"),
    ("nobody@example.org", "no contact with e-mail nobody@example.org"),
    ("Nobody Known", 'no contact named "Nobody Known"'),
])
def test_a_contact_who_would_get_nothing_is_refused_and_nothing_is_sent(
        sample_home, smtp_server, embargoed, who, message):
    write_config(sample_home, smtp_server)
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        proof(sample_home, embargoed, who, audience="kind:journalist")
    assert refused.value.exit_code == 3
    assert smtp_server.messages == []


def test_the_audience_override_is_the_way_to_proof_someone_outside_the_release_audience(
        sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    with pytest.raises(InvalidInput, match="not in the audience"):
        proof(sample_home, embargoed, OFFICER, audience="kind:journalist")
    report = proof(sample_home, embargoed, OFFICER, audience="tag:cnes")
    assert report.address == OFFICER
    only_message(smtp_server)


def test_a_suppressed_address_is_refused_with_the_reason(sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    with opened(sample_home) as book, book.store.transaction():  # as an older book may hold
        book.store.suppressions.suppress(email_key(CLAIRE), CLAIRE, "bounced", NOW)
    with pytest.raises(InvalidInput, match=f"{CLAIRE} asked never to be mailed"):
        proof(sample_home, embargoed, CLAIRE)
    assert smtp_server.messages == []


def test_a_name_two_contacts_share_is_refused_as_ambiguous(sample_home, smtp_server, embargoed,
                                                           tmp_path):
    twin = tmp_path / "twin.csv"
    twin.write_text("name,emails,tags\nClaire Fontaine,c.fontaine@other.example.org,space\n",
                    encoding="utf-8")
    with opened(sample_home) as book:
        import_file(book, open_contact_file(twin))
    write_config(sample_home, smtp_server)
    with pytest.raises(InvalidInput, match='"Claire Fontaine" names 2 contacts'):
        proof(sample_home, embargoed, "Claire Fontaine")
    assert smtp_server.messages == []


def test_nobody_in_the_audience_is_refused(sample_home, smtp_server, embargoed):
    write_config(sample_home, smtp_server)
    with pytest.raises(InvalidInput, match="nobody to send to"):
        proof(sample_home, embargoed, None, audience="tag:no-such-tag")
    assert smtp_server.messages == []


@pytest.mark.parametrize(("to", "message"), [
    ("pascale.bresson@", "the proof address is not valid"),
    ("me@example.org, you@example.org", "holds 2 addresses"),
    ("", "holds 0 addresses"),
    (CLAIRE, f"{CLAIRE} is the address of #5 Claire Fontaine (journalist)"),
])
def test_a_bad_or_journalists_proof_address_is_refused_and_nothing_is_sent(
        sample_home, smtp_server, embargoed, to, message):
    write_config(sample_home, smtp_server)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        proof(sample_home, embargoed, CLAIRE, to=to)
    assert smtp_server.messages == []


def test_the_proof_address_is_cleaned_as_the_book_cleans_addresses(sample_home, smtp_server,
                                                                   embargoed):
    write_config(sample_home, smtp_server)
    report = proof(sample_home, embargoed, CLAIRE, to="Pascale <Pascale.Bresson@CNES.fr>")
    assert report.to == "Pascale.Bresson@cnes.fr"
    assert smtp_server.messages[0].rcpt_tos == ["Pascale.Bresson@cnes.fr"]


# --------------------------------------------------------------------------- delivery failures


def test_a_relay_that_is_down_fails_the_proof_with_its_reason(sample_home, smtp_server,
                                                              embargoed):
    write_config(sample_home, smtp_server)
    smtp_server.stop()
    with pytest.raises(DeliveryFailed, match=r"cannot reach 127\.0\.0\.1") as failed:
        proof(sample_home, embargoed, CLAIRE)
    assert failed.value.exit_code == 5
    assert "unreachable" in str(failed.value) and "smtp test" in str(failed.value)


def test_a_refused_proof_fails_with_the_servers_reply(sample_home, faulty_server, embargoed):
    write_config(sample_home, faulty_server)
    with pytest.raises(DeliveryFailed, match="550 5.1.1 No such mailbox") as failed:
        proof(sample_home, embargoed, CLAIRE, to="reject.me@example.org")
    assert "(permanent" in str(failed.value) and failed.value.exit_code == 5
    assert faulty_server.messages == []

"""DKIM (pressctl.delivery.dkim): messages built by MessageFactory, signed, then verified
by dkimpy itself against the published TXT record, served by a stub (no network)."""

from __future__ import annotations

import base64
import os
import shlex
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from dkim.canonicalization import CanonicalizationPolicy
from dkim.util import parse_tag_value

from pressctl.config.dkim import SIGNED_HEADERS, DkimSettings, parse_dkim
from pressctl.delivery.dkim import DkimSigner, check_signing, generate_key, relaxed_body
from pressctl.errors import ConfigError, InvalidInput
from pressctl.releases.messages import (
    UNSUBSCRIBE,
    Attachment,
    InlineImage,
    MessageFactory,
    Sender,
    Variant,
)

NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)  # past: dkimpy refuses a t= in the future
SENDER = Sender("Pascale Bresson (CNES Press Office)", "pascale.bresson@cnes.fr",
                reply_to="presse@cnes.fr", list_unsubscribe_mailto="unsubscribe@cnes.fr",
                unsubscribe_url="https://presse.cnes.fr/unsubscribe?t={token}")
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pressctl//EN\r\nMETHOD:REQUEST\r\n"
       b"BEGIN:VEVENT\r\nUID:ariane6@cnes.fr\r\nSUMMARY:Point presse\r\nEND:VEVENT\r\n"
       b"END:VCALENDAR\r\n")
TEXT = "Bonjour {salutation},\n\nLe CNES annonce le lancement réussi d'Ariane 6.\n-- \nCNES\n"


def variant(**changes) -> Variant:
    from pressctl.releases.messages import SALUTATION

    values = {"subject": "Ariane 6 : premier vol commercial réussi",
              "text": TEXT.format(salutation=SALUTATION),
              "html": f"<p>Bonjour {SALUTATION},</p>\n<p>Le CNES annonce\t  le lancement.</p>\n",
              "language": "fr"}
    values.update(changes)
    return Variant(**values)


def message(factory: MessageFactory | None = None, **changes) -> bytes:
    """One recipient's message, as a mailout builds it."""
    factory = factory or MessageFactory(variant(), SENDER, domain="cnes.fr")
    values = {"name": "Raphaël Sart", "address": "raphael.sart@example.org",
              "salutation": "Monsieur Sart", "now": NOW,
              "message_id": factory.message_id("mailout-1:42"), "unsubscribe_token": "tok42"}
    values.update(changes)
    return factory.build(**values)


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dkim")


@pytest.fixture(scope="module")
def pair(key_dir: Path):
    """One key for the module (a 2048-bit key takes a while to make)."""
    return generate_key("press2026", "cnes.fr", key_dir / "dkim-press2026.pem")


@pytest.fixture(scope="module")
def settings(pair) -> DkimSettings:
    return DkimSettings("cnes.fr", "press2026", key_file=pair.key_file)


@pytest.fixture(scope="module")
def signer(settings: DkimSettings) -> DkimSigner:
    return DkimSigner(settings)


def dns(record):
    """A DNS stub for dkimpy: the TXT record of ``record`` (joined from its strings, as
    a resolver joins them), nothing else."""
    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        if name == f"{record.name}.".encode():
            return "".join(record.strings).encode("ascii")
        return None
    return lookup


def verifies(signed: bytes, record) -> bool:
    return dkim.verify(signed, dnsfunc=dns(record))


def tags(signed: bytes) -> dict[bytes, bytes]:
    head, _ = dkim.rfc822_parse(signed)
    assert head[0][0] == b"DKIM-Signature"
    return parse_tag_value(head[0][1])


def signed_fields(signed: bytes) -> list[str]:
    return [n.strip().decode() for n in tags(signed)[b"h"].split(b":")]


def key_secrets(pem: bytes) -> list[str]:
    """Pieces of a private key that must never appear in a message: its PEM lines and
    its DER form as one line of base64."""
    lines = [line for line in pem.decode().splitlines() if not line.startswith("-----")]
    key = serialization.load_pem_private_key(pem, password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    one_line = base64.b64encode(der).decode()
    return lines + [one_line, one_line[:40], one_line[-40:]]


def assert_tells_nothing_of(err: Exception, *secrets: str) -> None:
    text = f"{err}\n{getattr(err, 'hint', '')}\n{err!r}"
    for secret in secrets:
        assert secret not in text


# -- what is signed, and that it verifies -------------------------------------------------

VARIANTS = {
    "text and html": {},
    "invitation with an attachment": {
        "calendar": lambda name, address: ICS,
        "attachments": (Attachment("dossier.pdf", "application/pdf",
                                   bytes(range(256)) * 200),)},
    "long non-ASCII subject": {"subject": "Événement : « lancement » " * 8},
    "inline images and the unsubscribe link": {  # multipart/related, per-recipient link
        "images": (InlineImage("<img.1@cnes.fr>", "logo.png", "image/png",
                               b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20),),
        "html": f'<img src="cid:img.1@cnes.fr" alt="CNES"><a href="{UNSUBSCRIBE}">x</a>\n'},
}


@pytest.mark.parametrize("changes", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_signed_mailout_message_verifies_against_the_published_record(signer, pair, changes):
    factory = MessageFactory(variant(**changes), SENDER, domain="cnes.fr")
    original = message(factory)
    signed = signer.sign(original, now=NOW)
    assert verifies(signed, pair.record)


def test_signing_prepends_one_field_and_keeps_the_message_and_its_crlf(signer):
    original = message()
    signed = signer.sign(original, now=NOW)
    assert signed.startswith(b"DKIM-Signature: ") and signed.endswith(original)
    field = signed[: len(signed) - len(original)]
    assert field.endswith(b"\r\n") and b"\n" not in field.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in field.split(b"\r\n"))


def test_the_signature_is_rsa_sha256_relaxed_relaxed_for_the_domain_and_selector(signer):
    found = tags(signer.sign(message(), now=NOW))
    assert found[b"a"] == b"rsa-sha256" and found[b"c"] == b"relaxed/relaxed"
    assert found[b"d"] == b"cnes.fr" and found[b"s"] == b"press2026"
    assert found[b"t"] == str(int(NOW.timestamp())).encode()
    assert b"l" not in found  # the whole body is signed


def test_the_fields_that_matter_are_signed_including_list_unsubscribe(signer):
    fields = signed_fields(signer.sign(message(), now=NOW))
    assert set(fields) == set(SIGNED_HEADERS)  # this message has every one of them


def test_only_the_fields_a_message_has_are_signed(signer):
    sender = Sender("Presse", "presse@cnes.fr")  # no Reply-To, no List-Unsubscribe
    signed = signer.sign(message(MessageFactory(variant(), sender, domain="cnes.fr")), now=NOW)
    fields = set(signed_fields(signed))
    assert {"reply-to", "list-unsubscribe", "list-unsubscribe-post"}.isdisjoint(fields)
    assert {"from", "to", "subject", "date", "message-id", "content-type"} <= fields


def test_each_signed_field_is_oversigned_so_that_no_copy_can_be_added(signer):
    # Checked on h= itself: dkimpy's verifier counts one From more on its own, so an
    # added From fails there even without oversigning (other verifiers do not do that).
    fields = signed_fields(signer.sign(message(), now=NOW))
    assert fields.count("from") == 2
    assert all(fields.count(name) == 2 for name in SIGNED_HEADERS)


def _replace(signed: bytes, old: bytes, new: bytes) -> bytes:
    assert signed.count(old) == 1, old
    return signed.replace(old, new)


TAMPERING = {
    "body": (b"lancement r=C3=A9ussi", b"lancement rat=C3=A9"),
    "subject": (b"Subject: Ariane 6", b"Subject: Ariane 7"),
    "list-unsubscribe": (b"?t=tok42>", b"?t=tok43>"),
    "list-unsubscribe-post": (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b""),
    "from": (b"<pascale.bresson@cnes.fr>", b"<pascale.bresson@cnes.fr.evil.example>"),
    "to": (b"<raphael.sart@example.org>", b"<someone.else@example.org>"),
}


@pytest.mark.parametrize(("old", "new"), TAMPERING.values(), ids=TAMPERING.keys())
def test_a_message_changed_after_signing_no_longer_verifies(signer, pair, old, new):
    signed = signer.sign(message(), now=NOW)
    assert verifies(signed, pair.record)
    assert not verifies(_replace(signed, old, new), pair.record)


ADDED = {
    "a second From": b"From: Ceo <ceo@cnes.fr>\r\n",
    "a second Subject": b"Subject: Urgent: wire transfer\r\n",
    "a second List-Unsubscribe": b"List-Unsubscribe: <https://evil.example/u>\r\n",
}


@pytest.mark.parametrize("where", ["below the others", "above the signature"])
@pytest.mark.parametrize("field", ADDED.values(), ids=ADDED.keys())
def test_a_field_added_after_signing_breaks_the_signature(signer, pair, field, where):
    signed = signer.sign(message(), now=NOW)
    if where == "above the signature":
        tampered = field + signed
    else:
        end = signed.index(b"\r\n\r\n") + 2
        tampered = signed[:end] + field + signed[end:]
    assert not verifies(tampered, pair.record)


def test_a_message_with_bare_lf_line_ends_is_signed_as_dkimpy_reads_it(signer, pair):
    original = message().replace(b"\r\n", b"\n")
    assert verifies(signer.sign(original, now=NOW), pair.record)


def test_a_message_without_from_cannot_be_signed(signer):
    no_from = b"To: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n"
    with pytest.raises(InvalidInput, match="without a From"):
        signer.sign(no_from)


BODIES = {
    "plain": b"Hello,\r\nworld\r\n",
    "trailing spaces and tabs": b"Hello \t \r\nworld\t\r\n",
    "runs inside lines": b"a  b\t\tc \t d\r\n",
    "a long run": b"x" + b" " * 70 + b"y\r\n",
    "empty lines at the end": b"text\r\n\r\n\r\n \r\n\t\r\n",
    "only empty lines": b"\r\n\r\n\r\n",
    "one crlf": b"\r\n",
    "empty": b"",
    "no final crlf": b"last line  ",
    "a bare cr": b"a \rb  \r\n",
    "leading spaces": b"  indented\r\n\t\tmore\r\n",
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_the_relaxed_body_is_the_one_dkimpy_computes(body):
    expected = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed").canonicalize_body(body)
    assert relaxed_body(body) == expected


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_message_verifies_whatever_its_body_whitespace(signer, pair, body):
    raw = b"From: p@cnes.fr\r\nTo: j@example.org\r\nSubject: s\r\n\r\n" + body
    assert verifies(signer.sign(raw, now=NOW), pair.record)


# -- the key file --------------------------------------------------------------------------


def _copy_key(pair, tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "key.pem"
    path.write_bytes(pair.key_file.read_bytes())
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606], ids=oct)
def test_a_key_file_others_may_read_is_refused(pair, tmp_path, mode):
    path = _copy_key(pair, tmp_path, mode)
    with pytest.raises(ConfigError) as caught:
        DkimSigner(DkimSettings("cnes.fr", "press2026", key_file=path))
    assert str(path) in caught.value.message and f"{mode:04o}" in caught.value.message
    assert caught.value.hint == f"chmod 600 {path}"
    assert_tells_nothing_of(caught.value, *key_secrets(pair.key_file.read_bytes()))


@pytest.mark.parametrize("mode", [0o600, 0o400], ids=oct)
def test_a_key_file_only_its_owner_may_read_is_used(pair, tmp_path, mode):
    path = _copy_key(pair, tmp_path, mode)
    signer = DkimSigner(DkimSettings("cnes.fr", "press2026", key_file=path))
    assert verifies(signer.sign(message(), now=NOW), pair.record)


def test_a_missing_key_file_says_how_to_make_one(tmp_path):
    path = tmp_path / "nowhere.pem"
    with pytest.raises(ConfigError, match="no DKIM private key at") as caught:
        DkimSigner(DkimSettings("cnes.fr", "s1", key_file=path))
    assert str(path) in str(caught.value) and "pressctl dkim keygen" in caught.value.hint


def _private_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "key.pem"
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def test_a_key_file_that_is_not_a_key_is_refused_without_quoting_it(tmp_path):
    garbage = b"-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbCwgc2VjcmV0\n-----END PRIVATE KEY-----\n"
    path = _private_file(tmp_path, garbage)
    with pytest.raises(ConfigError, match="not an RSA private key") as caught:
        DkimSigner(DkimSettings("cnes.fr", "s1", key_file=path))
    assert str(path) in str(caught.value)
    assert_tells_nothing_of(caught.value, "Tm90IGEga2V5IGF0IGFsbCwgc2VjcmV0")


def test_a_key_that_is_not_rsa_is_refused(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = _private_file(tmp_path, pem)
    with pytest.raises(ConfigError, match="not an RSA key") as caught:
        DkimSigner(DkimSettings("cnes.fr", "s1", key_file=path))
    assert_tells_nothing_of(caught.value, *key_secrets(pem))


def test_a_key_encrypted_with_a_passphrase_is_refused_with_the_way_out(pair, tmp_path):
    key = serialization.load_pem_private_key(pair.key_file.read_bytes(), password=None)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"passphrase"))
    path = _private_file(tmp_path, pem)
    with pytest.raises(ConfigError, match="encrypted with a passphrase"):
        DkimSigner(DkimSettings("cnes.fr", "s1", key_file=path))


# -- the key from a command ----------------------------------------------------------------


def _command(tmp_path: Path, *, stdout: str, status: int = 0, stderr: str = "") -> str:
    script = tmp_path / "key_helper.py"
    script.write_text(f"import sys\nsys.stdout.write({stdout!r})\nsys.stderr.write({stderr!r})\n"
                      f"sys.exit({status})\n", encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def _one_line(pair) -> str:
    key = serialization.load_pem_private_key(pair.key_file.read_bytes(), password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return base64.b64encode(der).decode() + "\n"


ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def test_a_key_command_printing_the_key_on_one_line_signs(pair, tmp_path):
    command = _command(tmp_path, stdout=_one_line(pair))
    signer = DkimSigner(DkimSettings("cnes.fr", "press2026", key_command=command), env=ENV)
    assert verifies(signer.sign(message(), now=NOW), pair.record)


def test_a_failing_key_command_is_named_by_its_status_never_by_its_output(pair, tmp_path):
    key = _one_line(pair)
    command = _command(tmp_path, stdout=key, stderr=key, status=3)
    with pytest.raises(ConfigError, match="exit status 3") as caught:
        DkimSigner(DkimSettings("cnes.fr", "s1", key_command=command), env=ENV)
    assert "[dkim] key_command" in str(caught.value) and "private key" in caught.value.hint
    assert_tells_nothing_of(caught.value, *key_secrets(pair.key_file.read_bytes()))


def test_a_key_command_printing_garbage_is_refused_without_quoting_it(tmp_path):
    command = _command(tmp_path, stdout="hunter2-not-a-key-Zm9vYmFy\n")
    with pytest.raises(ConfigError, match="not an RSA private key") as caught:
        DkimSigner(DkimSettings("cnes.fr", "s1", key_command=command), env=ENV)
    assert_tells_nothing_of(caught.value, "hunter2", "Zm9vYmFy")


def test_a_key_command_printing_pem_is_told_to_print_one_line(pair, tmp_path):
    # secret_from reads the first line of a command's output, so a PEM block is cut.
    command = _command(tmp_path, stdout=pair.key_file.read_text())
    with pytest.raises(ConfigError) as caught:
        DkimSigner(DkimSettings("cnes.fr", "s1", key_command=command), env=ENV)
    assert "one line of base64" in caught.value.hint
    assert_tells_nothing_of(caught.value, *key_secrets(pair.key_file.read_bytes()))


def test_a_key_command_that_does_not_exist_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        DkimSigner(DkimSettings("cnes.fr", "s1", key_command="no-such-program-here"), env=ENV)


# -- keygen --------------------------------------------------------------------------------


def test_keygen_writes_a_2048_bit_rsa_key_only_its_owner_may_read(pair):
    assert stat.S_IMODE(pair.key_file.stat().st_mode) == 0o600
    key = serialization.load_pem_private_key(pair.key_file.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048 == pair.bits


def test_keygen_makes_the_key_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        made = generate_key("s1", "cnes.fr", tmp_path / "k.pem")
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.key_file.stat().st_mode) == 0o600


def test_keygen_never_overwrites_a_file(tmp_path):
    path = tmp_path / "existing.pem"
    path.write_text("keep me")
    with pytest.raises(InvalidInput, match="already exists") as caught:
        generate_key("s1", "cnes.fr", path)
    assert "another --out" in caught.value.hint
    assert path.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["existing.pem"]  # no temporary file left


def test_the_txt_record_parses_back_to_the_keys_public_half(pair):
    record = pair.record
    assert record.name == "press2026._domainkey.cnes.fr"
    assert all(len(s) <= 255 for s in record.strings) and "".join(record.strings) == record.value
    parsed = parse_tag_value(record.value.encode())
    assert parsed[b"v"] == b"DKIM1" and parsed[b"k"] == b"rsa"
    published = serialization.load_der_public_key(base64.b64decode(parsed[b"p"]))
    key = serialization.load_pem_private_key(pair.key_file.read_bytes(), password=None)
    assert published.public_numbers() == key.public_key().public_numbers()
    assert record.zone_line.startswith("press2026._domainkey.cnes.fr. IN TXT ( \"v=DKIM1;")
    assert record.zone_line.count('"') == 2 * len(record.strings)


@pytest.mark.parametrize(("selector", "domain", "wrong"), [
    ("press 2026", "cnes.fr", "--selector"),
    ("s_1", "cnes.fr", "--selector"),
    ("s1", "cnes", "--domain"),
    ("s1", "cnes..fr", "--domain"),
    ("s1", "192.0.2.1", "--domain"),
])
def test_keygen_refuses_a_bad_selector_or_domain_and_writes_nothing(tmp_path, selector, domain,
                                                                     wrong):
    with pytest.raises(InvalidInput, match=wrong):
        generate_key(selector, domain, tmp_path / "k.pem")
    assert not (tmp_path / "k.pem").exists()


# -- check ---------------------------------------------------------------------------------


def test_check_signing_verifies_a_sample_and_names_the_record(settings, pair):
    found = check_signing(settings, env={}, now=NOW)
    assert found.record == pair.record and found.bits == 2048
    assert "DKIM signing works" in found.verdict and "d=cnes.fr s=press2026" in found.verdict
    assert "\n" not in found.verdict
    assert {"from", "list-unsubscribe", "list-unsubscribe-post"} <= set(found.signed)


def test_check_signing_refuses_an_unusable_key(pair, tmp_path):
    path = _copy_key(pair, tmp_path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        check_signing(DkimSettings("cnes.fr", "s1", key_file=path), env={}, now=NOW)


# -- the [dkim] table ----------------------------------------------------------------------

WHERE = "/home/presse/.config/pressctl/config.toml"
CONFIG_DIR = Path("/home/presse/.config/pressctl")


def test_parse_dkim_reads_a_table_with_a_key_file_beside_the_config():
    found = parse_dkim({"domain": "CNES.fr.", "selector": "Press2026",
                        "key_file": "dkim-press2026.pem"}, WHERE, CONFIG_DIR)
    assert found == DkimSettings("cnes.fr", "press2026",
                                 key_file=CONFIG_DIR / "dkim-press2026.pem")


def test_parse_dkim_keeps_an_absolute_key_file_and_a_key_command():
    found = parse_dkim({"domain": "cnes.fr", "selector": "s1", "key_file": "/etc/dkim/k.pem"},
                       WHERE, CONFIG_DIR)
    assert found is not None and found.key_file == Path("/etc/dkim/k.pem")
    found = parse_dkim({"domain": "cnes.fr", "selector": "s1", "key_command": "pass dkim"},
                       WHERE, CONFIG_DIR)
    assert found is not None and found.key_command == "pass dkim" and found.key_file is None


def test_parse_dkim_writes_an_international_domain_in_ascii():
    found = parse_dkim({"domain": "académie.fr", "selector": "s1", "key_file": "k.pem"},
                       WHERE, CONFIG_DIR)
    assert found is not None and found.domain == "xn--acadmie-eya.fr"  # as From addresses have it


def test_parse_dkim_without_a_table_means_no_signing():
    assert parse_dkim(None, WHERE, CONFIG_DIR) is None
    assert parse_dkim({}, WHERE, CONFIG_DIR) is None


BAD_TABLES = {
    "a domain that is one label": ({"domain": "cnes"}, "is not a domain name"),
    "a domain with an empty label": ({"domain": "cnes..fr"}, "is not a domain name"),
    "a domain with an underscore": ({"domain": "press_office.cnes.fr"}, "is not a domain name"),
    "an IP address": ({"domain": "192.0.2.1"}, "is not a domain name"),
    "a selector with a space": ({"selector": "press 2026"}, "is not a selector"),
    "a selector ending with a hyphen": ({"selector": "press-"}, "is not a selector"),
    "both key_file and key_command": ({"key_command": "pass dkim"},
                                      "both key_file and key_command"),
    "neither": ({"key_file": None}, "no key_file or key_command"),
    "no domain": ({"domain": None}, "needs a domain"),
    "no selector": ({"selector": None}, "needs a selector"),
    "an unknown key": ({"algorithm": "ed25519"}, "unknown key 'algorithm'"),
    "a number as domain": ({"domain": 42}, "dkim.domain must be text"),
    "headers without from": ({"headers": ["to", "subject"]}, "must include from"),
    "headers with received": ({"headers": ["from", "received"]}, "received must not be signed"),
    "headers not a list": ({"headers": "from"}, "must be a list"),
    "a header name with a colon": ({"headers": ["from", "subject:"]}, "not a header field name"),
}


@pytest.mark.parametrize(("changes", "expected"), BAD_TABLES.values(), ids=BAD_TABLES.keys())
def test_parse_dkim_refuses_a_bad_table_naming_the_file_and_the_fix(changes, expected):
    table: dict = {"domain": "cnes.fr", "selector": "s1", "key_file": "k.pem"}
    table.update(changes)
    table = {k: v for k, v in table.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        parse_dkim(table, WHERE, CONFIG_DIR)
    assert caught.value.message.startswith(f"{WHERE}: ")
    assert expected in caught.value.message
    assert caught.value.hint  # how to fix it

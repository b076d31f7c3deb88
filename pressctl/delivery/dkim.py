"""DKIM (RFC 6376): the [dkim] settings, the signer every message passes through as it
leaves, the key pair `pressctl dkim keygen` makes, and the check `dkim check` runs.

Who does what: dkimpy parses the message, canonicalizes it (relaxed/relaxed), picks the
header fields to hash and folds the DKIM-Signature field, exactly as its own signer does;
the one RSA operation is OpenSSL's, through ``cryptography``, on a key loaded once.
dkimpy's own RSA is pure Python and re-reads the PEM for every message: ~7 ms a message
here, where this signer takes ~0.5 ms, 0.4 of it OpenSSL's signature (which releases the
GIL: sending threads sign in parallel); a mailout signs tens of thousands. Verification
(the check, the tests) is dkimpy's, untouched.

Signed: the fields of SIGNED_HEADERS that the message has, each listed once more than it
occurs ("oversigned"), so that a copy added on the way (a second From, Subject or
List-Unsubscribe that a reader might show instead) breaks the signature. RFC 8058 asks
for List-Unsubscribe and List-Unsubscribe-Post to be signed: they are in the list.

The private key is a secret: a key file must be 0600 or stricter, and no message ever
holds the key, a key command's output or a library's words about either. ``import dkim``
costs ~0.1 s (it loads dnspython's resolver): a run should make its signer only when it
has something to send. :func:`parse_dkim` imports neither library, so that the config
reader can take it over.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.config.dkim import DkimSettings, domain_name, selector_name
from pressctl.errors import ConfigError, InvalidInput

if TYPE_CHECKING:  # cryptography is imported when a key is used: start-up stays lean
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

KEY_BITS = 2048
MIN_KEY_BITS = 1024  # receivers (and dkimpy) ignore signatures by shorter keys
KEY_COMMAND_TIMEOUT = 30.0  # seconds a [dkim] key_command may take
ALGORITHM = b"rsa-sha256"
CANONICALIZATION = b"relaxed/relaxed"
DNS_STRING_MAX = 255  # octets in one character-string of a TXT record (RFC 1035)

_FIELD = b"DKIM-Signature"
# A b= value long enough to sit on a line of its own when the field is first folded, so
# that folding again with the real signature moves nothing before it (dkimpy's way).
_B_PLACEHOLDER = b"0" * 60
_KEY_COMMAND_HINT = ("it must print the private key: PEM, or its DER form as one line of "
                     "base64 (openssl pkey -in KEY.pem -outform DER | base64 -w0)")



# -- keys and their DNS record -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """The TXT record receivers fetch: ``name`` (without the final dot) and ``value``."""

    name: str
    value: str

    @property
    def strings(self) -> tuple[str, ...]:
        """``value`` cut into the character-strings of at most 255 octets a TXT record
        is made of; receivers join them back without spaces."""
        return tuple(self.value[i:i + DNS_STRING_MAX]
                     for i in range(0, len(self.value), DNS_STRING_MAX))

    @property
    def zone_line(self) -> str:
        """The record as a line of a zone file (BIND syntax)."""
        quoted = " ".join(f'"{s}"' for s in self.strings)
        return f"{self.name}. IN TXT ( {quoted} )"


def dns_record(selector: str, domain: str, public_der: bytes) -> DnsRecord:
    """The record publishing ``public_der`` (a SubjectPublicKeyInfo) for a selector."""
    key = base64.b64encode(public_der).decode("ascii")
    return DnsRecord(f"{selector}._domainkey.{domain}", f"v=DKIM1; k=rsa; p={key}")


@dataclass(frozen=True, slots=True)
class KeyPair:
    """What `dkim keygen` made: the private key's file and the record to publish."""

    key_file: Path
    bits: int
    selector: str
    domain: str
    record: DnsRecord

    def config_lines(self, config_dir: Path) -> str:
        """The [dkim] table to add to config.toml (key_file relative when the key is in
        ``config_dir``)."""
        key_file = self.key_file
        if key_file.parent == config_dir:
            key_file = Path(key_file.name)
        values = {"domain": self.domain, "selector": self.selector, "key_file": str(key_file)}
        # A JSON string is a valid TOML basic string (same quotes and escapes).
        return "[dkim]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n"
                                    for k, v in values.items())


def generate_key(selector: str, domain: str, out: Path) -> KeyPair:
    """Write a new 2048-bit RSA private key to ``out`` (PEM, mode 0600, never over an
    existing file: written aside, then linked into place) and return the record to
    publish. InvalidInput for a bad selector or domain, or when ``out`` exists."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    name = domain_name(domain)
    if name is None:
        raise InvalidInput(f"--domain {domain!r} is not a domain name",
                           hint="the domain of your From addresses, e.g. cnes.fr")
    label = selector_name(selector, name)
    if label is None:
        raise InvalidInput(f"--selector {selector!r} is not a DKIM selector",
                           hint="letters, digits and hyphens, e.g. press2026")
    if out.exists():
        raise InvalidInput(f"{out} already exists: nothing was written",
                           hint="keep that key, or give another --out; a new key wants a new "
                                "selector too")
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write_new_private_file(out, pem)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(out, KEY_BITS, label, name, dns_record(label, name, public))


def _write_new_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` holding ``data``, mode 0600, whole or not at all, and only if it
    does not exist (a hard link fails on an existing name, where a rename replaces it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise InvalidInput(f"{path}: cannot write the key ({err.strerror})",
                           hint="name a file in a folder you may write to") from None
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise InvalidInput(f"{path} already exists: nothing was written",
                           hint="keep that key, or give another --out") from None
    except OSError as err:
        raise InvalidInput(f"{path}: cannot write the key ({err.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


def load_private_key(settings: DkimSettings, env: Mapping[str, str],
                     timeout: float = KEY_COMMAND_TIMEOUT) -> RSAPrivateKey:
    """The RSA private key of ``settings``, from its file (0600 or stricter) or its
    command; ConfigError naming the source, never the key."""
    if settings.key_file is not None:
        source = str(settings.key_file)
        data = _read_key_file(settings.key_file)
    else:
        from pressctl.secrets import secret_from

        assert settings.key_command is not None
        source = f'[dkim] key_command "{settings.key_command}"'
        try:
            text = secret_from(None, settings.key_command, env, timeout, "the DKIM key",
                               command_label="[dkim] key_command")
        except ConfigError as err:
            raise ConfigError(err.message, hint=_KEY_COMMAND_HINT) from None
        data = (text or "").encode("utf-8")
    return _rsa_key(data, source)


def _read_key_file(path: Path) -> bytes:
    import stat

    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"no DKIM private key at {path}",
                          hint="make one with `pressctl dkim keygen --selector S --domain D`, "
                               "or fix [dkim] key_file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the DKIM private key ({err.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: the DKIM private key must be a file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path}: the DKIM private key may be read by others "
                          f"(mode {mode:04o}; 0600 or stricter is required)",
                          hint=f"chmod 600 {path}")
    try:
        return path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the DKIM private key ({err.strerror})") from None


def _rsa_key(data: bytes, source: str) -> RSAPrivateKey:
    """The RSA key in ``data``: PEM, or DER as one line of base64 (what a key command
    may print). The library's own words are never passed on: they may quote the data."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = data.strip()
    key = None
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(text, password=None)
        elif text:
            der = base64.b64decode(b"".join(text.split()), validate=True)
            key = serialization.load_der_private_key(der, password=None)
    except TypeError:  # a passphrase-protected key
        raise ConfigError(f"{source}: the DKIM private key is encrypted with a passphrase",
                          hint="pressctl needs it unencrypted (openssl pkey -in KEY -out "
                               "NEW.pem), kept 0600 or behind a key_command") from None
    except Exception:  # ValueError, binascii.Error, UnsupportedAlgorithm...
        key = None
    if key is None:
        hint = (_KEY_COMMAND_HINT if source.startswith("[dkim]") else
                "it must hold a PEM RSA private key, as `pressctl dkim keygen` writes")
        raise ConfigError(f"{source}: not an RSA private key", hint=hint)
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = type(key).__name__.removesuffix("PrivateKey").lstrip("_")
        raise ConfigError(f"{source}: not an RSA key ({kind})",
                          hint="pressctl signs with rsa-sha256: make a key with "
                               "`pressctl dkim keygen`")
    if key.key_size < MIN_KEY_BITS:
        raise ConfigError(f"{source}: the DKIM key has {key.key_size} bits: receivers ignore "
                          f"keys under {MIN_KEY_BITS}",
                          hint="make a 2048-bit key with `pressctl dkim keygen` (new selector)")
    return key


# -- signing -------------------------------------------------------------------------------


class DkimSigner:
    """Signs messages for one [dkim] table; the key is loaded once, here. Holds no state
    between messages: one signer may serve several sending threads."""

    def __init__(self, settings: DkimSettings, *, env: Mapping[str, str] | None = None,
                 timeout: float = KEY_COMMAND_TIMEOUT) -> None:
        import dkim
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, utils
        from dkim.canonicalization import CanonicalizationPolicy

        self.settings = settings
        self._key = load_private_key(settings, env or {}, timeout)
        self._dkim = dkim
        self._policy = CanonicalizationPolicy.from_c_value(CANONICALIZATION)
        self._padding = padding.PKCS1v15()
        self._prehashed = utils.Prehashed(hashes.SHA256())
        self._names = tuple(name.encode("ascii") for name in settings.headers)
        self._tags = [(b"v", b"1"), (b"a", ALGORITHM), (b"c", CANONICALIZATION),
                      (b"d", settings.domain.encode("ascii")),
                      (b"s", settings.selector.encode("ascii"))]
        self.public_der: bytes = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def bits(self) -> int:
        return int(self._key.key_size)

    @property
    def record(self) -> DnsRecord:
        """The TXT record that publishes this key's public half."""
        return dns_record(self.settings.selector, self.settings.domain, self.public_der)

    def __repr__(self) -> str:
        return f"DkimSigner(d={self.settings.domain}, s={self.settings.selector})"

    def sign(self, message: bytes, *, now: datetime | None = None) -> bytes:
        """``message`` (CRLF line ends) with a DKIM-Signature field on top; ``now`` is the
        signing time (t=), the clock's when None. InvalidInput when the message cannot be
        signed (no From field, or a header line that is not a field)."""
        dkim = self._dkim
        try:
            headers, body = self._split(message)
        except dkim.MessageFormatError as err:
            raise InvalidInput(f"cannot DKIM-sign this message: {err}") from None
        names = self._signed_names(headers)
        body_hash = base64.b64encode(hashlib.sha256(body).digest())
        stamp = int(now.timestamp() if now is not None else time.time())
        tags = [*self._tags, (b"t", str(stamp).encode("ascii")), (b"h", b" : ".join(names)),
                (b"bh", body_hash), (b"b", _B_PLACEHOLDER)]
        # The hash covers the field as it will be sent, its b= value left empty.
        draft = dkim.fold(b"; ".join(k + b"=" + v for k, v in tags), namelen=len(_FIELD))
        unsigned = dkim.RE_BTAG.sub(rb"\1", draft)
        digest = hashlib.sha256()
        dkim.hash_headers(digest, self._policy, self._policy.canonicalize_headers(headers),
                          names, (_FIELD, b" " + unsigned), None)
        signature = self._key.sign(digest.digest(), self._padding, self._prehashed)
        tags[-1] = (b"b", base64.b64encode(signature))
        value = dkim.fold(b"; ".join(k + b"=" + v for k, v in tags) + b"\r\n",
                          namelen=len(_FIELD))
        return _FIELD + b": " + value + message

    def _split(self, message: bytes) -> tuple[list, bytes]:
        """(the header fields as dkimpy parses them, the canonical body). dkimpy splits
        the whole message into lines and canonicalizes the body with three regular
        expressions: ~13 ms for a 280 KB attachment, 25 times the RSA signature. A message
        with CRLF line ends only (what MessageFactory builds) takes the same steps in C:
        dkimpy parses the header block alone, and :func:`relaxed_body` gives the body."""
        end = message.find(b"\r\n\r\n")
        if end < 0 or message.startswith(b"\r\n") or \
                message.count(b"\n") != message.count(b"\r\n"):
            headers, body = self._dkim.rfc822_parse(message)  # bare LFs: dkimpy's own way
            return headers, self._policy.canonicalize_body(body)
        headers, _ = self._dkim.rfc822_parse(message[:end + 4])
        return headers, relaxed_body(message[end + 4:])

    def _signed_names(self, headers: list) -> list[bytes]:
        """h=: each configured field the message has, once per occurrence and once more."""
        counts: dict[bytes, int] = {}
        for name, _ in headers:
            lower = name.lower()
            counts[lower] = counts.get(lower, 0) + 1
        if b"from" not in counts:
            raise InvalidInput("cannot DKIM-sign a message without a From field")
        names: list[bytes] = []
        for name in self._names:
            if name in counts:
                names += [name] * (counts[name] + 1)
        return names


def relaxed_body(body: bytes) -> bytes:
    """The relaxed canonical form of a body whose lines all end in CRLF (RFC 6376 3.4.4),
    equal to dkimpy's (tests/delivery/test_dkim.py compares them) but by byte
    replacements: every run of spaces and tabs becomes one space, then goes when it
    ends a line; empty lines at the end go, and a body left as one CRLF is empty."""
    from dkim.canonicalization import correct_empty_body, strip_trailing_lines

    text = body.replace(b"\t", b" ")
    while b"  " in text:  # each pass halves the runs: a few passes at most
        text = text.replace(b"  ", b" ")
    return correct_empty_body(strip_trailing_lines(text.replace(b" \r\n", b"\r\n")))


# -- the check -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SigningCheck:
    """What :func:`check_signing` found: the key works; ``record`` must be published."""

    domain: str
    selector: str
    bits: int
    signed: tuple[str, ...]  # the h= list of the sample message
    record: DnsRecord

    @property
    def verdict(self) -> str:
        return (f"DKIM signing works: d={self.domain} s={self.selector}, RSA {self.bits} "
                f"bits, {ALGORITHM.decode()} {CANONICALIZATION.decode()}; a sample message "
                f"verifies against the key (receivers fetch it from {self.record.name})")

    def __str__(self) -> str:
        return self.verdict


def check_signing(settings: DkimSettings, *, env: Mapping[str, str], now: datetime,
                  timeout: float = KEY_COMMAND_TIMEOUT) -> SigningCheck:
    """Load the key, sign a sample message built as mailouts are, and verify it with
    dkimpy against the key's own public half (a DNS stub answering with its record: the
    real DNS is not asked). ConfigError for a key that cannot be used or does not verify."""
    from pressctl.releases.messages import MessageFactory, Sender, Variant

    signer = DkimSigner(settings, env=env, timeout=timeout)
    record = signer.record
    address = f"press@{settings.domain}"
    sender = Sender("pressctl DKIM check", address, reply_to=address,
                    list_unsubscribe_mailto=address,
                    unsubscribe_url=f"https://{settings.domain}/unsubscribe?t={{token}}")
    variant = Variant(subject="pressctl DKIM check", text="A sample message, never sent.\n",
                      html="<p>A sample message, never sent.</p>\n", language="en")
    factory = MessageFactory(variant, sender, domain=settings.domain)
    message = factory.build(name="", address=address, salutation="", now=now,
                            message_id=factory.message_id("dkim-check"),
                            unsubscribe_token="check")
    signed = signer.sign(message, now=now)
    problem, names = _verify(signed, record)
    if problem is not None:
        raise ConfigError(f"DKIM: a sample message signed with {settings.record_name} does "
                          f"not verify ({problem})",
                          hint="this is a bug in pressctl: please report it")
    return SigningCheck(settings.domain, settings.selector, signer.bits, names, record)


def _verify(message: bytes, record: DnsRecord) -> tuple[str | None, tuple[str, ...]]:
    """(None, the signed fields) when dkimpy verifies the first signature of ``message``
    against ``record``, served by a stub (no network); else (why not, ())."""
    import dkim

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        wanted = name.rstrip(b".").decode("ascii", "replace").lower()
        return record.value.encode("ascii") if wanted == record.name else None

    verifier = dkim.DKIM(message)
    try:
        if not verifier.verify(dnsfunc=lookup):
            return "the signature is wrong", ()
    except dkim.DKIMException as err:
        return str(err), ()
    return None, tuple(name.decode("ascii") for name in verifier.include_headers)

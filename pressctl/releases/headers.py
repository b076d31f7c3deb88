"""Header fields as RFC 5322, 2047 and 2231 want them: display names, the Subject,
addresses and parameters, encoded and folded. pressctl.releases.messages builds each
message from these pieces; the SMTP transport checks its envelope with header_address.

Kept apart from messages because it is a job of its own, with rules a reader checks
against the RFCs rather than against the MIME structure: nothing here knows of parts,
bodies or recipients. Functions return ``str`` pieces and header lines (CRLF-ended).

* Header data is never trusted. Control characters (CR, LF, TAB, NUL, U+2028...) become
  spaces (:func:`clean`); names also lose doubled and outer spaces. An address with
  whitespace, controls, <>()[],;:"\\ or not exactly one "@" raises ValueError (no quoted
  local parts, no domain literals).
* Lines: :func:`fold` joins pieces with single spaces and folds at 78 wherever there is
  a space to fold at (a long address or URL has none), so unfolding restores the value.
* Names: ASCII ones go as atoms or one quoted-string, others word by word with one RFC 2047
  encoded-word per run of non-ASCII words. Never two adjacent encoded-words in a name:
  Python's parser keeps the space between them where RFC 2047 drops it. So a run of
  non-ASCII words over ~60 octets gives an encoded-word longer than RFC 2047's 75
  characters (readers accept it). The Subject (:func:`unstructured`) encodes only the
  words that need it (non-ASCII, "=?", over 77 characters), in encoded-words of at most
  69 characters.
* Addresses: a non-ASCII domain goes in IDNA form (UTS 46) when the local part is ASCII;
  :func:`header_address` gives that form for the SMTP envelope too. A non-ASCII local
  part stays UTF-8 (RFC 6532) and needs SMTPUTF8: check :func:`needs_smtputf8` for the
  sender and each recipient and give the transport ``mail_options=["SMTPUTF8"]``.
* Parameters (file names): a quoted-string when short printable ASCII, else RFC 2231
  with continuations (:func:`parameter`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(" {2,}")
_BAD_ADDRESS = re.compile(r'[\s<>()\[\],;:"\\\x00-\x1f\x7f-\x9f]')
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+\Z")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")

# One match for what header_address returns unchanged (a delivery makes one a message):
# printable ASCII but @ and the characters of _BAD_ADDRESS, one @, text on either side.
_ADDRESS_TEXT = r"[!#-'*+\-./0-9=?A-Z^_`a-z{|}~]+"
PLAIN_ADDRESS = re.compile(_ADDRESS_TEXT + "@" + _ADDRESS_TEXT + r"\Z")
_LIMIT = 78  # preferred header line length
_EW_MAX = _LIMIT - len("Subject: ")  # within RFC 2047's 75, and one fits on a Subject line
_EW_EMPTY = len("=?utf-8?q??=")
_Q_BYTE = [f"={b:02X}" for b in range(256)]
_Q = {chr(b): _Q_BYTE[b] for b in range(128)}  # Q encoding safe in phrases (RFC 2047 5(3))
_Q.update({c: c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/"})
_Q[" "] = "_"


def clean(value: str) -> str:
    """A header value on one line: control characters become spaces."""
    return _CONTROLS.sub(" ", value) if _CONTROLS.search(value) else value


def _clean_name(name: str) -> str:
    name = clean(name)
    return (_SPACES.sub(" ", name) if "  " in name else name).strip(" ")


def _q_text(text: str) -> list[str]:
    """Q-encoded characters of ``text``, one string per character (never split)."""
    q = _Q
    return [q[c] if c in q else "".join([_Q_BYTE[b] for b in c.encode()]) for c in text]


def _encoded_word(text: str) -> str:
    return "=?utf-8?q?" + "".join(_q_text(text)) + "?="


def _encoded_words(text: str) -> list[str]:
    """Encoded-words of at most 69 characters, for unstructured headers only."""
    words: list[str] = []
    chunk: list[str] = []
    size = _EW_EMPTY
    for enc in _q_text(text):
        if chunk and size + len(enc) > _EW_MAX:
            words.append("=?utf-8?q?" + "".join(chunk) + "?=")
            chunk, size = [], _EW_EMPTY
        chunk.append(enc)
        size += len(enc)
    if chunk:
        words.append("=?utf-8?q?" + "".join(chunk) + "?=")
    return words


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fold(field: str, pieces: list[str]) -> str:
    """A header line: the pieces joined by single spaces, folding before a piece that would
    pass 78 characters. Every fold replaces one of those spaces, so unfolding restores it."""
    if pieces and len(field) + 1 + len(pieces) + sum(map(len, pieces)) <= _LIMIT:
        return f"{field}: {' '.join(pieces)}\r\n"  # fits on one line: nothing to fold
    out, size = [field, ":"], len(field) + 1
    for i, piece in enumerate(pieces):
        if i and size + 1 + len(piece) > _LIMIT:
            out.append("\r\n ")
            size = 1
        else:
            out.append(" ")
            size += 1
        out.append(piece)
        size += len(piece)
    out.append("\r\n")
    return "".join(out)


def _phrase(name: str) -> list[str]:
    """A display name as RFC 5322 phrase words that parse back to exactly ``name``."""
    if name.isascii() and "=?" not in name:
        if _ATOMS.match(name):
            return name.split(" ")
        if len(name) <= 60:
            return [_quoted(name)]
    pieces: list[str] = []
    run: list[str] = []  # consecutive words needing an encoded-word share one
    for word in name.split(" "):
        if not word.isascii() or "=?" in word:
            run.append(word)
            continue
        if run:
            pieces.append(_encoded_word(" ".join(run)))
            run = []
        pieces.append(word if _ATOM.match(word) else _quoted(word))
    if run:
        pieces.append(_encoded_word(" ".join(run)))
    return pieces


def unstructured(text: str) -> list[str]:
    """Pieces of an unstructured value (Subject): ASCII words as they are, runs of words
    that need it as encoded-words (whitespace between adjacent encoded-words is ignored
    by readers, so a run is encoded with its inner spaces)."""
    pieces: list[str] = []
    run: list[str] = []
    for word in text.split(" "):
        if not word.isascii() or "=?" in word or len(word) > _LIMIT - 1:
            run.append(word)
            continue
        if run and word == "":  # a double space inside a run stays inside it
            run.append(word)
            continue
        if run:
            trailing = []
            while run[-1] == "":
                trailing.append(run.pop())
            pieces.extend(_encoded_words(" ".join(run)))
            pieces.extend(trailing)
            run = []
        pieces.append(word)
    if run:
        pieces.extend(_encoded_words(" ".join(run)))
    return pieces


@lru_cache(maxsize=1024)
def _idna(domain: str) -> str:
    import idna  # IDNA 2008 + UTS 46; installed with email-validator, which needs it

    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except UnicodeError as exc:  # idna.IDNAError is one
        raise ValueError(f"domain {domain!r} cannot be encoded with IDNA: {exc}") from None


def header_address(address: str) -> str:
    """``address`` as it goes in a header: checked, with an IDNA domain when the local part
    is ASCII. Raises ValueError for anything that could break out of the header."""
    if PLAIN_ADDRESS.match(address):  # the usual case, as the checks below return it
        return address
    if _BAD_ADDRESS.search(address) or address.count("@") != 1:
        raise ValueError(f"not a plain e-mail address: {address!r}")
    local, _, domain = address.partition("@")
    if not local or not domain:
        raise ValueError(f"not a plain e-mail address: {address!r}")
    if address.isascii() or not local.isascii():
        return address
    return local + "@" + _idna(domain)


def needs_smtputf8(address: str) -> bool:
    """True when ``address`` has a non-ASCII local part: only SMTPUTF8 can deliver it."""
    return not address.partition("@")[0].isascii()


def address_field(field: str, name: str, address: str) -> str:
    """A From or To line: the cleaned name as a phrase, then the checked ``<address>``."""
    addr = header_address(address)
    phrase = _name_phrase(name)
    if not phrase:
        return f"{field}: {addr}\r\n"
    return fold(field, [*phrase, f"<{addr}>"])


@lru_cache(maxsize=4096)
def _name_phrase(name: str) -> tuple[str, ...]:
    """The phrase words of a display name, cleaned; none for a name that cleans to nothing
    (the names of one mailout's recipients come back: one per address)."""
    name = _clean_name(name)
    return tuple(_phrase(name)) if name else ()


def header_domain(domain: str) -> str:
    """``domain`` checked, in IDNA form when it is not ASCII (a Message-ID's right part)."""
    return header_address("x@" + domain)[2:]


def parameter(key: str, value: str) -> list[str]:
    """Content-Type/-Disposition parameter pieces; RFC 2231 (with continuations) when the
    value is not short printable ASCII."""
    value = clean(value)
    if value.isascii() and len(value) <= 60:
        return [f"{key}={_quoted(value)}"]
    enc = quote(value.encode("utf-8"), safe="!#$&+^`{|}~")
    sections, start = [], 0
    while start < len(enc):
        end = min(start + 50, len(enc))
        if end < len(enc) and "%" in enc[end - 2 : end]:  # do not cut a %XX escape
            end = enc.rindex("%", start, end)
        sections.append(enc[start:end])
        start = end
    if len(sections) == 1:
        return [f"{key}*=utf-8''{enc}"]
    first = f"{key}*0*=utf-8''{sections[0]}"
    return [first] + [f"{key}*{i}*={s}" for i, s in enumerate(sections[1:], 1)]


def semicolons(items: list[str]) -> list[str]:
    """The pieces of a value with parameters (``type; name=...``), ready for :func:`fold`."""
    return [item + ";" for item in items[:-1]] + items[-1:]


def commas(items: list[str]) -> list[str]:
    """The pieces of a list (``<a>, <b>``), ready for :func:`fold`."""
    return [item + "," for item in items[:-1]] + items[-1:]

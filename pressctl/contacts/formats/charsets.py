"""Which encoding a contact file is in, decided from its bytes.

Excel saves "CSV UTF-8" (with a BOM), "CSV (séparateur: point-virgule)" in the Windows
code page (cp1252 in Western Europe) and "Texte Unicode" in UTF-16 LE with a BOM. The
rules, in order:

1. a BOM decides (UTF-8, UTF-16 LE/BE); bytes its encoding cannot decode are refused;
2. UTF-16 without a BOM shows as a NUL in every other byte of ASCII text;
3. valid UTF-8 is UTF-8 (ASCII included): cp1252 is never chosen for bytes UTF-8 reads;
4. bytes that are not UTF-8 are cp1252 (a superset of Latin-1's printable characters),
   unless the file also holds UTF-8 sequences (a UTF-8 file with a stray byte: reading it
   as cp1252 would garble every accent) or a byte cp1252 leaves undefined or a NUL.

Refusals name the file and the line of the first bad byte (InvalidInput, exit 3).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from pressctl.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Charset:
    codec: str  # the Python codec that reads the file (BOM included)
    label: str  # what the user is told


UTF8 = Charset("utf-8-sig", "UTF-8")
UTF16_BOM = Charset("utf-16", "UTF-16")
UTF16_LE = Charset("utf-16-le", "UTF-16 LE")
UTF16_BE = Charset("utf-16-be", "UTF-16 BE")
CP1252 = Charset("cp1252", "Windows-1252 (Latin-1)")

# A lead byte and its continuation bytes: text in cp1252 almost never holds these pairs
# ("Ã©" is what UTF-8's "é" looks like in cp1252).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_SAMPLE = 4096


def charset_by_head(head: bytes) -> Charset | None:
    """The encoding a file's first bytes prove (a BOM or UTF-16's NULs), else None."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16_BOM
    sample = head[:_SAMPLE - _SAMPLE % 2]
    pairs = len(sample) // 2
    if pairs >= 2:
        even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
        # ASCII in UTF-16 LE is "N\0o\0m\0": NULs at odd offsets only (BE: even only).
        if odd_nuls >= pairs * 0.4 and even_nuls == 0:
            return UTF16_LE
        if even_nuls >= pairs * 0.4 and odd_nuls == 0:
            return UTF16_BE
    return None


def decode_contact_bytes(data: bytes, source: str) -> tuple[str, Charset]:
    """The text of a contact file and the encoding it was read in (see the module rules)."""
    charset = charset_by_head(data[:_SAMPLE])
    if charset is UTF8:  # decoded past the BOM, so that an error's offset is the file's
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), UTF8
        except UnicodeDecodeError as err:
            raise _refusal(data, err.start + len(codecs.BOM_UTF8), source,
                           "not UTF-8") from err
    if charset is None:
        try:
            return data.decode("utf-8"), UTF8
        except UnicodeDecodeError as err:
            if _UTF8_SEQUENCE.search(data) or b"\x00" in data:
                raise _refusal(data, err.start, source, "not UTF-8") from err
        charset = CP1252
    try:
        return data.decode(charset.codec), charset
    except UnicodeDecodeError as err:
        raise _refusal(data, err.start, source, f"not {charset.label}", charset) from err


def _refusal(data: bytes, start: int, source: str, what: str,
             charset: Charset | None = None) -> InvalidInput:
    if charset in (UTF16_BOM, UTF16_LE, UTF16_BE):
        assert charset is not None
        # Count the line breaks of what decodes before the bad bytes.
        line = data[:start].decode(charset.codec, errors="replace").count("\n") + 1
        shown = f"bytes 0x{data[start:start + 2].hex()}"
    else:
        line = data.count(b"\n", 0, start) + 1
        shown = f"byte 0x{data[start]:02x}"
    return InvalidInput(
        f"{source}:{line}: {what} ({shown})",
        hint="save the file as UTF-8 (in Excel: 'CSV UTF-8')",
    )

"""The contact file writers take any iterable and give each contact's text before they
read the next one (issue 12: an export of any size in flat memory), and what the vCard
writer gained in speed changed none of its bytes: folding, escaping, UIDs."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator

import pytest

from pressctl.contacts.formats import vcard
from pressctl.contacts.formats.csvfile import write_csv
from pressctl.contacts.formats.jsonfile import write_json
from pressctl.contacts.formats.vcard import iter_vcards, write_vcards
from pressctl.contacts.model import Contact, Phone

NOW = "2026-11-22T10:00:00Z"


def _people() -> list[Contact]:
    return [
        Contact(name="Anaïs Gauthier", id=1, emails=["anais@example.org"],
                phones=[Phone("+33536490742", "12", "work", "standard")], tags=["health"],
                languages=["fr"], roles={"en": "Health reporter"}, created=NOW, updated=NOW,
                notes="Line one,\nline two; with \\ and a very long tail " + "x" * 90),
        Contact(name="Bob", id=2, emails=["bob@example.net"], updated="2026-11-22 10:00:00"),
        Contact(name="Zoë 東京 🚀 " * 8, id=3, kind="officer", organization="CNES",
                emails=["zoe@example.com"], phones=[Phone("+12025550143", None, "mobile")]),
    ]


def _watched(people: list[Contact], taken: list[int]) -> Iterator[Contact]:
    for contact in people:
        taken.append(contact.stored_id)
        yield contact


def _phone_text(phone: Phone) -> str:
    return phone.e164


WRITERS: dict[str, Callable[[Iterator[Contact]], Iterator[str]]] = {
    "csv": lambda c: write_csv(c, _phone_text),
    "csv-excel": lambda c: write_csv(c, _phone_text, dialect="excel"),
    "json": lambda c: write_json(c, _phone_text),
    "vcard-3.0": lambda c: iter_vcards(c, "3.0", phone_text=_phone_text),
    "vcard-4.0": lambda c: iter_vcards(c, "4.0"),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_writer_gives_each_contact_before_reading_the_next(name):
    taken: list[int] = []
    chunks = WRITERS[name](_watched(_people(), taken))
    written = ""
    for chunk in chunks:
        written += chunk
        if "Bob" in written:
            break
    assert taken == [1, 2]  # Zoë not read yet: Bob was written as soon as he came
    assert "Zoë" not in written


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_the_cards_one_by_one_are_the_cards_at_once(version):
    cards = list(iter_vcards(iter(_people()), version, phone_text=_phone_text))
    assert len(cards) == 3 and all(c.startswith("BEGIN:VCARD\r\n") for c in cards)
    assert "".join(cards) == write_vcards(_people(), version, phone_text=_phone_text)


def test_a_vcard_version_is_refused_before_the_first_card():
    with pytest.raises(ValueError, match="3.0 or 4.0"):
        iter_vcards(iter(()), "2.1")


def _fold_before(line: str) -> str:
    """vcard._fold until issue 12: character by character."""
    physical: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            physical.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    physical.append("".join(current))
    return "\r\n".join(physical)


def _escape_before(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in ("\\", ",", ";"):
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def test_folding_and_escaping_are_as_before_on_any_text():
    rng = random.Random(12)
    for length in range(0, 320, 3):
        for alphabet in ("abc:;=", "abc ;,\\\r\n", "aé€ü", "a𝄞東", "x"):
            line = "".join(rng.choice(alphabet) for _ in range(length))
            assert vcard._fold(line) == _fold_before(line)
            assert vcard._escape(line) == _escape_before(line)
    assert all(len(p.encode()) <= 75 for p in vcard._fold("é" * 200).split("\r\n"))


def test_a_contacts_uid_is_uuid5_of_its_id_and_first_address():
    for contact in (*_people(), Contact(name="No id"), Contact(name="Mail", emails=["A@B.org"])):
        first = contact.emails[0].lower() if contact.emails else ""
        seed = f"{contact.id if contact.id is not None else ''}|{first}"
        seed = f"name|{contact.name}" if seed == "|" else seed
        assert vcard._contact_uid(contact) == \
            f"urn:uuid:{uuid.uuid5(vcard._UID_NAMESPACE, seed)}"

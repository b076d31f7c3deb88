"""`contacts duplicates` in the core (pressctl.book.duplicates.likely_duplicates): groups of
contacts that are likely one person, with the reason. Alike names are needed, and one
more tie (a phone, the organisation, the outlet). Both backends."""

from __future__ import annotations

from pressctl.book.contacts import add_contact
from pressctl.book.duplicates import likely_duplicates
from pressctl.contacts.model import Contact, Phone


def add(book, name: str, *emails: str, **fields) -> int:
    return add_contact(book, {"name": name, "emails": list(emails), **fields}).contact.stored_id


def stored_before_the_rule(book, name: str, e164: str) -> int:
    """A contact without an e-mail stored as books held them before issue 13 (add now
    refuses it as a duplicate): written by the store directly."""
    contact = Contact(name=name, phones=[Phone(e164)], created=book.now, updated=book.now)
    with book.store.transaction():
        book.store.contacts.insert([contact])
    return contact.stored_id


def groups(book) -> list[tuple[list[int], list[str]]]:
    return [(g.ids, g.reasons) for g in likely_duplicates(book.store)]


def test_an_empty_book_or_a_book_of_different_people_has_none(book):
    assert groups(book) == []
    add(book, "Jane Roe", "jane@example.com", organization="NASA")
    add(book, "John Roe", "john@example.com", organization="NASA")
    assert groups(book) == []


def test_the_same_person_with_two_addresses_in_one_organisation(book):
    first = add(book, "Pascale Bresson", "pascale.bresson@cnes.fr", organization="CNES")
    second = add(book, "Pascale Bresson", "p.bresson@example.fr", organization="cnes")
    assert groups(book) == [([first, second], ["same name and organisation CNES"])]


def test_the_same_person_without_an_address_and_a_shared_phone(book):
    first = add(book, "Pascale Bresson", "pascale.bresson@cnes.fr",
                phones=["01 44 76 75 39"])
    second = stored_before_the_rule(book, "BRESSON Pascale", "+33144767539")
    assert groups(book) == [([first, second],
                             ["same phone +33144767539", "similar names (word order)"])]


def test_the_same_name_at_one_outlet(book):
    first = add(book, "Élodie Marchand", "e.marchand@lemonde.example", outlet="Le Monde")
    second = add(book, "Elodie Marchand", "elodie@example.net", outlet="Le Monde")
    assert groups(book) == [([first, second], ["same name and outlet Le Monde",
                                               "similar names (accents or case)"])]


def test_initials_for_a_first_name(book):
    first = add(book, "Jane Roe", "jane.roe@nasa.example", organization="NASA")
    second = add(book, "J. Roe", "jroe@example.org", organization="NASA")
    assert groups(book) == [([first, second], ["same organisation NASA",
                                               "similar names (initials)"])]


def test_a_name_alone_is_not_enough(book):
    add(book, "Marie Dupont", "marie@lemonde.example", outlet="Le Monde")
    add(book, "Marie Dupont", "marie.dupont@afp.example", outlet="AFP")
    assert groups(book) == []


def test_a_shared_number_alone_is_not_enough(book):
    """A press office's switchboard reaches several people."""
    add(book, "Pascale Bresson", "pascale.bresson@cnes.fr", phones=["01 44 76 75 00"])
    add(book, "Raphaël Sart", "raphael.sart@cnes.fr", phones=["01 44 76 75 00"])
    assert groups(book) == []


def test_one_group_per_set_of_contacts_in_a_stable_order(book):
    other = add(book, "Marie Dupont", "marie@lemonde.example", outlet="Le Monde")
    a = add(book, "Jane Roe", "jane.roe@nasa.example", organization="NASA",
            phones=["+1 301 555 0142"])
    b = add(book, "J. Roe", "jroe@example.org", organization="NASA")
    other2 = add(book, "Marie Dupont", "m.dupont@example.net", outlet="le monde")
    c = stored_before_the_rule(book, "Jane Roe", "+13015550142")
    found = groups(book)
    assert [ids for ids, _ in found] == [[other, other2], [a, b, c]]
    assert found[1][1] == ["same organisation NASA", "similar names (initials)",
                           "same phone +13015550142"]
    assert groups(book) == found  # the same order every time
    contacts = likely_duplicates(book.store)[1].contacts
    assert [x.emails for x in contacts] == [["jane.roe@nasa.example"], ["jroe@example.org"], []]

"""Contact-book use cases: add, edit, find, tag, opt out, remove, check, export."""

from __future__ import annotations

import pytest
from conftest import NOW, db_snapshot

from pressctl.book.contacts import (
    add_contact,
    check_book,
    edit_contact,
    export_contacts,
    find_contact,
    find_contacts,
    merge,
    remove_contacts,
    tag_contacts,
)
from pressctl.book.optouts import opt_out
from pressctl.book.orgs import add_org
from pressctl.book.session import Book
from pressctl.contacts.model import Contact, ContactFilter, Phone
from pressctl.errors import DuplicateContact, InvalidInput, NotFound, ProblemsFound

EARLIER = "2026-10-01T08:00:00Z"

PASCALE = {"name": "Pascale Bresson", "kind": "officer", "role": "Press Officer",
           "organization": "CNES", "emails": ["pascale.bresson@cnes.fr"],
           "phones": ["Tél. 01 44 76 75 39"], "tags": "cnes, press office",
           "languages": "fr,en", "country": "FR", "embargo_ok": True}
CLAIRE = {"name": "Claire Fontaine", "emails": ["claire.fontaine@gazette-espace.example.org"],
          "phones": ["01 99 00 12 34"], "outlet": "La Gazette de l'Espace", "tags": "space"}
ELODIE = {"name": "Élodie Marchand", "emails": ["elodie.marchand@example.net"],
          "opted_out": True}


def earlier(book: Book) -> Book:
    return Book(book.store, book.settings, EARLIER)


@pytest.fixture
def seeded(book):
    """The book with three contacts, added before the command under test."""
    ids = {}
    for fields in (PASCALE, CLAIRE, ELODIE):
        ids[fields["name"]] = add_contact(earlier(book), fields).contact.id
    return ids


def snapshot(book):
    return db_snapshot(book.store)


# -- region_for ------------------------------------------------------------------------------

def test_region_for_contact_country_then_organisation_then_default(book):
    add_org(book, {"name": "Université libre de Bruxelles", "short_name": "ULB",
                   "country": "BE"})
    add_org(book, {"name": "No Country Org"})
    region_for = book.region_for()
    assert region_for("CH", "ULB") == "CH"
    assert region_for(None, "ULB") == "BE"
    assert region_for(None, "université libre de bruxelles") == "BE"
    assert region_for(None, "No Country Org") == "FR"
    assert region_for(None, "Unknown") == "FR"
    assert region_for(None, None) == "FR"
    override = book.region_for("GB")
    assert (override(None, None), override(None, "ULB"), override("FR", None)) == (
        "GB", "BE", "FR")


# -- add -------------------------------------------------------------------------------------

def test_add_contact_validates_and_normalises(book):
    result = add_contact(book, PASCALE)
    contact = result.contact
    assert result.action == "added"
    assert contact.id == 1
    assert contact.phones == [Phone("+33144767539")]
    assert contact.tags == ["cnes", "press-office"]
    assert contact.languages == ["fr", "en"]
    assert (contact.created, contact.updated) == (NOW, NOW)
    assert book.store.contacts.get(1) == contact


def test_add_contact_with_a_national_number_of_the_region_given(book):
    contact = add_contact(book, {"name": "Lotte", "phones": ["02 555 01 87"]}, region="BE").contact
    assert contact.phones == [Phone("+3225550187")]
    with pytest.raises(ProblemsFound, match=r'phone "02 555 01 87"'):
        add_contact(book, {"name": "Lotte", "phones": ["02 555 01 87"]})


def test_add_contact_lists_every_problem_and_changes_nothing(book, seeded):
    before = snapshot(book)
    with pytest.raises(ProblemsFound) as caught:
        add_contact(book, {"name": "", "emails": ["bad@"], "phones": ["01 44 76"],
                           "country": "Narnia", "kind": "astronaut"})
    messages = [p.message for p in caught.value.problems]
    assert messages[0] == "name is missing"
    assert any(m.startswith('kind "astronaut"') for m in messages)
    assert any(m.startswith('country "Narnia"') for m in messages)
    assert any(m.startswith('e-mail "bad@"') for m in messages)
    assert any(m.startswith('phone "01 44 76" is too short for FR') for m in messages)
    assert caught.value.message.startswith("contact not added: name is missing; ")
    assert snapshot(book) == before


def test_add_duplicate_fails_by_default_naming_the_owner(book, seeded):
    before = snapshot(book)
    with pytest.raises(DuplicateContact) as caught:
        add_contact(book, {"name": "P. Bresson", "emails": ["PASCALE.BRESSON@CNES.FR"]})
    [problem] = caught.value.problems
    assert problem.message == (f"e-mail PASCALE.BRESSON@cnes.fr already belongs to contact "
                               f"#{seeded['Pascale Bresson']} Pascale Bresson")
    assert snapshot(book) == before


def test_add_duplicate_skipped_returns_the_existing_contact(book, seeded):
    before = snapshot(book)
    result = add_contact(book, {"name": "P. Bresson", "emails": ["pascale.bresson@cnes.fr"]},
                         on_duplicate="skip")
    assert result.action == "skipped"
    assert result.contact.id == seeded["Pascale Bresson"]
    assert result.contact.name == "Pascale Bresson"
    assert result.clashes and "#1" in result.clashes[0]
    assert snapshot(book) == before


def test_add_duplicate_updated_completes_the_existing_contact(book, seeded):
    result = add_contact(book, {
        "name": "Pascale Bresson", "kind": "officer", "role": "Head of Press",
        "emails": ["pascale.bresson@cnes.fr", "p.bresson@cnes.fr"],
        "phones": ["Mobile: 06 25 79 64 79", "+33 1 44 76 75 39"], "tags": "space",
        "languages": "de", "opted_out": False,
    }, on_duplicate="update")
    contact = result.contact
    assert result.action == "updated"
    assert contact.id == seeded["Pascale Bresson"]
    assert contact.role == "Head of Press"
    assert contact.organization == "CNES"
    assert contact.emails == ["pascale.bresson@cnes.fr", "p.bresson@cnes.fr"]
    assert contact.phones == [Phone("+33144767539"), Phone("+33625796479", None, "mobile")]
    assert contact.tags == ["cnes", "press-office", "space"]
    assert contact.languages == ["fr", "en", "de"]
    assert contact.embargo_ok is True
    assert (contact.created, contact.updated) == (EARLIER, NOW)
    assert book.store.contacts.get(contact.id) == contact
    assert book.store.contacts.count() == 3


def test_add_update_never_undoes_an_opt_out(book, seeded):
    result = add_contact(book, {"name": "Élodie", "emails": ["elodie.marchand@example.net"],
                                "opted_out": False}, on_duplicate="update")
    assert result.contact.opted_out is True
    assert book.store.contacts.get(seeded["Élodie Marchand"]).opted_out is True
    assert [n.suppression.address for n in result.opted_out] == ["elodie.marchand@example.net"]


def test_add_update_keeps_the_kind_when_none_is_given(book, seeded):
    result = add_contact(book, {"name": "Pascale Bresson", "emails": ["pascale.bresson@cnes.fr"],
                                "tags": "space"}, on_duplicate="update")
    assert result.contact.kind == "officer"
    result = add_contact(book, {"name": "Pascale Bresson", "emails": ["pascale.bresson@cnes.fr"],
                                "kind": "other"}, on_duplicate="update")
    assert result.contact.kind == "other"


def test_add_update_of_e_mails_owned_by_two_contacts_is_refused(book, seeded):
    before = snapshot(book)
    with pytest.raises(InvalidInput, match=r"belong to different contacts \(#1, #2\)"):
        add_contact(book, {"name": "X", "emails": [
            "pascale.bresson@cnes.fr", "claire.fontaine@gazette-espace.example.org"]},
            on_duplicate="update")
    assert snapshot(book) == before


def test_add_with_an_unknown_duplicate_policy_is_refused(book, seeded):
    before = snapshot(book)
    with pytest.raises(InvalidInput, match="--on-duplicate 'replace'"):
        add_contact(book, {"name": "P", "emails": ["pascale.bresson@cnes.fr"]},
                    on_duplicate="replace")
    assert snapshot(book) == before


def test_merge_unites_lists_and_prefers_given_values():
    existing = Contact(name="A", kind="officer", role="Old", organization="CNES",
                       tags=["x"], emails=["a@example.org"], phones=[Phone("+33144767539")],
                       opted_out=True, id=4, created=EARLIER)
    incoming = Contact(name="A B", kind="journalist", role=None, tags=["y", "x"],
                       emails=["A@example.org", "b@example.org"],
                       phones=[Phone("+33144767539"), Phone("+33144767539", "5")])
    merged = merge(existing, incoming, kind_stated=False)
    assert (merged.name, merged.kind, merged.role, merged.organization) == (
        "A B", "officer", "Old", "CNES")
    assert merged.tags == ["x", "y"]
    assert merged.emails == ["a@example.org", "b@example.org"]
    assert merged.phones == [Phone("+33144767539"), Phone("+33144767539", "5")]
    assert (merged.opted_out, merged.id, merged.created) == (True, 4, EARLIER)
    assert merge(existing, incoming).kind == "journalist"
    assert existing.tags == ["x"]  # the stored contact is not modified in place


# -- find ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", [
    "1", "#1", " #1 ", "pascale.bresson@cnes.fr", "Pascale.Bresson@CNES.FR",
    "mailto:pascale.bresson@cnes.fr", "<mailto:PASCALE.BRESSON@cnes.fr>",
    "pascale.bresson [at] cnes.fr", "Pascale Bresson", "pascale bresson", "PASCALE BRESSON",
])
def test_find_contact_by_id_e_mail_or_exact_name(book, seeded, ref):
    assert find_contact(book.store, ref).id == seeded["Pascale Bresson"]


@pytest.mark.parametrize("ref", ["Élodie Marchand", "élodie marchand", "ÉLODIE MARCHAND"])
def test_find_contact_by_name_ignores_case_of_accented_letters(book, seeded, ref):
    assert find_contact(book.store, ref).id == seeded["Élodie Marchand"]


def test_find_contact_by_a_name_without_ascii_letters(book, seeded):
    fields = {"name": "Ирина Петрова", "emails": ["ip@example.org"]}
    contact = add_contact(book, fields).contact
    assert find_contact(book.store, "ирина петрова").id == contact.id


def test_find_contact_does_not_match_a_part_of_a_name(book, seeded):
    with pytest.raises(NotFound, match='no contact named "Pascale"'):
        find_contact(book.store, "Pascale")


def test_find_contact_with_an_ambiguous_name_asks_for_an_id(book, seeded):
    add_contact(book, {"name": "pascale bresson", "emails": ["other@example.org"]})
    with pytest.raises(InvalidInput) as caught:
        find_contact(book.store, "Pascale Bresson")
    assert not isinstance(caught.value, NotFound)
    assert caught.value.message == '"Pascale Bresson" names 2 contacts (#1, #4)'
    assert "e-mail" in caught.value.hint


@pytest.mark.parametrize(("ref", "error", "message"), [
    ("#99", NotFound, "no contact #99"),
    ("99", NotFound, "no contact #99"),
    ("nobody@example.org", NotFound, "no contact with e-mail nobody@example.org"),
    ("Nobody Here", NotFound, 'no contact named "Nobody Here"'),
    ("bad@", InvalidInput, 'e-mail "bad@"'),
])
def test_find_contact_failures(book, seeded, ref, error, message):
    with pytest.raises(error) as caught:
        find_contact(book.store, ref)
    assert caught.value.message.startswith(message)


def test_find_contacts_dedupes_refs_to_the_same_contact(book, seeded):
    found = find_contacts(book.store, ["1", "pascale.bresson@cnes.fr", "#2"])
    assert [c.id for c in found] == [1, 2]


# -- edit ------------------------------------------------------------------------------------

def test_edit_contact_changes_the_given_fields_only(book, seeded):
    updated = edit_contact(book, "Pascale Bresson", {"role": "Head of Press", "tags": "space"},
                           add_emails=["P.Bresson@CNES.fr"],
                           add_phones=["Mobile: 06 25 79 64 79"]).contact
    stored = book.store.contacts.get(seeded["Pascale Bresson"])
    assert stored == updated
    assert stored.role == "Head of Press"
    assert stored.tags == ["space"]
    assert stored.organization == "CNES" and stored.kind == "officer"
    assert stored.emails == ["pascale.bresson@cnes.fr", "P.Bresson@cnes.fr"]
    assert stored.phones == [Phone("+33144767539"), Phone("+33625796479", None, "mobile")]
    assert (stored.created, stored.updated) == (EARLIER, NOW)


def test_edit_contact_removes_e_mails_and_phones_written_any_way(book, seeded):
    add_contact(book, {"name": "Two", "emails": ["a@example.org", "b@example.org"],
                       "phones": ["01 44 76 75 00 ext. 5 (standard)", "Fax: 01 44 76 75 01"]})
    updated = edit_contact(book, "a@example.org", {}, remove_emails=["mailto:B@EXAMPLE.ORG"],
                           remove_phones=["+33 1 44 76 75 01"]).contact
    assert updated.emails == ["a@example.org"]
    assert updated.phones == [Phone("+33144767500", "5", "work", "standard")]


def test_edit_contact_is_validated_like_a_new_contact(book, seeded):
    before = snapshot(book)
    with pytest.raises(ProblemsFound) as caught:
        edit_contact(book, "#1", {"country": "Narnia", "name": "  "}, add_emails=["x@"])
    assert [p.where for p in caught.value.problems] == ["contact #1"] * 3
    assert caught.value.message.startswith("contact #1 not changed: ")
    assert snapshot(book) == before


def test_edit_contact_of_a_field_that_cannot_be_edited(book, seeded):
    with pytest.raises(InvalidInput, match="cannot edit 'emails'"):
        edit_contact(book, "#1", {"emails": ["x@example.org"]})


def test_removing_an_e_mail_the_contact_lacks_is_not_found(book, seeded):
    before = snapshot(book)
    with pytest.raises(NotFound, match="Pascale Bresson has no e-mail claire"):
        edit_contact(book, "#1", {}, remove_emails=["claire.fontaine@gazette-espace.example.org"])
    with pytest.raises(NotFound, match=r"has no phone \+33144767500"):
        edit_contact(book, "#1", {}, remove_phones=["01 44 76 75 00"])
    assert snapshot(book) == before


def test_changing_an_e_mail_to_one_of_another_contact_is_a_duplicate(book, seeded):
    before = snapshot(book)
    with pytest.raises(DuplicateContact) as caught:
        edit_contact(book, "#1", {}, remove_emails=["pascale.bresson@cnes.fr"],
                     add_emails=["Claire.Fontaine@gazette-espace.example.org"])
    [problem] = caught.value.problems
    assert f"contact #{seeded['Claire Fontaine']} Claire Fontaine" in problem.message
    assert snapshot(book) == before


def test_edit_keeps_its_own_e_mail_without_calling_it_a_duplicate(book, seeded):
    updated = edit_contact(book, "#1", {}, add_emails=["PASCALE.bresson@cnes.fr"]).contact
    assert updated.emails == ["pascale.bresson@cnes.fr"]


def test_edit_of_a_missing_contact(book, seeded):
    with pytest.raises(NotFound):
        edit_contact(book, "#42", {"role": "x"})


# -- tags, opt-outs, removal ----------------------------------------------------------------

def test_tag_and_untag_several_contacts(book, seeded):
    tag_contacts(book, ["#1", "claire.fontaine@gazette-espace.example.org"], ["Space Desk", "x"])
    assert book.store.contacts.get(1).tags == ["cnes", "press-office", "space-desk", "x"]
    assert book.store.contacts.get(2).tags == ["space", "space-desk", "x"]
    assert book.store.contacts.get(1).updated == NOW
    assert book.store.contacts.get(3).updated == EARLIER

    tag_contacts(book, ["1", "2"], ["space desk"], remove=True)
    assert book.store.contacts.get(1).tags == ["cnes", "press-office", "x"]
    assert book.store.contacts.get(2).tags == ["space", "x"]


def test_tagging_with_an_unknown_contact_changes_nothing(book, seeded):
    before = snapshot(book)
    with pytest.raises(NotFound, match="no contact #77"):
        tag_contacts(book, ["#1", "#77"], ["x"])
    with pytest.raises(InvalidInput, match="no tag given"):
        tag_contacts(book, ["#1"], [" ", ""])
    assert snapshot(book) == before


def _suppressed(book) -> dict[str, str]:
    return dict(book.store.db.execute("SELECT address, reason FROM suppressions"))


def test_opt_out_suppresses_every_address_of_the_contact(book, seeded):
    edit_contact(book, "#2", {}, add_emails=["claire@example.org"])
    result = opt_out(book, ["Claire Fontaine", "#1", "#2"], note="asked by phone")
    assert [c.id for c in result.contacts] == [2, 1]  # once each, however often named
    assert [c.opted_out for c in book.store.contacts.select(ContactFilter(ids=(1, 2, 3)))] == [
        True, True, True]
    assert {"claire.fontaine@gazette-espace.example.org", "claire@example.org",
            "pascale.bresson@cnes.fr"} <= set(_suppressed(book))
    [row] = book.store.db.execute(
        "SELECT reason, note, created FROM suppressions WHERE address = 'claire@example.org'")
    assert row == ("opted out with `pressctl contacts optout`", "asked by phone", NOW)


def test_opt_out_of_an_address_in_no_contact_is_remembered(book, seeded):
    result = opt_out(book, ["Someone <Someone@Example.org>"])
    assert (result.contacts, result.addresses) == ([], ["Someone@example.org"])
    assert "Someone@example.org" in _suppressed(book)


def test_opt_out_of_an_unknown_id_changes_nothing(book, seeded):
    before = snapshot(book)
    with pytest.raises(NotFound):
        opt_out(book, ["#1", "#99"])
    assert snapshot(book) == before


def test_edit_cannot_undo_an_opt_out(book, seeded):
    before = snapshot(book)
    with pytest.raises(InvalidInput, match="has opted out") as caught:
        edit_contact(book, "Élodie Marchand", {"opted_out": False, "role": "Editor"})
    assert "contacts optin" in str(caught.value)
    assert snapshot(book) == before


def test_edit_that_opts_out_suppresses_every_address(book, seeded):
    result = edit_contact(book, "#1", {"opted_out": True}, add_emails=["p.b@cnes.fr"])
    assert result.contact.opted_out is True
    assert {"pascale.bresson@cnes.fr", "p.b@cnes.fr"} <= set(_suppressed(book))
    assert [n.suppression.address for n in result.opted_out] == ["p.b@cnes.fr"]


def test_an_address_added_to_an_opted_out_contact_is_opted_out_too(book, seeded):
    result = edit_contact(book, "Élodie Marchand", {"role": "Editor"},
                          add_emails=["elodie@example.org"])
    assert result.contact.opted_out is True
    assert _suppressed(book)["elodie@example.org"] == (
        f"added to contact #{seeded['Élodie Marchand']} Élodie Marchand, who had opted out")
    [notice] = result.opted_out
    assert notice.suppression.address == "elodie@example.org"
    assert "contacts optin elodie@example.org --yes --note" in str(notice)
    # removing a contact, then adding that second address alone: still never mailed
    remove_contacts(book, ["Élodie Marchand"])
    again = add_contact(book, {"name": "E. M.", "emails": ["elodie@example.org"]})
    assert again.contact.opted_out is True


def test_adding_an_opted_out_address_to_a_contact_opts_it_out_and_says_so(book, seeded):
    opt_out(book, ["old.desk@example.org"])
    result = edit_contact(book, "#1", {}, add_emails=["Old.Desk@example.org"])
    assert result.contact.opted_out is True
    assert book.store.contacts.get(1).opted_out is True
    [notice] = result.opted_out
    assert (notice.suppression.since, notice.contact.id) == (NOW, 1)


def test_add_of_an_opted_out_address_is_added_opted_out_and_says_so(book, seeded):
    remove_contacts(book, ["Élodie Marchand"])
    result = add_contact(book, {"name": "Élodie Marchand", "tags": "space",
                                "emails": ["ELODIE.MARCHAND@example.net"]})
    assert (result.action, result.contact.opted_out) == ("added", True)
    assert book.store.contacts.get(result.contact.id).opted_out is True
    [notice] = result.opted_out
    assert notice.suppression.address == "elodie.marchand@example.net"
    assert notice.suppression.since == EARLIER  # the first opt-out's date, not today's
    assert notice.contact.id == result.contact.id
    text = str(notice)
    assert f"since {EARLIER}" in text and "marked opted out when added" in text
    assert "pressctl contacts optin elodie.marchand@example.net --yes --note TEXT" in text


def test_add_of_a_clean_address_says_nothing_about_opt_outs(book, seeded):
    result = add_contact(book, {"name": "New", "emails": ["new@example.org"]})
    assert (result.contact.opted_out, result.opted_out) == (False, [])
    assert "new@example.org" not in _suppressed(book)


def test_remove_contacts(book, seeded):
    removed = remove_contacts(book, ["#2", "claire.fontaine@gazette-espace.example.org"])
    assert [c.name for c in removed] == ["Claire Fontaine"]
    assert book.store.contacts.get(2) is None
    assert book.store.contacts.count() == 2
    # the e-mail is free again
    assert add_contact(book, CLAIRE).action == "added"


def test_remove_keeps_the_opt_out_of_every_address(book, seeded):
    """Finding 3 of issue 7: removing an opted-out contact used to drop the opt-out."""
    edit_contact(book, "Élodie Marchand", {}, add_emails=["elodie@example.org"])
    remove_contacts(book, ["Élodie Marchand"])
    assert book.store.suppressions.opted_out_keys(["elodie.marchand@example.net", "elodie@example.org"]) == {
        "elodie.marchand@example.net", "elodie@example.org"}
    again = add_contact(book, ELODIE | {"opted_out": False})
    assert again.contact.opted_out is True


def test_remove_with_an_unknown_ref_removes_nothing(book, seeded):
    before = snapshot(book)
    with pytest.raises(NotFound):
        remove_contacts(book, ["#1", "nobody@example.org"])
    assert snapshot(book) == before


# -- check -----------------------------------------------------------------------------------

def findings(book):
    return [(f.contact.id, f.level, f.message) for f in check_book(book)]


def test_check_of_a_clean_book_finds_nothing(book, seeded):
    add_org(book, {"name": "Centre national d'études spatiales", "short_name": "CNES"})
    assert findings(book) == []


def test_check_reports_stored_data_that_is_no_longer_valid(book, seeded):
    add_org(book, {"name": "Centre national d'études spatiales", "short_name": "CNES"})
    book.store.db.execute("UPDATE contact_phones SET e164 = '+3314' WHERE contact_id = 2")
    book.store.db.execute("UPDATE contact_emails SET address = 'not-an-address' "
                          "WHERE contact_id = 3")
    [phone_error, email_error] = [f for f in check_book(book) if f.level == "error"]
    assert phone_error.contact.id == 2
    assert phone_error.message.startswith('phone "+3314" is too short')
    assert phone_error.where == "contact #2 Claire Fontaine"
    assert email_error.contact.id == 3
    assert email_error.message.startswith('e-mail "not-an-address"')


def test_check_warns_about_missing_e_mail_and_officers_without_organisation(book):
    add_contact(book, {"name": "No Mail", "phones": ["01 44 76 75 39"]})
    add_contact(book, {"name": "Lone Officer", "kind": "officer", "emails": ["lo@example.org"]})
    add_contact(book, {"name": "Far Officer", "kind": "officer", "organization": "Nowhere Inc",
                       "emails": ["fo@example.org"]})
    assert sorted(findings(book)) == [
        (1, "warning", "has no e-mail address"),
        (2, "warning", "press officer without an organisation"),
        (3, "warning", 'organisation "Nowhere Inc" is not in `pressctl orgs list`'),
    ]


def test_check_uses_the_organisation_country_for_national_numbers(book):
    add_org(book, {"name": "Université libre de Bruxelles", "short_name": "ULB", "country": "BE"})
    add_contact(book, {"name": "B", "organization": "ULB", "emails": ["b@example.org"],
                       "phones": ["02 555 01 23"]})
    assert findings(book) == []


def test_check_can_be_limited_by_a_filter(book, seeded):
    book.store.db.execute("UPDATE contact_phones SET e164 = '+3314'")
    only = check_book(book, ContactFilter(ids=(2,)))
    assert {f.contact.id for f in only} == {2}


# -- export ---------------------------------------------------------------------------------

def test_export_refuses_unknown_formats_and_vcard_versions(book):
    with pytest.raises(InvalidInput, match="unknown export format 'xml'"):
        export_contacts(book.store, ContactFilter(), "xml")
    with pytest.raises(InvalidInput, match="vCard version '2.1'"):
        export_contacts(book.store, ContactFilter(), "vcard", vcard_version="2.1")


def test_export_selects_by_filter(book, seeded):
    text = "".join(export_contacts(book.store, ContactFilter(tags=("space",)), "csv"))
    assert "Claire Fontaine" in text and "Pascale" not in text


def test_add_skipped_as_a_duplicate_still_says_the_address_is_opted_out(book, seeded):
    result = add_contact(book, {"name": "É.", "emails": ["elodie.marchand@example.net"]},
                         on_duplicate="skip")
    assert result.action == "skipped"
    [notice] = result.opted_out
    assert notice.contact.id == seeded["Élodie Marchand"]

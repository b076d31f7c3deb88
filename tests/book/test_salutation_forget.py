"""`contacts forget` and salutations: another person's salutation is a name column, like
their name (a homonym keeps how they are greeted); free text is still scrubbed; the
person's own salutation and roles go with them."""

from __future__ import annotations

from pressctl.book.contacts import add_contact
from pressctl.book.gdpr import forget_contact


def test_forgetting_a_person_leaves_a_homonyms_salutation_and_scrubs_notes(book):
    add_contact(book, {"name": "Jeanne Dupont", "emails": ["jeanne@lemonde.example"],
                       "roles": ["fr=Rédactrice en chef", "en=Editor-in-chief"],
                       "salutation": "Madame la rédactrice en chef, chère Jeanne Dupont"})
    other = add_contact(book, {"name": "Jeanne Dupont", "emails": ["j.dupont@cnes.example"],
                               "salutation": "Chère Jeanne Dupont",
                               "notes": "Not Jeanne Dupont of Le Monde"}).contact
    forget_contact(book, "jeanne@lemonde.example")
    kept = book.store.contacts.get(other.stored_id)
    assert kept is not None
    assert kept.salutation == "Chère Jeanne Dupont"
    assert kept.notes is not None and "Jeanne Dupont" not in kept.notes
    # The forgotten person's roles went with their contact row.
    assert book.store.db.execute("SELECT count(*) FROM contact_roles").fetchone()[0] == 0

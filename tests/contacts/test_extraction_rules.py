"""The extraction rules of issue 13, one test (or table) per rule.

Each rule is pinned twice: on the corpus blocks it was written for, two or more from
different sources (tests/contacts/extraction_corpus/, scored with the rule of
bench/bench_extraction.py, with each block's own region and with --region FR), and on
small texts aimed at the step that implements it (segment, anchors, fields, assembly,
context, scoring), including what the rule must leave alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from extraction_bench import load_bench

from pressctl.book.extraction import IMPORT_THRESHOLD, known_orgs, split_by_confidence
from pressctl.contacts.extraction.anchors import matcher_region
from pressctl.contacts.extraction.html import TextLine, text_lines
from pressctl.contacts.extraction.model import KnownOrg, ProposedContact
from pressctl.contacts.extraction.scoring import Evidence, confidence
from pressctl.contacts.extraction.segment import block_regions, columns, repair
from pressctl.contacts.extraction.text import extract_contacts
from pressctl.contacts.model import Phone

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "extraction_corpus"
DATA = Path(__file__).resolve().parent.parent / "data" / "extract"


bench = load_bench()
BY_FILE = {block.file: block for block in bench.load_corpus(CORPUS)}

# rule -> the corpus blocks that need it
RULES = {
    "one column per person in an HTML table": [
        "042-esa-html-columns.html", "044-company-html-columns.html",
        "071-jaxa-html-columns.html"],
    "slash pairs of names, numbers and addresses": [
        "004-nasa-us-nextline.txt", "010-csa-us-formats.txt"],
    "an e-mail split over two lines": ["025-univ-mangled.txt", "057-csa-mangled.txt"],
    "line breaks inserted in a name, an office and a number": [
        "027-dlr-mangled.txt", "061-eso-mangled.txt"],
    "the organisation's name of the e-mail domain is no part of a name": [
        "024-esa-mangled.txt", "060-dlr-mangled.txt", "078-newswire-mangled.txt"],
    "surname first in capitals": [
        "034-newswire-caps-name.txt", "036-univ-caps-name.txt", "037-jaxa-caps-name.txt",
        "072-csa-caps-name.txt"],
    "surname in capitals, a comma, the first name": [
        "035-company-caps-name.txt", "058-esa-caps-name.txt", "066-univ-caps-name.txt"],
    "offices without a person": [
        "013-dlr-office.txt", "018-csa-office.txt", "059-jaxa-partner.txt",
        "062-univ-office.txt", "065-company-office.txt", "068-esa-office.txt"],
    "an office with its division": ["079-jaxa-office.txt", "081-univ-office.txt"],
    "contact headings of Quebec French": [
        "018-csa-office.txt", "062-univ-office.txt", "072-csa-caps-name.txt"],
    "organisation words (centres, companies' nouns) make no person": [
        "007-nasa-us-formats.txt", "013-dlr-office.txt", "058-esa-caps-name.txt",
        "071-jaxa-html-columns.html"],
    "a block headed by its organisation's name, then 'Name, role'": [
        "074-eso-partner.txt", "075-company-partner.txt"],
    "unlabelled North American numbers": [
        "001-nasa-us-inline.txt", "057-csa-mangled.txt", "062-univ-office.txt",
        "072-csa-caps-name.txt", "077-univ-us-formats.txt"],
    "a country code in brackets": ["083-esa-labelled.txt", "088-company-labelled.txt"],
    "dial-in numbers are nobody's": ["009-newswire-us-formats.txt", "063-company-partner.txt"],
    "a company's number under a sentence is no contact": [
        "033-newswire-partner.txt", "064-esa-partner.txt"],
    "the agency's person 'for' a client": [
        "033-newswire-partner.txt", "063-company-partner.txt"],
}
CASES = [(rule, file) for rule, files in RULES.items() for file in files]


def found_exactly(file: str, region: str) -> bool:
    from pressctl.book.extraction import extract_from_file

    block = BY_FILE[file]
    proposals = [bench.Proposal.of(p) for p in extract_from_file(CORPUS / file, region)]
    score = bench.score_block(block, proposals)
    return score.matched == score.expected == score.proposed


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_has_examples_from_two_sources(rule):
    assert len({BY_FILE[file].source for file in RULES[rule]}) >= 2


@pytest.mark.parametrize(("rule", "file"), CASES, ids=[f"{r}: {f}" for r, f in CASES])
def test_rule_on_its_corpus_blocks(rule, file):
    assert found_exactly(file, BY_FILE[file].region), rule


@pytest.mark.parametrize(("rule", "file"), CASES, ids=[f"{r}: {f}" for r, f in CASES])
def test_rule_on_its_corpus_blocks_with_region_fr(rule, file):
    assert found_exactly(file, "FR"), rule


def lines(text: str) -> list[TextLine]:
    return text_lines(text)


def texts(found: list[TextLine]) -> list[str]:
    return [line.text for line in found]


# --------------------------------------------------------------------------- segment: repair


@pytest.mark.parametrize(("broken", "joined"), [
    ("E-mail: emma.lindholm@astro.westbridge.\nexample.org",
     "E-mail: emma.lindholm@astro.westbridge.example.org"),
    ("relations.medias\n@coa.example.ca", "relations.medias@coa.example.ca"),
    ("Tel.: +49 30\n23125 417", "Tel.: +49 30 23125 417"),
    ("Dr. Jonas\nHartmann", "Dr. Jonas Hartmann"),
    ("DZR-Institut für\nPlanetenforschung", "DZR-Institut für Planetenforschung"),
    ("Public Information Office of\nSouthern Astronomy Observatory",
     "Public Information Office of Southern Astronomy Observatory"),
])
def test_repair_joins_what_copy_paste_broke(broken, joined):
    repaired = repair(lines(broken))
    assert texts(repaired) == [joined]
    assert repaired[0].number == 1  # the first line's number is kept


@pytest.mark.parametrize("whole", [
    "Jane Doe\nPress Officer",
    "Jane Doe\njane.doe@example.org",
    "Tel: +33 1 99 00 27 81\njane.doe@example.org",
    "Jonas\nHartmann Dupont Leroy",  # a surname is one or two words
    "Contact\nHartmann",  # a heading word is no first name
    "jane.doe@example.org\nexample.org",  # a whole address needs nothing more
])
def test_repair_leaves_whole_lines_alone(whole):
    assert texts(repair(lines(whole))) == whole.split("\n")


# --------------------------------------------------------------------------- segment: columns


def test_slash_pairs_become_one_block_per_person_with_the_shared_line_in_each():
    found = columns(lines("Ken Albrecht / Sofia Lindqvist\nHeadquarters, Washington\n"
                          "202-555-0155 / 202-555-0187\n"
                          "ken.albrecht@example.org / sofia.lindqvist@example.org"))
    assert texts(found) == [
        "Ken Albrecht", "Headquarters, Washington", "202-555-0155", "ken.albrecht@example.org",
        "",
        "Sofia Lindqvist", "Headquarters, Washington", "202-555-0187",
        "sofia.lindqvist@example.org", "",
    ]
    assert [line.number for line in found if line.text][:4] == [1, 2, 3, 4]


def test_table_columns_become_one_block_per_person():
    found = columns([TextLine(5, "Thomas Berger\tAnna Kessler"),
                     TextLine(7, "+33 1 99 00 12 34\t+31 71 565 4409"),
                     TextLine(8, "thomas.berger@example.org\tanna.kessler@example.org")])
    assert texts(found) == ["Thomas Berger", "+33 1 99 00 12 34", "thomas.berger@example.org",
                            "", "Anna Kessler", "+31 71 565 4409", "anna.kessler@example.org",
                            ""]


@pytest.mark.parametrize("text", [
    "Jane Doe\nTel: 01 99 00 27 81 / 06 12 00 48 37",  # one person's two numbers
    "Jane Doe\tPress Officer\t+33 1 99 00 27 81\tjane@example.org\n"
    "John Roe\tSpokesperson\t+33 1 99 00 27 82\tjohn@example.org",  # one row per person
    "Press Officer / Spokesperson\nJane Doe",  # no anchors side by side
])
def test_columns_leave_other_layouts_alone(text):
    assert texts(columns(lines(text))) == text.split("\n")


# --------------------------------------------------------------------------- segment: regions


@pytest.mark.parametrize(("text", "orgs", "expected"), [
    ("Marta Robles\nmrobles@nubetec.example.es", (), ["ES", "ES"]),
    ("Chiara Rossi\nchiara@valcorta.example.it\n\nJane\njane@example.org", (),
     ["IT", "IT", "FR", "FR", "FR"]),
    ("a@example.de\nb@example.it", (), ["FR", "FR"]),  # two countries: the default
    ("a@startup.example.io", (), ["FR"]),  # a country code sold as a generic name
    ("presse@cnes.fr", (KnownOrg("CNES", ("presse.cnes.fr",), "BE"),), ["BE"]),  # the book's
])
def test_block_region_from_the_email_domains(text, orgs, expected):
    assert block_regions(lines(text), "FR", orgs) == expected


# --------------------------------------------------------------------------- anchors


@pytest.mark.parametrize(("span", "region", "expected"), [
    ("202-555-0131", "US", "US"),
    ("202-555-0131", "FR", "US"),  # the North American shape read as such
    ("(301) 555-0108", "DE", "US"),
    ("01 99 00 27 81", "FR", "FR"),
    ("979 8149 5219", "US", None),  # a meeting ID
    ("2026 1234 5678", "FR", None),
])
def test_unlabelled_digits_are_a_phone_where_phonenumbers_matcher_finds_one(
        span, region, expected):
    assert matcher_region(span, region) == expected


@pytest.mark.parametrize("text", [
    "Media contact:\nPriya Natarajan\n+1 646 555 0123\nWebcast dial-in: +1 646 555 0177\n",
    "Media contact:\nPriya Natarajan\n+1 646 555 0123\n+1 646 555 0177, passcode 884213\n",
    "Contact presse :\nPriya Natarajan\n+1 646 555 0123\n"
    "Conférence : +33 1 99 00 45 12, code d'accès 5512\n",
])
def test_dial_in_numbers_are_no_ones_phone(text):
    found = extract_contacts(text, region="US")
    assert [(c.name, [p.e164 for p in c.phones]) for c in found] == [
        ("Priya Natarajan", ["+16465550123"])]


# --------------------------------------------------------------------------- fields and assembly


@pytest.mark.parametrize(("line", "name"), [
    ("DUPONT Marie – Attachée de presse – marie.dupont@example.fr", "DUPONT Marie"),
    ("YAMADA Haruki, Public Affairs Department, yamada@example.jp", "YAMADA Haruki"),
    ("SCHNEIDER, Katrin – katrin@example.de", "SCHNEIDER Katrin"),
    ("GARCÍA LÓPEZ, Ana – ana@example.es", "GARCÍA LÓPEZ Ana"),
])
def test_surname_first_in_capitals(line, name):
    assert [c.name for c in extract_contacts(f"Contact\n{line}\n")] == [name]


def test_an_acronym_of_the_release_is_no_surname_but_other_capitals_are():
    found = extract_contacts("Contact: Thomas Berger EOA Media Relations "
                             "thomas.berger@eoa.example.org\n")
    assert [c.name for c in found] == ["Thomas Berger"]
    found = extract_contacts("Contact: Thomas BERGER, thomas.berger@example.org\n")
    assert [c.name for c in found] == ["Thomas BERGER"]


def test_a_company_named_like_the_email_domain_ends_the_name_but_a_surname_stays():
    found = extract_contacts("Contacto: Pablo Ruiz Nubetec Tel.: +34 600 000 777 "
                             "Email: pruiz@nubetec.example.es\n", region="ES")
    assert [c.name for c in found] == ["Pablo Ruiz"]
    found = extract_contacts("Contact: Jane Doe, +33 1 99 00 27 81, jane@doe.example.fr\n")
    assert [c.name for c in found] == ["Jane Doe"]  # two words: the domain's name stays


@pytest.mark.parametrize(("office", "expected"), [
    ("JOEA Public Affairs Department, Space Science Division",
     "JOEA Public Affairs Department, Space Science Division"),
    ("Pressestelle, Abteilung Hochschulkommunikation",
     "Pressestelle, Abteilung Hochschulkommunikation"),
])
def test_an_office_keeps_its_division(office, expected):
    [found] = extract_contacts(f"Contact\n{office}\nTel: +81 50 3362 4100\n", region="JP")
    assert (found.name, found.is_office) == (expected, True)


def test_a_division_after_a_persons_name_is_her_role():
    [found] = extract_contacts("Contact\nJane Doe, Space Science Division\n"
                               "Tel: +81 50 3362 4100\n", region="JP")
    assert (found.name, found.role) == ("Jane Doe", "Space Science Division")


@pytest.mark.parametrize(("heading", "person"), [
    ("Ópticas del Sur", "Carlos Medina, director de comunicación"),
    ("Northfield Orbital", "Grace Palmer, Head of Communications"),
])
def test_a_name_above_a_name_with_a_role_is_the_blocks_organisation(heading, person):
    [found] = extract_contacts(f"Contacts\n\n{heading}\n{person}\n+34 910 000 188\n")
    assert (found.name, found.organization) == (person.split(",")[0], heading)


@pytest.mark.parametrize("line", [
    "Aisha Grant for Helion Dynamics", "Priya Natarajan for Orbitline Inc.",
    "Aisha Grant pour Helion Dynamics",
])
def test_the_person_before_for_is_the_contact(line):
    found = extract_contacts(f"Media contact:\n{line}\n+1 212 555 0161\n", region="US")
    assert [c.name for c in found] == [line.split(" pour ")[0].split(" for ")[0]]


def test_a_company_and_its_number_under_a_sentence_are_no_contact():
    text = ("Visitors may book their seats for the open day in the visitor centre. "
            "Bookings:\nOrbital Events, +33 1 99 00 45 12.\n\n"
            "Press contact:\nJane Doe, jane.doe@example.org\n")
    assert [c.name for c in extract_contacts(text)] == ["Jane Doe"]


@pytest.mark.parametrize(("file", "region", "expected"), [
    ("023-newswire-newswire-line.txt", "IT",
     [("Giulia Ferri", "Stellaris S.p.A"), ("Marco Bellini", "Agenzia Eco")]),
    ("069-company-newswire-line.txt", "FR",
     [("Sophie Laurent", "Astralis"), ("Hugo Mercier", "agence Nova")]),
])
def test_an_organisation_on_a_shared_line_belongs_to_the_name_after_it(file, region, expected):
    text = (CORPUS / file).read_text(encoding="utf-8")
    assert [(c.name, c.organization) for c in extract_contacts(text, region=region)] == expected


def test_an_organisation_above_the_name_heads_the_contact():
    text = "Media Relations\nCanadian Orbital Agency\nMathieu Gagnon, mg@example.ca\n"
    assert [c.organization for c in extract_contacts(text)] == ["Canadian Orbital Agency"]


# --------------------------------------------------------------------------- organisation


CNES = KnownOrg("CNES", ("presse.cnes.fr",), "FR")
SFR = KnownOrg("SFR", ("sfr.radiologie.fr",), "FR")


def test_an_address_gets_the_books_organisation_of_its_domain():
    text = "Press contact\nJeanne Martin, +33 1 99 00 27 81, jeanne.martin@cnes.fr\n"
    assert [c.organization for c in extract_contacts(text)] == [None]
    assert [c.organization for c in extract_contacts(text, orgs=[CNES, SFR])] == ["CNES"]
    agency = KnownOrg("Agence Exemple", ("www.example.fr",))  # the address above the site's
    text = "Press contact\nJeanne Martin, jeanne.martin@example.fr\n"
    assert [c.organization for c in extract_contacts(text, orgs=[agency])] == ["Agence Exemple"]


@pytest.mark.parametrize(("text", "expected"), [
    ((DATA / "seed002_contacts.txt").read_text(encoding="utf-8"), ["CNES", "CNES"]),
    ("The Deutsches Zentrum für Raumfahrtforschung (DZR) leads the campaign.\n\n"
     "Kontakt\nJonas Hartmann, jonas.hartmann@dzr.example.de\n",
     ["Deutsches Zentrum für Raumfahrtforschung"]),
    ("The EOA will publish the data.\n\nContact\nAnna Kessler, anna@eoa.example.org\n",
     ["EOA"]),
    ("Contact\nAnna Kessler, anna@eoa.example.org\n", [None]),  # no EOA written
])
def test_an_acronym_of_the_release_that_is_the_email_domain_names_the_organisation(
        text, expected):
    assert [c.organization for c in extract_contacts(text)] == expected


def test_contacts_at_one_domain_share_the_organisation_one_of_them_has():
    text = ("Contactos\n\nLucía Navarro\nTel. 958 24 31 90\nlnavarro@almendral.example.es\n\n"
            "Oficina de Comunicación\nUniversidad de Almendral\nTel. 958 24 31 80\n"
            "comunicacion@almendral.example.es\n\nJane Doe\njane@other.example.es\n")
    assert [c.organization for c in extract_contacts(text, region="ES")] == [
        "Universidad de Almendral", "Universidad de Almendral", None]


def test_seed_002_gets_the_books_organisation_of_its_address_domain():
    text = (DATA / "seed002_contacts.txt").read_text(encoding="utf-8")
    assert {c.organization for c in extract_contacts(text, orgs=[CNES, SFR])} == {"CNES"}


def test_seed_003_without_emails_gets_the_one_book_organisation_the_release_names():
    text = (DATA / "seed003_contacts.txt").read_text(encoding="utf-8")
    found = extract_contacts(text, orgs=[CNES, SFR])
    assert [(c.name, c.organization) for c in found] == [
        ("Pascale Bresson", "CNES"), ("Raphaël Sart", "CNES")]


def test_a_partners_address_does_not_take_the_books_organisation():
    text = "Contacts\nJane Doe, jane@agency.example.com\nPierre Roy, pierre.roy@cnes.fr\n"
    found = extract_contacts(text, orgs=[CNES])
    assert [(c.name, c.organization) for c in found] == [
        ("Jane Doe", None), ("Pierre Roy", "CNES")]


def test_known_orgs_of_a_book(book):
    from pressctl.book.orgs import add_org

    add_org(book, {"name": "Centre national d'études spatiales", "short_name": "CNES",
                   "country": "FR", "website": "https://presse.cnes.fr/en"})
    add_org(book, {"name": "Agence Exemple", "website": "http://www.example.org"})
    add_org(book, {"name": "Sans Site"})
    assert sorted(known_orgs(book), key=lambda o: o.name) == [
        KnownOrg("Agence Exemple", ("example.org",), None),
        KnownOrg("CNES", ("presse.cnes.fr",), "FR"),
        KnownOrg("Sans Site", (), None),
    ]


# --------------------------------------------------------------------------- confidence


@pytest.mark.parametrize(("evidence", "expected"), [
    (Evidence("person", 1, 1, True, True, 0, 0), 1.0),
    (Evidence("person", 1, 1, True, False, 0, 0), 0.95),
    (Evidence("person", 0, 1, False, False, 0, 0), 0.6),
    (Evidence("office", 1, 0, True, False, 1, 0), 0.8),
    (Evidence("weak", 0, 1, False, False, 0, 0), 0.45),
    (Evidence("none", 1, 0, True, False, 0, 0), 0.4),
    (Evidence("person", 0, 1, False, False, 8, 0), 0.5),  # details far from the name
    (Evidence("person", 1, 1, True, False, 0, 1), 0.75),  # a problem
    (Evidence("none", 0, 1, False, False, 0, 1), 0.0),
])
def test_confidence_table(evidence, expected):
    assert confidence(evidence) == expected


def test_confidence_of_proposals_in_the_seeds_and_in_a_photo_credit():
    seed = extract_contacts((DATA / "seed000_contacts.md").read_text(encoding="utf-8"))
    assert all(c.confidence >= IMPORT_THRESHOLD for c in seed)
    credit = extract_contacts("Photos by Jane Doe: +33 1 99 00 27 81\n")
    assert [(c.name, c.confidence) for c in credit] == [("Jane Doe", 0.45)]
    nameless = extract_contacts("Press contacts\njane.doe@example.org\n")
    assert [c.confidence for c in nameless] == [0.2]  # no name, and a problem saying so


def test_split_by_confidence_keeps_the_threshold_and_all_keeps_everything():
    def proposal(score: float) -> ProposedContact:
        return ProposedContact("X", None, None, [], ["x@example.org"], 1, confidence=score)

    low, edge, high = proposal(0.45), proposal(IMPORT_THRESHOLD), proposal(0.9)
    assert IMPORT_THRESHOLD == 0.5 == bench.IMPORT_THRESHOLD
    assert split_by_confidence([low, edge, high]) == ([edge, high], [low])
    assert split_by_confidence([low, edge, high], everything=True) == ([low, edge, high], [])


# --------------------------------------------------------------------------- json lines


def test_no_right_proposal_of_the_corpus_is_below_the_import_threshold():
    totals = bench.totals(bench.run(CORPUS))
    assert totals["below_threshold_right"] == 0


def test_json_gives_the_source_line_of_each_field():
    text = ("Press contact\n\nJane Doe\nPress Officer\nTel: +33 1 99 00 27 81\n"
            "Fax: +33 1 99 00 27 82\nMobile: +33 6 12 00 48 37\njane.doe@example.org\n")
    [contact] = extract_contacts(text)
    data = contact.to_json()
    assert data["phones"] == ["+33199002781", "+33612004837"]  # the fax left out ...
    assert data["lines"] == {"name": 3, "emails": [8], "phones": [5, 7]}  # ... with its line
    assert data["confidence"] == 0.95


def test_json_lines_of_a_contact_on_one_line_and_of_an_office():
    [one] = extract_contacts("Contact: Jane Doe, +33 1 99 00 27 81, jane@example.org\n")
    assert one.to_json()["lines"] == {"name": 1, "emails": [1], "phones": [1]}
    [office] = extract_contacts("Contact\n\nPressestelle\nTel. +49 30 23125 417\n", region="DE")
    assert office.is_office
    assert office.to_json()["lines"] == {"name": 3, "emails": [], "phones": [4]}


def test_json_lines_without_recorded_lines_fall_back_to_the_contacts_line():
    contact = ProposedContact("X", None, None, [Phone("+33199002781")], ["x@example.org"], 7)
    assert contact.to_json()["lines"] == {"name": None, "emails": [7], "phones": [7]}

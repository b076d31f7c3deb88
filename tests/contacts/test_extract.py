"""Tests of pressctl.contacts.extraction.text: contacts proposed from press releases.

The seed releases' contact blocks are copied into tests/data/extract/ (the files in
/work/shared/seeds/ are used too when present). Every other block is made up for these
tests: fictional people, example.* domains, numbers that phonenumbers accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.contacts.extraction.html import markdown_lines
from pressctl.contacts.extraction.text import ProposedContact, detect_format, extract_contacts

DATA = Path(__file__).parent.parent / "data" / "extract"
SEEDS = Path("/work/shared/seeds")


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def summary(contact: ProposedContact) -> tuple:
    return (
        contact.name,
        contact.role,
        contact.organization,
        [phone.e164 for phone in contact.phones],
        contact.emails,
    )


def phone_types(contact: ProposedContact) -> list[tuple[str, str]]:
    return [(phone.e164, phone.type) for phone in contact.phones]


# --------------------------------------------------------------------------- seeds

SEED_000 = [
    ("Pascale Bresson", "Press Officer", "CNES", ["+33144767539"], ["pascale.bresson@cnes.fr"]),
    ("Raphaël Sart", "Press Officer", "CNES", ["+33144767451"], ["raphael.sart@cnes.fr"]),
    ("Nicolas Merlet", "Press Officer", "SFR", ["+33625796479"], ["nicolasmerlet@ortus-sante.fr"]),
    ("Françoise Millet", "Press Officer", "SFR", ["+33686895517"],
     ["francoisemillet@ortus-sante.fr"]),
]
SEED_002 = [  # CNES: the release writes the acronym of the addresses' domain (issue 13)
    ("Pascale Bresson", "Attachée de Presse", "CNES", ["+33144767539"],
     ["pascale.bresson@cnes.fr"]),
    ("Raphaël Sart", "Responsable Presse", "CNES", ["+33144767451"], ["raphael.sart@cnes.fr"]),
]
SEED_003 = [
    ("Pascale Bresson", "Press Officer", None, ["+33144767539"], []),
    ("Raphaël Sart", "Press Officer", None, ["+33144767451"], []),
]


def test_seed_000_two_organisations_in_markdown_with_inline_html():
    text = read("seed000_contacts.md")
    contacts = extract_contacts(text)
    assert [summary(c) for c in contacts] == SEED_000
    assert [c.line for c in contacts] == [21, 22, 40, 41]
    assert all(not c.problems and not c.is_office for c in contacts)


def test_seed_000_json_output():
    contact = extract_contacts(read("seed000_contacts.md"))[0]
    assert contact.to_json() == {
        "name": "Pascale Bresson",
        "role": "Press Officer",
        "organization": "CNES",
        "phones": ["+33144767539"],
        "emails": ["pascale.bresson@cnes.fr"],
        "confidence": 1.0,
        "lines": {"name": 21, "emails": [21], "phones": [21]},
    }


def test_seed_002_columns_of_non_breaking_spaces():
    contacts = extract_contacts(read("seed002_contacts.txt"))
    assert [summary(c) for c in contacts] == SEED_002
    assert [c.line for c in contacts] == [11, 12]


def test_seed_003_no_email_and_no_organisation():
    contacts = extract_contacts(read("seed003_contacts.txt"))
    assert [summary(c) for c in contacts] == SEED_003
    assert [c.line for c in contacts] == [7, 8]


def test_seed_001_body_text_has_no_contacts():
    assert extract_contacts(read("seed001_body.txt")) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seed releases not available")
@pytest.mark.parametrize(
    ("stem", "expected", "lines"),
    [
        ("000_", SEED_000, [44, 45, 63, 64]),
        ("001_", [], []),
        ("002_", SEED_002, [14, 15]),
        ("003_", SEED_003, [15, 16]),
    ],
)
def test_full_seed_releases(stem, expected, lines):
    (path,) = SEEDS.glob(f"{stem}*.txt")
    contacts = extract_contacts(path.read_text(encoding="utf-8"), filename=path.name)
    assert [summary(c) for c in contacts] == expected
    assert [c.line for c in contacts] == lines


# --------------------------------------------------------------------------- format


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        ("<p>Jane Doe</p>", "release.html", "html"),
        ("Jane Doe", "release.HTM", "html"),
        ("plain", "release.md", "markdown"),
        ("<!DOCTYPE html><html><body>x</body></html>", None, "html"),
        ("<p>one</p><p>two</p><br>", "release.txt", "html"),
        ("## About CNES\n<b>Pascale Bresson</b>\tPress Officer", "release.txt", "markdown"),
        ("Contact: **Jane Doe**", None, "markdown"),
        ("Pascale Bresson    Press Officer    Tel: +33 1 44 76 75 39", None, "text"),
    ],
)
def test_detect_format(text, filename, expected):
    assert detect_format(text, filename) == expected


def test_seed_000_is_markdown_despite_txt_name():
    assert detect_format(read("seed000_contacts.md"), "000.txt") == "markdown"


# --------------------------------------------------------------------------- own blocks

ENGLISH_BLOCKS = """\
Lunar lander passes its drop test

"The test went perfectly," said programme director Paul Martin.

Press contacts

Jane Doe
Press Officer
Tel: +44 20 7946 0018
Mobile: +44 7911 123456
jane.doe@example.org

John Roe
Head of Media Relations
Phone: +44 20 7946 0019
E-mail: john.roe@example.org
"""

FRENCH_BLOCKS_WITHOUT_BLANK_LINES = """\
Contacts presse
Marie Dupont
Chargée de communication
Tél. : 01 23 45 67 89
Portable : 06 12 34 56 78
Courriel : marie.dupont@example.fr
Jean-Luc Lefèvre
Responsable des relations presse
Tél. 01 23 45 67 80
Télécopie : 01 23 45 67 99
jean-luc.lefevre@example.fr
"""

GERMAN_BLOCK = """\
Pressekontakt

Dr. Anna Schmidt
Pressesprecherin
Telefon: 030 1234567
Handy: 0151 23456789
Telefax: 030 1234568
E-Mail: anna.schmidt@example.de
"""

ITALIAN_LINE = """\
Contatti stampa

Giulia Rossi – Addetta stampa – Tel. +39 06 1234 5678 – Cellulare +39 347 123 4567 – giulia.rossi@example.it
"""

SPANISH_LINE = """\
Contacto de prensa

Carlos García Pérez | Jefe de prensa | Teléfono: +34 912 345 678 | Móvil: +34 612 345 678 | Correo: carlos.garcia@example.es
"""

MARKDOWN_SEPARATORS = """\
## Media contacts

**Jane Doe** / Communications Manager / Tel +1 202-555-0143 ext. 12 / [jane.doe@example.com](mailto:jane.doe@example.com)
**Li Wei** | Spokesperson | +1 212 555 0188 | [Write to Li](mailto:li.wei@example.com)
"""

HTML_IN_MARKDOWN = """\
### Contacts

<p><strong>Ren&eacute;e Lef&egrave;vre</strong> &ndash; Charg&eacute;e de communication<br>T&eacute;l.&nbsp;: 01&nbsp;23&nbsp;45&nbsp;67&nbsp;89<br><a href="mailto:renee.lefevre@example.fr">&Eacute;crire</a></p>
"""

MARKDOWN_TABLE = """\
# Satellite launched

Quote by Paul Martin, our director.

## Contacts presse

| Nom | Fonction | Téléphone | E-mail |
|---|---|---|---|
| Jane Doe | Attachée de presse | 01 23 45 67 89 | jane.doe@example.fr |
| Paul Martin | Porte-parole | +33 6 12 34 56 78 | [paul.martin@example.fr](mailto:paul.martin@example.fr) |
"""


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        pytest.param(ENGLISH_BLOCKS, "GB", [
            ("Jane Doe", "Press Officer", None, ["+442079460018", "+447911123456"],
             ["jane.doe@example.org"]),
            ("John Roe", "Head of Media Relations", None, ["+442079460019"],
             ["john.roe@example.org"]),
        ], id="english-blocks"),
        pytest.param(FRENCH_BLOCKS_WITHOUT_BLANK_LINES, "FR", [
            ("Marie Dupont", "Chargée de communication", None, ["+33123456789", "+33612345678"],
             ["marie.dupont@example.fr"]),
            ("Jean-Luc Lefèvre", "Responsable des relations presse", None,
             ["+33123456780", "+33123456799"], ["jean-luc.lefevre@example.fr"]),
        ], id="french-blocks"),
        pytest.param(GERMAN_BLOCK, "DE", [
            ("Dr. Anna Schmidt", "Pressesprecherin", None,
             ["+49301234567", "+4915123456789", "+49301234568"], ["anna.schmidt@example.de"]),
        ], id="german-block"),
        pytest.param(ITALIAN_LINE, "IT", [
            ("Giulia Rossi", "Addetta stampa", None, ["+390612345678", "+393471234567"],
             ["giulia.rossi@example.it"]),
        ], id="italian-dashes"),
        pytest.param(SPANISH_LINE, "ES", [
            ("Carlos García Pérez", "Jefe de prensa", None, ["+34912345678", "+34612345678"],
             ["carlos.garcia@example.es"]),
        ], id="spanish-pipes"),
        pytest.param(MARKDOWN_SEPARATORS, "US", [
            ("Jane Doe", "Communications Manager", None, ["+12025550143"],
             ["jane.doe@example.com"]),
            ("Li Wei", "Spokesperson", None, ["+12125550188"], ["li.wei@example.com"]),
        ], id="markdown-bold-mailto"),
        pytest.param(HTML_IN_MARKDOWN, "FR", [
            ("Renée Lefèvre", "Chargée de communication", None, ["+33123456789"],
             ["renee.lefevre@example.fr"]),
        ], id="inline-html-entities"),
        pytest.param(MARKDOWN_TABLE, "FR", [
            ("Jane Doe", "Attachée de presse", None, ["+33123456789"], ["jane.doe@example.fr"]),
            ("Paul Martin", "Porte-parole", None, ["+33612345678"], ["paul.martin@example.fr"]),
        ], id="markdown-table"),
    ],
)
def test_own_blocks(text, region, expected):
    contacts = extract_contacts(text, region=region)
    assert [summary(c) for c in contacts] == expected
    assert all(not c.problems for c in contacts)


def test_label_words_set_phone_types_in_every_language():
    german = extract_contacts(GERMAN_BLOCK, region="DE")[0]
    assert phone_types(german) == [
        ("+49301234567", "work"), ("+4915123456789", "mobile"), ("+49301234568", "fax"),
    ]
    french = extract_contacts(FRENCH_BLOCKS_WITHOUT_BLANK_LINES)
    assert phone_types(french[0])[1] == ("+33612345678", "mobile")
    assert phone_types(french[1])[1] == ("+33123456799", "fax")
    spanish = extract_contacts(SPANISH_LINE, region="ES")[0]
    assert [phone.type for phone in spanish.phones] == ["work", "mobile"]


@pytest.mark.parametrize(
    ("label", "number", "region", "e164", "kind"),
    [
        ("Tel:", "+44 20 7946 0018", "GB", "+442079460018", "work"),
        ("Tél.", "01 23 45 67 89", "FR", "+33123456789", "work"),
        ("Téléphone :", "01 23 45 67 89", "FR", "+33123456789", "work"),
        ("Telefon:", "030 1234567", "DE", "+49301234567", "work"),
        ("Tel.", "030 1234567", "DE", "+49301234567", "work"),
        ("Telefono:", "06 1234 5678", "IT", "+390612345678", "work"),
        ("Teléfono:", "912 345 678", "ES", "+34912345678", "work"),
        ("Mobile:", "+44 7911 123456", "GB", "+447911123456", "mobile"),
        ("Portable :", "06 12 34 56 78", "FR", "+33612345678", "mobile"),
        ("Mobil:", "0151 23456789", "DE", "+4915123456789", "mobile"),
        ("Handy:", "0151 23456789", "DE", "+4915123456789", "mobile"),
        ("Cellulare:", "347 123 4567", "IT", "+393471234567", "mobile"),
        ("Móvil:", "612 345 678", "ES", "+34612345678", "mobile"),
        ("Fax:", "+44 20 7946 0018", "GB", "+442079460018", "fax"),
        ("Télécopie :", "01 23 45 67 89", "FR", "+33123456789", "fax"),
        ("Telefax:", "030 1234567", "DE", "+49301234567", "fax"),
    ],
)
def test_phone_labels(label, number, region, e164, kind):
    (contact,) = extract_contacts(f"Contacts\nJane Doe\n{label} {number}\n", region=region)
    assert phone_types(contact) == [(e164, kind)]
    assert contact.role is None and not contact.problems


@pytest.mark.parametrize("label", ["E-mail:", "Courriel :", "Mail:", "E-Mail:", "Correo:", "Email"])
def test_email_labels(label):
    (contact,) = extract_contacts(f"Jane Doe\n{label} jane.doe@example.org\n")
    assert summary(contact) == ("Jane Doe", None, None, [], ["jane.doe@example.org"])


def test_extension_kept_and_written_rfc3966_style_in_json():
    jane = extract_contacts(MARKDOWN_SEPARATORS, region="US")[0]
    assert jane.phones[0].extension == "12"
    assert jane.to_json()["phones"] == ["+12025550143;ext=12"]


def test_lines_point_at_where_each_contact_starts():
    assert [c.line for c in extract_contacts(ENGLISH_BLOCKS, region="GB")] == [7, 13]
    assert [c.line for c in extract_contacts(FRENCH_BLOCKS_WITHOUT_BLANK_LINES)] == [2, 7]
    assert [c.line for c in extract_contacts(MARKDOWN_TABLE)] == [9, 10]


def test_german_signature_with_postal_address():
    text = """Berlin, 12. März 2021 – Die Beispiel GmbH hat 1.250 neue Mitarbeiter eingestellt.
„Wir freuen uns“, sagte Geschäftsführerin Erika Musterfrau.

Über die Beispiel GmbH
Die Beispiel GmbH wurde 1998 gegründet und beschäftigt 12.000 Menschen.

Pressekontakt:
Beispiel GmbH
Max Mustermann
Leiter Unternehmenskommunikation
Musterstraße 1, 10115 Berlin
Tel.: +49 30 1234567
Fax: +49 30 1234568
E-Mail: presse@example.de
www.example.de
"""
    (max_,) = extract_contacts(text, region="DE")
    assert summary(max_) == (
        "Max Mustermann", "Leiter Unternehmenskommunikation", "Beispiel GmbH",
        ["+49301234567", "+49301234568"], ["presse@example.de"],
    )
    assert max_.line == 9
    assert max_.to_json()["phones"] == ["+49301234567"]


def test_english_notes_to_editors_with_letter_labels():
    text = """LONDON, 1 June 2021 -- Example plc today announced results for the year ended
31 March 2021. Revenue rose 12% to £1,234 million.

"We delivered a strong performance," said Sarah Conway, Chief Executive.

ENDS

Notes to editors
For further information please contact:

Example plc
Tom Fairweather, Head of Media Relations
T: +44 20 7946 0018
M: +44 7911 123456
E: tom.fairweather@example.co.uk

About Example plc
Example plc is a leading provider of examples.
"""
    (tom,) = extract_contacts(text, region="GB")
    assert summary(tom) == (
        "Tom Fairweather", "Head of Media Relations", "Example plc",
        ["+442079460018", "+447911123456"], ["tom.fairweather@example.co.uk"],
    )
    assert [phone.type for phone in tom.phones] == ["work", "mobile"]


def test_organisation_line_heads_every_contact_of_its_block():
    text = """Contacts presse :
Agence Relations Publiques Exemple
Sophie Durand – 01 23 45 67 89 – sophie.durand@example.fr
Julien Moreau – 06 12 34 56 78 – julien.moreau@example.fr

Groupe Exemple
Direction de la communication – 01 23 45 67 00 – communication@example.fr
"""
    assert [(c.name, c.organization, c.is_office) for c in extract_contacts(text)] == [
        ("Sophie Durand", "Agence Relations Publiques Exemple", False),
        ("Julien Moreau", "Agence Relations Publiques Exemple", False),
        ("Direction de la communication", "Groupe Exemple", True),
    ]


def test_person_names_set_as_headings():
    text = """## Press contacts

### Jane Doe
Press Officer
Tel: +44 20 7946 0018

### John Roe
Spokesperson
john.roe@example.org
"""
    assert [summary(c) for c in extract_contacts(text, region="GB")] == [
        ("Jane Doe", "Press Officer", None, ["+442079460018"], []),
        ("John Roe", "Spokesperson", None, [], ["john.roe@example.org"]),
    ]


# --------------------------------------------------------------------------- prose


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("Media contact: Jane Doe, +1 202-555-0143, jane.doe@example.com\n", "US",
         ("Jane Doe", None, None, ["+12025550143"], ["jane.doe@example.com"])),
        ("For more information, contact Jean Dupont (jean.dupont@example.fr, 01 23 45 67 89).\n",
         "FR", ("Jean Dupont", None, None, ["+33123456789"], ["jean.dupont@example.fr"])),
        ("Pour plus d'informations : Marie Castel, tél. 01 23 45 67 89, marie.castel@example.fr\n",
         "FR", ("Marie Castel", None, None, ["+33123456789"], ["marie.castel@example.fr"])),
        ("Para más información: María José Fernández, Responsable de comunicación, "
         "móvil 612 345 678, mj.fernandez@example.es\n", "ES",
         ("María José Fernández", "Responsable de comunicación", None, ["+34612345678"],
          ["mj.fernandez@example.es"])),
        ("Contact: Luca Bianchi, luca.bianchi [at] example [dot] it, +39 06 1234 5678\n", "IT",
         ("Luca Bianchi", None, None, ["+390612345678"], ["luca.bianchi@example.it"])),
    ],
    ids=["english", "contact-in-parentheses", "french", "spanish", "obfuscated-email"],
)
def test_prose(text, region, expected):
    contacts = extract_contacts(text, region=region)
    assert [summary(c) for c in contacts] == [expected]


def test_two_people_in_one_sentence():
    text = ("For more information, contact Jane Doe (jane.doe@example.com) "
            "or John Roe (john.roe@example.com).\n")
    assert [(c.name, c.emails) for c in extract_contacts(text)] == [
        ("Jane Doe", ["jane.doe@example.com"]),
        ("John Roe", ["john.roe@example.com"]),
    ]


def test_us_release_contact_line_then_bare_number():
    text = """FOR IMMEDIATE RELEASE

WASHINGTON, Sept. 21, 2020 -- The agency said 2,500 engineers will join the programme.
"We are thrilled," said Chief Executive Officer Robert Smith. Call 1-800-555-0199 for tickets.

CONTACT: Jane Doe
(202) 555-0143
jane.doe@example.com

# # #
"""
    contacts = extract_contacts(text, region="US")
    assert [summary(c) for c in contacts] == [
        ("Jane Doe", None, None, ["+12025550143"], ["jane.doe@example.com"]),
    ]
    assert contacts[0].line == 6


def test_name_then_details_across_blank_lines():
    text = ("Press contact\n\nJane Doe\n\nPress Officer\n\n"
            "Tel: +44 20 7946 0018\n\njane.doe@example.org\n")
    assert [summary(c) for c in extract_contacts(text, region="GB")] == [
        ("Jane Doe", "Press Officer", None, ["+442079460018"], ["jane.doe@example.org"]),
    ]


def test_unknown_title_is_taken_as_role():
    text = "Press contacts\n\nJane Doe\nSenior Writer\njane.doe@example.com\n"
    assert [summary(c) for c in extract_contacts(text)] == [
        ("Jane Doe", "Senior Writer", None, [], ["jane.doe@example.com"]),
    ]


# --------------------------------------------------------------------------- offices and fax


def test_office_without_a_person():
    (office,) = extract_contacts("Media Relations Office, +49 30 1234567, press@example.de\n")
    assert office.is_office
    assert summary(office) == (
        "Media Relations Office", None, None, ["+49301234567"], ["press@example.de"]
    )


def test_offices_in_four_languages():
    text = """Service de presse
Tél. 01 23 45 67 89
presse@example.fr

Pressestelle
Telefon +49 30 1234567
presse@example.de

Ufficio stampa: +39 06 1234 5678, stampa@example.it

Oficina de prensa - Tel. +34 912 345 678 - prensa@example.es

Bureau de presse | +33 4 72 12 34 56 | bureau.presse@example.fr
"""
    contacts = extract_contacts(text)
    assert [(c.name, c.is_office, c.emails) for c in contacts] == [
        ("Service de presse", True, ["presse@example.fr"]),
        ("Pressestelle", True, ["presse@example.de"]),
        ("Ufficio stampa", True, ["stampa@example.it"]),
        ("Oficina de prensa", True, ["prensa@example.es"]),
        ("Bureau de presse", True, ["bureau.presse@example.fr"]),
    ]
    assert [c.phones[0].e164 for c in contacts] == [
        "+33123456789", "+49301234567", "+390612345678", "+34912345678", "+33472123456",
    ]


def test_office_named_by_a_heading():
    text = "## Press office\n\nTel. +33 1 23 45 67 89 (standard)\npresse@example.fr\n"
    (office,) = extract_contacts(text)
    assert (office.name, office.is_office) == ("Press office", True)
    assert office.phones[0].label == "standard"


def test_fax_is_kept_typed_but_left_out_of_json_phones():
    text = "Press Office: Tel. +33 1 23 45 67 89, Fax +33 1 23 45 67 99, press@example.org\n"
    (office,) = extract_contacts(text)
    assert phone_types(office) == [("+33123456789", "work"), ("+33123456799", "fax")]
    assert office.to_json()["phones"] == ["+33123456789"]


def test_fax_on_its_own_line_does_not_replace_the_persons_phone():
    text = ("Contacts presse\nMarie Dupont\nTél. 01 23 45 67 89\nFax 01 23 45 67 99\n"
            "marie.dupont@example.fr\n")
    (marie,) = extract_contacts(text)
    assert phone_types(marie) == [("+33123456789", "work"), ("+33123456799", "fax")]
    assert marie.to_json()["phones"] == ["+33123456789"]


def test_two_numbers_in_one_field():
    text = ("Contacts presse\n"
            "Marie Dupont, Tél. 01 23 45 67 89 / 06 12 34 56 78, marie.dupont@example.fr\n")
    (marie,) = extract_contacts(text)
    assert phone_types(marie) == [("+33123456789", "work"), ("+33612345678", "mobile")]


# --------------------------------------------------------------------------- organisations


def test_contact_headings_name_the_organisation():
    text = """ESA press contact
Jane Doe, Media Relations, +33 1 23 45 67 89, jane.doe@example.org

Contacts SFR
Paul Martin, Attaché de presse, 06 12 34 56 78, paul.martin@example.fr
"""
    assert [(c.name, c.role, c.organization) for c in extract_contacts(text)] == [
        ("Jane Doe", "Media Relations", "ESA"),
        ("Paul Martin", "Attaché de presse", "SFR"),
    ]


def test_for_organisation_lines():
    text = """For ESA: Jane Doe, +33 1 23 45 67 89, jane.doe@example.org
Pour le CNES : Paul Martin, 06 12 34 56 78, paul.martin@example.fr
"""
    assert [(c.name, c.organization) for c in extract_contacts(text)] == [
        ("Jane Doe", "ESA"), ("Paul Martin", "CNES"),
    ]


def test_about_sections_and_email_domains():
    text = """## About ESA
The agency.

## About NASA
The other agency.

## Press contacts
Jane Doe, +33 1 23 45 67 89, jane.doe@esa.example.org
John Roe, +1 202-555-0143, john.roe@nasa.example.org
"""
    assert [(c.name, c.organization) for c in extract_contacts(text)] == [
        ("Jane Doe", "ESA"), ("John Roe", "NASA"),
    ]


def test_organisation_in_a_cell_or_on_its_own_line():
    cell = ("Jane Doe\tPress Officer\tExample Space Agency\t+33 1 23 45 67 89\t"
            "jane.doe@example.org\n")
    assert extract_contacts(cell)[0].organization == "Example Space Agency"
    line = "Media contacts\n\nAgence Exemple\nJane Doe\nPress Officer\n+33 1 23 45 67 89\n"
    assert [(c.name, c.organization) for c in extract_contacts(line)] == [
        ("Jane Doe", "Agence Exemple"),
    ]


# --------------------------------------------------------------------------- HTML documents


def test_html_document_with_one_contact_per_table_row():
    contacts = extract_contacts(read("release_table.html"), filename="release_table.html")
    assert [summary(c) for c in contacts] == [
        ("Hélène Marchand", "Attachée de presse", None, ["+33123456789"],
         ["helene.marchand@example.fr"]),
        ("François Lebrun", "Directeur de la communication", None, ["+33612345678"],
         ["francois.lebrun@example.fr"]),
        ("Service de presse", None, None, ["+33123456700", "+33123456799"],
         ["presse@example.fr"]),
    ]
    assert [c.line for c in contacts] == [24, 30, 38]
    assert [c.is_office for c in contacts] == [False, False, True]
    assert contacts[2].to_json()["phones"] == ["+33123456700"]


def test_html_paragraph_per_person_with_breaks_and_tel_links():
    text = """<html><body>
<p><b>Jane Doe</b><br>Press Officer<br>Tel: <a href="tel:+442079460018">+44 20 7946 0018</a>
<br>E-mail: <a href="mailto:jane.doe@example.org">E-mail</a></p>
<p><b>John Roe</b><br>Spokesperson<br><a href="tel:+442079460019">Call John</a>
<br><a href="mailto:john.roe@example.org?subject=Launch">john.roe@example.org</a></p>
</body></html>"""
    contacts = extract_contacts(text)
    assert [summary(c) for c in contacts] == [
        ("Jane Doe", "Press Officer", None, ["+442079460018"], ["jane.doe@example.org"]),
        ("John Roe", "Spokesperson", None, ["+442079460019"], ["john.roe@example.org"]),
    ]
    assert [c.line for c in contacts] == [2, 4]


def test_html_people_side_by_side_in_cells():
    text = """<html><body><table><tr><td>
<p><span style="font-weight:bold">Press contacts</span></p>
<table><tr><td valign="top"><span>Jane&nbsp;Doe</span><br/>
<span>Senior Press Officer</span><br/><span>+44&nbsp;(0)20&nbsp;7946&nbsp;0018</span><br/>
<a href="mailto:jane.doe@example.org">jane.doe@example.org</a></td>
<td valign="top"><span>John&nbsp;Roe</span><br/>
<span>Media Relations Manager</span><br/><span>+44&nbsp;(0)20&nbsp;7946&nbsp;0019</span><br/>
<a href="mailto:john.roe@example.org">john.roe@example.org</a></td></tr></table>
</td></tr></table></body></html>"""
    assert [summary(c) for c in extract_contacts(text, region="GB")] == [
        ("Jane Doe", "Senior Press Officer", None, ["+442079460018"], ["jane.doe@example.org"]),
        ("John Roe", "Media Relations Manager", None, ["+442079460019"],
         ["john.roe@example.org"]),
    ]


def test_html_person_name_as_mailto_link_text():
    text = ('<p>Press contact: <a href="mailto:jane.doe@example.org">Jane Doe</a>, '
            "Press Officer, +44 20 7946 0018</p>")
    assert [summary(c) for c in extract_contacts(text, filename="x.html")] == [
        ("Jane Doe", "Press Officer", None, ["+442079460018"], ["jane.doe@example.org"]),
    ]


# --------------------------------------------------------------------------- problems


def test_bad_number_is_proposed_with_its_problem():
    text = ("Contacts presse\n"
            "Marie Dupont, Attachée de presse, Tél. 01 44 76, marie.dupont@example.fr\n")
    (marie,) = extract_contacts(text)
    assert summary(marie) == (
        "Marie Dupont", "Attachée de presse", None, [], ["marie.dupont@example.fr"]
    )
    assert len(marie.problems) == 1
    assert marie.problems[0].startswith('phone "01 44 76" is too short for FR')


def test_bad_email_is_proposed_with_its_problem():
    text = "Contacts\nJane Doe, Press Officer, jane.doe@example, +33 1 23 45 67 89\n"
    (jane,) = extract_contacts(text)
    assert jane.emails == [] and [p.e164 for p in jane.phones] == ["+33123456789"]
    assert jane.problems[0].startswith('e-mail "jane.doe@example"')


def test_national_number_without_region_is_a_problem():
    (jane,) = extract_contacts("Contact: Jane Doe, 01 23 45 67 89, jane.doe@example.com\n",
                               region=None)
    assert jane.phones == []
    assert jane.problems[0].startswith('phone "01 23 45 67 89" has no country code')


def test_details_without_a_name_in_a_contact_section():
    (contact,) = extract_contacts("## Contacts\n\nTel: +33 1 23 45 67 89\npress@example.org\n")
    assert (contact.name, contact.is_office) == (None, False)
    assert contact.problems == ["no name found next to these details"]


# --------------------------------------------------------------------------- false positives


def test_quoted_people_numbers_dates_and_meeting_ids_are_not_contacts():
    text = """21 September 2020

CNES President Jean-Yves Le Gall said the 2,500 engineers and 11,000 members met on
Tuesday 22 September, starting at 11.30 a.m. "A great day," added Jane Doe, CEO.

**<https://zoom.us/j/97981495219> - Meeting ID: 979 8149 5219**
Passcode: 48151623 - ISBN 978-2-12-345680-3 - PR106-2020 - dates 21/09/2020 and 2013-2019.
Journalists can ask for pictures at images@example.com.
"""
    assert extract_contacts(text) == []


BODY_TRAPS = """\
Paris, 21 September 2020 – Agency President Jean-Yves Le Bihan and Lisa Carrow, President of \
the Example Space Agency (ESA-X), held a videoconference.
"This is a milestone," said Dr. Jane Smith, Director of Research at Example University.
Le 12/10/2021 à 14h30, Marie-Claire Dubois, directrice générale, a présenté le plan 2021–2030.
The satellite weighs 1 250 kg and orbits at 35 786 km. ISBN 978-3-16-148410-0. SIRET 123 456 \
789 00012. IBAN FR76 3000 6000 0112 3456 7890 189. Budget: €12 500 000.
Join the webinar at https://example.zoom.us/j/12345678901?pwd=abc or dial 0800 123 456 (code 1234).
Follow us on Twitter @ExampleSpace. Photo: John Smith / Example Agency. Version 3.2.1, 2021.10.12.
"""


@pytest.mark.parametrize("markup", ["text", "html"])
def test_body_text_traps_give_no_contacts(markup):
    text = BODY_TRAPS
    if markup == "html":
        text = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines())
    assert extract_contacts(text) == []


def test_contact_block_after_a_long_body_is_found_alone():
    text = BODY_TRAPS * 50 + "\nPress contacts\nJane Doe, Press Officer, +33 1 23 45 67 89\n"
    assert [summary(c) for c in extract_contacts(text)] == [
        ("Jane Doe", "Press Officer", None, ["+33123456789"], []),
    ]


def test_meeting_id_inside_a_contact_section_is_not_a_phone():
    text = """## Contacts

Connect: https://zoom.us/j/97981495219 - Meeting ID: 979 8149 5219

Jane Doe, Press Officer, jane.doe@example.org
"""
    assert [summary(c) for c in extract_contacts(text)] == [
        ("Jane Doe", "Press Officer", None, [], ["jane.doe@example.org"]),
    ]


def test_body_name_near_a_contact_is_not_taken():
    text = """Contacts
Interviews with Paul Martin, our chief engineer, can be arranged on request.
Jane Doe, jane.doe@example.org
"""
    assert [c.name for c in extract_contacts(text)] == ["Jane Doe"]


def test_empty_and_blank_text():
    assert extract_contacts("") == []
    assert extract_contacts("\n\n   \n") == []
    assert extract_contacts("<html><body></body></html>") == []


# --------------------------------------------------------------------------- Markdown lines

MARKDOWN_LAYOUTS = """\
Press contacts
==============

- **Jane Doe**, Press Officer, <jane.doe@example.org>
> [John
Roe](mailto:john.roe@example.org), Spokesperson, +33 1 23 45 67 89

| Name | E-mail |
|---|---|
| Ann Lee | ann.lee@example.org |
"""


def test_markdown_lines_keep_their_source_line_numbers():
    # markdown-it reads the blocks (setext heading, list, quote, table); each line keeps
    # its number, and the lines Markdown syntax alone fills are block boundaries.
    assert [(line.number, line.text, line.heading)
            for line in markdown_lines(MARKDOWN_LAYOUTS)] == [
        (1, "Press contacts", True),
        (2, "", False),
        (3, "", False),
        (4, "Jane Doe\t, Press Officer,\tjane.doe@example.org", False),
        (5, "John Roe\tjohn.roe@example.org", False),  # the link where it opens
        (6, ", Spokesperson, +33 1 23 45 67 89", False),
        (7, "", False),
        (8, "Name\tE-mail", False),
        (9, "", False),  # the delimiter row
        (10, "Ann Lee\tann.lee@example.org", False),
    ]
    assert [(c.name, c.line) for c in extract_contacts(MARKDOWN_LAYOUTS, region="FR")] == [
        ("Jane Doe", 4), ("John Roe", 5), ("Ann Lee", 10)]


def test_markdown_keeps_code_as_written_and_entities_in_raw_html_as_text():
    lines = markdown_lines("    **not bold**\n\n<b>AT&amp;T &lt;b&gt;</b> `x`\n")
    assert [line.text for line in lines] == ["**not bold**", "", "AT&T <b>\tx"]

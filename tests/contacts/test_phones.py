"""Tests for pressctl.contacts.phones: real press-release and spreadsheet spellings first, then traps.

Numbers: CNES and NASA press-office numbers as printed in their releases, the UK drama range
(020 7946 0xxx), and fictional numbers checked valid with phonenumbers itself.
"""

from __future__ import annotations

import phonenumbers as pn
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from pressctl.contacts import phones
from pressctl.contacts.model import Phone
from pressctl.contacts.phones import (
    NO_REGION,
    check_phone,
    format_phone,
    parse_phone_field,
)
from pressctl.errors import InvalidPhone

CNES = "+33144767539"
CNES_2 = "+33144767451"
CNES_FAX = "+33144767859"
CNES_MOBILE = "+33625796479"
NASA = "+12023581600"
LONDON = "+442079460958"
BERLIN = "+49301234567"
ROME = "+390612345678"


def only(text: str, region: str | None = "FR") -> Phone:
    found = parse_phone_field(text, region)
    assert len(found) == 1, found
    return found[0]


def e164s(text: str, region: str | None = "FR") -> list[str]:
    return [phone.e164 for phone in parse_phone_field(text, region)]


def reason(text: str, region: str | None = "FR") -> str:
    with pytest.raises(InvalidPhone) as caught:
        parse_phone_field(text, region)
    return caught.value.reason


# --------------------------------------------------------------------------- real world


@pytest.mark.parametrize(
    ("text", "region", "e164", "kind"),
    [
        ("Tél. 01 44 76 75 39", "FR", CNES, "work"),
        ("Tel. +33 (0)1 44 76 75 39", "FR", CNES, "work"),
        ("Tel: +33 (0)1 44 76 74 51", "FR", CNES_2, "work"),
        ("+33 (0)6 25 79 64 79", "FR", CNES_MOBILE, "mobile"),
        ("01.44.76.75.39", "FR", CNES, "work"),
        ("01-44-76-75-39", "FR", CNES, "work"),
        ("Téléphone : 01 44 76 75 39", "FR", CNES, "work"),
        ("Tel. No.: 01 44 76 75 39", "FR", CNES, "work"),
        ("tel:+1-202-358-1600", None, NASA, "work"),
        ("(202) 358-1600", "US", NASA, "work"),
        ("202.358.1600", "US", NASA, "work"),
        ("+1 202-358-1600", None, NASA, "work"),
        ("0033 1 44 76 75 39", "FR", CNES, "work"),
        ("0033 1 44 76 75 39", None, CNES, "work"),
        ("+33144767539", None, CNES, "work"),
        ("020 7946 0958", "GB", LONDON, "work"),
        ("020 7946 0958", "uk", LONDON, "work"),  # people write UK, ISO says GB
        ("030/1234567", "DE", BERLIN, "work"),  # German area-code slash is not a separator
        ("+39 06 1234 5678", None, ROME, "work"),
        ("06 1234 5678", "IT", ROME, "work"),
        ("011 33 1 44 76 75 39", "US", CNES, "work"),  # the US international prefix
        ("0011 33 1 44 76 75 39", "AU", CNES, "work"),  # Australia's 0011 stays an IDD
        ("(+33) 1 44 76 75 39", None, CNES, "work"),
        ("+33\u202f1\u202f44\u202f76\u202f75\u202f39", None, CNES, "work"),  # narrow nbsp
        ("01\u201144\u201176\u201175\u201139", "FR", CNES, "work"),  # non-breaking hyphens
    ],
)
def test_real_world_spellings(text, region, e164, kind):
    phone = only(text, region)
    assert (phone.e164, phone.type, phone.extension) == (e164, kind, None)


@pytest.mark.parametrize(
    ("text", "extension"),
    [
        ("+1 202-358-1600 ext. 5", "5"),
        ("+1 202-358-1600 ext 227", "227"),
        ("+1 202-358-1600 Ext.227", "227"),
        ("+1 202-358-1600 extn 227", "227"),
        ("+1 202-358-1600 extension 5", "5"),
        ("+1 202-358-1600 x227", "227"),
        ("+1 202-358-1600x227", "227"),
        ("+1 202-358-1600 x 227", "227"),
        ("+1 202-358-1600, ext. 5", "5"),  # an extension-only part joins the number before
        ("tel:+1-202-358-1600;ext=5", "5"),
        ("+1 202-358-1600 poste 5", "5"),
        ("+1 202-358-1600 p. 5", "5"),
        ("+1 202-358-1600 int. 5", "5"),
        ("+1 202-358-1600 interno 5", "5"),
        ("+1 202-358-1600 extensión 5", "5"),
        ("+1 202-358-1600 ext. 5 (press office)", "5"),
    ],
)
def test_extensions(text, extension):
    phone = only(text, "US")
    assert (phone.e164, phone.extension) == (NASA, extension)


@pytest.mark.parametrize(
    "text", ["+49 30 1234567 Durchwahl 12", "+49 30 1234567 Durchwahl -12", "+49 30 1234567 DW 12"]
)
def test_german_durchwahl_is_an_extension(text):
    # Raw phonenumbers reads "+49 30 1234567 DW 12" as +4930123456712, which is a *valid*
    # German number: the extension would silently become part of a different number.
    phone = only(text, "DE")
    assert (phone.e164, phone.extension) == (BERLIN, "12")


@pytest.mark.parametrize(
    ("text", "region", "e164", "kind", "label"),
    [
        ("+33 1 44 76 75 39 (standard)", "FR", CNES, "work", "standard"),
        ("+33 1 44 76 75 39 standard", "FR", CNES, "work", "standard"),  # not keypad letters
        ("+33 1 44 76 75 39\u00a0(standard)", "FR", CNES, "work", "standard"),
        ("Tél. standard : 01 44 76 75 39", "FR", CNES, "work", "standard"),
        ("+1 202-358-0001 (switchboard)", "US", "+12023580001", "work", "switchboard"),
        ("Zentrale: +49 30 1234567", "DE", BERLIN, "work", "Zentrale"),
        ("+39 06 1234 5678 (centralino)", "IT", ROME, "work", "centralino"),
        ("Direct: 01 44 76 75 39 (mornings)", "FR", CNES, "work", "Direct, mornings"),
        ("+33 1 44 76 75 39 (9h-18h)", "FR", CNES, "work", "9h-18h"),
        ("Fax: +33 1 44 76 78 59", "FR", CNES_FAX, "fax", None),
        ("Télécopie : 01 44 76 78 59", "FR", CNES_FAX, "fax", None),
        ("Telefax +33 1 44 76 78 59", "FR", CNES_FAX, "fax", None),
        ("Tél./Fax 01 44 76 78 59", "FR", CNES_FAX, "fax", None),
        ("Tél. et fax ; 01 44 76 78 59", "FR", CNES_FAX, "fax", None),
        ("F: +33 1 44 76 78 59", "FR", CNES_FAX, "fax", None),
        ("Fax mobile 06 25 79 64 79", "FR", CNES_MOBILE, "fax", None),  # fax wins
        # a type word makes a landline a mobile as written (a "work" number otherwise)
        ("Mobile: 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Portable : 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Mob. 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Cell 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Cellphone: 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Handy: 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Móvil 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Cellulare 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("GSM 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("M: 01 44 76 75 39", "FR", CNES, "mobile", None),
        ("Mobile (direct) 06 25 79 64 79", "FR", CNES_MOBILE, "mobile", "direct"),
        ("06 25 79 64 79 (portable)", "FR", CNES_MOBILE, "mobile", None),
        ("06 25 79 64 79", "FR", CNES_MOBILE, "mobile", None),  # phonenumbers says MOBILE
        ("T +33 1 44 76 75 39", "FR", CNES, "work", None),
    ],
)
def test_labels_and_types(text, region, e164, kind, label):
    assert only(text, region) == Phone(e164, None, kind, label)


# --------------------------------------------------------------------------- several numbers


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        # raw phonenumbers: +120235817263895, one invalid number
        ("202-358-1726/3895", "US", ["+12023581726", "+12023583895"]),
        ("01 44 76 75 39 / 74 51", "FR", [CNES, CNES_2]),
        ("+33 1 44 76 75 39 / 40", None, [CNES, "+33144767540"]),
        ("+44 (0)20 7946 0958 / 0959", None, [LONDON, "+442079460959"]),
        ("+33 1 44 76 75 39 / +33 6 25 79 64 79", None, [CNES, CNES_MOBILE]),
        ("01 44 76 75 39 / 06 25 79 64 79", "FR", [CNES, CNES_MOBILE]),
        ("01 44 76 75 39; 01 44 76 74 51", "FR", [CNES, CNES_2]),
        ("01 44 76 75 39 ou 06 25 79 64 79", "FR", [CNES, CNES_MOBILE]),
        ("+1 202-358-1600 or +33 1 44 76 75 39", None, [NASA, CNES]),
        ("+49 30 1234567 oder +33 1 44 76 75 39", None, [BERLIN, CNES]),
        ("01 44 76 75 39\n06 25 79 64 79", "FR", [CNES, CNES_MOBILE]),
        ("01 44 76 75 39\r\n06 25 79 64 79", "FR", [CNES, CNES_MOBILE]),
        ("Tel: 01 44 76 75 39, Fax: 01 44 76 78 59", "FR", [CNES, CNES_FAX]),
    ],
)
def test_several_numbers_in_one_field(text, region, expected):
    assert e164s(text, region) == expected


def test_signature_line_with_types():
    text = "T +33 1 44 76 75 39 | M +33 6 25 79 64 79 | F +33 1 44 76 78 59"
    assert [(p.e164, p.type) for p in parse_phone_field(text, None)] == [
        (CNES, "work"),
        (CNES_MOBILE, "mobile"),
        (CNES_FAX, "fax"),
    ]


def test_short_suffix_inherits_the_leading_label():
    assert parse_phone_field("Fax: 01 44 76 78 59 / 60", "FR") == [
        Phone(CNES_FAX, None, "fax", None),
        Phone("+33144767860", None, "fax", None),
    ]


def test_trailing_annotation_part_labels_the_number_before():
    assert only("01 44 76 75 39, standard") == Phone(CNES, None, "work", "standard")


# --------------------------------------------------------------------------- traps


def test_00_means_international_even_for_a_us_user():
    # raw phonenumbers with region US: +10033144767539, an invalid US number
    assert only("0033 1 44 76 75 39", "US").e164 == CNES
    assert only("0033 (0)1 44 76 75 39", "US").e164 == CNES


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("+33 (0)1 44 76 75 39", CNES),
        ("+33(0)1 44 76 75 39", CNES),
        ("+33 ( 0 ) 1 44 76 75 39", CNES),
        ("+44 (0)20 7946 0958", LONDON),
        ("+49 (0)30 1234567", BERLIN),
        ("(0)1 44 76 75 39", CNES),  # without a country code it is just the trunk 0
        # Italy has no trunk prefix: the 0 belongs to the number. Dropping "(0)" blindly
        # gives +39 6 1234 5678, which phonenumbers rejects.
        ("+39 (0)6 1234 5678", ROME),
        # ... but Italian mobiles have no 0: keeping it (what raw phonenumbers does) gives the
        # invalid +39 0347 1234567; the "(0)" convention says drop it.
        ("+39 (0)347 1234567", "+393471234567"),
        # NANP has no trunk 0: raw phonenumbers gives the invalid +1 0202 358 1600; the
        # convention "drop (0) from abroad" gives the number the writer meant.
        ("+1 (0)202 358 1600", NASA),
    ],
)
def test_bracketed_trunk_zero(text, e164):
    assert only(text, "FR").e164 == e164


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("+33 0 1 44 76 75 39", CNES),  # phonenumbers drops a written-out trunk 0 after +33
        ("+44 0 20 7946 0958", LONDON),
        ("+39 0 6 1234 5678", ROME),  # ... and keeps Italy's
        ("+1 0 202 358 1600", "is too long for US (expected 10 digits after +1)"),
    ],
)
def test_unbracketed_zero_after_country_code(text, outcome):
    result = check_phone(text, None)[0]
    assert outcome in (result["e164"], result["error"])


def test_vanity_letters_only_inside_the_number_token():
    assert only("1-800-FLOWERS", "US") == Phone("+18003569377", None, "work", None)
    # raw phonenumbers dials the annotation too: +18003569377673377, invalid
    assert only("1-800-FLOWERS (orders)", "US") == Phone("+18003569377", None, "work", "orders")
    # raw phonenumbers: +3362579647976782253; "portable" is a type word, not keypad letters
    assert only("+33 6 25 79 64 79 portable") == Phone(CNES_MOBILE, None, "mobile", None)


# --------------------------------------------------------------------------- failures


WRONG_LENGTH_CH = "has the wrong number of digits for CH (expected 9 or 12 digits"


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("01 44 76", "FR", "is too short for FR (expected 9 digits after the trunk 0)"),
        ("+33 1 44 76", "FR", "is too short for FR (expected 9 digits after +33)"),
        ("+1 202 358 160", "FR", "is too short for US (expected 10 digits after +1)"),
        ("+49 123", "FR", "is too short for DE (a local number: add the area code)"),
        ("+33 1 44 76 75 39 99 99", "FR", "is too long for FR (expected 9 digits after +33)"),
        ("+33 1 44 76 75 39 12 34 56 78 90", "FR", "is too long"),
        ("+41 22 222 22 22 2", None, f"{WRONG_LENGTH_CH} after +41)"),
        ("022 222 22 22 2", "CH", f"{WRONG_LENGTH_CH} after the trunk 0)"),
        ("+44 20 7946 095", None, "is not a valid number in GB"),
        ("030 12", "DE", "is not a valid number in DE"),
        ("+800 1234", None, "is too short for +800 (expected 8 digits after +800)"),
        ("hello", "FR", "has no digits"),
        ("Fax:", "FR", "has no digits"),
        ("+", "FR", "has no digits"),
        ("+999 123456", "FR", "has an unknown country code +999"),
        ("12345", None, NO_REGION),
        ("011 33 1 44 76 75 39", None, NO_REGION),
        ("12345", "XX", 'has no country code and the default region "XX" is unknown'),
        ("+33", "FR", "is too short"),
        ("5", "FR", "is too short for FR"),
        ("011 3", "US", "is too short (nothing usable after the international prefix)"),
    ],
)
def test_failure_reasons(text, region, expected):
    assert reason(text, region) == expected


def test_invalid_phone_carries_value_and_reason():
    with pytest.raises(InvalidPhone) as caught:
        parse_phone_field("01 44 76 75 39 / 01 44 76", "FR")
    error = caught.value
    assert (error.value, error.reason) == (
        "01 44 76",
        "is too short for FR (expected 9 digits after the trunk 0)",
    )
    assert str(error) == f'phone "01 44 76" {error.reason}'
    assert error.exit_code == 3


def test_no_region_message_tells_what_to_do():
    assert "--region" in NO_REGION and "country" in NO_REGION


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_field_gives_no_phones(text):
    assert parse_phone_field(text, "FR") == []


# --------------------------------------------------------------------------- check_phone

KEYS = {"input", "valid", "e164", "international", "national", "type", "extension", "error"}


def test_check_phone_valid_shape():
    assert check_phone("+1 202-358-1600 ext. 5", "US") == [
        {
            "input": "+1 202-358-1600 ext. 5",
            "valid": True,
            "e164": NASA,
            "international": "+1 202-358-1600",
            "national": "(202) 358-1600",
            "type": "work",
            "extension": "5",
            "error": None,
        }
    ]


def test_check_phone_invalid_shape():
    assert check_phone("01 44 76", "FR") == [
        {
            "input": "01 44 76",
            "valid": False,
            "e164": None,
            "international": None,
            "national": None,
            "type": None,
            "extension": None,
            "error": "is too short for FR (expected 9 digits after the trunk 0)",
        }
    ]


def test_check_phone_reports_each_number():
    reports = check_phone("202-358-1726/3895", "US")
    assert [(r["input"], r["e164"]) for r in reports] == [
        ("202-358-1726", "+12023581726"),
        ("3895", "+12023583895"),
    ]
    mixed = check_phone("01 44 76 75 39 ; 01 44 76", "FR")
    assert [r["valid"] for r in mixed] == [True, False]


@pytest.mark.parametrize(
    ("text", "region"),
    [("", "FR"), ("  ", None), ("hello", "FR"), ("12345", None), ("+999 1", "FR"),
     ("((((", "FR"), ("/ / ;", "FR"), ("x5", "US"), ("1" * 40, "FR"), ("12345", "XX")],
)
def test_check_phone_never_raises_and_keeps_its_shape(text, region):
    reports = check_phone(text, region)
    assert reports and all(set(r) == KEYS and r["valid"] is False and r["error"] for r in reports)


# --------------------------------------------------------------------------- format_phone


@pytest.mark.parametrize(
    ("e164", "style", "shown"),
    [
        (CNES, "e164", CNES),
        (CNES, "international", "+33 1 44 76 75 39"),
        (CNES, "national", "01 44 76 75 39"),
        (CNES, "house", "+33 (0)1 44 76 75 39"),
        (LONDON, "house", "+44 (0)20 7946 0958"),
        (BERLIN, "house", "+49 (0)30 1234567"),
        # no droppable trunk prefix: house is the international format
        (NASA, "house", "+1 202-358-1600"),
        (ROME, "house", "+39 06 1234 5678"),
        (ROME, "national", "06 1234 5678"),
        (NASA, "national", "(202) 358-1600"),
    ],
)
def test_format_styles(e164, style, shown):
    assert format_phone(Phone(e164), style) == shown


@pytest.mark.parametrize(
    ("own_country", "cnes", "nasa"),
    [
        ("FR", "01 44 76 75 39", "+1 202-358-1600"),
        ("fr", "01 44 76 75 39", "+1 202-358-1600"),
        ("US", "+33 1 44 76 75 39", "(202) 358-1600"),
        (None, "+33 1 44 76 75 39", "+1 202-358-1600"),
    ],
)
def test_format_auto(own_country, cnes, nasa):
    assert format_phone(Phone(CNES), "auto", own_country) == cnes
    assert format_phone(Phone(NASA), "auto", own_country) == nasa


def test_format_appends_extension_in_every_style():
    phone = Phone(NASA, "5")
    assert format_phone(phone) == "+1 202-358-1600 ext. 5"
    assert format_phone(phone, "e164") == "+12023581600 ext. 5"
    assert format_phone(phone, "national") == "(202) 358-1600 ext. 5"
    assert format_phone(phone, "house") == "+1 202-358-1600 ext. 5"


def test_format_rejects_unknown_style_and_garbage():
    with pytest.raises(ValueError, match="unknown phone style"):
        format_phone(Phone(CNES), "fancy")
    with pytest.raises(InvalidPhone, match="is not a stored E.164 number"):
        format_phone(Phone("not a number"))


def test_house_format_is_derived_for_every_region():
    # For every region's example: house is international, or international with the trunk
    # in brackets after the country code, and reading it back gives the same number.
    for region in sorted(pn.SUPPORTED_REGIONS):
        number = pn.example_number(region)
        if number is None:
            continue
        phone = Phone(pn.format_number(number, PhoneNumberFormat.E164))
        house = format_phone(phone, "house")
        international = format_phone(phone, "international")
        assert house == international or house.replace("(", "").replace(")", "").startswith(
            f"+{number.country_code} "
        )
        assert only(house, None).e164 == phone.e164, (region, house)


@pytest.mark.parametrize(
    ("e164", "region", "elsewhere"),
    [(CNES, "FR", "GB"), (NASA, "US", "CA"), ("+14165550123", "CA", "US"), (LONDON, "GB", "FR"),
     ("+80012345678", None, "FR")],
)
def test_auto_style_is_national_only_in_the_numbers_own_region(e164, region, elsewhere):
    # The region a number belongs to, shared country codes (+1: US or CA) and
    # non-geographic numbers (+800) included, decides whether a reader sees it national.
    phone = Phone(e164)
    if region is not None:
        assert format_phone(phone, "auto", region) == format_phone(phone, "national")
    assert format_phone(phone, "auto", elsewhere) == format_phone(phone, "international")
    assert format_phone(phone, "national") != format_phone(phone, "international")


# --------------------------------------------------------------------------- against phonenumbers


def _examples():
    kinds = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE)
    for region in sorted(pn.SUPPORTED_REGIONS):
        for kind in kinds:
            number = pn.example_number_for_type(region, kind)
            if number is not None:
                yield region, number


def test_every_example_number_round_trips_in_every_written_form():
    for region, number in _examples():
        want = pn.format_number(number, PhoneNumberFormat.E164)
        for style, default in (
            (PhoneNumberFormat.INTERNATIONAL, None),
            (PhoneNumberFormat.NATIONAL, region),
            (PhoneNumberFormat.E164, None),
        ):
            text = pn.format_number(number, style)
            assert e164s(text, default) == [want], (region, text)


def test_single_type_computation_agrees_with_phonenumbers():
    # The shortcut must classify exactly as region_code_for_number + number_type and call
    # a number valid exactly when is_valid_number does, including shared codes (+1, +44, +7).
    numbers = [number for _, number in _examples()]
    numbers += [pn.PhoneNumber(country_code=n.country_code, national_number=n.national_number // 10)
                for n in numbers]
    for number in numbers:
        region, kind = phones._region_and_type(number)
        assert (region, kind) == (pn.region_code_for_number(number), pn.number_type(number))
        assert (kind != PhoneNumberType.UNKNOWN) == pn.is_valid_number(number)


# --------------------------------------------------------------------------- caching


def test_cache_serves_repeats_and_callers_cannot_poison_it():
    phones._parse_field.cache_clear()
    first = parse_phone_field("Tél. standard : 01 44 76 75 39", "FR")
    first.append(Phone(NASA))
    again = parse_phone_field("Tél. standard : 01 44 76 75 39", "FR")
    assert again == [Phone(CNES, None, "work", "standard")]
    assert phones._parse_field.cache_info().hits == 1
    assert phones._parse_field.cache_info().maxsize == phones.CACHE_SIZE


def test_region_is_part_of_the_cache_key():
    assert only("(202) 358-1600", "US").e164 == NASA
    assert reason("(202) 358-1600", "FR") == (
        "is too long for FR (expected 9 digits after the trunk 0)"
    )


def test_the_other_ending_of_an_invalid_number_says_which_number_it_stands_for():
    """"202-358-1726/3895" read in FR: "3895" is the other ending of the first number, not
    a number "too long for FR" by itself (issue 11)."""
    first, second = check_phone("202-358-1726/3895", "FR")
    assert not first["valid"] and not second["valid"]
    assert second["input"] == "3895"
    assert second["error"].startswith("stands for 202-358-3895, which is too long for FR")
    as_us = check_phone("202-358-1726/3895", "US")
    assert [c["e164"] for c in as_us] == ["+12023581726", "+12023583895"]

"""Stored numbers shown without a parse (pressctl.contacts.phone_display): every form
equals what phonenumbers' parse and format_number gave before (the formatting of
`contacts list` and exports until issue 12), on numbers of every region; and a list
parses no stored number at all, or one at most, once."""

from __future__ import annotations

import random

import phonenumbers as pn
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from pressctl.contacts import phones
from pressctl.contacts.model import Phone
from pressctl.contacts.phone_display import house_text, quick_format
from pressctl.contacts.phones import format_phone, phone_formatter
from pressctl.errors import InvalidPhone

STYLES = ("international", "national", "house")
OWN = ("", "FR", "GB", "US", "CA", "IT", "RU", "KZ", "JE", "DE", "AU", "JP", "001")


def _before(e164: str, style: str, own: str = "") -> str:
    """How format_phone showed a stored number before issue 12: parse, then format."""
    number = pn.parse(e164, None)
    if style == "auto":
        style = "national" if pn.region_code_for_number(number) == own else "international"
    if style == "national":
        return pn.format_number(number, PhoneNumberFormat.NATIONAL)
    international = pn.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    head = f"+{number.country_code} "
    if style == "international" or not international.startswith(head):
        return international
    rest = international[len(head):]
    national = pn.format_number(number, PhoneNumberFormat.NATIONAL)
    trunk = national[: -len(rest)].strip() if national.endswith(rest) else ""
    return f"{head}({trunk}){rest}" if trunk.isdigit() else international


def _numbers() -> list[str]:
    """phonenumbers' example numbers of every region and type (and of the non-geographic
    codes), its invalid examples, and each of them changed a little: a digit replaced,
    one added or taken off, a zero put in (formats that no longer fit, Italy's zeros)."""
    examples = set()
    kinds = [v for k, v in vars(PhoneNumberType).items() if k.isupper() and isinstance(v, int)]
    for region in sorted(pn.SUPPORTED_REGIONS):
        found = [pn.example_number_for_type(region, kind) for kind in kinds]
        found.append(pn.invalid_example_number(region))
        examples |= {pn.format_number(n, PhoneNumberFormat.E164) for n in found if n}
    for code in sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = pn.example_number_for_non_geo_entity(code)
        if example:
            examples.add(pn.format_number(example, PhoneNumberFormat.E164))
    rng = random.Random(12)
    numbers = set(examples)
    for e164 in sorted(examples):
        for _ in range(3):
            digits = list(e164[1:])
            where = rng.randrange(2, len(digits))
            change = rng.randrange(4)
            if change == 0:
                digits[where] = str(rng.randrange(10))
            elif change == 1:
                digits.append(str(rng.randrange(10)))
            elif change == 2 and len(digits) > 5:
                digits.pop()
            else:
                digits.insert(where, "0")
            numbers.add("+" + "".join(digits))
    return sorted(numbers)


NUMBERS = _numbers()


def _try_parse(e164: str) -> bool:
    try:
        pn.parse(e164, None)
    except pn.NumberParseException:
        return False
    return True


PARSED = [n for n in NUMBERS if _try_parse(n)]


def test_the_sample_covers_every_region_and_many_shapes():
    codes = {pn.parse(n, None).country_code for n in PARSED}
    assert len(PARSED) > 4000
    assert {33, 44, 1, 39, 49, 81, 61, 7, 800, 882} <= codes
    assert len(codes) >= 200


@pytest.mark.parametrize("style", STYLES)
def test_every_style_shows_what_parse_and_format_showed(style):
    wrong = {}
    for e164 in PARSED:
        shown = format_phone(Phone(e164), style)
        if shown != _before(e164, style):
            wrong[e164] = (shown, _before(e164, style))
    assert wrong == {}


@pytest.mark.parametrize("own", OWN)
def test_auto_shows_what_parse_and_format_showed_for_every_own_country(own):
    wrong = {e164: format_phone(Phone(e164), "auto", own) for e164 in PARSED
             if format_phone(Phone(e164), "auto", own) != _before(e164, "auto", own)}
    assert wrong == {}


def test_the_quick_forms_cover_most_numbers_and_equal_phonenumbers():
    """What quick_format answers itself (not through the parse it declines to) is right."""
    answered = 0
    for e164 in PARSED:
        for style in STYLES:
            quick = quick_format(e164, style, "FR")
            if quick is not None:
                answered += 1
                assert quick == _before(e164, style), (e164, style)
    assert answered > 0.9 * 3 * len(PARSED)


@pytest.mark.parametrize("stored", ["+33 1 44 76 75 39", "33144767539", "+0331447675",
                                    "+12", "+999123456", "+3314476753912345678901",
                                    "+４４２０７９４６０１２３", ""])
def test_what_is_not_a_plain_stored_number_is_left_to_phonenumbers(stored):
    assert quick_format(stored, "international", "FR") is None


def test_a_number_parse_would_shorten_is_left_to_parse():
    """+49 0... : Germany's national prefix 0 in front; parse decides what it means."""
    assert quick_format("+4903012345678", "international", "DE") is None
    assert format_phone(Phone("+4903012345678")) == _before("+4903012345678", "international")


def test_a_stored_number_that_is_not_one_is_still_an_error():
    with pytest.raises(InvalidPhone, match="not a stored E.164 number"):
        format_phone(Phone("+0123"))
    with pytest.raises(ValueError, match="unknown phone style"):
        phone_formatter("fancy")


def test_house_style_shows_the_trunk_prefix():
    assert house_text(33, "+33 1 44 76 75 39", "01 44 76 75 39") == "+33 (0)1 44 76 75 39"
    assert house_text(1, "+1 202-358-1600", "(202) 358-1600") == "+1 202-358-1600"
    assert house_text(39, "+39 06 1234 5678", "06 1234 5678") == "+39 06 1234 5678"


def test_listing_many_numbers_parses_none_of_them(monkeypatch):
    """Shown from the metadata: a list of French, British, German, US numbers calls
    phonenumbers.parse not once."""
    def no_parse(*args, **kwargs):
        raise AssertionError("parsed a stored number")

    phones._shown.cache_clear()
    monkeypatch.setattr(pn, "parse", no_parse)
    show = phone_formatter("auto", "FR")
    numbers = ["+33144767539", "+33612345678", "+442079460123", "+493023125417",
               "+12025550143", "+390612345678", "+81312345678"]
    assert [show(Phone(n, "12" if n.startswith("+44") else None)) for n in numbers] == [
        "01 44 76 75 39", "06 12 34 56 78", "+44 20 7946 0123 ext. 12", "+49 30 23125417",
        "+1 202-555-0143", "+39 06 1234 5678", "+81 3-1234-5678"]


def test_a_number_left_to_parse_is_parsed_once_whatever_the_style(monkeypatch):
    calls = []
    real_parse = pn.parse

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real_parse(*args, **kwargs)

    phones._shown.cache_clear()
    phones._stored_number.cache_clear()
    monkeypatch.setattr(pn, "parse", counting)
    for _ in range(3):
        for style in ("international", "national", "house", "auto"):
            format_phone(Phone("+4903012345678", "5"), style, "DE")
    assert calls == ["+4903012345678"]


def test_a_template_that_skips_a_group_is_filled_with_the_groups_it_names():
    # Argentina's national mobile forms ("0\2 15-\3-\4") leave the pattern's first group
    # out; every other template takes every group in order, filled from the match as is.
    from pressctl.contacts import phone_display

    country = phone_display._country(54)
    assert country is not None
    rng = random.Random(54)
    skipping = [rule for rule in country.national
                if rule.printf is not None and rule.groups is not None]
    assert skipping
    for rule in skipping:
        for _ in range(20000):
            nsn = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 12)))
            if ((rule.leading is None or rule.leading.match(nsn))
                    and rule.pattern.fullmatch(nsn)):
                break
        else:
            pytest.fail(f"no number found for {rule.template}")
        expected = rule.pattern.sub(rule.template, nsn)
        assert phone_display._apply((rule,), nsn) == expected
        assert expected.startswith("0") and " 15-" in expected

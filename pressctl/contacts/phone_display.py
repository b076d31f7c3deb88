"""Stored phone numbers shown without parsing them again: the international, national and
house forms of an E.164 number, read from phonenumbers' own metadata.

Listing or exporting a large book shows hundreds of thousands of numbers, most of them
different: a cache of display forms does not help, and ``phonenumbers.parse`` followed by
``format_number`` costs ~25 µs a number (half the time of `contacts list`). A stored
number needs no parse: it is "+", its country code, its national significant number. This
module splits it the way ``parse`` does and formats it with the same metadata, the same
rules (the first number format whose leading digits and pattern match, its template, the
national prefix formatting rule) and the same regular expressions, compiled once per
country, so that every form equals phonenumbers' own, character for character
(tests/contacts/test_phone_display.py compares them on numbers of every region).

Where the two could part, this module declines (``None``) and the caller parses: a
number that is not plain "+digits", a country code phonenumbers does not know, a national
number its parse would shorten (one starting with what that country's national prefix
for parsing matches), or a phonenumbers whose internals moved. Pure: no I/O.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

import phonenumbers as pn

from pressctl.contacts.phone_forms import house_text
from pressctl.contacts.phone_types import region_and_type

_first_group: re.Pattern[str] | None
try:  # the rule that puts a national prefix before the first group ("0\\1")
    from phonenumbers.phonenumberutil import _FIRST_GROUP_PATTERN as _first_group
except ImportError:  # pragma: no cover - only if phonenumbers reorganises its internals
    _first_group = None

_STORED = re.compile(r"\+([1-9][0-9]{2,})")  # ASCII digits only: what the store writes
_GROUP_REFERENCE = re.compile(r"\\([1-9])(?![0-9])")  # a group of a template, 1 to 9
_LONGEST_CODE = 3  # digits of the longest country calling code
_NSN_LENGTHS = range(2, 18)  # what parse accepts as a national significant number


class _Format(NamedTuple):
    leading: re.Pattern[str] | None  # the last (most precise) leading-digits pattern
    pattern: re.Pattern[str]
    template: str  # the replacement, national prefix already in place for NATIONAL
    # The template as "%s %s" and the groups it takes ((1, 2)): re's own expansion of a
    # template is Python code, and the slowest step; None where the template has more
    # than groups and plain characters (then re.sub itself). Groups None: every group of
    # the pattern, in order (most templates): the match's groups as they are.
    printf: str | None
    groups: tuple[int, ...] | None


class _Lazy:
    """One number format of a country, compiled the first time it is read: a list meets a
    few formats of each country, and compiling them all (133 patterns for the ten
    countries of the sample book) cost more than the rest of `contacts list`. Until then
    its slots are empty, and reading one (``__getattr__`` runs only then) compiles it;
    after that a read is a slot's, as fast as the named tuple's it copies."""

    __slots__ = ("groups", "leading", "national", "pattern", "printf", "raw", "template")
    leading: re.Pattern[str] | None
    pattern: re.Pattern[str]
    template: str
    printf: str | None
    groups: tuple[int, ...] | None

    def __init__(self, raw: pn.NumberFormat, *, national: bool) -> None:
        self.raw = raw
        self.national = national

    def __getattr__(self, name: str) -> Any:
        if name not in _Format._fields:
            raise AttributeError(name)
        # _country declines a country without the first-group rule or with an incomplete
        # format: neither is None here.
        assert _first_group is not None
        made = _compiled(self.raw, _first_group, national=self.national)
        assert made is not None
        for field, value in zip(_Format._fields, made, strict=True):
            setattr(self, field, value)
        return getattr(made, name)


class _Country(NamedTuple):
    regions: tuple[str, ...]
    strip: re.Pattern[str] | None  # what parse would take off the front as a prefix
    international: tuple[_Lazy, ...]
    national: tuple[_Lazy, ...]


def quick_format(e164: str, style: str, own_region: str) -> str | None:
    """``e164`` in ``style`` ("international", "national", "house" or "auto" with
    ``own_region``, upper case, "" for none), as phonenumbers would show it after
    parsing it; None when this module cannot be sure (see the module docstring)."""
    split = _split(e164)
    if split is None:
        return None
    code, nsn, country = split
    if style == "auto":
        style = "national" if _at_home(code, nsn, country, own_region) else "international"
    if style == "international":
        return f"+{code} {_apply(country.international, nsn)}"
    if style == "national":
        return _apply(country.national, nsn)
    if style == "house":
        return house_text(code, f"+{code} {_apply(country.international, nsn)}",
                          _apply(country.national, nsn))
    return None


def quick_forms(e164: str, found: str | None = None) -> tuple[str, str, str] | None:
    """The international and national forms of ``e164`` and its region
    (``pn.region_code_for_number``, "" where it names none), from one split: what the
    store keeps beside the number (pressctl.contacts.phone_forms); None when this module
    cannot be sure (see the module docstring). ``found``: its region as validation found
    it (the same walk over the same rules), when known: not looked up again."""
    split = _split(e164)
    if split is None:
        return None
    code, nsn, country = split
    if len(country.regions) == 1:
        region = country.regions[0]
    elif found is not None:
        region = found
    else:
        region = region_and_type(code, nsn)[0] or ""  # pn.region_code_for_number's
    return f"+{code} {_apply(country.international, nsn)}", _apply(country.national, nsn), region


def _split(e164: str) -> tuple[int, str, _Country] | None:
    """Country code, national significant number and the country's rules, as
    ``phonenumbers.parse(e164, None)`` would find them; None where it might not."""
    if _STORED.fullmatch(e164) is None:
        return None
    calling = _calling(e164[1:1 + _LONGEST_CODE])
    if calling is None:
        return None
    code, size, country = calling
    nsn = e164[1 + size:]
    if len(nsn) not in _NSN_LENGTHS:
        return None
    if country.strip is not None and country.strip.match(nsn):
        return None  # parse might take a national prefix off: let it decide
    return code, nsn, country


@cache
def _calling(head: str) -> tuple[int, int, _Country] | None:
    """The country code that the first digits of a number start with, its length and
    its country's rules (None: none known, or rules this module does not read)."""
    for size in range(1, _LONGEST_CODE + 1):  # the shortest known code wins, as in parse
        code = int(head[:size])
        if code in pn.COUNTRY_CODE_TO_REGION_CODE:
            country = _country(code)
            return None if country is None else (code, size, country)
    return None


def _apply(formats: tuple[_Lazy, ...], nsn: str) -> str:
    """phonenumbers' choice of a number format and its substitution, on compiled rules."""
    for rule in formats:
        if rule.leading is not None and not rule.leading.match(nsn):
            continue
        first = rule.pattern.match(nsn)  # where re.sub's scan finds its first match
        if first is None:
            continue  # then no full match either
        if first.end() == len(nsn) and rule.printf is not None:
            # re.sub would replace this one match, and nothing after it (the pattern
            # matches no empty text): the template filled with its groups.
            values = first.groups("")
            if rule.groups is None:
                return rule.printf % values
            return rule.printf % tuple([values[group - 1] for group in rule.groups])
        if rule.pattern.fullmatch(nsn):
            return rule.pattern.sub(rule.template, nsn)
    return nsn  # no format fits: phonenumbers shows the digits as they are


def _at_home(code: int, nsn: str, country: _Country, own_region: str) -> bool:
    """Whether the number belongs to ``own_region`` (pn.region_code_for_number)."""
    if own_region not in country.regions:
        return False
    if len(country.regions) == 1:
        return True
    # A code several regions share (+1, +44, +7): phonenumbers matches the number
    # against each region's rules, which only need the national significant number.
    return bool(pn.region_code_for_number(_number(code, nsn)) == own_region)


def _number(code: int, nsn: str) -> pn.PhoneNumber:
    """The PhoneNumber parse would make of a split number (enough to find its region)."""
    zeros = len(nsn) - len(nsn.lstrip("0"))  # kept as parse keeps them (Italy's 0)
    return pn.PhoneNumber(country_code=code, national_number=int(nsn),
                          italian_leading_zero=True if zeros else None,
                          number_of_leading_zeros=min(zeros, len(nsn) - 1) if zeros else None)


@cache
def _country(code: int) -> _Country | None:
    if _first_group is None:
        return None
    regions = tuple(pn.COUNTRY_CODE_TO_REGION_CODE[code])
    metadata = pn.PhoneMetadata.metadata_for_region_or_calling_code(
        code, pn.region_code_for_country_code(code).upper())
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    national = list(metadata.number_format)
    international = list(metadata.intl_number_format or metadata.number_format)
    if any(f.pattern is None or f.format is None for f in (*national, *international)):
        return None  # a format without a pattern or a template: not one we can apply
    return _Country(regions, re.compile(prefix) if prefix else None,
                    tuple(_Lazy(f, national=False) for f in international),
                    tuple(_Lazy(f, national=True) for f in national))


def _compiled(number_format: pn.NumberFormat, first_group: re.Pattern[str], *,
              national: bool) -> _Format | None:
    leading = number_format.leading_digits_pattern
    template = number_format.format
    if number_format.pattern is None or template is None:
        return None
    rule = number_format.national_prefix_formatting_rule
    if national and rule:
        template = first_group.sub(rule, template, count=1)
    pattern = re.compile(number_format.pattern)
    printf, groups = _printf(template)
    if pattern.fullmatch("") or any(group > pattern.groups for group in groups):
        printf = None  # re.sub would fill it at the empty end too, or refuse the template
    every = groups == tuple(range(1, pattern.groups + 1))
    return _Format(re.compile(leading[-1]) if leading else None, pattern, template,
                   printf, None if every else groups)


def _printf(template: str) -> tuple[str | None, tuple[int, ...]]:
    r"""The template "\1 \2" as ("%s %s", (1, 2)); (None, ()) if it has another escape."""
    pieces = _GROUP_REFERENCE.split(template)
    literals, groups = pieces[::2], pieces[1::2]
    if any("\\" in literal for literal in literals):
        return None, ()
    printf = "%s".join(literal.replace("%", "%%") for literal in literals)
    return printf, tuple(int(group) for group in groups)

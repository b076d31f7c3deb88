"""Which region owns a parsed number and what type it is, in one walk over precompiled
metadata: the answer of ``phonenumbers.region_code_for_number`` and ``number_type``
(UNKNOWN exactly when ``is_valid_number`` is False), at a third of the cost.

Why not call phonenumbers: its type test looks up (``re_compile``) and runs one pattern
per number type through three layers of calls, and ``is_valid_number`` followed by
``number_type`` does it twice. An import checks every number of every row, so this was
a fifth of a row's validation. Here each region's patterns are compiled once, in
phonenumbers' own order, and the walk over the regions of a shared code (+1, +44, +7)
keeps the type it computed on the way instead of computing it again.

The rules mirror ``phonenumberutil._number_type_helper`` and
``_region_code_for_number_from_list`` (phonenumbers 8.x/9.x); tests compare both answers
with phonenumbers' on every example number of every region and on invalid variants.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import phonenumbers as pn
from phonenumbers import PhoneNumberType

UNKNOWN = PhoneNumberType.UNKNOWN


class _Desc(NamedTuple):
    """A PhoneNumberDesc reduced to its test: the lengths it allows (empty: any) and its
    pattern, compiled (None: it matches nothing)."""

    lengths: frozenset[int]
    pattern: re.Pattern[str] | None


class _Table(NamedTuple):
    general: _Desc | None
    special: tuple[tuple[int, _Desc | None], ...]  # premium rate ... voicemail, in order
    fixed_line: _Desc | None
    mobile: _Desc | None
    same_mobile_and_fixed_line: bool
    leading_digits: re.Pattern[str] | None


def _desc(desc: pn.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None:
        return None
    pattern = desc.national_number_pattern
    return _Desc(frozenset(desc.possible_length or ()),
                 re.compile(pattern) if pattern else None)


def _matches(national: str, desc: _Desc | None) -> bool:
    """phonenumbers' _is_number_matching_desc: the length first, then the whole pattern."""
    if desc is None or (desc.lengths and len(national) not in desc.lengths):
        return False
    return desc.pattern is not None and desc.pattern.fullmatch(national) is not None


@cache
def _table(region: str) -> _Table | None:
    return _build(pn.PhoneMetadata.metadata_for_region(region, None))


@cache
def _non_geographic(code: int) -> _Table | None:
    return _build(pn.PhoneMetadata.metadata_for_nongeo_region(code, None))


def _build(m: pn.PhoneMetadata | None) -> _Table | None:
    if m is None:
        return None
    special = (
        (PhoneNumberType.PREMIUM_RATE, m.premium_rate), (PhoneNumberType.TOLL_FREE, m.toll_free),
        (PhoneNumberType.SHARED_COST, m.shared_cost), (PhoneNumberType.VOIP, m.voip),
        (PhoneNumberType.PERSONAL_NUMBER, m.personal_number), (PhoneNumberType.PAGER, m.pager),
        (PhoneNumberType.UAN, m.uan), (PhoneNumberType.VOICEMAIL, m.voicemail),
    )
    return _Table(
        _desc(m.general_desc), tuple((kind, _desc(d)) for kind, d in special),
        _desc(m.fixed_line), _desc(m.mobile), bool(m.same_mobile_and_fixed_line_pattern),
        re.compile(m.leading_digits) if m.leading_digits is not None else None,
    )


def _type(national: str, table: _Table) -> int:
    """phonenumbers' _number_type_helper, over the precompiled table."""
    if not _matches(national, table.general):
        return UNKNOWN
    for kind, desc in table.special:
        if _matches(national, desc):
            return kind
    if _matches(national, table.fixed_line):
        if table.same_mobile_and_fixed_line or _matches(national, table.mobile):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not table.same_mobile_and_fixed_line and _matches(national, table.mobile):
        return PhoneNumberType.MOBILE
    return UNKNOWN


def region_and_type(code: int, national: str) -> tuple[str | None, int]:
    """(region_code_for_number, number_type) of the number +``code`` ``national`` (its
    national significant number); UNKNOWN: not a valid number."""
    regions = pn.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return None, UNKNOWN
    if len(regions) == 1:
        region = regions[0]
        table = (_non_geographic(code) if region == pn.REGION_CODE_FOR_NON_GEO_ENTITY
                 else _table(region))
        return region, (_type(national, table) if table is not None else UNKNOWN)
    # Shared codes: the first region whose leading digits match owns the number, else the
    # first where the number is valid; the type found on the way is the number's.
    for region in regions:
        table = _table(region)
        if table is None:
            continue
        if table.leading_digits is not None:
            if table.leading_digits.match(national):
                return region, _type(national, table)
        elif (found := _type(national, table)) != UNKNOWN:
            return region, found
    return None, UNKNOWN

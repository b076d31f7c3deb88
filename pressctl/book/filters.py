"""Which contacts `contacts list`, `export` and `check` work on: a ContactFilter from the
words a person typed (`--kind journaliste --country France --lang FR`), each checked and
made canonical, or refused (exit 3) with what to write instead."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.contacts.canonical import kind_of, normalise_tags
from pressctl.contacts.model import ContactFilter
from pressctl.contacts.regions import country_code, language_tag
from pressctl.errors import InvalidInput


def contact_filter(
    kind: str | None = None, tags: Sequence[str] | None = None, organization: str | None = None,
    outlet: str | None = None, language: str | None = None, country: str | None = None,
    search: str | None = None, embargo_ok: bool | None = None, opted_out: bool | None = None,
) -> ContactFilter:
    canonical_kind = None
    if kind:
        canonical_kind = kind_of(kind)
        if canonical_kind is None:
            raise InvalidInput(f"--kind {kind!r}", hint="use officer, journalist or other")
    code = None
    if country:
        code = country_code(country)
        if code is None:
            raise InvalidInput(f"--country {country!r} is not a country", hint="e.g. FR, BE, GB")
    tag = None
    if language:
        tag = language_tag(language)
        if tag is None:
            raise InvalidInput(f"--lang {language!r} is not a language tag", hint="e.g. fr, en")
    return ContactFilter(
        kind=canonical_kind, tags=tuple(normalise_tags(list(tags or []))),
        organization=organization, outlet=outlet, language=tag, country=code, search=search,
        embargo_ok=embargo_ok, opted_out=opted_out,
    )

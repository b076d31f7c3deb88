"""The [salutations] table of config.toml: how messages greet a recipient who has no
salutation of their own (the rules themselves: pressctl.releases.salutations).

    [salutations]
    style = "formal"                        # or "name" (the default)
    fr = "Madame, Monsieur,"                # a greeting per language, {name}: the full name
    de = "Sehr geehrte Damen und Herren,"

Only ``{name}`` is filled in: a first-name greeting is for the contacts that allow it
(``first_name_ok``), never a default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pressctl.errors import ConfigError

STYLES = ("name", "formal")
MAX_GREETING = 200
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class AnyKey(frozenset[str]):
    """The keys of [salutations] for the generic check of config.toml: ``style`` and any
    language tag, so every key passes there and :func:`parse_salutations` says precisely
    what is wrong with a key."""

    def __contains__(self, key: object) -> bool:
        return True


KNOWN_KEYS = AnyKey({"style", "LANGUAGE"})


@dataclass(frozen=True, slots=True)
class SalutationSettings:
    """``style``: the greeting of a recipient without their own and without one for their
    language in ``greetings`` (language tag -> greeting, "{name}" for the full name)."""

    style: str = "name"
    greetings: Mapping[str, str] = field(default_factory=dict)


def parse_salutations(table: object, where: str) -> SalutationSettings:
    """The [salutations] table of the config file ``where``; ConfigError (exit 4) for a
    key that is not ``style`` or a language, a style not in STYLES, or a greeting that is
    not one line of text with at most the {name} placeholder."""
    if table is None:
        return SalutationSettings()
    from pressctl.contacts.languages import known_language
    from pressctl.contacts.regions import language_tag

    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [salutations] must be a table")
    style = table.get("style", "name")
    if style not in STYLES:
        raise ConfigError(f"{where}: salutations.style {style!r} is not one of "
                          f"{', '.join(STYLES)}",
                          hint='"formal": "Madame, Monsieur," / "Dear Sir or Madam,"; '
                               '"name": "Bonjour Jeanne Dupont," / "Dear Jeanne Dupont,"')
    greetings: dict[str, str] = {}
    for key, value in table.items():
        if key == "style":
            continue
        tag = language_tag(key)
        if tag is None or not known_language(tag):
            raise ConfigError(f"{where}: unknown key {key!r} in [salutations]",
                              hint='keys: style, and language codes such as fr, en or '
                                   'fr-CA: fr = "Madame, Monsieur,"')
        greetings[tag] = _greeting(value, f"{where}: salutations.{key}")
    return SalutationSettings(style=style, greetings=greetings)


def _greeting(value: object, what: str) -> str:
    if (not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n")
            or len(value) > MAX_GREETING):
        raise ConfigError(f"{what} must be one line of text (at most {MAX_GREETING} "
                          "characters)", hint='e.g. "Madame, Monsieur," or "Dear {name},"')
    for placeholder in _PLACEHOLDER.findall(value):
        if placeholder != "{name}":
            raise ConfigError(
                f"{what}: {placeholder} is not filled in: only {{name}} (the full name) is",
                hint="a first-name greeting is for the contacts that allow it: "
                     "`pressctl contacts edit ID --first-name-ok`")
    return value.strip()

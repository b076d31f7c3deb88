"""The [branding] table: what makes a message the press office's own. A logo (a PNG, JPEG
or GIF file of the home, sent inside each message as an inline part, never fetched from a
web server that would learn who opened it), a brand colour (decoration only: a rule above
the column and under headings, never text, so that any colour stays readable), and per
language the footer's text and a privacy line (a sentence, or the https URL of a privacy
page).

Only the form is checked here, when the config is read: the logo file is opened when a
message is rendered (pressctl.releases.images), like the DKIM key, so that a missing logo
stops a mailout (exit 4) and not `pressctl contacts list`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.errors import ConfigError

KNOWN_KEYS = ("logo", "color", "footer", "privacy")
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")  # what every mail client shows
MAX_TEXT = 1000  # characters of a footer or privacy line: a footer, not a second body
ANY_LANGUAGE = "*"

# Patterns, compiled (and cached by re) only when a [branding] table is read: every command
# reads the config, and start-up time matters.
_COLOR = r"#[0-9a-fA-F]{6}"
_LANGUAGE = r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*"
_CONTROLS = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]"  # a newline is allowed
_URL = r"https?://\S+"
_EXAMPLE = ('e.g.\n[branding]\nlogo = "logo.png"\ncolor = "#0b3d91"\n'
            'footer = { fr = "Service de presse du CNES", en = "CNES Press Office" }\n'
            'privacy = { fr = "https://cnes.fr/fr/donnees-personnelles" }')


@dataclass(frozen=True, slots=True)
class BrandingSettings:
    """The [branding] table, checked; all optional."""

    logo: Path | None = None  # absolute (a relative path is taken from the home)
    color: str | None = None  # "#rrggbb", lower case
    footer: dict[str, str] = field(default_factory=dict)  # language ("*": any) -> text
    privacy: dict[str, str] = field(default_factory=dict)  # language -> sentence or URL
    # the config file, named by errors found when the logo is read (not a setting)
    source: str = field(default="", compare=False)

    def footer_for(self, language: str) -> str | None:
        return _for_language(self.footer, language)

    def privacy_for(self, language: str) -> str | None:
        return _for_language(self.privacy, language)


def is_url(text: str) -> bool:
    """A privacy line that is the address of a page (shown as a link), not a sentence."""
    return re.fullmatch(_URL, text) is not None


def _for_language(texts: dict[str, str], language: str) -> str | None:
    """The text for ``language`` ("fr-CA"): its own, its base language's ("fr"), the one
    for every language, else the English one, else the first given: a footer in another
    language is better than no unsubscribe or privacy line at all."""
    tag = language.lower()
    for key in (tag, tag.split("-")[0], ANY_LANGUAGE, "en"):
        if key in texts:
            return texts[key]
    return next(iter(texts.values()), None)


def parse_branding(table: object, where: str, config_dir: Path) -> BrandingSettings:
    """The [branding] table of the config file ``where`` (None or absent: no branding)."""
    if table is None:
        return BrandingSettings()
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: branding must be a table", hint=_EXAMPLE)
    for key in table:
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} in [branding]",
                              hint=f"known keys: {', '.join(KNOWN_KEYS)}")
    return BrandingSettings(
        logo=_logo(table.get("logo"), where, config_dir),
        color=_color(table.get("color"), where),
        footer=_texts(table.get("footer"), "footer", where),
        privacy=_texts(table.get("privacy"), "privacy", where),
        source=where,
    )


def _logo(value: object, where: str, config_dir: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: branding.logo must be a file name",
                          hint='e.g. logo = "logo.png" (a file of the home)')
    path = Path(value.strip()).expanduser()
    if path.suffix.lower() not in LOGO_SUFFIXES:
        raise ConfigError(f"{where}: branding.logo {value!r} is not a PNG, JPEG or GIF file",
                          hint="mail clients show only these; export the logo as PNG "
                               "(not SVG), about 400 pixels wide")
    return path if path.is_absolute() else config_dir / path


def _color(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(_COLOR, value.strip()):
        raise ConfigError(f"{where}: branding.color {value!r} is not a colour as #rrggbb",
                          hint='e.g. color = "#0b3d91"')
    return value.strip().lower()


def _texts(value: object, key: str, where: str) -> dict[str, str]:
    """One text for every language, or a table of them by language tag."""
    if value is None:
        return {}
    table = {ANY_LANGUAGE: value} if isinstance(value, str) else value
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{where}: branding.{key} must be text, or a table of texts by "
                          "language", hint=f'e.g. {key} = {{ fr = "...", en = "..." }}')
    texts = {}
    for language, text in table.items():
        name = f"branding.{key}" + ("" if language == ANY_LANGUAGE else f".{language}")
        if language != ANY_LANGUAGE and not re.fullmatch(_LANGUAGE, str(language)):
            raise ConfigError(f"{where}: {name}: {language!r} is not a language tag",
                              hint='use a tag such as "fr", "en" or "fr-CA"')
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where}: {name} must be text", hint=_EXAMPLE)
        text = text.replace("\r\n", "\n").strip()
        if re.search(_CONTROLS, text) or len(text) > MAX_TEXT:
            raise ConfigError(f"{where}: {name} must be at most {MAX_TEXT} characters of "
                              "text, without control characters")
        if key == "privacy" and text.startswith(("http://", "https://")) and not is_url(text):
            raise ConfigError(f"{where}: {name} {text!r} is not a web address",
                              hint="a privacy line is a sentence or the address of a page")
        texts[language.lower()] = text
    return texts

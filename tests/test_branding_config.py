"""The [branding] table of config.toml (pressctl.config.branding): what it accepts, what
each language version gets, and the commented example of the default config."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pressctl.config import load_settings
from pressctl.config.branding import BrandingSettings, is_url, parse_branding
from pressctl.config.defaults import DEFAULT_CONFIG
from pressctl.errors import ConfigError


def test_a_full_table_reads_back(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[branding]\nlogo = "brand/logo.PNG"\ncolor = " #0B3D91 "\n'
                      'footer.fr = "Service de presse\\n2 place Maurice Quentin"\n'
                      'footer.en-GB = "Press office"\n'
                      'privacy = "We keep your address until you unsubscribe."\n',
                      encoding="utf-8")
    branding = load_settings(config).branding
    assert branding.logo == tmp_path / "brand" / "logo.PNG"  # relative to the home
    assert branding.color == "#0b3d91"
    assert branding.footer == {"fr": "Service de presse\n2 place Maurice Quentin",
                               "en-gb": "Press office"}
    assert branding.privacy_for("de") == "We keep your address until you unsubscribe."
    assert branding.source == str(config)


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "fr"), ("fr-CA", "fr-ca"), ("fr-BE", "fr"), ("en", "*"), ("de", "*")])
def test_each_language_gets_its_own_text_else_the_closest(language, expected):
    texts = {"fr": "fr", "fr-ca": "fr-ca", "*": "*"}
    assert BrandingSettings(footer=texts).footer_for(language) == expected


def test_without_a_text_for_every_language_english_then_the_first_is_used():
    assert BrandingSettings(footer={"de": "de", "en": "en"}).footer_for("fr") == "en"
    assert BrandingSettings(footer={"de": "de"}).footer_for("fr") == "de"
    assert BrandingSettings().footer_for("fr") is None


def test_an_absolute_logo_stays_and_no_table_means_no_branding(tmp_path):
    branding = parse_branding({"logo": "/srv/press/logo.gif"}, "c.toml", tmp_path)
    assert branding.logo == Path("/srv/press/logo.gif")
    assert parse_branding(None, "c.toml", tmp_path) == BrandingSettings()


@pytest.mark.parametrize(("table", "says"), [
    ({"logo": ""}, "branding.logo must be a file name"),
    ({"logo": "logo.webp"}, "is not a PNG, JPEG or GIF file"),
    ({"color": "#0b3d9"}, "is not a colour as #rrggbb"),
    ({"color": 0x0B3D91}, "is not a colour as #rrggbb"),
    ({"footer": {}}, "branding.footer must be text, or a table"),
    ({"footer": {"fr": "  "}}, "branding.footer.fr must be text"),
    ({"footer": "x" * 1001}, "at most 1000 characters"),
    ({"privacy": {"en": "http://"}}, "is not a web address"),
    ("logo.png", "branding must be a table"),
])
def test_bad_values_are_refused_naming_the_file(tmp_path, table, says):
    with pytest.raises(ConfigError) as caught:
        parse_branding(table, "/home/presse/config.toml", tmp_path)
    assert str(caught.value).startswith("/home/presse/config.toml: ")
    assert says in str(caught.value) and caught.value.exit_code == 4


def test_a_privacy_line_is_a_page_or_a_sentence():
    assert is_url("https://cnes.fr/fr/donnees-personnelles")
    assert not is_url("Vos données : https://cnes.fr/rgpd")


def test_the_default_config_documents_the_table_and_its_example_reads():
    assert "\n[branding]\n" in DEFAULT_CONFIG
    uncommented = re.sub(r"(?m)^# (logo|color|footer|privacy)", r"\1", DEFAULT_CONFIG)
    table = tomllib.loads(uncommented)["branding"]
    branding = parse_branding(table, "config.toml", Path("/home/presse"))
    assert branding.logo == Path("/home/presse/logo.png") and branding.color
    assert set(branding.footer) == set(branding.privacy) == {"fr", "en"}

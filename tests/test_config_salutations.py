"""The [salutations] table of config.toml: a style and a greeting per language, each
checked once when the file is read (exit 4 for a bad one, naming the file and the key)."""

from __future__ import annotations

import pytest

from pressctl.config import DEFAULT_CONFIG, load_settings
from pressctl.config.salutations import SalutationSettings
from pressctl.errors import EXIT_CONFIG, ConfigError


def settings_of(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def test_no_table_means_greeting_by_full_name(tmp_path):
    assert settings_of(tmp_path, "").salutations == SalutationSettings(style="name")


def test_the_default_config_file_leaves_them_commented_out(tmp_path):
    assert "[salutations]" in DEFAULT_CONFIG and '# style = "formal"' in DEFAULT_CONFIG
    assert settings_of(tmp_path, DEFAULT_CONFIG).salutations == SalutationSettings()


def test_style_and_greetings_per_language_are_read_with_canonical_tags(tmp_path):
    read = settings_of(tmp_path, '[salutations]\nstyle = "formal"\nfr = "Madame, Monsieur,"\n'
                                 'fr_CA = "Bonjour {name},"\nDE = " Sehr geehrte Damen und '
                                 'Herren, "\n').salutations
    assert read.style == "formal"
    assert read.greetings == {"fr": "Madame, Monsieur,", "fr-CA": "Bonjour {name},",
                              "de": "Sehr geehrte Damen und Herren,"}


@pytest.mark.parametrize(("table", "fragment"), [
    ('style = "polite"', "salutations.style 'polite' is not one of name, formal"),
    ('xx = "Bonjour,"', "unknown key 'xx' in [salutations]"),
    ('greeting = "Bonjour,"', "unknown key 'greeting' in [salutations]"),
    ('fr = "Bonjour {first_name},"', "salutations.fr: {first_name} is not filled in: only "
                                     "{name} (the full name) is"),
    ('fr = "Bonjour {nom},"', "{nom} is not filled in"),
    ('fr = ""', "salutations.fr must be one line of text"),
    ('fr = "Madame,\\nMonsieur,"', "salutations.fr must be one line of text"),
    ("fr = 3", "salutations.fr must be one line of text"),
])
def test_a_bad_salutations_table_names_the_file_and_key(tmp_path, table, fragment):
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path, f"[salutations]\n{table}\n")
    assert fragment in str(caught.value)
    assert str(tmp_path / "config.toml") in str(caught.value)
    assert caught.value.exit_code == EXIT_CONFIG


def test_salutations_must_be_a_table(tmp_path):
    with pytest.raises(ConfigError, match="unknown section"):
        settings_of(tmp_path, 'salutations = "formal"\n')

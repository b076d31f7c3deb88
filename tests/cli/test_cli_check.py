"""`pressctl check phone|email`: exit 0 when all valid, 3 otherwise; JSON shape."""

from __future__ import annotations

import json

PHONE_KEYS = {"input", "valid", "e164", "international", "national", "type", "extension", "error"}
EMAIL_KEYS = {"input", "valid", "normalized", "cleaned", "error"}


def test_check_phone_json(cli):
    result = cli("check", "phone", "Tel. +33 (0)1 44 76 75 39", "(202) 358-1600",
                 "--region", "US", "--json")
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert [set(i) for i in items] == [PHONE_KEYS, PHONE_KEYS]
    assert [i["e164"] for i in items] == ["+33144767539", "+12023581600"]


def test_check_phone_uses_the_configured_region(cli, home):
    cli("init")
    (home / "config.toml").write_text('[contacts]\ndefault_region = "BE"\n')
    item = json.loads(cli("check", "phone", "02 555 01 23", "--json").stdout)[0]
    assert item["e164"] == "+3225550123"


def test_check_phone_invalid_is_exit_3_with_reason(cli):
    result = cli("check", "phone", "01 44 76 75 39", "01 44 76", "--json")
    assert result.exit_code == 3
    items = json.loads(result.stdout)
    assert [i["valid"] for i in items] == [True, False]
    assert "too short" in items[1]["error"]


def test_check_phone_two_numbers_in_one_value(cli):
    items = json.loads(cli("check", "phone", "202-358-1726/3895", "--region", "US",
                           "--json").stdout)
    assert [i["e164"] for i in items] == ["+12023581726", "+12023583895"]


def test_check_phone_bad_region_is_exit_3(cli):
    result = cli("check", "phone", "0144767539", "--region", "ZZ")
    assert result.exit_code == 3 and "--region" in result.stderr


def test_check_email_json_says_what_was_cleaned(cli):
    result = cli("check", "email", "mailto:raphael.sart@cnes.fr?subject=Hi",
                 "pascale.bresson [at] cnes.fr", "--json")
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert [set(i) for i in items] == [EMAIL_KEYS, EMAIL_KEYS]
    assert [i["normalized"] for i in items] == ["raphael.sart@cnes.fr", "pascale.bresson@cnes.fr"]
    assert any("mailto" in note for note in items[0]["cleaned"])
    assert any("[at]" in note for note in items[1]["cleaned"])


def test_check_email_invalid_is_exit_3(cli):
    result = cli("check", "email", "pascale.bresson@cnes", "--json")
    assert result.exit_code == 3
    item = json.loads(result.stdout)[0]
    assert item["valid"] is False and item["normalized"] is None and item["error"]


def test_check_plain_output_is_a_table(cli):
    result = cli("check", "email", "jane@example.com")
    assert result.stdout.splitlines()[0].split("\t") == ["input", "valid", "normalized",
                                                         "cleaned", "error"]

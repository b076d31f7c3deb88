"""The regions written out in pressctl.contacts.regions, held to the installed phonenumbers."""

from __future__ import annotations

import subprocess
import sys

import phonenumbers
import pytest

from pressctl.contacts import regions


def test_every_written_region_is_one_phonenumbers_knows() -> None:
    # A region phonenumbers dropped would be accepted in config.toml and then refused
    # by every phone of the book: the written list must shrink with it.
    assert regions.PHONE_REGIONS.issubset(phonenumbers.SUPPORTED_REGIONS)
    assert len(regions.PHONE_REGIONS) >= 240  # not an accidentally truncated list


@pytest.mark.parametrize("code", sorted(phonenumbers.SUPPORTED_REGIONS))
def test_known_region_agrees_with_phonenumbers(code: str) -> None:
    assert regions.known_region(code)


@pytest.mark.parametrize("code", ["UK", "XX", "EU", "001", "fr", ""])
def test_codes_phonenumbers_does_not_know_are_unknown(code: str) -> None:
    assert not regions.known_region(code)


def test_a_region_phonenumbers_added_later_still_counts(monkeypatch) -> None:
    # A newer phonenumbers may know a region the written list does not: asked of it.
    monkeypatch.setattr(regions, "PHONE_REGIONS", frozenset({"FR"}))
    assert regions.known_region("DE")
    assert not regions.known_region("XX")


def test_a_written_region_is_checked_without_importing_phonenumbers() -> None:
    code = ("import sys; from pressctl.contacts.regions import known_region; "
            "assert known_region('FR') and known_region('GB'); "
            "print('phonenumbers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"

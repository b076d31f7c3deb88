"""The quick paths of pressctl.contacts.validation (a text with no control character,
line break nor run of spaces kept as it is; one search for unstorable text over all of a
record's values) say exactly what the full checks say: compared, on generated text
heavy in the characters that matter, with the full checks as they were written before."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.contacts import validation
from pressctl.contacts.validation import MAX_NAME, validate_fields

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Text that exercises every rule: spaces of every kind, line breaks, controls, NUL, lone
# surrogates, letters with accents, digits and punctuation.
_CHARS = st.sampled_from(list(" \t\n\r\x0b\x0c\x00\x01\x1f\x7f\x85\xa0\u2028\u2029\u2000"
                              "\u202f\u3000\ud800\udfffaÉé1.,;|-'\"") + ["x", "y"])
TEXT = st.text(alphabet=_CHARS, max_size=12) | st.text(max_size=12)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value).strip()


def single_line_before(value: object, label: str, problems: list[str]) -> str | None:
    text = _text(value)
    if not text:
        return None
    if _LINE_BREAK.search(text) or _CONTROL.search(text):
        problems.append(f"{label} {text!r} contains a line break or control character")
        return None
    return _SPACES.sub(" ", text)


def name_before(value: object, problems: list[str]) -> str | None:
    name = _text(value)
    if not name:
        problems.append("name is missing")
        return None
    if _LINE_BREAK.search(name) or _CONTROL.search(name):
        problems.append(f"name {name!r} contains a line break or control character")
        return None
    name = _SPACES.sub(" ", name)
    if len(name) > MAX_NAME:
        problems.append(f"name is longer than {MAX_NAME} characters")
        return None
    return name


def unstorable_labels_before(fields: dict[str, object]) -> list[str]:
    """Which fields the full check finds unstorable text in (one problem each)."""
    found = []
    for key, value in fields.items():
        for text in value if isinstance(value, list) else [value]:
            if text is not None and _UNSTORABLE.search(str(text)):
                found.append(key)
                break
    return found


@settings(max_examples=3000, deadline=None)
@given(value=TEXT | st.none() | st.lists(TEXT, max_size=3))
def test_a_single_line_field_is_checked_as_before(value):
    got: list[str] = []
    expected: list[str] = []
    assert validation._single_line(value, "role", got) == single_line_before(
        value, "role", expected)
    assert got == expected
    assert validation._text(value) == _text(value)
    assert validation._values(value) == (
        [] if value is None else [str(v) for v in (value if isinstance(value, list)
                                                   else [value]) if str(v).strip()])


@settings(max_examples=3000, deadline=None)
@given(value=TEXT | st.text(alphabet="ab ", min_size=195, max_size=205)
       | st.text(alphabet="ab", min_size=195, max_size=205))
def test_a_name_is_checked_as_before(value):
    got: list[str] = []
    expected: list[str] = []
    assert validation._name({"name": value}, got) == name_before(value, expected)
    assert got == expected


@settings(max_examples=2000, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(["name", "role", "emails", "phones", "notes",
                                               "opted_out"]),
                              TEXT | st.lists(TEXT, max_size=2) | st.none() | st.booleans(),
                              max_size=5))
def test_unstorable_text_is_found_as_before(fields):
    problems = validation._unstorable(fields)
    labels = unstorable_labels_before(fields)
    assert len(problems) == len(labels)
    for problem, key in zip(problems, labels, strict=True):
        assert problem.startswith(validation._LABELS.get(key, key) + " ")


def test_the_quick_paths_are_taken_and_the_full_ones_still_refuse():
    problems: list[str] = []
    assert validation._single_line("  Press  officer ", "role", problems) == "Press officer"
    assert validation._single_line("Press\tofficer", "role", problems) == "Press officer"
    assert validation._single_line("Press\u2028officer", "role", problems) is None
    assert problems == ["role 'Press\\u2028officer' contains a line break or control character"]
    checked = validate_fields({"name": "Ana\x00", "role": "x\ud800"}, lambda c, o: "FR")
    assert checked.contact is None and len(checked.problems) == 2
    ok = validate_fields({"name": "Ana  Lima", "role": "Editor", "emails": "ana@example.org"},
                         lambda c, o: "FR")
    assert ok.contact is not None and ok.contact.name == "Ana Lima"
    long: list[str] = []
    assert validation._name({"name": "a" * (MAX_NAME + 1)}, long) is None
    assert long == [f"name is longer than {MAX_NAME} characters"]

"""The HTML part through the command line: a release's missing or remote picture is an
error of `release check` (file:line, exit 3) and of `release preview`; a bad [branding]
table is a configuration error (exit 4) naming config.toml; a branded preview carries
its images inside the message."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from pictures import png

from pressctl.releases.rendering import PREVIEW_TOKEN

READER = "harriet.pennington@orbit-weekly.example.com"


def release(folder: Path, body: str) -> Path:
    """A CNES release for the space desk; its body starts on line 12."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "PR320-2030.en.md"
    path.write_text("\n".join([
        "+++", 'reference = "PR320-2030"', 'kind = "release"', 'language = "en"',
        'title = "A release with a picture"', "date = 2030-06-01", 'place = "Paris"',
        'organizations = ["CNES"]', 'audience = "tag:space"', "+++", "",
        body]) + "\n", encoding="utf-8")
    return path


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


@pytest.mark.parametrize(("body", "line", "says"), [
    ("The pad.\n\n![Launch pad](pad.png)", 14,
     'image "pad.png" does not exist (looked for '),
    ("![Launch pad](https://cdn.example.org/pad.png)", 12,
     'image "https://cdn.example.org/pad.png" is not a file: pressctl sends images inside the '
     "message"),
])
def test_check_names_the_picture_its_line_and_the_fix(sample_book, tmp_path, body, line, says):
    path = release(tmp_path, body)
    result = sample_book("release", "check", path)
    assert result.exit_code == 3
    errors = [line for line in result.stdout.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {path}:{line}: {says}")
    no_traceback(result)
    preview = sample_book("release", "preview", path, "--to", READER, "--format", "html")
    assert preview.exit_code == 3 and preview.stdout == ""
    assert f"{path}:{line}: " in preview.stderr and "<img" not in preview.stderr
    no_traceback(preview)


def test_a_branded_preview_carries_logo_picture_and_footer(sample_book, home, tmp_path):
    (home / "logo.png").write_bytes(png(300, 60))
    (home / "config.toml").write_text(
        '[branding]\nlogo = "logo.png"\ncolor = "#0B3D91"\n'
        'footer.en = "CNES Press Office, Paris"\n'
        'privacy.en = "https://cnes.fr/en/personal-data"\n', encoding="utf-8")
    path = release(tmp_path, "The pad.\n\n![Launch pad](pad.png)")
    (tmp_path / "pad.png").write_bytes(png(900, 600))
    assert sample_book("release", "check", path).exit_code == 0
    result = sample_book("release", "preview", path, "--to", READER, "--format", "eml")
    assert result.exit_code == 0, result.stderr
    message = email.message_from_bytes(result.stdout_bytes, policy=email.policy.default)
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
        "image/png"]
    markup = message.get_body(("html",)).get_content()
    assert "CNES Press Office, Paris" in markup and "border-top: 4px solid #0b3d91" in markup
    text = message.get_body(("plain",)).get_content()
    assert "[pad.png: Launch pad]" in text and "CNES Press Office, Paris" in text
    assert PREVIEW_TOKEN not in text  # no one-click page configured: the mailto
    assert "mailto:" in text.rsplit("-- ", 1)[1]
    out = tmp_path / "previews"
    written = sample_book("release", "preview", path, "--to", READER, "--out", out)
    assert written.exit_code == 0, written.stderr
    [page] = out.glob("*.html")  # opened alone in a browser, it shows the images
    shown = page.read_text(encoding="utf-8")
    assert "cid:" not in shown and shown.count('src="data:image/png;base64,') == 2


@pytest.mark.parametrize(("table", "says"), [
    ('color = "navy"', "branding.color 'navy' is not a colour as #rrggbb"),
    ('logo = "logo.svg"', "branding.logo 'logo.svg' is not a PNG, JPEG or GIF file"),
    ('footer = { "fr_FR" = "Service de presse" }',
     "branding.footer.fr_FR: 'fr_FR' is not a language tag"),
    ("footer = 3", "branding.footer must be text, or a table of texts by language"),
    ('privacy.fr = "https://cnes.fr/ma page"', "branding.privacy.fr 'https://cnes.fr/ma page' "
     "is not a web address"),
    ('slogan = "To the stars"', "unknown key 'slogan' in [branding]"),
    ('footer.en = "Line\\u0007bell"', "branding.footer.en must be at most 1000 characters"),
])
def test_a_bad_branding_table_is_a_configuration_error(cli, home, table, says):
    (home / "config.toml").write_text(f"[branding]\n{table}\n", encoding="utf-8")
    result = cli("contacts", "list")
    assert result.exit_code == 4, result.stderr
    assert f"Error: {home / 'config.toml'}: {says}" in result.stderr
    assert result.stdout == ""
    no_traceback(result)


def test_a_missing_logo_stops_the_preview_not_the_book(sample_book, home, tmp_path):
    (home / "config.toml").write_text('[branding]\nlogo = "logo.png"\n', encoding="utf-8")
    assert sample_book("contacts", "list").exit_code == 0  # read when a message is rendered
    path = release(tmp_path, "No picture.")
    result = sample_book("release", "preview", path, "--to", READER)
    assert result.exit_code == 4
    assert f"Error: {home / 'config.toml'}: branding.logo: no file {home / 'logo.png'}" in \
        result.stderr
    no_traceback(result)

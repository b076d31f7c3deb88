"""The HTML part of real messages (the sample CNES/SFR release, built by the rendering
pipeline and read back with Python's e-mail parser): a 640 px column with the notices
inside it, the stylesheet inlined, a dark-mode-safe head, the [branding] logo and body
images as inline cid: parts, and the footer with each recipient's unsubscribe link, in
the HTML and in the text part."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import html
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from mailing import edit_front
from pictures import png

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.config import SenderSettings
from pressctl.config.branding import BrandingSettings
from pressctl.contacts.formats.files import open_contact_file
from pressctl.errors import ConfigError, ProblemsFound
from pressctl.releases.checking import check_release, load_release_set
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import PREVIEW_TOKEN, build_messages
from pressctl.releases.templating import Templates

EXAMPLES = REPO / "examples"
TODAY = date(2020, 9, 1)
NOW = datetime(2020, 9, 21, 8, 0, tzinfo=UTC)  # before the lift: the embargoed version
FR_READER = "claire.fontaine@gazette-espace.example.org"
EN_READER = "harriet.pennington@orbit-weekly.example.com"
ONE_CLICK = "https://presse.cnes.example/desabonnement?t={token}"
FOOTER = {"fr": "Service de presse du CNES\n2 place Maurice Quentin, 75001 Paris",
          "en": "CNES Press Office\n2 place Maurice Quentin, 75001 Paris, France"}
PRIVACY = {"fr": "https://cnes.fr/fr/donnees-personnelles",
           "en": "https://cnes.fr/en/personal-data"}
CAPTION = {"fr": "La signature de l'accord", "en": "Signing the agreement"}


@pytest.fixture
def sample(book):
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def branded(book, folder: Path, *, one_click: bool = True, **changes):
    """``book`` with a [branding] table (a logo file in ``folder``) and, unless told
    otherwise, a one-click unsubscribe page."""
    (folder / "logo.png").write_bytes(png(400, 100))
    values = {"logo": folder / "logo.png", "color": "#0b3d91", "footer": FOOTER,
              "privacy": PRIVACY, "source": str(folder / "config.toml")}
    values.update(changes)
    sender = SenderSettings(unsubscribe_url=ONE_CLICK if one_click else None)
    book.settings = dataclasses.replace(book.settings, branding=BrandingSettings(**values),
                                        sender=sender)
    return book


def example(folder: Path, kind: str = "release", picture: bool = True) -> Path:
    """The sample release (en + fr) in ``folder``, a picture in each body."""
    folder.mkdir(parents=True, exist_ok=True)
    for language in ("en", "fr"):
        text = (EXAMPLES / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        if kind != "release":
            text = text.replace('kind = "release"', f'kind = "{kind}"')
        if picture:  # after the body's first paragraph
            first = text.index("\n\n", text.index("+++\n", 4) + 5)
            text = text[:first] + f"\n\n![{CAPTION[language]}](photos/signature.png)" + \
                text[first:]
        (folder / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    (folder / "photos").mkdir(exist_ok=True)
    (folder / "photos" / "signature.png").write_bytes(png(1200, 800, (200, 30, 30)))
    return folder / "PR106-2020.en.md"


def build(book, path: Path, readers: list[str]) -> dict[str, email.message.EmailMessage]:
    releases = load_release_set(path, TODAY)
    recipients = select_recipients(book, releases, only=readers)
    return {m.recipient.address: email.message_from_bytes(m.raw, policy=email.policy.default)
            for m in build_messages(book, releases, recipients, Templates(), now=NOW)}


def html_of(message) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def structure(message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


class Tree(HTMLParser):
    """Every element with its attributes and the classes of its open ancestors."""

    VOID = frozenset({"br", "meta", "img", "hr", "link", "input"})

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, dict]] = []
        self.elements: list[tuple[str, dict, list[tuple[str, dict]]]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes, list(self.open)))
        if tag not in self.VOID:
            self.open.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def find(self, tag: str, css_class: str) -> tuple[dict, list[tuple[str, dict]]]:
        [(attributes, ancestors)] = [(a, up) for t, a, up in self.elements
                                     if t == tag and css_class in a.get("class", "").split()]
        return attributes, ancestors


def classes(ancestors: list[tuple[str, dict]]) -> list[str]:
    return [c for _, attributes in ancestors for c in attributes.get("class", "").split()]


# ------------------------------------------------------------------ MIME structure


def test_a_branded_invitation_sends_its_images_inside_the_message(sample, tmp_path):
    branded(sample, tmp_path)
    messages = build(sample, example(tmp_path / "r", "invitation"), [FR_READER, EN_READER])
    for message in messages.values():
        assert structure(message) == [
            "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
            "text/html", "image/png", "image/png", "text/calendar", "application/ics"]
        parts = {str(p["Content-ID"]): p for p in message.walk() if p["Content-ID"]}
        cids = re.findall(r'src="cid:([^"]+)"', html_of(message))
        assert len(cids) == 2 and {f"<{cid}>" for cid in cids} == set(parts)
        logo, photo = (parts[f"<{cid}>"] for cid in cids)  # the logo first, at the top
        assert logo.get_content() == (tmp_path / "logo.png").read_bytes()
        assert photo.get_content() == (tmp_path / "r" / "photos" / "signature.png").read_bytes()
        assert photo.get_filename() == "signature.png"
        assert photo.get_content_disposition() == "inline"
        assert "http" not in " ".join(re.findall(r'<img [^>]*>', html_of(message)))


def test_without_branding_or_pictures_the_html_stands_alone(sample, tmp_path):
    messages = build(sample, example(tmp_path, picture=False), [EN_READER])
    [message] = messages.values()
    assert structure(message) == ["multipart/mixed", "multipart/alternative", "text/plain",
                                  "text/html", "text/calendar", "application/ics"]
    assert "<img" not in html_of(message)


def test_a_template_that_shows_no_logo_sends_no_logo(sample, tmp_path):
    branded(sample, tmp_path)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "release.en.html.j2").write_text(
        "<html><body>{{ body_html|safe }}</body></html>\n", encoding="utf-8")
    releases = load_release_set(example(tmp_path / "r"), TODAY)
    [built] = build_messages(sample, releases,
                             select_recipients(sample, releases, only=[EN_READER]),
                             Templates(folder), now=NOW)
    message = email.message_from_bytes(built.raw, policy=email.policy.default)
    images = [p for p in message.walk() if p.get_content_maintype() == "image"]
    assert [p.get_filename() for p in images] == ["signature.png"]


# ------------------------------------------------------------------ layout and CSS


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_embargo_notice_is_inside_the_column_first(sample, tmp_path, language):
    messages = build(sample, example(tmp_path), [FR_READER if language == "fr" else EN_READER])
    [message] = messages.values()
    tree = Tree(html_of(message))
    notice, ancestors = tree.find("p", "notice-urgent")
    assert classes(ancestors) == ["wrap", "wrap-cell", "column", "content"]  # in the column
    assert "font-family:Arial,Helvetica,sans-serif" in notice["style"]  # never the serif
    content = ancestors[-1][1]
    children = [a for _, a, up in tree.elements if up and up[-1][1] is content]
    assert children[0] is notice  # no logo configured: the notice comes first


def test_the_stylesheet_is_inlined_and_only_media_rules_stay(sample, tmp_path):
    branded(sample, tmp_path)
    [message] = build(sample, example(tmp_path / "r"), [EN_READER]).values()
    markup = html_of(message)
    tree = Tree(markup)
    styled = [(t, a) for t, a, _ in tree.elements if "class" in a]
    assert len(styled) > 20 and all(a.get("style") for _, a in styled)
    column, _ = tree.find("table", "column")
    assert "max-width: 640px" in column["style"] and "width: 100%" in column["style"]
    assert "table-layout: fixed" in column["style"]
    content, _ = tree.find("td", "content")
    assert "font-family: Arial,Helvetica,sans-serif" in content["style"]
    assert "overflow-wrap: anywhere" in content["style"]  # long URLs wrap at 320 px
    assert "border-top: 4px solid #0b3d91" in content["style"]  # the brand colour
    [css] = re.findall(r"<style>(.*?)</style>", markup, re.DOTALL)
    assert "@media (prefers-color-scheme:dark)" in css and "max-width:480px" in css
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css).strip() == ""
    assert '<meta name="color-scheme" content="light dark">' in markup
    assert len(markup.encode("utf-8")) < 40_000  # Gmail clips a message at 102 KB


def test_the_logo_sits_on_its_own_white_plate_at_its_box_size(sample, tmp_path):
    branded(sample, tmp_path)
    [message] = build(sample, example(tmp_path / "r"), [EN_READER]).values()
    [logo] = [a for t, a, _ in Tree(html_of(message)).elements
              if t == "img" and a.get("src", "").startswith("cid:img.")
              and a.get("alt") != CAPTION["en"]]
    assert (logo["width"], logo["height"]) == ("200", "50")
    assert "background-color: #ffffff" in logo["style"]  # dark mode shows no transparent hole
    assert logo["alt"] == "CNES"


# ------------------------------------------------------------------ the footer


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_footer_speaks_the_message_language_with_the_one_click_link(sample, tmp_path,
                                                                         language):
    branded(sample, tmp_path)
    reader = FR_READER if language == "fr" else EN_READER
    [message] = build(sample, example(tmp_path / "r"), [reader]).values()
    url = ONE_CLICK.format(token=PREVIEW_TOKEN)
    markup, text = html_of(message), text_of(message)
    footer = markup[markup.index('class="footer"'):]
    first, second = FOOTER[language].split("\n")
    assert f"{first}<br>{second}" in footer and f'href="{PRIVACY[language]}"' in footer
    assert f'<a href="{url}"' in footer
    label = "Données personnelles" if language == "fr" else "Privacy policy"
    assert label in footer
    tail = text[text.rindex("\n-- \n"):]
    assert FOOTER[language] in tail and PRIVACY[language] in tail
    assert tail.rstrip("\n").endswith("\n" + url)
    other = "en" if language == "fr" else "fr"
    assert FOOTER[other].split("\n")[0] not in markup + text


def test_without_a_one_click_page_the_footer_links_the_mailto(sample, tmp_path):
    branded(sample, tmp_path, one_click=False)
    [message] = build(sample, example(tmp_path / "r"), [EN_READER]).values()
    mailto = "mailto:pascale.bresson@cnes.fr?subject=unsubscribe"
    assert f'<a href="{mailto}"' in html_of(message)
    assert text_of(message).rstrip("\n").endswith("\n" + mailto)
    assert str(message["List-Unsubscribe"]) == f"<{mailto}>"


def test_footer_privacy_and_caption_are_escaped_in_html_and_plain_in_text(sample, tmp_path):
    footer = 'Presse <script>alert(1)</script> & "Co"'
    branded(sample, tmp_path, footer={"*": footer}, privacy={"*": "We keep <b>nothing</b>."})
    path = example(tmp_path / "r")
    edit_front(path, f"![{CAPTION['en']}]", '![A <img src=x onerror=alert(1)> & "caption"]')
    [message] = build(sample, path, [EN_READER]).values()
    markup, text = html_of(message), text_of(message)
    tree = Tree(markup)
    assert not {"script", "b"} & {tag for tag, _, _ in tree.elements}
    assert not any(key.startswith("on") for _, a, _ in tree.elements for key in a)
    assert "<script" not in markup and "<b>" not in markup and "<img src=x" not in markup
    assert footer in html.unescape(markup) and "We keep <b>nothing</b>." in html.unescape(markup)
    [photo] = [a for t, a, _ in tree.elements if t == "img" and "caption" in a.get("alt", "")]
    assert photo["alt"] == 'A <img src=x onerror=alert(1)> & "caption"'
    assert footer in text and "We keep <b>nothing</b>." in text
    assert '[signature.png: A <img src=x onerror=alert(1)> & "caption"]' in text


def test_the_text_part_keeps_its_shape_with_the_caption_and_the_footer(sample, tmp_path):
    branded(sample, tmp_path)
    plain = text_of(next(iter(build(sample, example(tmp_path / "a", picture=False),
                                    [EN_READER]).values())))
    with_all = text_of(next(iter(build(sample, example(tmp_path / "b"), [EN_READER]).values())))
    assert f"\n[signature.png: {CAPTION['en']}]\n" in with_all
    # the same text, the caption line added
    assert with_all.replace(f"[signature.png: {CAPTION['en']}]\n\n", "") == plain
    assert max(len(line) for line in plain.split("\n-- \n")[0].splitlines()) <= 72


# ------------------------------------------------------------------ problems


def test_a_missing_picture_stops_check_and_rendering_at_its_line(sample, tmp_path):
    path = example(tmp_path)
    (tmp_path / "photos" / "signature.png").unlink()
    errors, _ = check_release(sample, path, Templates(), TODAY, now=NOW)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "photos/signature.png" in text)
    assert f"{path}:{line}: image \"photos/signature.png\" does not exist" in \
        [str(e) for e in errors][0]
    with pytest.raises(ProblemsFound) as caught:  # preview and mailout creation load it
        load_release_set(path, TODAY)
    assert caught.value.exit_code == 3
    assert any(p.where == f"{path}:{line}" for p in caught.value.problems)


def test_a_missing_logo_is_a_configuration_error_naming_the_config_file(sample, tmp_path):
    branded(sample, tmp_path)
    (tmp_path / "logo.png").unlink()
    with pytest.raises(ConfigError) as caught:
        build(sample, example(tmp_path / "r"), [EN_READER])
    assert caught.value.exit_code == 4
    assert str(caught.value).startswith(f"{tmp_path / 'config.toml'}: branding.logo: no file")

"""Images of a release's body and the logo (pressctl.releases.images), and how Markdown shows
them (pressctl.releases.markdown): an inline cid: part with its caption, never a broken
<img>, never a remote image; every problem at its file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pictures import gif_header, jpeg_header, png

from pressctl.config.branding import BrandingSettings
from pressctl.errors import ConfigError, ProblemsFound
from pressctl.releases.checking import read_release
from pressctl.releases.images import LOGO_BOX, body_pictures, logo, sniff
from pressctl.releases.markdown import (
    ShownImage,
    markdown_images,
    markdown_to_html,
    markdown_to_text,
)

TODAY = date(2026, 5, 1)


def release_file(folder: Path, body: str) -> Path:
    """A release of CNES whose body is ``body``; the body starts on line 9."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "PR301-2026.en.md"
    path.write_text("\n".join([
        "+++", 'reference = "PR301-2026"', 'language = "en"', 'title = "Pictures"',
        "date = 2026-06-01", 'organizations = ["CNES"]', "+++", "", body]) + "\n",
        encoding="utf-8")
    return path


# ------------------------------------------------------------------ reading image files


@pytest.mark.parametrize(("data", "kind", "size"), [
    (png(640, 480), "image/png", (640, 480)),
    (gif_header(120, 60), "image/gif", (120, 60)),
    (jpeg_header(1200, 800), "image/jpeg", (1200, 800)),
])
def test_the_kind_and_size_come_from_the_content(data, kind, size):
    picture = sniff(data)
    assert picture is not None
    assert (picture.content_type, (picture.width, picture.height)) == (kind, size)


@pytest.mark.parametrize("data", [
    b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"",
    b"%PDF-1.7", b"\x89PNG\r\n",  # a PNG cut short
])
def test_anything_else_is_no_image(data):
    assert sniff(data) is None


# ------------------------------------------------------------------ Markdown


def test_markdown_finds_each_image_with_its_line():
    body = ("Intro.\n\n![The *launch* pad](pad.png)\n\nText, then\na photo "
            "![A <b> & Co](<my photo.jpg>) inline.\n\n| a |\n|---|\n| ![](t.gif) |\n")
    images = markdown_images(body)
    assert [(i.src, i.path, i.caption, i.line) for i in images] == [
        ("pad.png", "pad.png", "The launch pad", 2),
        ("my%20photo.jpg", "my photo.jpg", "A <b> & Co", 5),
        ("t.gif", "t.gif", "", 9),
    ]


def test_an_image_alone_is_a_figure_with_its_caption_escaped():
    html = markdown_to_html('![Pad <b>39A</b> & "tower"](pad.png)\n',
                            {"pad.png": ShownImage("cid:img.1@cnes.fr", 1600)})
    assert html.startswith('<figure style="')
    assert ('<img src="cid:img.1@cnes.fr" alt="Pad &lt;b&gt;39A&lt;/b&gt; &amp; &#34;tower&#34;" '
            'width="640"') in html  # an Outlook that ignores max-width still fits
    assert "max-width:100%;height:auto" in html
    assert html.rstrip().endswith('>Pad &lt;b&gt;39A&lt;/b&gt; &amp; &#34;tower&#34;</figcaption>'
                                  "</figure>")
    assert "<b>" not in html


def test_an_image_inside_a_paragraph_keeps_its_caption_under_it():
    html = markdown_to_html("See ![the pad](pad.png) here.\n",
                            {"pad.png": ShownImage("cid:img.1@cnes.fr", 300)})
    assert html.startswith("<p ") and "<figure" not in html
    assert '<img src="cid:img.1@cnes.fr" alt="the pad" width="300"' in html
    assert '<span class="caption" style="display:block;' in html
    assert ">the pad</span> here.</p>" in html


def test_an_image_without_its_part_shows_its_caption_never_a_broken_tag():
    html = markdown_to_html("![The pad](pad.png)\n\n![](other.png)\n")
    assert "<img" not in html and "The pad</figcaption>" in html


def test_the_text_part_names_each_image_and_its_caption():
    text = markdown_to_text("Before.\n\n![The launch pad](photos/pad%2039A.png)\n\n"
                            "Inline ![](chart.gif) too.\n")
    assert text == "Before.\n\n[pad 39A.png: The launch pad]\n\nInline [chart.gif] too."


# ------------------------------------------------------------------ the release's images


def test_images_beside_the_release_become_parts_once_each(tmp_path):
    path = release_file(tmp_path, "![Pad](pad.png)\n\nAgain: ![Pad again](pad.png)\n\n"
                        "![Chart](img/chart.gif)\n")
    (tmp_path / "pad.png").write_bytes(png(800, 600))
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "chart.gif").write_bytes(gif_header(100, 50))
    release, errors, _ = read_release(path, TODAY)
    assert errors == [] and release is not None
    pictures = body_pictures(release, "cnes.fr")
    assert [(p.filename, p.content_type) for p in pictures.parts] == [
        ("pad.png", "image/png"), ("chart.gif", "image/gif")]
    assert pictures.parts[0].data == (tmp_path / "pad.png").read_bytes()
    assert pictures.shown["pad.png"] == ShownImage(pictures.parts[0].url, 800)
    assert pictures.shown["img/chart.gif"].url == pictures.parts[1].url
    assert pictures.parts[0].content_id.endswith("@cnes.fr>")
    assert pictures.parts[0].url == "cid:" + pictures.parts[0].content_id[1:-1]


@pytest.mark.parametrize(("body", "files", "line", "says"), [
    ("Text.\n\n![Pad](pad.png)\n", {}, 11,
     'image "pad.png" does not exist (looked for'),
    ("![Pad](https://cdn.example.org/pad.png)\n", {}, 9,
     'image "https://cdn.example.org/pad.png" is not a file: pressctl sends images inside'),
    ("![Pad](//cdn.example.org/pad.png)\n", {}, 9, "is not a file"),
    ("![Logo](logo.svg)\n", {"logo.svg": b"<svg/>"}, 9,
     'image "logo.svg" is not a PNG, JPEG or GIF image: mail clients show only these'),
    ("One\ntwo ![x](photos)\n", {"photos/a.png": png()}, 10, 'image "photos" is not a file'),
])
def test_an_image_that_cannot_go_inside_the_message_is_an_error_at_its_line(
        tmp_path, body, files, line, says):
    path = release_file(tmp_path, body)
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    release, errors, _ = read_release(path, TODAY)
    assert release is None
    assert [problem.where for problem in errors] == [f"{path}:{line}"]
    assert says in errors[0].message


def test_an_unreadable_image_is_an_error(tmp_path, monkeypatch):
    path = release_file(tmp_path, "![Pad](pad.png)\n")
    (tmp_path / "pad.png").write_bytes(png())
    opened = Path.open

    def refuse(self, *args, **kwargs):  # as chmod 000 does (tests run as root in CI)
        if self.name == "pad.png":
            raise PermissionError(13, "Permission denied")
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    _, errors, _ = read_release(path, TODAY)
    assert [p.where for p in errors] == [f"{path}:9"]
    assert errors[0].message == 'image "pad.png" cannot be read (Permission denied)'


def test_rendering_refuses_what_check_refuses(tmp_path):
    path = release_file(tmp_path, "![Pad](pad.png)\n")
    (tmp_path / "pad.png").write_bytes(png())
    release, _, _ = read_release(path, TODAY)
    (tmp_path / "pad.png").unlink()  # gone between the check and the rendering
    with pytest.raises(ProblemsFound) as caught:
        body_pictures(release, "cnes.fr")
    assert caught.value.exit_code == 3
    assert caught.value.problems[0].where == f"{path}:9"


# ------------------------------------------------------------------ the logo


def test_the_logo_fits_its_box_and_is_never_enlarged(tmp_path):
    (tmp_path / "wide.png").write_bytes(png(800, 100))
    (tmp_path / "small.gif").write_bytes(gif_header(40, 20))
    wide = logo(BrandingSettings(logo=tmp_path / "wide.png"), "cnes.fr")
    small = logo(BrandingSettings(logo=tmp_path / "small.gif"), "cnes.fr")
    assert wide is not None and small is not None
    assert (wide.width, wide.height) == (LOGO_BOX[0], 25)
    assert (small.width, small.height) == (40, 20)
    assert wide.part.content_type == "image/png" and wide.part.filename == "wide.png"
    assert logo(BrandingSettings(), "cnes.fr") is None


@pytest.mark.parametrize(("data", "says"), [
    (None, "no file"),
    (b"<svg/>", "is not a PNG, JPEG or GIF image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 600_000, "is larger than 512 KB"),
])
def test_a_logo_that_cannot_be_sent_is_a_configuration_error(tmp_path, data, says):
    path = tmp_path / "logo.png"
    if data is not None:
        path.write_bytes(data)
    config = str(tmp_path / "config.toml")
    with pytest.raises(ConfigError) as caught:
        logo(BrandingSettings(logo=path, source=config), "cnes.fr")
    assert caught.value.exit_code == 4
    assert str(caught.value).startswith(f"{config}: branding.logo: ") and says in str(caught.value)

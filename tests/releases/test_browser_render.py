"""The sample release and invitation as a reader sees them: their HTML laid out by a real
browser (headless Chromium, tests/browser.py) at a phone's width (390 px) and a desktop
client's (900 px). Nothing may scroll sideways, the embargo notice sits inside the 640 px
column, and no image is broken (the message's inline ``cid:`` parts are what its images
show, as in a mail client).

Each layout is also written as a PNG, so that a person can look at it: into the folder
PRESSCTL_SCREENSHOTS names, else pytest's temporary folder (``screenshots`` under
``--basetemp``, kept for the last three runs). bench/screenshots.py makes them on demand.

Without Chromium the tests skip, and fail when PRESSCTL_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import struct
from email.message import EmailMessage
from pathlib import Path

import pytest
from browser import Chromium, Layout, browser_required, find_chromium, html_with_parts
from conftest import REPO
from sample_mail import NOTICE, png, sample_messages

WIDTHS = (390, 900)
COLUMN = 640  # the content column's width at most (px)
PLAIN = [f"{kind}-{language}-{width}" for kind in ("release", "invitation")
         for language in ("fr", "en") for width in WIDTHS]
BRANDED = [f"branded-{case}" for case in PLAIN]  # logo, colour, footer, a picture
CASES = PLAIN + BRANDED


def chromium_or_skip() -> str:
    """Chromium's executable; without one the test skips, or fails in CI."""
    executable = find_chromium()
    if executable is None:
        reason = ("headless Chromium is not installed (Debian: apt-get install chromium; "
                  "elsewhere set PRESSCTL_CHROMIUM to its executable)")
        if browser_required():
            pytest.fail(f"{reason}, and PRESSCTL_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(reason)
    return executable


@pytest.fixture(scope="module")
def chromium():
    with Chromium(chromium_or_skip()) as browser:
        yield browser


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("PRESSCTL_SCREENSHOTS")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        return Path(given)
    return tmp_path_factory.mktemp("screenshots", numbered=False)


@pytest.fixture(scope="module")
def layouts(chromium: Chromium, screenshots: Path, tmp_path_factory) -> dict[str, Layout]:
    """Every sample message laid out at every width (once: each test reads its own)."""
    found = {}
    for branded, prefix in ((False, ""), (True, "branded-")):
        for message in sample_messages(tmp_path_factory.mktemp("samples"), branded=branded):
            markup = html_with_parts(message.raw)
            for width in WIDTHS:
                name = f"{prefix}{message.name}-{width}"
                found[name] = chromium.layout(markup, width, notice=NOTICE[message.language],
                                              screenshot=screenshots / f"{name}.png")
    assert sorted(found) == sorted(CASES)
    return found


# -- the sample messages ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_nothing_overflows_horizontally(layouts, case):
    layout = layouts[case]
    assert not layout.overflows, (
        f"{case}: the page is {layout.page_width} px wide in a {layout.width} px viewport "
        f"(sideways scrolling); sticking out: {layout.sticking_out}")
    assert layout.sticking_out == []


@pytest.mark.parametrize("case", CASES)
def test_the_embargo_notice_is_inside_the_column(layouts, case):
    layout = layouts[case]
    assert layout.column is not None, f"{case}: no element has max-width {COLUMN}px"
    assert layout.notice is not None, f"{case}: no visible embargo notice"
    assert layout.notice.inside(layout.column), (
        f"{case}: the notice spans {layout.notice} outside the column {layout.column}")
    # 640 px on a desktop, narrower than the screen on a phone.
    assert layout.column.width <= min(COLUMN, layout.width)
    if layout.width == 900:
        assert layout.column.width == pytest.approx(COLUMN, abs=0.5)


@pytest.mark.parametrize("case", CASES)
def test_the_text_and_the_notice_are_set_in_a_sans_serif_font(layouts, case):
    layout = layouts[case]
    assert layout.font.endswith("sans-serif"), f"{case}: the text's font is {layout.font}"
    assert (layout.notice_font or "").endswith("sans-serif"), (
        f"{case}: the notice's font is {layout.notice_font}")


@pytest.mark.parametrize("case", CASES)
def test_no_image_is_broken(layouts, case):
    layout = layouts[case]
    assert layout.broken_images == [], f"{case}: broken images {layout.broken_images}"
    if case in BRANDED:  # the logo and the body's picture, shown from their parts
        assert len(layout.images) >= 2, f"{case}: images {layout.images}"
        assert all(src.startswith("data:image/png;base64,") for src, _ in layout.images)


def test_the_screenshots_are_written_for_a_person_to_look_at(layouts, screenshots):
    for case, layout in layouts.items():
        png = (screenshots / f"{case}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
        assert (width, height) == (layout.width, layout.height), case
        assert height > 600, case  # the whole message, not the first screen of it


# -- the checks can fail ----------------------------------------------------------------------


def page(body: str) -> str:
    return ('<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
            f'</head><body style="margin:0">{body}</body></html>')


def test_a_700px_table_overflows_at_390_px_and_not_at_900(chromium):
    wide = page('<table style="width:700px"><tr><td>Communiqué</td></tr></table>')
    narrow = chromium.layout(wide, 390)
    assert narrow.overflows and narrow.page_width >= 700
    assert any(found.startswith("table") for found in narrow.sticking_out)
    assert not chromium.layout(wide, 900).overflows


def test_a_450px_block_overflows_at_390_px_though_a_window_is_never_narrower_than_500(
        chromium):
    """The trap the iframe avoids: laid out in a 390 px window, which headless Chromium
    lays out at 500 px, this would fit."""
    layout = chromium.layout(page('<div style="width:450px">Communiqué</div>'), 390)
    assert (layout.overflows, layout.page_width) == (True, 450)


def test_a_notice_outside_the_column_is_found_outside_it(chromium):
    """The notice as the templates used to put it: before the column, the window's width."""
    markup = page('<p style="background:#fde">Embargoed until Tuesday 22 September</p>'
                  '<div style="max-width:640px;margin:0 auto">Body</div>')
    layout = chromium.layout(markup, 900, notice=NOTICE["en"])
    assert layout.notice is not None and layout.column is not None
    assert (layout.notice.width, layout.column.width) == (900, 640)
    assert not layout.notice.inside(layout.column)


def test_an_image_is_shown_from_its_cid_part_and_a_cid_naming_no_part_is_broken(chromium):
    message = EmailMessage()
    message.set_content("text")
    message.add_alternative(page('<img src="cid:logo.1@cnes.fr" alt="CNES">'
                                 '<img src="cid:photo.2@cnes.fr" alt="missing">'),
                            subtype="html")
    message.get_payload()[1].add_related(png(3, 2, lambda x, y: (31, 78, 140)), "image", "png",
                                         cid="<logo.1@cnes.fr>")
    layout = chromium.layout(html_with_parts(message.as_bytes()), 390)
    assert [natural for _, natural in layout.images] == [3, 0]
    assert layout.broken_images == ["cid:photo.2@cnes.fr"]


def test_the_readme_picture_is_a_phone_screenshot_small_enough_for_the_repository():
    """docs/release-fr-390.png, made by bench/screenshots.py (see its docstring)."""
    png = (REPO / "docs" / "release-fr-390.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">I", png[16:20]) == (390,)
    assert len(png) < 300_000


# -- where there is no Chromium ---------------------------------------------------------------


def test_without_chromium_the_tests_skip_and_fail_where_it_is_required(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("PRESSCTL_CHROMIUM", raising=False)
    monkeypatch.delenv("PRESSCTL_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium_or_skip()
    monkeypatch.setenv("PRESSCTL_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="PRESSCTL_REQUIRE_BROWSER=1"):
        chromium_or_skip()

#!/usr/bin/env python3
"""Screenshots of the sample release and invitation as a reader sees them, on demand.

    python bench/screenshots.py OUT [--branded [--no-picture]] [--config CONFIG.toml]
                                    [--readme PNG]

The French and English messages of the sample release (examples/PR106-2020.{fr,en}.md) and
of the same as an invitation are built by pressctl's pipeline in a throw-away home
(tests/sample_mail.py: what `release preview` builds for a journalist who accepts
embargoes), laid out by headless Chromium at 390 px (a phone) and 900 px (a desktop
client) the way tests/releases/test_browser_render.py does, and written to OUT as
``{release,invitation}-{fr,en}-{390,900}.png``, each the whole message.

``--config`` gives the home a config.toml of yours (a [branding] table, say) instead of
`pressctl init`'s default; ``--branded`` adds the tests' sample [branding] (a logo, drawn
here as a wordmark, a colour, footers) and a picture in the body (a gradient: not with
``--no-picture``). ``--readme`` also writes the README's picture: the French release at
390 px, its first screens (docs/release-fr-390.png is made with ``--branded --no-picture
--readme docs/release-fr-390.png``).
What the browser tests would find wrong (sideways scrolling, a notice outside the column,
a broken image) is printed, and the script exits 1.

Chromium is /usr/bin/chromium (Debian's package), or PRESSCTL_CHROMIUM.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import Chromium, Layout, find_chromium, html_with_parts
from sample_mail import NOTICE, sample_messages

WIDTHS = (390, 900)
README_CASE = "release-fr-390"
README_HEIGHT = 1500  # px: from the logo to the press conference (the body, its event)
# The sample logo (400 x 100 px, opaque, as [branding] asks), drawn by the browser itself.
WORDMARK = ('<!DOCTYPE html><html><body style="margin:0"><div style="width:400px;'
            "height:100px;background:#0b3d91;color:#fff;font:bold 44px/100px Arial,"
            'sans-serif;text-align:center;letter-spacing:6px">CNES<span style="font-weight:'
            'normal;font-size:20px;letter-spacing:1px"> &#183; PRESSE</span></div></body></html>')


def home_files(config: Path) -> dict[str, bytes]:
    """The logo a config names by a path relative to its home: copied into the sample's."""
    logo = tomllib.loads(config.read_text(encoding="utf-8")).get("branding", {}).get("logo")
    if not isinstance(logo, str) or Path(logo).expanduser().is_absolute():
        return {}
    return {logo: (config.parent / logo).read_bytes()}


def problems(name: str, layout: Layout) -> list[str]:
    found = []
    if layout.overflows:
        found.append(f"{name}: {layout.page_width} px wide in {layout.width} px "
                     f"(sticking out: {layout.sticking_out})")
    if layout.notice is None or layout.column is None:
        found.append(f"{name}: no embargo notice or no 640 px column found")
    elif not layout.notice.inside(layout.column):
        found.append(f"{name}: the notice {layout.notice} is outside the column "
                     f"{layout.column}")
    if layout.broken_images:
        found.append(f"{name}: broken images {layout.broken_images}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--config", type=Path, help="config.toml for the sample home")
    parser.add_argument("--branded", action="store_true",
                        help="the sample [branding] and a picture in the body")
    parser.add_argument("--no-picture", action="store_true",
                        help="with --branded: no picture in the body")
    parser.add_argument("--readme", type=Path, help=f"also write {README_CASE}, cropped")
    args = parser.parse_args(argv)
    if args.branded and args.config:
        parser.error("--branded is the sample [branding]; with --config, yours is used")
    executable = find_chromium()
    if executable is None:
        parser.error("no Chromium: apt-get install chromium, or set PRESSCTL_CHROMIUM")
    config = args.config.read_text(encoding="utf-8") if args.config else None
    args.out.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pressctl-screenshots-") as folder, \
            Chromium(executable) as chromium:
        files = home_files(args.config) if args.config else {}
        if args.branded and "logo.png" not in files:
            chromium.layout(WORDMARK, 400, screenshot=Path(folder) / "logo.png")
            files["logo.png"] = (Path(folder) / "logo.png").read_bytes()
        for message in sample_messages(Path(folder), branded=args.branded, config=config,
                                       files=files, picture=args.branded and not args.no_picture):
            markup = html_with_parts(message.raw)
            for width in WIDTHS:
                name = f"{message.name}-{width}"
                png = args.out / f"{name}.png"
                layout = chromium.layout(markup, width, notice=NOTICE[message.language],
                                         screenshot=png)
                found += problems(name, layout)
                print(f"{png}  {layout.width}x{layout.height}  font: {layout.font}")
                if args.readme and name == README_CASE:
                    chromium.layout(markup, width, screenshot=args.readme,
                                    crop=README_HEIGHT)
                    print(f"{args.readme}  {width}x{min(layout.height, README_HEIGHT)}  "
                          f"{args.readme.stat().st_size // 1024} KiB")
    for problem in found:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""The images a message carries inside it: those of a release's body
(``![caption](photo.jpg)``, a file beside the release file) and the [branding] logo. Each
becomes an inline part of the message (multipart/related) that the HTML shows by its
``cid:`` URL (:class:`pressctl.releases.messages.InlineImage`).

Remote images (``![](https://...)``) are refused: a press office does not track its
readers, and a remote image tells its server who opened the message, when and where
(and most clients block them anyway, leaving an empty box). So is anything that is not a
PNG, JPEG or GIF file by its content (not its name): SVG, WebP and HEIC do not show in
Outlook or Gmail. A body image that is missing, unreadable or of another kind is a
problem of the release (:func:`image_problems`, file:line, exit 3) found by `release
check` and by every command that loads a release; the logo's are configuration errors
(exit 4, naming the config file).

Widths are read from the files' headers, so that the HTML can give ``width=`` to the
clients (Outlook) that size an image by its attribute and ignore ``max-width``.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.config.branding import BrandingSettings
from pressctl.errors import ConfigError, Problem, ProblemsFound
from pressctl.releases.documents import Release
from pressctl.releases.messages import InlineImage, new_content_id

if TYPE_CHECKING:  # markdown imports markdown_it: only the functions that read a body import it
    from pressctl.releases.markdown import ShownImage

MAX_IMAGE = 5 * 1024 * 1024  # one image: beyond this, link to the picture instead
MAX_LOGO = 512 * 1024
LOGO_BOX = (200, 64)  # the logo is shown within this many pixels (width, height)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|//")
_KINDS = "a PNG, JPEG or GIF image"


@dataclass(frozen=True, slots=True)
class Picture:
    """What a file's first bytes say it is."""

    content_type: str  # image/png, image/jpeg or image/gif
    width: int | None  # pixels, when the header gives them
    height: int | None


@dataclass(frozen=True, slots=True)
class BodyPictures:
    """A release body's images, ready: what markdown_to_html shows them from (src ->
    ShownImage's fields), and the parts (one per file, however often it is shown)."""

    shown: dict[str, ShownImage]  # src as markdown_images gives it -> cid URL and width
    parts: tuple[InlineImage, ...]


@dataclass(frozen=True, slots=True)
class Logo:
    part: InlineImage
    width: int | None  # as shown, within LOGO_BOX
    height: int | None


def sniff(data: bytes) -> Picture | None:
    """The kind and size of an image from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return Picture("image/png", width, height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return Picture("image/gif", width, height)
    if data.startswith(b"\xff\xd8\xff"):
        return Picture("image/jpeg", *_jpeg_size(data))
    return None


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    """Walk the JPEG's segments to its frame header (SOFn), which holds the size."""
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None, None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            position += 2
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                      0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None, None


def is_remote(src: str) -> bool:
    """An image named by a URL (http:, data:, cid:, //host...), not a file beside the release."""
    return bool(_SCHEME.match(src))


def image_problems(release: Release) -> list[Problem]:
    """Every image of the release's body that cannot go inside the message, at its file
    and line, saying what to do."""
    from pressctl.releases.markdown import markdown_images

    problems, seen = [], set()
    for image in markdown_images(release.body):
        where = f"{release.path}:{release.body_line + image.line}"
        if (where, image.src) in seen:
            continue
        seen.add((where, image.src))
        reason = _unusable(release, image.path)
        if reason:
            problems.append(Problem(where, reason))
    return problems


def _unusable(release: Release, src: str) -> str | None:
    if is_remote(src):
        return (f'image "{src}" is not a file: pressctl sends images inside the message '
                "(a remote image tells its server who opened the e-mail, and clients block "
                "it); save it beside the release file and write ![caption](photo.jpg)")
    path = Path(release.path).parent / src
    try:
        size = path.stat().st_size
        if not path.is_file():
            return f'image "{src}" is not a file ({path})'
        if size > MAX_IMAGE:
            return (f'image "{src}" is larger than {MAX_IMAGE // 2**20} MB: make it smaller '
                    "(1200 pixels wide is plenty) or link to it")
        with path.open("rb") as file:
            head = file.read(65536)
    except FileNotFoundError:
        return (f'image "{src}" does not exist (looked for {path}): put the file beside the '
                "release file, or fix its name")
    except OSError as err:
        return f'image "{src}" cannot be read ({err.strerror or err})'
    if sniff(head) is None:
        return (f'image "{src}" is not {_KINDS}: mail clients show only these; convert it '
                "(e.g. to JPEG for a photo, PNG for a chart)")
    return None


def body_pictures(release: Release, domain: str) -> BodyPictures:
    """The body's images read, one part per file, with Content-IDs in ``domain``. Raises
    ProblemsFound (exit 3) with :func:`image_problems`' reasons."""
    from pressctl.releases.markdown import ShownImage, markdown_images

    images = markdown_images(release.body)
    if not images:
        return BodyPictures({}, ())
    problems = image_problems(release)
    if problems:
        raise ProblemsFound(f"{release.path}: {len(problems)} image problem(s)", problems,
                            hint="`pressctl release check` lists every problem")
    shown: dict[str, ShownImage] = {}
    parts: dict[str, InlineImage] = {}
    for image in images:
        path = Path(release.path).parent / image.path
        try:
            data = path.read_bytes()
        except OSError as err:  # gone since it was checked
            raise ProblemsFound(f"{release.path}: image problem", [Problem(
                f"{release.path}:{release.body_line + image.line}",
                f'image "{image.path}" cannot be read ({err.strerror or err})')]) from err
        picture = sniff(data)
        if picture is None:
            raise ProblemsFound(f"{release.path}: image problem", [Problem(
                f"{release.path}:{release.body_line + image.line}",
                f'image "{image.path}" is not {_KINDS}')])
        part = InlineImage(new_content_id(data, domain), path.name, picture.content_type, data)
        parts.setdefault(part.content_id, part)
        shown[image.src] = ShownImage(part.url, picture.width)
    return BodyPictures(shown, tuple(parts.values()))


def logo(branding: BrandingSettings, domain: str) -> Logo | None:
    """The [branding] logo read, with the size it is shown at; ConfigError (exit 4) when it
    cannot be sent."""
    if branding.logo is None:
        return None
    where = f"{branding.source}: branding.logo" if branding.source else "branding.logo"
    try:
        size = branding.logo.stat().st_size
        if size > MAX_LOGO:
            raise ConfigError(f"{where}: {branding.logo} is larger than {MAX_LOGO // 1024} KB",
                              hint="every message carries it: export it about 400 pixels wide")
        data = branding.logo.read_bytes()
    except FileNotFoundError as err:
        raise ConfigError(f"{where}: no file {branding.logo}",
                          hint="put the logo in the home, or fix the name in config.toml"
                          ) from err
    except OSError as err:
        raise ConfigError(f"{where}: cannot read {branding.logo} ({err.strerror or err})"
                          ) from err
    picture = sniff(data)
    if picture is None:
        raise ConfigError(f"{where}: {branding.logo} is not {_KINDS}",
                          hint="mail clients show only these; export the logo as PNG")
    width, height = picture.width, picture.height
    if width and height:  # fit LOGO_BOX, never enlarged
        scale = min(1.0, LOGO_BOX[0] / width, LOGO_BOX[1] / height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    part = InlineImage(new_content_id(data, domain), branding.logo.name, picture.content_type,
                       data)
    return Logo(part, width, height)

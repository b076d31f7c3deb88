"""The sample messages, built by pressctl's own pipeline, for the tests that look at them
as their readers' software does (a browser: tests/releases/test_browser_render.py;
SpamAssassin: tests/releases/test_spam_score.py) and for bench/screenshots.py.

The sample release is the joint CNES/SFR release of the repository (examples/PR106-2020.
{fr,en}.md: embargoed, with an online press conference); the sample invitation is the same
files as ``kind = "invitation"``. A fresh home is made as `pressctl init` makes it, the
sample organisations and contacts imported, and each language version built as
`release preview` builds it for a reader who accepts embargoes, on the morning of the
release (before its embargo lifts, so that the embargoed version carries its notice).

Branded (``branded=True``), the home's config has a [branding] table (a logo, a colour, a
footer and a privacy line per language) and a one-click unsubscribe page, and the body
shows a picture (``![caption](photo.png)`` beside the release file): everything that adds
parts and markup to a message.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
KINDS = ("release", "invitation")
LANGUAGES = ("fr", "en")
# 09:00 in Paris on the day of the release: its embargo lifts the next day at 11:30.
NOW = datetime(2020, 9, 21, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
NOW_UTC = "2020-09-21T07:00:00Z"
# A sample journalist per language who accepts embargoes (contacts/contacts.csv).
READERS = {"fr": "claire.fontaine@gazette-espace.example.org",
           "en": "harriet.pennington@orbit-weekly.example.com"}
# How the embargo notice of each language begins (pressctl.releases.embargo).
NOTICE = {"fr": "Sous embargo", "en": "Embargoed until"}

BRANDING = """
[sender]
unsubscribe_url = "https://presse.cnes.example/desabonnement?t={token}"

[branding]
logo = "logo.png"
color = "#0b3d91"
footer.fr = "Service de presse du CNES, 2 place Maurice Quentin, 75001 Paris"
footer.en = "CNES Press Office, 2 place Maurice Quentin, 75001 Paris, France"
privacy.fr = "https://cnes.fr/fr/donnees-personnelles"
privacy.en = "https://cnes.fr/en/personal-data"
"""
CAPTION = {"fr": "Lionel Suchet et le président de la SFR signent l'accord",
           "en": "Lionel Suchet and the president of SFR sign the agreement"}


@dataclass(frozen=True, slots=True)
class SampleMessage:
    kind: str  # "release" or "invitation"
    language: str
    raw: bytes  # the .eml: what the relay is handed

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.language}"


def png(width: int, height: int, colour: Callable[[int, int], tuple[int, int, int]]
        ) -> bytes:
    """A PNG file (8-bit RGB) whose pixel (x, y) is ``colour(x, y)``."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\0" + b"".join(bytes(colour(x, y)) for x in range(width))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def photo() -> bytes:
    """A 600 x 340 "photo": a sky-to-ground gradient, as wide as a body picture is."""
    return png(600, 340, lambda x, y: (40 + y // 4, 90 + y // 3, 160 + x // 10))


def logo() -> bytes:
    """A 400 x 100 logo: a navy block with a light band (opaque, as [branding] asks)."""
    return png(400, 100, lambda x, y: (255, 255, 255) if 40 <= y < 60 and x > 120
               else (11, 61, 145))


def sample_files(folder: Path, kind: str, *, picture: bool = False) -> Path:
    """The sample release's two language versions, copied into ``folder`` as ``kind``
    (with ``picture``, a photo after the first paragraph); returns the English one (the
    main file, as in examples/)."""
    folder.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        if kind != "release":
            assert text.count('kind = "release"') == 1
            text = text.replace('kind = "release"', f'kind = "{kind}"')
        if picture:
            front, _, body = text.partition("+++\n\n")
            first, _, rest = body.partition("\n\n")
            text = f"{front}+++\n\n{first}\n\n![{CAPTION[language]}](photo.png)\n\n{rest}"
            (folder / "photo.png").write_bytes(photo())
        (folder / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return folder / "PR106-2020.en.md"


def sample_messages(folder: Path, *, branded: bool = False, config: str | None = None,
                    files: dict[str, bytes] | None = None, picture: bool | None = None,
                    kinds: tuple[str, ...] = KINDS) -> list[SampleMessage]:
    """Each kind's French and English message, built in a new home in ``folder`` whose
    config.toml is ``config`` (else `pressctl init`'s default) and which holds ``files``
    (name -> bytes: a logo the config names). ``branded`` adds BRANDING to the config, its
    logo.png (unless in ``files``: else :func:`logo`) and, unless ``picture`` is False, a
    picture to the body."""
    from pressctl.book.importer import import_file
    from pressctl.book.orgs import import_orgs
    from pressctl.book.session import Book
    from pressctl.config import DatabaseLocation, load_settings, resolve_paths
    from pressctl.contacts.formats.files import open_contact_file
    from pressctl.home import init_home
    from pressctl.releases.checking import load_release_set
    from pressctl.releases.recipients import select_recipients
    from pressctl.releases.rendering import build_messages
    from pressctl.releases.templating import Templates
    from pressctl.store import Store

    home = folder / "home"
    paths = resolve_paths({}, home)
    if branded:
        config = (config or "") + BRANDING
    files = dict(files or {})
    if branded:
        files.setdefault("logo.png", logo())
    home.mkdir(parents=True)
    if config is not None:
        paths.config_file.write_text(config, encoding="utf-8")
    for name, data in files.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(data)
    # Always a SQLite file of its own: a config's [database] may name a real book.
    location = DatabaseLocation(path=paths.database)
    init_home(paths, location=location)  # keeps the config written above
    store = Store.open(location, create=False)
    try:
        book = Book(store, load_settings(paths.config_file), NOW_UTC)
        import_orgs(book, REPO / "contacts" / "organizations.json")
        import_file(book, open_contact_file(REPO / "contacts" / "contacts.csv"))
        templates = Templates(paths.templates_dir)
        found = []
        for kind in kinds:
            path = sample_files(folder / kind, kind,
                                picture=branded if picture is None else picture)
            releases = load_release_set(path, NOW.date())
            recipients = select_recipients(book, releases, only=list(READERS.values()))
            # The seed gives each sample Message-IDs of its own (same reference, same reader).
            seed = f"sample-{kind}" + ("-branded" if branded else "")
            for built in build_messages(book, releases, recipients, templates, now=NOW,
                                        seed=seed):
                assert built.recipient.embargoed, built.recipient.address
                found.append(SampleMessage(kind, built.recipient.version.language, built.raw))
        return sorted(found, key=lambda m: (kinds.index(m.kind), LANGUAGES.index(m.language)))
    finally:
        store.close()

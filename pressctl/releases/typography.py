"""French typography for what pressctl sends: one function for text, one for HTML.

:func:`typeset` (the text part, the Subject, calendar text) and :func:`typeset_html` (the
HTML part: its text nodes only) turn the breaking spaces that French typography wants
unbreakable into non-breaking ones, so that a phone never starts a line with "»", ":" or
"?" and never splits "14 h 45", "1 500 km" or "J.-Y. Le Gall". Any other language comes
back as it went in: English has none of these rules. "fr", "fr-CA", "fr_BE" are French.

What changes, and with which space::

    before ":"                              "Date : mardi"               U+00A0
    before ";" "!" "?" "»", after "«"       "« Oui ! »"                  U+202F
    hours                                   "14 h 45", "de 9 h à 17 h"   U+00A0
    thousands (before a word or a unit)     "1 500 km", "2 037 venus"    U+202F
    a number and its unit                   "10 %", "5 000 €", "3 km"    U+00A0
    initials, titles, "Tél.", "n°"          "J.-Y. Le Gall", "Mme Roy"   U+00A0

The spaces follow the Imprimerie nationale: a full no-break space before the colon, a thin
one (the "fine insécable", U+202F NARROW NO-BREAK SPACE) before ; ! ? and inside
guillemets; U+202F is also what the French CLDR locale groups thousands with. Current
system fonts carry U+202F, and a browser or mail client that meets a font without it takes
that one character from another font: it never shows as a box the way a missing visible
glyph can. Units take the full U+00A0, as most French house styles write "10 %".

Only whitespace ever changes: a run of spaces, with at most one line break, becomes one
no-break space. No visible character is added or removed, so a title compares equal to its
source once whitespace is collapsed (pressctl.releases.events reads calendars back that
way), underlines stay as long as their headings, and a missing space ("«Oui»", "Quoi?")
stays missing: adding it would edit the author's text, which is not typesetting. In the
text part, a line that the wrapping began with ";" or "»" is joined to the line before it.
Numbers keep their breaks across a line break: a meeting ID on its own line must not be
glued to the label of the next.

In HTML, the text on each side of a node is read through inline tags ("« <em>Oui</em> »",
"Tél. <a href=...>01 44...</a>") but not through block tags: a space at the edge of a
paragraph or a table cell is not between two words and stays as written.

Never changed: URLs (``https://x.fr/a:b``, ``mailto:``, ``www.``), e-mail addresses,
backquoted code and the ``keep`` fragments given to :func:`typeset` (rendering passes the
code of the HTML part, :func:`code_in_html`, since the text part has no code markers);
in HTML, tags and every attribute (alt and title included: rewriting attribute values
would break the byte-for-byte round trip for little gain), entities as written, and the
content of <head>, <title>, <style>, <script>, <code>, <pre>, <kbd>, <samp>, <textarea>.

Hyphenated first names ("Jean-Yves" splits at its hyphen on phones): no U+2011
NON-BREAKING HYPHEN. Several common fonts lack it (it then shows in a fallback face, or as
a box), and journalists copy names from releases into their articles, where a U+2011
breaks search and spell-checking for that name. In HTML, a short hyphenated capitalised
name ("Jean-Yves", "Marie-Claire", "Saint-Étienne") and compound initials ("J.-Y.") are
wrapped in ``<span style="white-space:nowrap">`` instead: no character changes, copying
gives a plain hyphen, and a client that ignores the style breaks it as before. The text
part needs nothing: templating wraps lines with ``break_on_hyphens=False``.

Both functions are idempotent (typesetting twice is typesetting once) and pure: no I/O.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Iterator

NBSP = "\u00a0"  # NO-BREAK SPACE: before ":", in hours, between a number and its unit
NNBSP = "\u202f"  # NARROW NO-BREAK SPACE: before ; ! ? », after «, between thousands

NOWRAP_OPEN = '<span style="white-space:nowrap">'

_S = "[ \\t\u00a0\u202f\u2009\u2007]"  # the spaces a gap is made of
_GAP = rf"(?:{_S}+(?:\r?\n)?|\r?\n){_S}*"  # spaces with at most one line break
_SAME_LINE = f"{_S}+"
_UP = "A-ZÀ-ÖØ-ÞŒ"  # capital letters of French names
_LOW = "a-zß-öø-ÿœ"

# Units written after a number; the longest first, so that "km/h" is not read as "km".
_UNITS = "|".join(re.escape(unit) for unit in sorted((
    "%", "‰", "€", "$", "£", "¥", "CHF", "EUR", "USD", "°C", "°F", "°",
    "km/h", "km²", "km", "m²", "m³", "m/s", "cm", "mm", "µm", "nm", "m", "kg", "mg", "g",
    "t", "ha", "L", "ml", "mL", "cl", "kWh", "MWh", "GWh", "TWh", "kW", "MW", "GW", "W",
    "kV", "V", "Hz", "kHz", "MHz", "GHz", "Ko", "Mo", "Go", "To", "dB", "min", "ms",
    "million", "millions", "milliard", "milliards",
), key=len, reverse=True))

# Each rule: a pattern whose named groups are gaps, and the space each group becomes.
_RULES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    # before the colon (not "://"), and before ; ! ? used as punctuation (not "?q=1")
    (re.compile(rf"(?<!\s)(?P<nb>{_GAP}):(?!//)"), {"nb": NBSP}),
    (re.compile(rf"(?<!\s)(?P<nn>{_GAP})[;!?](?!\w)"), {"nn": NNBSP}),
    # inside guillemets (and their single forms)
    (re.compile(rf"(?<!\s)(?P<nn>{_GAP})[»›]"), {"nn": NNBSP}),
    (re.compile(rf"[«‹](?P<nn>{_GAP})(?=\S|\Z)"), {"nn": NNBSP}),
    # hours: "14 h 45", "9 h"
    (re.compile(rf"(?<![\w.,:])\d{{1,2}}(?P<nb1>{_GAP})h"
                rf"(?:(?P<nb2>{_GAP})\d{{2}}(?!\d)|(?![\w'’]))"), {"nb1": NBSP, "nb2": NBSP}),
    # initials and titles before a name, with its particle: "J.-Y. Le Gall", "Mme Roy"
    (re.compile(rf"(?<![\w.'’-])(?:[{_UP}]\.(?:-?[{_UP}]\.)*|Mmes?|Mlles?|MM\.|Mgr|Dr|Pr|Me)"
                rf"(?P<nb1>{_GAP})"
                rf"(?:(?:[LlDd]es?|[Ll]a|[Dd]u|[Vv][ao]n|[Dd][aio])(?P<nb2>{_SAME_LINE}))?"
                rf"(?=[{_UP}])"), {"nb1": NBSP, "nb2": NBSP}),
    (re.compile(rf"(?<![\w.])(?:Tél\.|Tel\.|Fax|[nN]°)(?P<nb>{_GAP})(?=[\d+])"),
     {"nb": NBSP}),
]
# Thousands: groups of three after one to three digits, followed on the same line by a
# word or a unit, so that "1 500 km" is one number while a meeting ID ("123 456 789"
# alone on its line, or in a table cell) keeps the spaces a reader types back.
_THOUSANDS = re.compile(
    rf"(?<![\d.,])\d{{1,3}}(?:[ \u00a0\u202f\u2009]\d{{3}})+(?!\d)"
    rf"(?=(?:,\d+)?(?:{_S}*[%‰€$£¥]|{_S}+[^\W\d_]))")
_SEPARATOR = re.compile("[ \u00a0\u202f\u2009]")
_UNIT = re.compile(rf"(?<![\w.,])\d+(?:[.,]\d+)?(?P<nb>{_SAME_LINE})(?:{_UNITS})(?![\w'’])")

# Never typeset inside these: URLs (scheme, "www."), e-mail addresses, backquoted code.
_URL_END = r"(?<![.,;:!?)\]'’])"
_PROTECTED = re.compile(
    rf"(?:\b[a-zA-Z][a-zA-Z0-9+.-]*://|\b(?:mailto|tel|sips?|urn|news|webcal|callto|geo):"
    rf"|\bwww\.)[^\s<>\"«»]+{_URL_END}"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|`[^`\n]+`")

_NAME = re.compile(  # a short hyphenated name or compound initials, for the nowrap span
    rf"(?<![\w./@&#:-])(?:[{_UP}][{_LOW}]{{1,11}}(?:-[{_UP}][{_LOW}]{{1,11}}){{1,2}}"
    rf"|[{_UP}]\.(?:-[{_UP}]\.)+)(?![\w@/-]|\.\w)")


def is_french(language: str) -> bool:
    """"fr", "fr-CA", "FR_be": the French rules apply."""
    return language.split("-")[0].split("_")[0].strip().lower() == "fr"


def typeset(text: str, language: str, *, keep: Iterable[str] = ()) -> str:
    """``text`` with the no-break spaces of ``language`` (French only: see the module).

    ``keep`` are fragments left as they are wherever they occur, whatever their line
    breaks and indent became (the code of a message, wrapped into its text part)."""
    if not is_french(language) or not text:
        return text
    extra = [_loose(fragment) for fragment in keep if any(c.isspace() for c in fragment)]
    edits = _edits(text, extra, 0, len(text))
    if not edits:
        return text
    return _apply(list(text), edits)


def typeset_html(markup: str, language: str) -> str:
    """``markup`` with its text nodes typeset (French only): tags, attributes, entities,
    comments and code stay byte for byte; see the module for what changes."""
    if not is_french(language) or not markup:
        return markup
    tokens = list(_tokenize(markup))
    nodes = {index: _pieces(raw) for index, (kind, raw) in enumerate(tokens) if kind == "text"}
    texts = {index: "".join(_decoded(piece) for piece in pieces)
             for index, pieces in nodes.items()}
    out: list[str] = []
    stack: list[tuple[str, bool, bool]] = []  # open elements: (name, skipped, nowrap)
    for index, (kind, raw) in enumerate(tokens):
        if kind == "tag":
            _track(stack, raw)
            out.append(raw)
            continue
        skipped = bool(stack) and stack[-1][1]
        if kind == "raw" or skipped or not raw.strip():
            out.append(raw)
            continue
        before = _context(tokens, texts, index, -1)
        after = _context(tokens, texts, index, +1)
        edits = _edits(before + texts[index] + after, [], len(before),
                       len(before) + len(texts[index]))
        text = _apply(nodes[index], {start - len(before): (end - len(before), space)
                                     for start, (end, space) in edits.items()}) if edits else raw
        if not (stack and stack[-1][2]):
            text = _nowrap_names(text)
        out.append(text)
    return "".join(out)


def code_in_html(markup: str) -> list[str]:
    """The text of each <code>, <pre>, <kbd> and <samp> element of ``markup``, decoded:
    what :func:`typeset` must ``keep`` in the text part made from the same source."""
    found: list[str] = []
    stack: list[tuple[str, bool, bool]] = []
    current: list[str] = []
    for kind, raw in _tokenize(markup):
        if kind == "tag":
            was = _in_code(stack)
            _track(stack, raw)
            if was and not _in_code(stack) and current:
                found.append(html_lib.unescape("".join(current)))
                current = []
        elif _in_code(stack):
            current.append(raw)
    return found


# --------------------------------------------------------------------------- text


def _edits(text: str, extra: list[re.Pattern[str]], low: int, high: int
           ) -> dict[int, tuple[int, str]]:
    """start -> (end, space): the gaps of ``text[low:high]`` to replace (the rest is the
    text around an HTML node, there to be read), none inside a protected span, none
    overlapping another, none at an edge of ``text``: a space that begins or ends it
    (beside a block tag, in HTML) is not between two words."""
    taken = [False] * len(text)
    for pattern in (_PROTECTED, *extra):
        for match in pattern.finditer(text):
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
    edits: dict[int, tuple[int, str]] = {}

    def claim(start: int, end: int, space: str) -> None:
        if start == end or start < low or end > high or any(taken[start:end]):
            return
        if start == 0 or end == len(text):
            return
        taken[start:end] = [True] * (end - start)
        edits[start] = (end, space)

    for pattern, spaces in _RULES:
        for match in pattern.finditer(text):
            for group, space in spaces.items():
                if match.group(group) is not None:
                    claim(match.start(group), match.end(group), space)
    for match in _THOUSANDS.finditer(text):
        for gap in _SEPARATOR.finditer(match.group()):
            claim(match.start() + gap.start(), match.start() + gap.end(), NNBSP)
    for match in _UNIT.finditer(text):
        claim(match.start("nb"), match.end("nb"), NBSP)
    return edits


def _apply(pieces: list[str], edits: dict[int, tuple[int, str]]) -> str:
    """Join ``pieces`` (one per character of the text the edits were found in) with each
    gap replaced by its space; a piece that already reads as that space stays as written
    (an ``&nbsp;`` stays an entity)."""
    out: list[str] = []
    at = 0
    for start in sorted(edits):
        end, space = edits[start]
        out += pieces[at:start]
        gap = pieces[start:end]
        out.append(gap[0] if len(gap) == 1 and html_lib.unescape(gap[0]) == space else space)
        at = end
    out += pieces[at:]
    return "".join(out)


def _loose(fragment: str) -> re.Pattern[str]:
    """``fragment`` matched whatever its whitespace became (wrapped, indented)."""
    return re.compile(r"\s+".join(re.escape(word) for word in fragment.split()))


# --------------------------------------------------------------------------- HTML

_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"  # a comment (conditional comments for Outlook included)
    r"|<![^>]*>"  # a declaration, <![endif]>
    r"|<\?[^>]*>"  # a processing instruction
    r"|</?[A-Za-z][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>",  # a tag
    re.DOTALL)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})  # no tags inside them
_SKIPPED = frozenset({"head", "title", "style", "script", "code", "pre", "kbd", "samp",
                      "tt", "textarea", "option"})
_CODE = frozenset({"code", "pre", "kbd", "samp"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "param", "source", "track", "wbr"})
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em",
                     "font", "i", "kbd", "mark", "q", "s", "samp", "small", "span",
                     "strike", "strong", "sub", "sup", "time", "tt", "u", "var"})
_NOWRAP_STYLE = re.compile(r"""style\s*=\s*["'][^"']*white-space\s*:\s*nowrap""", re.I)
_CONTEXT = 40  # characters of text read on each side of a node
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


def _tokenize(markup: str) -> Iterator[tuple[str, str]]:
    """("tag", raw) for tags, comments and declarations, ("text", raw) between them, and
    ("raw", raw) for the content of <script>, <style>, <textarea> and <title>. Joined
    back, the tokens are ``markup`` byte for byte."""
    at = 0
    size = len(markup)
    while at < size:
        match = _TOKEN.search(markup, at)
        if match is None:
            yield "text", markup[at:]
            return
        if match.start() > at:
            yield "text", markup[at:match.start()]
        tag = match.group()
        yield "tag", tag
        at = match.end()
        name = _name(tag)
        if name in _RAW_TEXT and not tag.startswith("</") and not tag.endswith("/>"):
            close = re.compile(rf"</{name}[\s/>]", re.I).search(markup, at)
            end = close.start() if close else size
            if end > at:
                yield "raw", markup[at:end]
            at = end


def _name(tag: str) -> str | None:
    match = _TAG_NAME.match(tag)
    return match.group(1).lower() if match else None


def _track(stack: list[tuple[str, bool, bool]], tag: str) -> None:
    """Keep ``stack`` (the open elements) up to date with ``tag``: whether text inside is
    skipped and whether it is already kept on one line."""
    name = _name(tag)
    if name is None:  # a comment or a declaration
        return
    if tag.startswith("</"):
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == name:
                del stack[depth:]
                break
        return
    if name in _VOID or tag.endswith("/>"):
        return
    skipped = name in _SKIPPED or (bool(stack) and stack[-1][1])
    nowrap = bool(_NOWRAP_STYLE.search(tag)) or (bool(stack) and stack[-1][2])
    stack.append((name, skipped, nowrap))


def _in_code(stack: list[tuple[str, bool, bool]]) -> bool:
    return any(name in _CODE for name, _, _ in stack)


def _is_inline(token: str) -> bool:
    """A tag of running text: a space beside it is between words, not at a block's edge."""
    return token.startswith("<") and _name(token) in _INLINE


def _pieces(raw: str) -> list[str]:
    """A text node, one piece per character it shows: an entity is one piece."""
    pieces: list[str] = []
    at = 0
    for entity in _ENTITY.finditer(raw):
        pieces += raw[at:entity.start()]
        # an entity that is not one known character stays as written, never edited
        single = len(html_lib.unescape(entity.group())) == 1
        pieces += [entity.group()] if single else list(entity.group())
        at = entity.end()
    pieces += raw[at:]
    return pieces


def _decoded(piece: str) -> str:
    return html_lib.unescape(piece) if len(piece) > 1 else piece


def _context(tokens: list[tuple[str, str]], texts: dict[int, str], index: int,
             step: int) -> str:
    """The text beside node ``index`` (before it: step -1) through inline tags only, so
    that "« <em>Oui</em> »" and "Tél. <a ...>01 44..." are read as the reader sees them."""
    parts: list[str] = []
    size = 0
    at = index + step
    while 0 <= at < len(tokens) and size < _CONTEXT:
        kind, raw = tokens[at]
        if kind == "text":
            parts.append(texts[at])
            size += len(texts[at])
        elif kind == "tag" and _name(raw) == "img":
            parts.append("\ufffc")  # OBJECT REPLACEMENT CHARACTER: an image is a word
            size += 1
        elif not (kind == "tag" and _is_inline(raw)):
            break
        at += step
    if step < 0:
        return "".join(reversed(parts))[-_CONTEXT:]
    return "".join(parts)[:_CONTEXT]


def _nowrap_names(text: str) -> str:
    """Each short hyphenated name kept on one line, outside URLs and addresses."""
    protected = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]

    def wrap(match: re.Match[str]) -> str:
        if any(start < match.end() and match.start() < end for start, end in protected):
            return match.group()
        return f"{NOWRAP_OPEN}{match.group()}</span>"

    return _NAME.sub(wrap, text)

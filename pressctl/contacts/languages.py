"""Whether a language tag names a language: the check behind a role per language and a
greeting per language (a role in "xx" would never be shown: no release is in "xx").
Pure, and light: config.toml is read with it at every start."""

from __future__ import annotations

# ISO 639-1: the two-letter languages; a two-letter tag outside it is taken as a typo.
# Three-letter tags (ISO 639-2/3: "gsw", "oci") are taken on trust: too many to list.
_ISO_639_1_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr
ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
yo za zh zu"""
_ISO_639_1 = frozenset(_ISO_639_1_CODES.split())


def known_language(tag: str) -> bool:
    """Whether a canonical BCP 47 tag names a language: its two-letter primary subtag is
    an ISO 639-1 code (a three-letter one is taken on trust)."""
    primary = tag.split("-")[0]
    return len(primary) == 3 or primary in _ISO_639_1

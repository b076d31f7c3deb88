#!/usr/bin/env python3
"""Generate a large synthetic contact book for benchmarking and fuzzing pressctl imports.

Writes N fictional press contacts to a CSV file with the same header as
contacts/contacts.csv:

    name,kind,role,organization,outlet,emails,phones,tags,languages,country,embargo_ok,opted_out,notes

Usage:

    python bench/gen_contacts.py N OUT.csv [--seed S] [--invalid-rate 0.01]

    python bench/gen_contacts.py 100000 bench/out/contacts-100k.csv --seed 7

OUT may be "-" for standard output. The output depends only on N, --seed and
--invalid-rate, so the same command always writes the same file. Only the
standard library is used.

What the rows look like:

* People with first and last names from small lists in several languages (with
  accents), working for fictional outlets, in 13 countries: FR, BE, CH, DE, IT,
  ES, GB, US, CA, NL, SE, JP, AU. A contact's phones belong to its country.
* Phones written the way people write them: national forms with spaces, dots,
  dashes or parentheses ("01.99.00.12.34", "(202) 555-0143", "030/23125417",
  "03-1234-5678"), international forms ("+44 20 7946 0123", "0033 1 99 00 12 34",
  the "+33 (0)1 ..." house style, "+4930..."), extensions ("ext. 12", "x12",
  "poste 12") and "Mobile:" / "Fax:" labels. Where a regulator reserves numbers for
  fiction and libphonenumber accepts them, those are used: France (ARCEP
  01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49, 09 72 10), the UK (Ofcom
  drama ranges for London, Leeds, Sheffield, Leicester, Bristol, Reading,
  Birmingham, Edinburgh, Glasgow, Liverpool, Manchester, Newcastle, Cardiff,
  Belfast), Germany (Bundesnetzagentur drama blocks in Berlin, Frankfurt, Hamburg,
  Cologne, Munich), the US and Canada (555-0100 to 555-0199), Australia (ACMA
  fictitious landline blocks and mobiles) and Swedish mobiles (070-174 06 05 to
  99). Everything else (mobiles in most countries, all of BE, CH, IT, ES, NL, JP)
  is random digits inside prefixes that libphonenumber accepts, so such a number
  may belong to somebody: never dial or text numbers from this file.
* E-mail addresses are unique (case-insensitively) and all on example.com,
  example.org or example.net, or a subdomain of them. A few are written as
  "Name <addr>", "<addr>" or "mailto:addr" to exercise cleaning; a few contacts
  have two addresses or two phones (work and mobile, now and then a fax).
* No contact is an officer; "organization" stays empty (journalists and "other"
  contacts carry an outlet instead).
* A fraction of rows (--invalid-rate, default 0.01; exactly round(N * rate)
  rows) is broken on purpose, one defect per row, in turn: an empty name, a bad
  e-mail address ("name@example", no "@", "@@", an empty domain label) or a
  phone too short to be valid. The expected number of invalid rows is written to
  standard error; all other rows should import cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import sys
import time
import unicodedata

HEADER = [
    "name", "kind", "role", "organization", "outlet", "emails", "phones", "tags",
    "languages", "country", "embargo_ok", "opted_out", "notes",
]

# --------------------------------------------------------------------------- names

FIRST = {
    "fr": ["Claire", "Mathieu", "Anaïs", "Élodie", "Hélène", "François", "Jérôme", "Léa",
           "Chloé", "Benoît", "Cécile", "Gaëlle", "Loïc", "Noémie", "Thibault", "Aurélien",
           "Inès", "Maëlle", "Sébastien", "Zoé", "Marie-Ève", "Jean-Baptiste"],
    "nl": ["Lotte", "Pieter", "Sanne", "Joris", "Eline", "Bram", "Femke", "Wouter", "Anouk",
           "Thijs", "Maarten", "Inge"],
    "de": ["Katrin", "Jonas", "Lukas", "Jürgen", "Sören", "Anneliese", "Björn", "Mareike",
           "Jörg", "Felix", "Leonie", "Maximilian", "Dörte", "Uwe"],
    "it": ["Giulia", "Matteo", "Niccolò", "Francesca", "Lorenzo", "Chiara", "Alessandro",
           "Sofia", "Davide", "Martina", "Gianluca", "Ilaria"],
    "es": ["Lucía", "Andrés", "Inés", "Álvaro", "Pilar", "Íñigo", "Begoña", "Raúl", "Nuria",
           "Sergio", "Marta", "José Luis"],
    "en": ["Harriet", "Callum", "Priya", "Ethan", "Rosa", "Daniel", "Oliver", "Grace", "Liam",
           "Amelia", "Noah", "Hannah", "Aidan", "Chloe", "Samuel", "Zara", "Siobhán", "Rhys"],
    "sv": ["Ingrid", "Björn", "Åsa", "Linnea", "Elin", "Göran", "Maja", "Oskar", "Sigrid",
           "Nils"],
    "ja": ["Yūki", "Haruto", "Sakura", "Kenji", "Aiko", "Ryō", "Emi", "Takumi", "Hana",
           "Shōta"],
}
LAST = {
    "fr": ["Fontaine", "Lefèvre", "Gauthier", "Marchand", "Rousseau", "Mercier", "Lemaître",
           "Caron", "Dufresne", "Hébert", "Leroux", "Barthélemy", "Chevalier", "Perrin",
           "Morel", "Girard", "Fournier", "Boucher", "Lacroix", "Lefèvre-Roux", "Tremblay"],
    "nl": ["Vermeulen", "De Smet", "Janssens", "Peeters", "Van den Broeck", "Maes", "Jacobs",
           "Willems", "De Vries", "Bakker", "Visser", "Van Dijk"],
    "de": ["Vogel", "Schäfer", "Brunner", "Weiß", "Krüger", "Hoffmann", "Böhm", "Köhler",
           "Zimmermann", "Fuchs", "Lehmann", "Graßl"],
    "it": ["Ferraro", "Rinaldi", "Esposito", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
           "Galli", "Conti", "De Luca", "Mancini"],
    "es": ["Navarro", "Montero", "Fernández", "Gómez", "Martín", "Jiménez", "Ruiz", "Álvarez",
           "Muñoz", "Ibáñez", "Castaño", "Peña"],
    "en": ["Pennington", "MacLeod", "Raman", "Caldwell", "Okafor", "Whitcombe", "O'Brien",
           "Harper", "Fitzgerald", "Nguyen", "Patel", "Sullivan", "Brooks", "Hughes",
           "Kowalski", "Reid"],
    "sv": ["Sandberg", "Lindqvist", "Åberg", "Sjöström", "Nyström", "Ekström", "Holmberg",
           "Bergström", "Öberg", "Lundgren"],
    "ja": ["Tanaka", "Satō", "Suzuki", "Takahashi", "Watanabe", "Itō", "Yamamoto", "Nakamura",
           "Kobayashi", "Katō"],
}
OUTLETS = {
    "fr": ["La Gazette de l'Espace", "Le Courrier des Sciences", "Santé Hebdo",
           "L'Écho du Climat", "La Revue des Techniques", "Le Fil boréal",
           "Bruxelles Sciences Hebdo", "Revue lémanique des sciences"],
    "nl": ["Ruimtevaart Vandaag", "De Wetenschapskrant", "Brussels Tech Review",
           "Gezondheid & Zorg Weekblad"],
    "de": ["Raumfahrt Heute", "Medizin & Technik Aktuell", "Zürcher Technikblatt",
           "Klima-Rundschau", "Wissenschaft am Sonntag"],
    "it": ["Cronache Spaziali", "Il Notiziario della Salute", "Scienza Quotidiana",
           "Tecnologia & Futuro"],
    "es": ["Crónica Orbital", "Clima y Ciencia Digital", "Salud al Día Semanal",
           "Tecnología Hoy Madrid"],
    "en": ["Orbit Weekly", "The Caledonian Science Review", "Health Desk Daily",
           "The Capitol Science Report", "Pacific Tech Ledger", "Northern Orbit Magazine",
           "Southern Skies Dispatch", "Defence & Aerospace Monitor"],
    "sv": ["Nordisk Rymdbulletin", "Vetenskapsveckan", "Klimatbladet"],
    "ja": ["Tokyo Space Journal", "Kagaku Weekly", "Japan Health Tech Review"],
}
ROLES_J = ["Space correspondent", "Science editor", "Health reporter", "Technology reporter",
           "Defence correspondent", "Climate reporter", "Deputy editor", "News editor",
           "Freelance journalist", "Chief reporter"]
ROLES_LOCAL = {
    "fr": ["Journaliste scientifique", "Rédacteur en chef adjoint", "Chef de rubrique santé"],
    "de": ["Wissenschaftsredakteur", "Ressortleiterin Technik"],
    "it": ["Redattrice scientifica", "Caporedattore"],
    "es": ["Periodista de ciencia", "Redactora jefa"],
}
ROLES_O = ["Communications consultant", "Podcast host", "Science blogger",
           "Researcher", "Policy analyst"]
TAGS = ["space", "health", "science", "tech", "climate", "defence", "radiology", "policy",
        "industry", "energy", "aviation"]
NOTES = [
    "Prefers embargoed copies 48 h ahead.",
    "Call before 10:00, local time; e-mail otherwise.",
    'Asked for "no attachments"; send links.',
    "Covers launches; ask about travel to Kourou.",
    "Weekly deadline on Thursdays, 17:00.",
    "Bilingual desk; send both language versions.",
    "Met at the JFR conference, October.",
]
TLDS = ["example.com", "example.org", "example.net"]
GENERIC_SUBDOMAINS = ["news", "press", "mail", "desk", "media"]

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o",
                       "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "'": "", "’": ""})


def ascii_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    out, dash = [], False
    for c in ascii_fold(text).lower():
        if c.isalnum():
            out.append(c)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


# --------------------------------------------------------------------------- phones


def _split(digits: str, groups: tuple[int, ...]) -> list[str]:
    out, i = [], 0
    for g in groups:
        out.append(digits[i:i + g])
        i += g
    if i < len(digits):
        out[-1] += digits[i:]
    return out


class Range:
    """National significant numbers: ``prefix`` then random digits up to ``length``.

    ``lo``/``hi`` bound the random tail (as integers); ``choices`` lists whole
    numbers instead (used for the few fictitious mobiles regulators publish).
    """

    __slots__ = ("prefix", "length", "groups", "lo", "hi", "choices", "tail")

    def __init__(self, prefix, length, groups, lo=0, hi=None, choices=None):
        self.prefix, self.length, self.groups = prefix, length, groups
        self.tail = length - len(prefix)
        self.lo, self.hi = lo, (10 ** self.tail if hi is None else hi)
        self.choices = choices

    def draw(self, rng: random.Random) -> str:
        if self.choices:
            return rng.choice(self.choices)
        return self.prefix + str(rng.randrange(self.lo, self.hi)).zfill(self.tail)


class Country:
    __slots__ = ("code", "cc", "trunk", "weight", "langs", "fixed", "mobile", "seps",
                 "ext_words", "idd00")

    def __init__(self, code, cc, trunk, weight, langs, fixed, mobile, seps=(" ",),
                 ext_words=("ext. ", "x", "ext ")):
        self.code, self.cc, self.trunk, self.weight = code, cc, trunk, weight
        # "00" + country code only where 00 is the international prefix dialled
        # from that country (not from North America, Japan or Australia).
        self.idd00 = code not in ("US", "CA", "JP", "AU")
        self.langs, self.fixed, self.mobile = langs, fixed, mobile
        self.seps, self.ext_words = seps, ext_words

    # national form, country by country
    def national(self, nsn: str, groups, rng: random.Random, mobile: bool) -> str:
        parts = _split(nsn, groups)
        c = self.code
        if c in ("US", "CA"):
            a, b, d = parts
            style = rng.randrange(5)
            return [f"({a}) {b}-{d}", f"{a}-{b}-{d}", f"{a}.{b}.{d}", f"1-{a}-{b}-{d}",
                    f"({a}) {b} {d}"][style]
        if c == "DE":
            area, rest = "0" + parts[0], "".join(parts[1:])
            style = rng.randrange(5)
            if style == 0:
                return f"{area} {rest}"
            if style == 1:
                return f"{area}/{rest}"
            if style == 2:
                return f"({area}) {' '.join(parts[1:])}"
            if style == 3:
                return f"{area}-{rest}"
            return f"{area} {' '.join(parts[1:])}"
        if c == "AU":
            lead = "0" + parts[0]
            if not mobile and rng.random() < 0.6:
                return f"({lead}) {' '.join(parts[1:])}"
            return " ".join([lead] + parts[1:])
        if c == "SE":
            return "0" + parts[0] + "-" + " ".join(parts[1:])
        if c == "JP":
            return "0" + "-".join(parts)
        if c == "BE" and rng.random() < 0.3:
            return "0" + parts[0] + "/" + ".".join(parts[1:])
        if c == "NL":
            if rng.random() < 0.5:
                return "0" + parts[0] + "-" + "".join(parts[1:])
            return "0" + " ".join(parts)
        sep = rng.choice(self.seps)
        parts[0] = self.trunk + parts[0]
        return sep.join(parts)

    def international(self, nsn: str, groups, rng: random.Random) -> str:
        parts = _split(nsn, groups)
        r = rng.random()
        if self.code in ("US", "CA"):
            a, b, d = parts
            if r < 0.4:
                return f"+1 {a} {b} {d}"
            if r < 0.7:
                return f"+1 ({a}) {b}-{d}"
            return f"+1-{a}-{b}-{d}"
        joiner = "-" if self.code == "JP" and r < 0.3 else " "
        if r < 0.55:
            return f"+{self.cc} " + joiner.join(parts)
        if r < 0.72 and self.idd00:
            return f"00{self.cc} " + " ".join(parts)
        if r < 0.9 and self.trunk == "0":
            return f"+{self.cc} (0)" + " ".join(parts)
        return f"+{self.cc}" + nsn

    def short(self, nsn: str) -> str:
        """A number with too few digits to be valid anywhere in the country."""
        return self.trunk + nsn[:4] if self.trunk else nsn[:4]


def R(prefix, length, groups, **kw):
    return Range(prefix, length, groups, **kw)


FR_FICTION = ["19900", "26191", "35301", "46571", "53649", "97210"]
GB_DRAMA_4 = ["1134960", "1144960", "1164960", "1174960", "1184960", "1214960", "1314960",
              "1414960", "1514960", "1614960", "1914980"]
NANP_US = ["202", "206", "212", "213", "303", "305", "312", "404", "415", "503", "512",
           "602", "617", "702", "713", "718", "773", "804", "816", "919"]
NANP_CA = ["416", "514", "604", "613", "403", "780", "902", "418", "438", "647", "905",
           "819", "306", "204", "250"]
AU_FICTION_MOBILES = ["491570006", "491570156", "491570157", "491570158", "491570159",
                      "491570110", "491570313", "491570737"]

COUNTRIES = [
    Country("FR", "33", "0", 20, ("fr",),
            fixed=[R(p, 9, (1, 2, 2, 2, 2)) for p in FR_FICTION],
            mobile=[R(p, 9, (1, 2, 2, 2, 2)) for p in
                    ("60", "61", "62", "64", "65", "66", "67", "68", "75", "76", "77", "78")],
            seps=(" ", " ", " ", ".", "-", ""), ext_words=("poste ", "poste ", "ext. ")),
    Country("BE", "32", "0", 6, ("fr", "nl"),
            fixed=[R(p, 8, (1, 3, 2, 2)) for p in ("22", "23", "25", "26", "27")]
            + [R(p, 8, (1, 3, 2, 2)) for p in ("32", "92")],
            mobile=[R(p, 9, (3, 2, 2, 2)) for p in ("47", "48", "49")],
            seps=(" ", " ", "."), ext_words=("poste ", "ext. ")),
    Country("CH", "41", "0", 6, ("de", "fr", "it"),
            fixed=[R(p, 9, (2, 3, 2, 2)) for p in
                   ("21", "22", "26", "31", "32", "41", "43", "44", "58", "61", "71", "91")],
            mobile=[R(p, 9, (2, 3, 2, 2)) for p in ("75", "76", "77", "78", "79")],
            seps=(" ", " ", "."), ext_words=("poste ", "ext. ")),
    Country("DE", "49", "0", 10, ("de",),
            fixed=[R("3023125", 10, (2, 5, 3)), R("6990009", 10, (2, 5, 3)),
                   R("4066969", 10, (2, 5, 3)), R("2214710", 10, (3, 4, 3)),
                   R("8999998", 10, (2, 5, 3))],
            mobile=[R(p, 11, (3, 8)) for p in ("151", "152", "157", "159")]
            + [R(p, 10, (3, 7)) for p in ("160", "170", "171", "172", "176", "179")],
            ext_words=("ext. ",)),
    Country("IT", "39", "", 8, ("it",),
            fixed=[R(p, 10, (2, 4, 4)) for p in ("060", "061", "063", "065", "067", "068")]
            + [R(p, 10, (2, 4, 4)) for p in ("024", "028")],
            mobile=[R(p, 10, (3, 3, 4)) for p in ("320", "333", "347", "380", "393")],
            seps=(" ", " ", ".", "-"), ext_words=("ext. ",)),
    Country("ES", "34", "", 8, ("es",),
            fixed=[R(p, 9, (3, 3, 3)) for p in ("91", "93", "95", "96")],
            mobile=[R(p, 9, (3, 3, 3)) for p in ("60", "61", "62", "63", "65", "66", "67",
                                                   "68", "69", "71", "72")],
            seps=(" ", " ", ".", "-", ""), ext_words=("ext. ", "ext ")),
    Country("GB", "44", "0", 12, ("en",),
            fixed=[R("2079460", 10, (2, 4, 4))] + [R(p, 10, (3, 3, 4)) for p in GB_DRAMA_4]
            + [R("2920180", 10, (2, 4, 4)), R("2896496", 10, (2, 4, 4))],
            mobile=[R(p, 10, (4, 6)) for p in ("7400", "7500", "7722", "7766", "7800", "7812",
                                                "7890", "7900", "7956")],
            seps=(" ", " ", " ", ""), ext_words=("ext. ", "x", "ext ")),
    Country("US", "1", "", 12, ("en",),
            fixed=[R(a + "55501", 10, (3, 3, 4)) for a in NANP_US],
            mobile=[R(a + "55501", 10, (3, 3, 4)) for a in NANP_US]),
    Country("CA", "1", "", 6, ("en", "fr"),
            fixed=[R(a + "55501", 10, (3, 3, 4)) for a in NANP_CA],
            mobile=[R(a + "55501", 10, (3, 3, 4)) for a in NANP_CA],
            ext_words=("ext. ", "poste ", "x")),
    Country("NL", "31", "0", 5, ("nl",),
            fixed=[R(p, 9, (2, 3, 4)) for p in ("10", "20", "30", "70")],
            mobile=[R(p, 9, (1, 4, 4)) for p in ("61", "62", "63", "64", "65", "68")],
            ext_words=("ext. ", "x")),
    Country("SE", "46", "0", 3, ("sv",),
            fixed=[R("8", 9, (1, 3, 3, 2)), R("31", 9, (2, 3, 2, 2))],
            mobile=[R("7017406", 9, (2, 3, 2, 2), lo=5, hi=100)] * 3
            + [R(p, 9, (2, 3, 2, 2)) for p in ("72", "73", "76")],
            ext_words=("ext. ",)),
    Country("JP", "81", "0", 2, ("ja",),
            fixed=[R(p, 9, (1, 4, 4)) for p in ("31", "32", "33", "34", "35", "36", "37")]
            + [R("6", 9, (1, 4, 4))],
            mobile=[R(p, 10, (2, 4, 4)) for p in ("702", "703", "801", "805", "902", "909")],
            ext_words=("ext. ",)),
    Country("AU", "61", "0", 2, ("en",),
            fixed=[R(p, 9, (1, 4, 4)) for p in ("25550", "37010", "75550", "85550")],
            mobile=[R("", 9, (3, 3, 3), choices=AU_FICTION_MOBILES)] * 3
            + [R(p, 9, (3, 3, 3)) for p in ("41", "42", "43")],
            ext_words=("ext. ",)),
]

# Languages whose names and outlets suit a contact in each country.
NAME_LANGS = {
    "FR": [("fr", 1.0)], "BE": [("fr", 0.6), ("nl", 1.0)],
    "CH": [("de", 0.55), ("fr", 0.9), ("it", 1.0)], "DE": [("de", 1.0)],
    "IT": [("it", 1.0)], "ES": [("es", 1.0)], "GB": [("en", 1.0)],
    "US": [("en", 0.85), ("es", 1.0)], "CA": [("en", 0.6), ("fr", 1.0)],
    "NL": [("nl", 1.0)], "SE": [("sv", 1.0)], "JP": [("ja", 1.0)], "AU": [("en", 1.0)],
}

DEFECTS = ("empty name", "bad e-mail", "short phone")


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.countries = COUNTRIES
        self.cum_weights = []
        total = 0
        for c in COUNTRIES:
            total += c.weight
            self.cum_weights.append(total)
        self.used: dict[str, int] = {}  # lower-cased address -> times its base was asked for

    # -- pieces ------------------------------------------------------------------
    def phone(self, country: Country, mobile: bool) -> tuple[str, str]:
        """One phone as written, and its national significant number."""
        rng = self.rng
        ranges = country.mobile if mobile else country.fixed
        rg = ranges[rng.randrange(len(ranges))]
        nsn = rg.draw(rng)
        if rng.random() < 0.6:
            text = country.national(nsn, rg.groups, rng, mobile)
        else:
            text = country.international(nsn, rg.groups, rng)
        if not mobile and rng.random() < 0.05:
            text += " " + rng.choice(country.ext_words) + str(rng.randrange(2, 999))
        return text, nsn

    def address(self, first: str, last: str, outlet: str) -> str:
        rng = self.rng
        given, family = slug(first), slug(last)
        style = rng.random()
        if style < 0.55:
            local = f"{given}.{family}"
        elif style < 0.75:
            local = f"{given[0]}.{family}"
        elif style < 0.85:
            local = f"{given}{family}".replace("-", "")
        elif style < 0.93:
            local = f"{given}_{family}"
        else:
            local = f"{family}.{given}"
        if outlet and rng.random() < 0.75:
            host = f"{slug(outlet)}.{rng.choice(TLDS)}"
        elif rng.random() < 0.5:
            host = f"{rng.choice(GENERIC_SUBDOMAINS)}.{rng.choice(TLDS)}"
        else:
            host = rng.choice(TLDS)
        key = f"{local}@{host}"
        n = self.used.get(key)
        if n is None:
            self.used[key] = 1
            addr = key
        else:
            while True:  # numbered variant not taken yet
                n += 1
                addr = f"{local}{n}@{host}"
                if addr not in self.used:
                    break
            self.used[key] = n
            self.used[addr] = 1
        if rng.random() < 0.03:
            addr = addr[0].upper() + addr[1:]
        return addr

    def decorate(self, addr: str, name: str) -> str:
        r = self.rng.random()
        if r < 0.04:
            return f"{name} <{addr}>"
        if r < 0.06:
            return f"mailto:{addr}"
        if r < 0.07:
            return f"<{addr}>"
        return addr

    # -- one row -----------------------------------------------------------------
    def row(self):
        rng = self.rng
        country = self.countries[
            _bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]
        x = rng.random()
        langs = NAME_LANGS[country.code]  # (language, cumulative weight) pairs
        lang = next((lang for lang, upto in langs if x < upto), langs[-1][0])
        first = rng.choice(FIRST[lang])
        last = rng.choice(LAST[lang])
        name = f"{first} {last}"
        kind = "journalist" if rng.random() < 0.92 else "other"
        if kind == "journalist":
            local_roles = ROLES_LOCAL.get(lang)
            role = rng.choice(local_roles if local_roles and rng.random() < 0.3 else ROLES_J)
            outlet = "Freelance" if rng.random() < 0.05 else rng.choice(OUTLETS[lang])
        else:
            role = rng.choice(ROLES_O)
            outlet = rng.choice(OUTLETS[lang]) if rng.random() < 0.5 else ""
        mail_outlet = "" if outlet == "Freelance" else outlet
        emails = [self.decorate(self.address(first, last, mail_outlet), name)]
        if rng.random() < 0.05:
            emails.append(self.decorate(self.address(first, last, ""), name))

        phones, nsns = [], []
        p = rng.random()
        if p < 0.05:
            plan = []
        elif p < 0.85:
            plan = ["mobile" if rng.random() < 0.4 else "work"]
        elif p < 0.99:
            plan = ["work", "mobile"]
        else:
            plan = ["work", "fax"]
        for kind_ in plan:
            text, nsn = self.phone(country, kind_ == "mobile")
            if kind_ == "mobile" and rng.random() < 0.7:
                text = ("Mobile: " if rng.random() < 0.9 else "Mobile ") + text
            elif kind_ == "fax":
                text = "Fax: " + text
            phones.append(text)
            nsns.append(nsn)

        tags = rng.sample(TAGS, rng.randint(1, 3))
        langs = [lang]
        if lang != "en" and rng.random() < 0.5:
            langs.append("en")
        if country.code in ("CH", "BE", "CA") and rng.random() < 0.3:
            for other in country.langs:
                if other not in langs:
                    langs.append(other)
                    break
        notes = rng.choice(NOTES) if rng.random() < 0.1 else ""
        row = [name, kind, role, "", outlet, "; ".join(emails), "; ".join(phones),
               ",".join(tags), ",".join(langs), country.code,
               "true" if rng.random() < 0.6 else "false",
               "true" if rng.random() < 0.02 else "false", notes]
        return row, country, first, last, nsns


def _bisect(cum, x):
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


def generate(n: int, seed: int = 1, invalid_rate: float = 0.01):
    """Yield (row, defect) for n contacts; defect is None or one of DEFECTS.

    Rows are drawn from one random stream and the broken rows are chosen from a
    second one, so the valid rows do not change with the invalid rate.
    """
    gen = Generator(seed)
    picker = random.Random(f"invalid:{seed}")
    k = round(n * invalid_rate)
    chosen = sorted(picker.sample(range(n), k)) if k else []
    defect_of = {idx: DEFECTS[j % len(DEFECTS)] for j, idx in enumerate(chosen)}
    for i in range(n):
        row, country, first, last, nsns = gen.row()
        defect = defect_of.get(i)
        if defect == "empty name":
            row[0] = "" if picker.random() < 0.8 else "   "
        elif defect == "bad e-mail":
            local = f"{slug(first)}.{slug(last)}.{i}"
            bad = picker.choice([f"{local}@example", f"{local}.example.com",
                                 f"{local}@@example.org", f"{local}@example..net"])
            others = row[5].split("; ")[1:]
            row[5] = "; ".join([bad] + others)
        elif defect == "short phone":
            nsn = nsns[0] if nsns else country.fixed[0].draw(picker)
            bad = country.short(nsn)
            phones = row[6].split("; ") if row[6] else []
            row[6] = "; ".join([bad] + phones[1:])
        yield row, defect


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate N synthetic press contacts as pressctl CSV.")
    ap.add_argument("n", type=int, metavar="N", help="number of contacts")
    ap.add_argument("out", metavar="OUT.csv", help='output file ("-" for standard output)')
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--invalid-rate", type=float, default=0.01,
                    help="fraction of rows broken on purpose (default 0.01)")
    args = ap.parse_args(argv)
    if args.n < 0:
        ap.error("N must be >= 0")
    if not 0.0 <= args.invalid_rate <= 1.0:
        ap.error("--invalid-rate must be between 0 and 1")

    start = time.perf_counter()
    counts = dict.fromkeys(DEFECTS, 0)
    with contextlib.ExitStack() as stack:
        if args.out == "-":
            fh = sys.stdout
        else:
            parent = os.path.dirname(args.out)
            if parent:
                os.makedirs(parent, exist_ok=True)
            fh = stack.enter_context(open(args.out, "w", encoding="utf-8", newline=""))
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        for row, defect in generate(args.n, args.seed, args.invalid_rate):
            w.writerow(row)
            if defect:
                counts[defect] += 1
    elapsed = time.perf_counter() - start
    total = sum(counts.values())
    detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
    print(f"gen_contacts: wrote {args.n} rows to {args.out} in {elapsed:.2f} s "
          f"(seed {args.seed})", file=sys.stderr)
    print(f"expected invalid rows: {total} ({detail})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

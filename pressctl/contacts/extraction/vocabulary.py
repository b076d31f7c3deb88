"""The words of press releases in EN/FR/DE/IT/ES that the extraction rules look for:
contact headings, "About X" and "For X:" lines, roles, offices, organisation words,
honorifics and name particles. Regular expressions and word sets only."""

from __future__ import annotations

import re

_CONTACT_WORDS = (
    r"(?:press|media|news)\s+contacts?|contacts?\s+(?:presse|m[ée]dias?|press)|contacts?"
    r"|presse-?kontakte?|medienkontakte?|kontakte?|ansprechpartner(?:in)?"
    r"|contatt[io](?:\s+(?:stampa|per\s+la\s+stampa))?|contactos?(?:\s+(?:de\s+)?(?:prensa"
    r"|medios))?|(?:media|press)\s+(?:enquiries|inquiries)|informations?\s+presse"
    r"|renseignements|personnes?-ressources?"
    r"|(?:for\s+)?(?:more|further)\s+information|pour\s+(?:plus|en\s+savoir\s+plus)\s+d['’]\s?"
    r"informations?|weitere\s+informationen|r[üu]ckfragen|per\s+(?:maggiori\s+|ulteriori\s+)?"
    r"informazioni|(?:para\s+)?m[áa]s\s+informaci[óo]n"
)
CONTACT_HEADING = re.compile(rf"(?i)^(?P<before>.*?)\b(?:{_CONTACT_WORDS})\b(?P<after>.*)$")
INTRO = re.compile(
    rf"(?i)\b(?:{_CONTACT_WORDS}|contact(?:ez|er)?|kontaktieren|contattare|contactar|contacte"
    r"|wenden\s+sie\s+sich|rivolgersi|get\s+in\s+touch)\b"
)
ABOUT = re.compile(
    r"(?i)^(?:about|[àa]\s+propos\s+(?:de\s+la|de\s+l['’]|du|des|de|d['’])|[üu]ber|ueber"
    r"|a\s+proposito\s+(?:della|dell['’]|dello|del|di)|acerca\s+de(?:l|\s+la|\s+los)?"
    r"|sobre(?:\s+(?:el|la|los))?)\s*(?:the\s+|die\s+|der\s+|das\s+|le\s+|la\s+|l['’])?"
    r"(?P<org>[^:]+?)\s*[:.]?$"
)
FOR_ORG = re.compile(
    r"(?i)^(?:for|pour|f[üu]r|per|para)\s+(?:the\s+|le\s+|la\s+|les\s+|l['’]|die\s+|der\s+"
    r"|das\s+|el\s+|il\s+|lo\s+)?(?P<org>[^:,;\t]{1,40}?)\s*:\s*"
)
LEADING_PREPOSITION = re.compile(
    r"(?i)^(?:of|for|at|du|de\s+la|de\s+l['’]|des|de|d['’]|der|die|von|f[üu]r|della|dell['’]"
    r"|di|del|per|para)\s*"
)
# A field holding one of these words is a role: "Press Officer", "Attachée de presse",
# "Chargée de communication", "Pressesprecherin", "Addetta stampa", "Jefe de prensa"...
_ROLE_WORDS = [
    "officer", "manager", "director", "directrice", "directeur", "head", "chief", "coordinator",
    "coordinatrice", "coordinateur", "specialist", "advisor", "adviser", "consultant", "assistant",
    "assistante", "attaché", "attachée", "attache", "chargé", "chargée", "responsable", "leiter",
    "leiterin", "referent", "referentin", "sprecher", "sprecherin", "pressesprecher",
    "pressesprecherin", "pressereferent", "pressereferentin", "direttore", "direttrice",
    "responsabile", "addetto", "addetta", "jefe", "jefa", "director", "directora", "coordinador",
    "coordinadora", "editor", "secretary", "secrétaire", "porte-parole", "portavoce", "portavoz",
    "spokesperson", "spokesman", "spokeswoman", "liaison", "president", "président", "présidente",
    "presidente", "presidenta", "präsident", "präsidentin", "ceo", "founder", "fondateur",
    "fondatrice",
]
ROLE = re.compile(
    r"(?i)(?<![\w-])(?:" + "|".join(map(re.escape, _ROLE_WORDS))
    + r"|media\s+relations|relations\s+(?:presse|m[ée]dias))(?![\w-])"
)
OFFICE = re.compile(
    r"(?i)\b(?:(?:press|media|news|communications?|public\s+affairs|public\s+relations"
    r"|media\s+relations)\s+(?:office|desk|team|department|unit|service|centre|center)"
    r"|newsroom|service\s+(?:de\s+)?(?:presse|communication|de\s+la\s+communication)"
    r"|bureau\s+de\s+(?:presse|la\s+communication)|direction\s+de\s+la\s+communication"
    r"|p[ôo]le\s+(?:presse|communication)|pressestelle|presseabteilung|presseb[üu]ro"
    r"|pressereferat|kommunikationsabteilung|ufficio\s+(?:stampa|comunicazione)"
    r"|(?:oficina|gabinete|departamento)\s+de\s+(?:prensa|comunicaci[óo]n)"
    r"|relations\s+avec\s+les\s+m[ée]dias|corporate\s+communications?"
    r"|ufficio\s+relazioni\s+con\s+(?:i\s+)?media|(?:oficina|departamento)\s+de\s+relaciones"
    r"\s+con\s+los\s+medios"
    r"|unternehmenskommunikation)\b"
)
# A part of an organisation that follows an office: "Public Affairs Department, Space Science
# Division" is one office.
DIVISION = re.compile(
    r"(?i)\b(?:division|directorate|section|abteilung|bereich|referat|direction|d[ée]partement"
    r"|divisione|direzione|divisi[óo]n|direcci[óo]n)\b"
)
ORG_WORD = re.compile(  # words that make a name an organisation's; legal forms in capitals
    r"\b(?i:agency|agence|agentur|agenzia|agencia|foundation|fondation|stiftung|fondazione"
    r"|fundaci[óo]n|university|universit[éäà]t?|universidad|institute|institut|istituto"
    r"|instituto|society|soci[ée]t[ée]|gesellschaft|societ[àa]|sociedad|association|verband"
    r"|associazione|asociaci[óo]n|ministry|minist[èe]re|ministerium|ministero|ministerio"
    r"|council|conseil|corporation|company|compagnie|laborator(?:y|ies)|laboratoire"
    r"|observatory|observatoire|group|groupe|gruppe|gruppo|grupo|cent(?:er|re)|centro"
    r"|zentrum|headquarters|systems|systeme|sistemi|sistemas|technolog(?:y|ies)|industries"
    r"|industrie|aerospace|dynamics|solutions|electronics|robotics|instruments)\b"
    r"|\b(?:Inc|Ltd|LLC|PLC|GmbH|AG|SA|SAS|SARL|SpA|Srl|BV|NV|Co|Corp|KK)\b"
    r"|\bS\.(?:p\.)?A\.?(?!\w)|\bS\.L\.?(?!\w)"  # "Stellaris S.p.A" with its last dot cut
)
NOT_ORG_ACRONYMS = frozenset([
    "CEO", "CFO", "CTO", "COO", "PR", "VP", "SVP", "EVP", "MD", "TEL", "FAX", "GSM", "URL", "PDF",
])
# Fields that say nothing about a contact: labels whose value went elsewhere, links, joiners.
JUNK = re.compile(
    r"(?i)^(?:e-?mail|courriel|mail|m[ée]l|correo(?:\s+electr[óo]nico)?|mailto|adresse\s+e-?mail"
    r"|web(?:site)?|site(?:\s+web|\s+internet)?|internet|www|twitter|x|linkedin|facebook"
    r"|instagram|tel|t[ée]l|phone|t[ée]l[ée]phone|telefon|tel[ée]fono|mobile?|portable|handy"
    r"|fax|or|ou|and|et|und|oder|o|y|e|at|à|bei|presso|en|chez|via|by|par|on|sur)$"
    r"|^(?:follow|suivez|photo|cr[ée]dits?|credit|©|write|send|click|here|ici)\b"
)
# Capitalised words that are never part of a person's name in a contact block.
NOT_NAME_WORDS = frozenset(_ROLE_WORDS) | frozenset(
    ["the", "a", "an", "and", "or", "for", "of", "to", "in", "on", "at", "by", "with", "from",
     "about", "contact", "contacts", "press", "presse", "media", "médias", "news", "office",
     "bureau", "service", "team", "desk", "relations", "public", "affairs", "communication",
     "communications", "kommunikation", "comunicazione", "comunicación", "prensa", "stampa",
     "senior", "junior", "lead", "deputy", "executive", "associate", "vice", "tel", "tél", "phone",
     "telephone", "téléphone", "telefon", "telefono", "teléfono", "mobile", "mobil", "portable",
     "handy", "fax", "email", "e-mail", "mail", "courriel", "correo", "web", "website",
     "information", "informations", "informationen", "informazioni", "información", "more",
     "further", "pour", "plus", "para", "per", "für", "please", "contactez", "kontakt",
     "pressekontakt", "contatti", "contacto", "agency", "agence", "agentur", "agenzia", "agencia",
     "society", "société", "university", "université", "institute", "institut", "group", "groupe",
     "foundation", "fondation", "centre", "center", "association", "ministry", "ministère",
     "council", "connect", "meeting", "journalists", "journalistes", "journalisten", "giornalisti",
     "periodistas", "immediate", "release", "immédiate", "diffusion", "embargo"]
)
HONORIFICS = frozenset(
    ["dr", "dr.", "prof", "prof.", "professor", "professeur", "mr", "mr.", "mrs", "mrs.", "ms",
     "ms.", "mme", "mme.", "mlle", "herr", "frau", "dott.", "dott.ssa", "sig.", "sig.ra", "sra.",
     "sr.", "ing.", "mag."]
)
PARTICLES = frozenset(
    ["de", "du", "des", "d'", "van", "von", "der", "den", "ter", "di", "da", "del", "della", "dos",
     "das", "la", "le", "zu", "y"]
)

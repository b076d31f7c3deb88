"""How a message greets its recipient: one rule table, the first rule that applies wins.

1. The contact's own salutation, as written ("Madame la rédactrice en chef"), with a
   comma added unless it ends with punctuation already.
2. A contact marked ``first_name_ok``: a first-name greeting in the message's language
   ("Bonjour Jeanne," / "Dear Jeanne,"); never for anyone else, whatever the config says.
3. The greeting config.toml sets for the message's language ([salutations] fr = "...",
   "{name}" for the full name), for its tag ("fr-CA") else its language ("fr").
4. The configured style: "name" (the default) greets by full name ("Bonjour Jeanne
   Dupont," / "Dear Jeanne Dupont,"), "formal" without a name ("Madame, Monsieur," /
   "Dear Sir or Madam,").

Why "name" by default: it needs no guess at anyone's gender (which "Madame"/"Monsieur"
would), presumes no familiarity (which a first name would), and reads as written to this
person; "Madame, Monsieur," is what a press office that prefers form letters asks for
(``style = "formal"``). Languages other than French and English greet in English unless
config.toml gives their greeting (the message falls back to the English templates too).

Pure: the contact, the language and the settings in, the text out.
"""

from __future__ import annotations

from pressctl.config.salutations import SalutationSettings
from pressctl.contacts.model import Contact

FORMAL = {"fr": "Madame, Monsieur,", "en": "Dear Sir or Madam,"}
BY_NAME = {"fr": "Bonjour {name},", "en": "Dear {name},"}
BY_FIRST_NAME = {"fr": "Bonjour {name},", "en": "Dear {name},"}
_CLOSING = ",;:!?.…"
_DEFAULTS = SalutationSettings()


def greeting(contact: Contact, language: str,
             settings: SalutationSettings = _DEFAULTS) -> str:
    """The salutation of ``contact`` in a message in ``language`` (see the module)."""
    own = (contact.salutation or "").strip()
    if own:
        return own if own[-1] in _CLOSING else own + ","
    base = language.split("-")[0].lower()
    if contact.first_name_ok:
        return _in(BY_FIRST_NAME, base).replace("{name}", first_name(contact.name))
    configured = settings.greetings.get(language) or settings.greetings.get(base)
    if configured:
        return configured.replace("{name}", contact.name)
    table = FORMAL if settings.style == "formal" else BY_NAME
    return _in(table, base).replace("{name}", contact.name)


def first_name(name: str) -> str:
    """The first name in a full name: in "Dupont, Jeanne Marie", what follows the comma;
    else the first word ("Jean-Yves Le Gall" -> "Jean-Yves"). A name this gets wrong
    ("Marie Anne Dupont") wants a salutation of its own ("Bonjour Marie Anne,")."""
    _, comma, given = name.partition(",")
    if comma and given.strip():
        return " ".join(given.split())
    words = name.split()
    return words[0] if words else name


def _in(table: dict[str, str], base: str) -> str:
    return table.get(base, table["en"])

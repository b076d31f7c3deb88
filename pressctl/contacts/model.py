"""The data pressctl keeps: contacts and organisations (plain values, no I/O), the filter
that selects contacts, and the order of names in lists.

Phones are stored as E.164 plus extension and e-mails normalised; both are produced by
:mod:`pressctl.contacts.phones` and :mod:`pressctl.contacts.emails` and never built by hand
elsewhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from pressctl.contacts.french_forms import of_form

KINDS = ("officer", "journalist", "other")


@dataclass(frozen=True, slots=True)
class Phone:
    """One stored phone number.

    ``e164`` is "+33144767539"; ``extension`` holds digits only ("5"), ``type`` is "work",
    "mobile" or "fax" and ``label`` an annotation kept as written ("standard", "switchboard").
    ``forms`` are the display forms the store keeps beside the number (international,
    national, region: pressctl.contacts.phone_forms), when it read them; not part of the
    phone's value, so two phones with the same number compare equal with or without them.
    """

    e164: str
    extension: str | None = None
    type: str = "work"
    label: str | None = None
    forms: tuple[str, str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Contact:
    """One person of the book.

    ``role`` is the role as written ("Attachée de presse"); ``roles`` the same role in
    other languages (language tag -> role), shown in messages of that language
    (:meth:`role_in`). ``salutation`` is how messages greet this person ("Madame la
    rédactrice en chef"), and ``first_name_ok`` allows a first-name greeting
    ("Bonjour Jeanne,"): see pressctl.releases.salutations.
    """

    name: str
    kind: str = "journalist"
    role: str | None = None
    roles: dict[str, str] = field(default_factory=dict)  # language tag -> role
    organization: str | None = None
    outlet: str | None = None
    tags: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    country: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    notes: str | None = None
    embargo_ok: bool = False
    opted_out: bool = False
    salutation: str | None = None  # as written, used as is (a comma added at the end)
    first_name_ok: bool = False  # may be greeted by first name
    id: int | None = None
    created: str | None = None
    updated: str | None = None

    @property
    def stored_id(self) -> int:
        """The id of a contact read from the book; a new contact has none until inserted."""
        if self.id is None:
            raise ValueError(f"contact {self.name!r} is not in the book yet")
        return self.id

    def role_in(self, language: str) -> str | None:
        """The role for a reader of ``language``: the role given for that tag ("fr-CA"),
        else for its language ("fr"), else for another region of it ("fr-BE"), else the
        role as written."""
        if not self.roles:
            return self.role
        base = language.split("-")[0].lower()
        for tag in (language, base):
            if tag in self.roles:
                return self.roles[tag]
        for tag, text in self.roles.items():
            if tag.split("-")[0] == base:
                return text
        return self.role


@dataclass(slots=True)
class Organization:
    """An organisation behind releases.

    ``name`` and ``short_name`` are its canonical names: the ones contacts' ``organization``
    field and commands refer to. ``names`` and ``short_names`` say how it is named in a
    language ("fr": "Agence spatiale canadienne", "ASC"); ``article`` and ``of`` hold its
    French "of" form's data (see pressctl.contacts.french_forms). All are keyed by language
    tag; the ``*_in`` methods pick the message's language, else its base language ("fr"
    for "fr-CA"), else the canonical value.
    """

    name: str
    short_name: str | None = None
    country: str | None = None
    website: str | None = None
    about: dict[str, str] = field(default_factory=dict)  # language -> boilerplate
    id: int | None = None
    created: str | None = None
    updated: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # language -> full name
    short_names: dict[str, str] = field(default_factory=dict)  # language -> short name
    article: dict[str, str] = field(default_factory=dict)  # French: "le", "la", "l'"...
    of: dict[str, str] = field(default_factory=dict)  # language -> "de l'ASC", as written

    @property
    def label(self) -> str:
        return self.short_name or self.name

    def name_in(self, language: str) -> str:
        """Its full name in ``language``, else the canonical one."""
        return in_language(self.names, language) or self.name

    def short_in(self, language: str) -> str | None:
        """Its short name in ``language``, else the canonical one (None: it has none)."""
        return in_language(self.short_names, language) or self.short_name

    def label_in(self, language: str) -> str:
        """How a message in ``language`` names it: the short name, else the full name."""
        return self.short_in(language) or self.name_in(language)

    def of_in(self, language: str) -> str:
        """Its name after "of" in ``language``: the stored form, else, in French, the
        derived one ("du CNES", "de l'ASC"); in other languages, its label ("CSA")."""
        stored = in_language(self.of, language)
        if stored:
            return stored
        label = self.label_in(language)
        if language.split("-")[0].lower() != "fr":
            return label
        return of_form(label, in_language(self.article, language))

    @property
    def stored_id(self) -> int:
        """The id of an organisation read from the book; a new one has none until inserted."""
        if self.id is None:
            raise ValueError(f"organisation {self.name!r} is not in the book yet")
        return self.id


def in_language(values: dict[str, str], language: str) -> str | None:
    """The value for ``language`` ("fr-CA"), else for its base language ("fr"), else None."""
    if language in values:
        return values[language]
    return values.get(language.split("-")[0].lower())


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Which contacts a command works on. Every given criterion must hold."""

    kind: str | None = None
    tags: tuple[str, ...] = ()
    organization: str | None = None
    outlet: str | None = None
    language: str | None = None
    country: str | None = None
    search: str | None = None
    embargo_ok: bool | None = None
    opted_out: bool | None = None
    ids: tuple[int, ...] | None = None


EVERY_CONTACT = ContactFilter()  # no criterion: the whole book


def sort_key(name: str) -> str:
    """The order of names in lists: accents and case ignored ("Élodie" beside "Elodie")."""
    if name.isascii():
        return name.lower()
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

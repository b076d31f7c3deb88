"""Who receives a release: a small filter language over contacts.

    kind:journalist and (tag:space or tag:health) and not country:US
    lang:fr and outlet:"Orbit Weekly"

Terms:

* ``tag:space`` - the contact has this tag (tags are compared as stored: ``tag:"Deep
  Space"`` means ``deep-space``).
* ``kind:journalist`` - officer, journalist or other (or a word people use for them).
* ``lang:fr`` - speaks French; ``fr`` also matches ``fr-CA``, ``fr-CA`` only ``fr-CA``.
* ``country:FR`` - an ISO 3166 code or a common country name (``country:France``).
* ``outlet:"Orbit Weekly"`` - the outlet contains the text, case ignored.
* ``org:CNES`` - works for that organisation: the name or, when the organisations are
  given to :func:`parse_audience`, its short name or full name.
* ``embargo_ok`` - accepts embargoed material; ``all`` - everyone.
* ``@space-fr`` - a saved audience (``pressctl audiences add space-fr "..."``), given to
  :func:`parse_audience` as ``saved``; it may use other saved audiences, not itself.

Operators ``not``, ``and``, ``or`` (in that order of precedence, any case) and parentheses.
Two terms side by side are an error rather than an implicit ``and``: a forgotten ``or``
would silently shrink the audience, and a mailout is not undone.

Opted-out contacts are never in an audience, whatever the expression says (even ``all``
or ``not embargo_ok``): :meth:`Audience.matches` returns False for them.

Values are checked when the expression is parsed, so a typo ("kind:jouralist") is an error
with its column instead of an audience that silently matches nobody.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pressctl.contacts.model import KINDS, Contact, Organization
from pressctl.contacts.regions import country_code, language_tag
from pressctl.contacts.validation import kind_of, normalise_tags
from pressctl.errors import InvalidInput

FIELDS = ("tag", "kind", "lang", "country", "outlet", "org")
FLAGS = ("embargo_ok", "all")
OPERATORS = ("and", "or", "not")

_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u00ab": "\u00bb"}  # word processors' too

Predicate = Callable[[Contact], bool]


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class _Term:
    text: str  # as written, for repr and error messages
    test: Predicate

    def matches(self, contact: Contact) -> bool:
        return self.test(contact)


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node

    def matches(self, contact: Contact) -> bool:
        return not self.operand.matches(contact)


@dataclass(frozen=True, slots=True)
class _All:  # and
    operands: tuple[_Node, ...]

    def matches(self, contact: Contact) -> bool:
        return all(node.matches(contact) for node in self.operands)


@dataclass(frozen=True, slots=True)
class _Any:  # or
    operands: tuple[_Node, ...]

    def matches(self, contact: Contact) -> bool:
        return any(node.matches(contact) for node in self.operands)


_Node = _Term | _Not | _All | _Any


@dataclass(frozen=True, slots=True)
class Audience:
    """A parsed audience expression; ``text`` is the expression as written."""

    text: str
    root: _Node = field(repr=False)

    def matches(self, contact: Contact) -> bool:
        """True when the contact is in the audience; always False for opted-out contacts."""
        if contact.opted_out:
            return False
        return self.root.matches(contact)

    def select(self, contacts: Iterable[Contact]) -> list[Contact]:
        return [contact for contact in contacts if self.matches(contact)]


def parse_audience(text: str, *, organizations: Iterable[Organization] = (),
                   saved: Mapping[str, str] | None = None,
                   _using: tuple[str, ...] = ()) -> Audience:
    """Parse an expression; raises :class:`InvalidInput` naming the column of the problem.

    ``organizations`` (the book's) let ``org:CNES`` also match contacts whose organisation
    is written "Centre national d'études spatiales", as the contact filters of the store do.
    ``saved`` maps the names of saved audiences to their expressions (``@name`` terms).
    """
    parser = _Parser(text, _tokens(text), tuple(organizations),
                     saved if saved is not None else {}, _using)
    return Audience(text, parser.expression_to_end())


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "word", "end"
    text: str  # as written ("" at the end)
    column: int  # 1-based
    value: str | None = None  # field:value terms: the unquoted value


def _problem(text: str, detail: str, column: int, hint: str | None = None) -> InvalidInput:
    return InvalidInput(f'audience "{text}": {detail} (column {column})', hint=hint)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(_Token(char, char, index + 1))
            index += 1
        else:
            start = index
            while index < len(text) and not text[index].isspace() and text[index] not in "()":
                if text[index] == ":" and index + 1 < len(text) and text[index + 1] in _QUOTES:
                    value, index = _quoted(text, index + 1)
                    tokens.append(_Token("word", text[start:index], start + 1, value))
                    break
                index += 1
            else:
                word = text[start:index]
                _, colon, value = word.partition(":")
                tokens.append(_Token("word", word, start + 1, value if colon else None))
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _quoted(text: str, opening: int) -> tuple[str, int]:
    """The value of a quoted string starting at ``opening`` and the index after it."""
    closing = _QUOTES[text[opening]]
    value: list[str] = []
    index = opening + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            value.append(text[index + 1])
            index += 2
            continue
        if char == closing:
            return "".join(value), index + 1
        value.append(char)
        index += 1
    raise _problem(text, f"the quote {text[opening]} is never closed", opening + 1)


# --------------------------------------------------------------------------- grammar


class _Parser:
    """Recursive descent: or_expr := and_expr (or and_expr)*; and_expr := not_expr (and
    not_expr)*; not_expr := not not_expr | "(" or_expr ")" | term."""

    def __init__(self, text: str, tokens: list[_Token], organizations: tuple[Organization, ...],
                 saved: Mapping[str, str], using: tuple[str, ...]):
        self.text = text
        self.tokens = tokens
        self.position = 0
        self.organizations = organizations
        self.saved = saved
        self.using = using  # saved audiences being expanded: a loop is an error

    def expression_to_end(self) -> _Node:
        if self._peek().kind == "end":
            raise InvalidInput(f'audience "{self.text}" is empty', hint="write all for everyone")
        node = self._or()
        token = self._peek()
        if token.kind == ")":
            raise self._fail('")" without a matching "("', token.column)
        if token.kind != "end":
            raise self._fail(f'expected "and" or "or" before "{token.text}"', token.column)
        return node

    # -- helpers

    def _peek(self) -> _Token:
        return self.tokens[self.position]

    def _take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _at_operator(self, name: str) -> bool:
        token = self._peek()
        return token.kind == "word" and token.value is None and token.text.lower() == name

    def _fail(self, detail: str, column: int, hint: str | None = None) -> InvalidInput:
        return _problem(self.text, detail, column, hint)

    # -- rules

    def _or(self) -> _Node:
        operands = [self._and()]
        while self._at_operator("or"):
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else _Any(tuple(operands))

    def _and(self) -> _Node:
        operands = [self._not()]
        while self._at_operator("and"):
            self._take()
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else _All(tuple(operands))

    def _not(self) -> _Node:
        if self._at_operator("not"):
            self._take()
            return _Not(self._not())
        token = self._peek()
        if token.kind == "(":
            self._take()
            node = self._or()
            closing = self._peek()
            if closing.kind != ")":
                if closing.kind == "end":
                    raise self._fail('the "(" is never closed', token.column)
                raise self._fail(f'expected "and", "or" or ")" before "{closing.text}"',
                                 closing.column)
            self._take()
            return node
        if token.kind == "word" and not any(self._at_operator(op) for op in OPERATORS):
            self._take()
            return self._term(token)
        raise self._fail(self._missing_term(token), token.column)

    def _missing_term(self, token: _Token) -> str:
        previous = self.tokens[self.position - 1] if self.position else None
        if previous is None:
            return f'expected a term before "{token.text}"'
        return f'expected a term after "{previous.text}"'

    # -- terms

    def _term(self, token: _Token) -> _Term:
        if token.value is None and token.text.startswith("@"):
            return self._saved(token)
        if token.value is None:
            flag = token.text.lower()
            if flag == "all":
                return _Term(token.text, lambda contact: True)
            if flag == "embargo_ok":
                return _Term(token.text, lambda contact: contact.embargo_ok)
            raise self._fail(f'unknown term "{token.text}"', token.column,
                             self._suggestion(token.text))
        name = token.text.partition(":")[0].lower()
        value = token.value.strip()
        if name not in FIELDS:
            raise self._fail(f'unknown term "{token.text}"', token.column,
                             self._suggestion(token.text))
        if not value:
            raise self._fail(f'expected a value after "{name}:"', token.column + len(name) + 1)
        return _Term(token.text, self._field_test(name, value, token))

    def _saved(self, token: _Token) -> _Term:
        name = token.text[1:].lower()
        if name not in self.saved:
            close = difflib.get_close_matches(name, list(self.saved), n=1, cutoff=0.6)
            raise self._fail(f'no saved audience "{name}"', token.column,
                             f'did you mean "@{close[0]}"?' if close
                             else "see `pressctl audiences list`")
        if name in self.using:
            raise self._fail(f'the saved audience "{name}" uses itself', token.column)
        inner = parse_audience(self.saved[name], organizations=self.organizations,
                               saved=self.saved, _using=(*self.using, name))
        return _Term(token.text, inner.root.matches)

    def _suggestion(self, written: str) -> str:
        head = written.partition(":")[0].lower()
        close = difflib.get_close_matches(head, [*FIELDS, *FLAGS], n=1, cutoff=0.6)
        if close:
            return f'did you mean "{close[0]}{":" if close[0] in FIELDS else ""}"?'
        return f"terms are {', '.join(f + ':' for f in FIELDS)}, {', '.join(FLAGS)}"

    def _field_test(self, name: str, value: str, token: _Token) -> Predicate:
        def refuse(reason: str) -> InvalidInput:
            return self._fail(f'{name} "{value}" {reason}', token.column)

        if name == "tag":
            tag = normalise_tags([value])[0]
            return lambda contact: tag in normalise_tags(contact.tags)
        if name == "kind":
            kind = kind_of(value)
            if kind is None:
                raise refuse(f"is not one of {', '.join(KINDS)}")
            return lambda contact: contact.kind == kind
        if name == "lang":
            language = language_tag(value)
            if language is None:
                raise refuse("is not a BCP 47 language tag such as fr, en or fr-CA")
            return _speaks(language)
        if name == "country":
            country = country_code(value)
            if country is None:
                raise refuse("is not an ISO 3166 country code or known country name")
            return lambda contact: (contact.country or "").upper() == country
        if name == "outlet":
            part = value.casefold()
            return lambda contact: part in (contact.outlet or "").casefold()
        return _works_for(self._organization_names(value))

    def _organization_names(self, value: str) -> frozenset[str]:
        names = {value.casefold()}
        for org in self.organizations:
            spellings = {org.name.casefold(), (org.short_name or org.name).casefold()}
            if value.casefold() in spellings:
                names |= spellings
        return frozenset(names)


def _speaks(language: str) -> Predicate:
    # "fr" is French anywhere (fr-CA, fr-BE); "fr-CA" is only Canadian French.
    wanted = language.casefold()

    def test(contact: Contact) -> bool:
        return any(tag.casefold() == wanted or tag.casefold().startswith(wanted + "-")
                   for tag in contact.languages)

    return test


def _works_for(names: frozenset[str]) -> Predicate:
    return lambda contact: (contact.organization or "").casefold() in names

"""Reading contacts in name order for lists, exports and audiences: one row per contact,
its e-mails, phones, tags and roles aggregated by the database into JSON arrays (the
roles into an object), in their order, so that a contact costs one row and a few JSON
scans rather than a row of each table and a Python object per row (issue 12).

JSON, not a separator: a tag, a label or a role may hold any character, and a JSON
array reads back the very list that was stored. Each aggregate is read with the json
module's C scanner (``scan_once``): the database wrote the text, so the checks
``json.loads`` adds around it (surrounding space, trailing data) buy nothing and cost
several times the scan.

What is read: whole Contacts (:func:`read_contacts`: audiences, and anything else that
wants Contacts), every column as it came (:func:`read_rows`,
pressctl.contacts.contact_rows.ContactRow: exports and `contacts list --json`, whose
writers go from the row to their text; the aggregates left as the database's JSON), or
only the columns of a list (:func:`read_lines`, ContactLine: no Contact built, no notes
or times fetched). :class:`ContactStream`, what ContactQueries.stream returns, is the
first and gives either of the others on request.

How the rows come, by engine:

* SQLite: one statement, stepped CHUNK rows at a time (fetchmany), so the whole list is
  read from one snapshot. The contacts are read in table order and then sorted
  (``ORDER BY +sort_name``: the unary plus keeps the planner off the sort_name index):
  read in name order, each contact and its child rows sit on pages all over the file,
  which costs twice the time of reading them in the order they were written. SQLite's
  sorter spills to temporary files past its cache, so memory stays flat; the price is
  temporary disk space, about 210 bytes a contact (63 MB for 300,000), in SQLite's
  temporary folder (SQLITE_TMPDIR, else TMPDIR, else /var/tmp), freed as the list ends.
* PostgreSQL: psycopg fetches a statement's whole result at once, so the rows come in
  pages of CHUNK. The whole book: each page a query of its own (LIMIT CHUNK) that resumes
  after the last (sort_name, id) read (keyset pagination on the contacts_sort_name
  index). A filtered list (a search, a tag...): the matching ids are read once, in name
  order, then their contacts CHUNK ids at a time, so that the filter (a trigram search,
  a tag's semi-join) runs once rather than once a page.

Nothing here knows a filter: the caller (pressctl.store.contacts) gives its WHERE clause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from json.decoder import JSONDecoder
from typing import Any, NamedTuple

from pressctl.contacts.contact_rows import ContactRow, phone_of
from pressctl.contacts.model import Contact, Phone
from pressctl.store.dialect import SQLITE

CHUNK = 900  # contacts read at a time (SQLite allows 999 parameters in a query)
_COLUMNS = ("id, name, kind, role, organization, outlet, languages, country, notes, "
            "embargo_ok, opted_out, created, updated, salutation, first_name_ok")
# Each child table: (table, the JSON of one row per engine, the columns it reads).
_CHILDREN = (
    ("contact_emails", "address", "address"),
    ("contact_phones", "{array}(e164, extension, type, label, international, national, "
     "region)", "e164, extension, type, label, international, national, region"),
    ("contact_tags", "tag", "tag"),
)
# (text, index) -> (value, end): the json module's C scanner, set on every decoder (and
# missing from typeshed's JSONDecoder).
_scan: Callable[[str, int], tuple[Any, int]] = JSONDecoder().scan_once  # type: ignore[attr-defined]


def _aggregates(dialect: str) -> list[str]:
    """The four aggregated columns: e-mails, phones and tags as JSON arrays, roles as a
    JSON object (language -> role), each in its order ("[]" / "{}" when none)."""
    if dialect == SQLITE:
        # SQLite before 3.44 has no ORDER BY inside an aggregate: the rows are ordered in
        # a subquery and aggregated in that order. SQLite keeps a FROM subquery's ORDER
        # BY under an aggregate other than count(), min() or max() (it drops it
        # elsewhere since 3.41); tests/store/test_contact_listing.py holds the order on
        # rows written in the other order.
        def one(table: str, value: str, columns: str, aggregate: str) -> str:
            return (f"(SELECT {aggregate}({value}) FROM (SELECT {columns} FROM {table} "
                    "WHERE contact_id = contacts.id ORDER BY position))")

        parts = [one(table, value.format(array="json_array"), columns, "json_group_array")
                 for table, value, columns in _CHILDREN]
        # Few contacts have roles in other languages; their table's key does not hold
        # their order, so each contact's would be sorted: asked first whether it has any.
        parts.append("CASE WHEN EXISTS (SELECT 1 FROM contact_roles WHERE contact_id = "
                     "contacts.id) THEN " + one("contact_roles", "language, role",
                                                "language, role", "json_group_object")
                     + " ELSE '{}' END")
        return parts

    def agg(table: str, value: str, aggregate: str, empty: str) -> str:
        return (f"coalesce((SELECT {aggregate}({value} ORDER BY position) FROM {table} "
                f"WHERE contact_id = contacts.id)::text, '{empty}')")

    parts = [agg(table, value.format(array="json_build_array"), "json_agg", "[]")
             for table, value, _ in _CHILDREN]
    parts.append(agg("contact_roles", "language, role", "json_object_agg", "{}"))
    return parts


class ContactLine(NamedTuple):
    """What a list of contacts shows of one (`contacts list`'s columns, named as in
    Contact), read without the rest: no notes, times, country or roles to fetch, and no
    Contact to build. Lists are in their stored order; ``languages`` as Contact has them."""

    id: int
    name: str
    kind: str
    role: str | None
    organization: str | None
    outlet: str | None
    emails: list[str]
    phones: list[Phone]
    tags: list[str]
    languages: list[str]
    embargo_ok: bool
    opted_out: bool


class ContactStream(Iterator[Contact]):
    """The contacts of a filter, in name order, read as they are iterated; or, instead,
    :meth:`lines`: only what a list shows of them, at a fraction of the cost. Nothing
    is read before the first contact (or line) is asked for."""

    def __init__(self, db: Any, dialect: str, clause: str, params: Sequence[object], *,
                 filtered: bool, chunk: int = CHUNK) -> None:
        self._query = (db, dialect, clause, params, filtered, chunk)
        self._contacts: Iterator[Contact] | None = None

    def __iter__(self) -> Iterator[Contact]:
        return self._started()

    def __next__(self) -> Contact:
        return next(self._started())

    def _started(self) -> Iterator[Contact]:
        if self._contacts is None:
            self._contacts = read_contacts(*self._query[:4], filtered=self._query[4],
                                           chunk=self._query[5])
        return self._contacts

    def lines(self) -> Iterator[ContactLine]:
        """The same contacts as ContactLines. A stream is read once: after this, it has
        no Contact left to give (and it cannot give lines once contacts were read)."""
        if self._contacts is not None:
            raise ValueError("this stream of contacts is already being read")
        self._contacts = iter(())
        db, dialect, clause, params, filtered, chunk = self._query
        return read_lines(db, dialect, clause, params, filtered=filtered, chunk=chunk)

    def rows(self) -> Iterator[ContactRow]:
        """The same contacts as ContactRows (every column; the lists as JSON texts). Read
        once, as :meth:`lines`."""
        if self._contacts is not None:
            raise ValueError("this stream of contacts is already being read")
        self._contacts = iter(())
        db, dialect, clause, params, filtered, chunk = self._query
        return read_rows(db, dialect, clause, params, filtered=filtered, chunk=chunk)


def read_contacts(db: Any, dialect: str, clause: str, params: Sequence[object], *,
                  filtered: bool, chunk: int = CHUNK) -> Iterator[Contact]:
    """The contacts matching ``clause`` (a WHERE condition on contacts and its
    parameters), in name order, each with its e-mails, phones, tags and roles.
    ``filtered``: the clause selects by more than ids (see the module docstring)."""
    select = f"{_COLUMNS}, {', '.join(_aggregates(dialect))}"
    for rows in _pages(db, dialect, select, clause, params, filtered, chunk):
        yield from _built(rows)


def read_rows(db: Any, dialect: str, clause: str, params: Sequence[object], *,
              filtered: bool, chunk: int = CHUNK) -> Iterator[ContactRow]:
    """:func:`read_contacts` as ContactRows: the rows as the database gave them."""
    select = f"{_COLUMNS}, {', '.join(_aggregates(dialect))}"
    make = ContactRow._make
    width = len(ContactRow._fields)
    for rows in _pages(db, dialect, select, clause, params, filtered, chunk):
        if dialect == SQLITE:
            yield from map(make, rows)
        else:  # PostgreSQL's whole-book pages end with sort_name
            for row in rows:
                yield make(row[:width])


def read_lines(db: Any, dialect: str, clause: str, params: Sequence[object], *,
               filtered: bool, chunk: int = CHUNK) -> Iterator[ContactLine]:
    """:func:`read_contacts` as ContactLines."""
    emails, phones, tags, _ = _aggregates(dialect)
    select = (f"id, name, kind, role, organization, outlet, {emails}, {phones}, {tags}, "
              "languages, embargo_ok, opted_out")
    scan = _scan
    for rows in _pages(db, dialect, select, clause, params, filtered, chunk):
        for (cid, name, kind, role, organization, outlet, addresses, numbers, labels,
             languages, embargo_ok, opted_out, *_) in rows:
            if languages:
                listed = languages.split(",")
                if "" in listed:
                    listed = [x for x in listed if x]
            else:
                listed = []
            yield ContactLine(
                cid, name, kind, role, organization, outlet,
                scan(addresses, 0)[0] if addresses != "[]" else [],
                _phones(scan(numbers, 0)[0]) if numbers != "[]" else [],
                scan(labels, 0)[0] if labels != "[]" else [],
                listed, bool(embargo_ok), bool(opted_out))


def _built(rows: list[Any]) -> Iterator[Contact]:
    scan = _scan
    for (cid, name, kind, role, organization, outlet, languages, country, notes, embargo_ok,
         opted_out, created, updated, salutation, first_name_ok, emails, phones, tags,
         roles, *_) in rows:
        if languages:
            listed = languages.split(",")
            if "" in listed:  # "fr,,en" or a trailing comma: the empty ones left out
                listed = [x for x in listed if x]
        else:
            listed = []
        yield Contact(
            id=cid, name=name, kind=kind, role=role, organization=organization,
            outlet=outlet, languages=listed, country=country, notes=notes,
            embargo_ok=bool(embargo_ok), opted_out=bool(opted_out), created=created,
            updated=updated, salutation=salutation, first_name_ok=bool(first_name_ok),
            emails=scan(emails, 0)[0] if emails != "[]" else [],
            phones=_phones(scan(phones, 0)[0]) if phones != "[]" else [],
            tags=scan(tags, 0)[0] if tags != "[]" else [],
            roles=scan(roles, 0)[0] if roles != "{}" else {},
        )


def _phones(stored: list[list[Any]]) -> list[Phone]:
    """A contact's phones from their JSON rows, each with the display forms stored beside
    it (migration 0017: ``Phone.forms``, read by pressctl.contacts.phone_forms) where
    they can be trusted (pressctl.contacts.contact_rows.phone_of says when)."""
    return list(map(phone_of, stored))


def _pages(db: Any, dialect: str, select: str, clause: str, params: Sequence[object],
           filtered: bool, chunk: int) -> Iterator[list[Any]]:
    """The rows of ``select`` for the contacts matching ``clause``, in name order, a
    list of at most ``chunk`` at a time (see the module docstring for how)."""
    if dialect == SQLITE:
        rows = db.execute(f"SELECT {select} FROM contacts WHERE ({clause}) "
                          "ORDER BY +sort_name, id", params)
        while page := rows.fetchmany(chunk):
            yield page
        return
    if filtered:  # the filter run once; then its contacts, a chunk of ids at a time
        ids = [row[0] for row in db.execute(
            f"SELECT id FROM contacts WHERE ({clause}) ORDER BY sort_name, id", params)]
        for start in range(0, len(ids), chunk):
            some = ids[start:start + chunk]
            yield db.execute(f"SELECT {select} FROM contacts WHERE id IN "
                             f"({','.join('?' * len(some))}) ORDER BY sort_name, id",
                             some).fetchall()
        return
    first = f"SELECT {select}, sort_name FROM contacts WHERE ({clause})"
    page_end = f" ORDER BY sort_name, id LIMIT {chunk}"
    page = db.execute(first + page_end, params).fetchall()
    while page:
        yield page
        if len(page) < chunk:
            return
        last = page[-1]
        page = db.execute(f"{first} AND (sort_name, id) > (?, ?){page_end}",
                          [*params, last[-1], last[0]]).fetchall()

"""One person per person: when two contacts are likely one person.

Two rules, one strict and one for a person to judge:

- **The same person** (add, import, `extract --import`): a contact without an e-mail
  address is the stored contact (or the earlier row of the same file) with the same
  normalised name (pressctl.contacts.name_keys.name_key) holding one of its phone
  numbers. The match is named by a *person key*, "<e164>#<name key>", which the import
  and add handle beside e-mail keys (an e-mail key always holds "@", a person key never
  does), so that ``--on-duplicate`` applies to it exactly as to a shared address.
- **Likely duplicates** (`contacts duplicates`): two contacts whose names are alike
  (the same normalised name, or initials for words: "J. Roe" and "Jane Roe") and which
  share a phone number, an organisation or an outlet. Alike names alone are not enough
  (two journalists may share a name); a shared number alone is not either (a press
  office's switchboard). Pairs are joined into groups (one group per set of contacts
  that pairs link), ordered by their lowest id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pressctl.contacts.model import Contact, ContactFilter
from pressctl.contacts.name_keys import NameProfile, name_key, name_profile, profiles_alike
from pressctl.store import Store
from pressctl.store.duplicates import NameRow

# -- the same person: name and number --------------------------------------------------------


def person_keys(name: str, numbers: Iterable[str]) -> list[str]:
    """The person keys of a name with these numbers (E.164): none for a name without a key."""
    key = name_key(name)
    return [f"{number}#{key}" for number in dict.fromkeys(numbers)] if key else []


def is_person_key(key: str) -> bool:
    return "@" not in key


def person_owners(store: Store, numbers: Iterable[str]) -> dict[str, int]:
    """The person keys of the stored contacts holding any of ``numbers``, each to its
    contact (the lowest id when several have the same name and number): one query."""
    owners: dict[str, int] = {}
    for number, cid, name in store.duplicates.phone_holders(numbers):
        for key in person_keys(name, [number]):
            owners.setdefault(key, cid)
    return owners


def contact_person_owners(store: Store, contact: Contact) -> dict[str, int]:
    """For a contact without an e-mail: the stored contacts that are the same person
    (same normalised name, a shared number), by person key. Empty for a contact with an
    e-mail address (its addresses decide) or without a phone."""
    if contact.emails or not contact.phones:
        return {}
    mine = set(person_keys(contact.name, (p.e164 for p in contact.phones)))
    if not mine:
        return {}
    owners = person_owners(store, (p.e164 for p in contact.phones))
    return {k: cid for k, cid in owners.items() if k in mine}


def person_clash_text(store: Store, key: str, contact_id: int) -> str:
    """What a clash on name and number says (the e-mail clash's words, for a person)."""
    number = key.partition("#")[0]
    owner = store.contacts.get(contact_id)
    name = owner.name if owner else "?"
    return f"name and phone {number} match contact #{contact_id} {name} (no e-mail to tell apart)"


def person_line_text(key: str, line: int) -> str:
    return f"name and phone {key.partition('#')[0]} are also on line {line}"


# -- likely duplicates: `contacts duplicates` ------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Contacts that are likely one person, by id, and why (each reason once)."""

    contacts: list[Contact]
    reasons: list[str]

    @property
    def ids(self) -> list[int]:
        return [c.stored_id for c in self.contacts]


def likely_duplicates(store: Store) -> list[DuplicateGroup]:
    """Every group of likely duplicates in the book (see the module docstring), ordered by
    lowest id, each group's contacts by id. Reads names and numbers once, then only the
    contacts of the groups. Each distinct name is normalised once (NameProfile): a book
    with common names compares millions of candidate pairs."""
    rows = {r.id: r for r in store.duplicates.names()}
    numbers: dict[int, set[str]] = defaultdict(set)
    for cid, e164 in store.duplicates.phones():
        numbers[cid].add(e164)
    known: dict[str, NameProfile] = {}
    profiles: dict[int, NameProfile] = {}
    by_key: dict[str, list[int]] = defaultdict(list)
    for cid, row in rows.items():
        found = known.get(row.name)
        if found is None:
            found = known[row.name] = name_profile(row.name)
        profiles[cid] = found
        if found.key:
            by_key[found.key].append(cid)
    reasons: dict[tuple[int, int], list[str]] = {}
    for cid, mine in profiles.items():
        if not mine.key:
            continue
        for variant in (mine.key, *sorted(mine.initials)):
            for other in by_key.get(variant, ()):
                if other <= cid and variant == mine.key:
                    continue  # each pair of equal keys once
                if other == cid:
                    continue
                pair = (min(cid, other), max(cid, other))
                if pair in reasons:
                    continue
                why = _why(rows[pair[0]], rows[pair[1]], numbers,
                           profiles_alike(profiles[pair[0]], profiles[pair[1]]))
                if why:
                    reasons[pair] = why
    return _groups(store, reasons)


def _why(a: NameRow, b: NameRow, numbers: dict[int, set[str]], alike: str | None) -> list[str]:
    """Why two contacts with alike names (``alike``: how, name_keys.how_alike) are likely
    one person; [] when nothing else ties them (a name alone is not enough)."""
    shared = numbers.get(a.id, _NONE) & numbers.get(b.id, _NONE)
    ties = [f"same phone {n}" for n in sorted(shared)]
    named = "same name and " if alike != "initials" else "same "
    if (a.organization and b.organization
            and a.organization.casefold() == b.organization.casefold()):
        ties.append(f"{named}organisation {a.organization}")
    if a.outlet and b.outlet and a.outlet.casefold() == b.outlet.casefold():
        ties.append(f"{named}outlet {a.outlet}")
    if not ties:
        return []
    if alike and alike != "same name":
        ties.append(f"similar names ({alike})")
    return ties


_NONE: frozenset[str] = frozenset()


def _groups(store: Store, reasons: dict[tuple[int, int], list[str]]) -> list[DuplicateGroup]:
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(reasons):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = defaultdict(list)
    for cid in sorted(parent):
        members[root(cid)].append(cid)
    why: dict[int, list[str]] = defaultdict(list)
    for pair in sorted(reasons):
        group = why[root(pair[0])]
        group += [r for r in reasons[pair] if r not in group]
    ids = tuple(sorted(parent))
    contacts = {c.stored_id: c for c in store.contacts.select(ContactFilter(ids=ids))} \
        if ids else {}
    return [DuplicateGroup([contacts[i] for i in members[r]], why[r]) for r in sorted(members)]

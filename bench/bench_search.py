#!/usr/bin/env python3
"""`contacts list --search X` on a big book: through the search index, and as the bare
LIKE scan it replaced, with `python -c pass` as the reference, all in one run.

The book: N synthetic contacts (bench/gen_contacts.py's people, outlets, roles, notes and
addresses; phones as E.164 from its national numbers), inserted through the store in
chunks of 5,000 (the index's triggers run as they would for an import; the validation
of an import is not what is measured here). Then, for each search, interleaved runs of:

* ``pressctl contacts list --search X``, its output to a pipe (end to end: start-up
  included), beside the same command on an empty book (start-up and an empty search)
  and ``python -c pass``, in the same loop;
* in this process: the ids the search finds, through the index (the store's search
  clause) and through the pre-index SQL (every contact read with LIKE: issue 11's
  clause), on the same book; and the store's select (the contacts built, with their
  e-mails, phones and tags), for scale.

    python bench/bench_search.py [--contacts 300000] [--runs 7] [--backend sqlite]

``--backend both`` also builds the book on a throw-away PostgreSQL server
(tests/pg_server.py) through the same store and measures it the same way.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_contacts  # noqa: E402
from _proc import console_script, machine, postgres_server  # noqa: E402

from pressctl.contacts.model import Contact, ContactFilter, Phone  # noqa: E402
from pressctl.store import Store  # noqa: E402
from pressctl.store.search import search_clause  # noqa: E402

NOW = "2026-12-10T10:00:00Z"
CHUNK = 5_000
# (what it is, the search): selective searches of each kind, then the scan's own cases.
SEARCHES = [
    ("a full name", "Francesca Ricci"),
    ("part of an e-mail address", "nguyen.callum@"),
    ("an outlet", "Orbit Weekly"),
    ("a role", "Caporedattore"),
    ("phone digits", "555 0143"),
    ("nothing matches", "Zzyzx"),
    ("2 characters (no index: every row read)", "zq"),
]
_ADDRESS = re.compile(r"[^<>\s;:]+@[^<>\s;]+")
# The search clause of issue 11's store, before the index: every contact read.
_BEFORE = (
    "SELECT id FROM contacts WHERE (name LIKE ? ESCAPE '\\' OR role LIKE ? ESCAPE '\\' OR "
    "organization LIKE ? ESCAPE '\\' OR outlet LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\' "
    "OR id IN (SELECT contact_id FROM contact_emails WHERE address LIKE ? ESCAPE '\\') "
    "OR id IN (SELECT contact_id FROM contact_roles WHERE role LIKE ? ESCAPE '\\')"
)


def contacts(n: int, seed: int = 12) -> Iterator[Contact]:
    """n contacts from gen_contacts' generator, as a valid import would store them."""
    people = gen_contacts.Generator(seed)
    for _ in range(n):
        row, country, _first, _last, nsns = people.row()
        yield Contact(
            name=row[0], kind=row[1], role=row[2] or None, organization=row[3] or None,
            outlet=row[4] or None, emails=_ADDRESS.findall(row[5]),
            phones=[Phone(f"+{country.cc}{nsn}") for nsn in nsns],
            tags=[t for t in row[7].split(",") if t], languages=row[8].split(","),
            country=row[9], embargo_ok=row[10] == "true", opted_out=row[11] == "true",
            notes=row[12] or None, created=NOW, updated=NOW,
        )


def build(store: Store, n: int) -> float:
    """Insert n contacts; returns the seconds it took (triggers and indexes included)."""
    start = time.perf_counter()
    batch: list[Contact] = []
    for contact in contacts(n):
        batch.append(contact)
        if len(batch) == CHUNK:
            with store.transaction():
                store.contacts.insert(batch)
            batch = []
    if batch:
        with store.transaction():
            store.contacts.insert(batch)
    if store.dialect != "sqlite":
        store.db.execute("ANALYZE")
    return time.perf_counter() - start


def _before(store: Store, text: str) -> list[int]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql, params = _BEFORE, [pattern] * 7
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 3:
        sql += " OR id IN (SELECT contact_id FROM contact_phones WHERE e164 LIKE ?)"
        params.append(f"%{digits}%")
    return sorted(r[0] for r in store.db.execute(sql + ")", params))


def _found(store: Store, text: str) -> list[int]:
    clause, params = search_clause(text, store.dialect)
    return sorted(r[0] for r in store.db.execute(f"SELECT id FROM contacts WHERE {clause}",
                                                 params))


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(store: Store, homes: dict[str, tuple[Path, dict[str, str]]],
            runs: int) -> list[dict]:
    """``homes``: "book" (the big one) and "empty", each (home, environment)."""
    script = str(console_script())
    figures = []
    for what, text in SEARCHES:
        found = _found(store, text)
        if found != _before(store, text) or found != sorted(
                c.stored_id for c in store.contacts.select(ContactFilter(search=text))):
            sys.exit(f"{what}: the index and the LIKE scan disagree on {text!r}")
        times: dict[str, list[float]] = {k: [] for k in (
            "cli", "empty", "python", "psycopg", "index", "scan", "select")}
        for _ in range(runs):
            for key, (home, env) in homes.items():
                argv = [script, "--home", str(home), "contacts", "list", "--search", text]
                start = time.perf_counter()
                done = subprocess.run(argv, env=env, capture_output=True, check=False)
                times["cli" if key == "book" else "empty"].append(time.perf_counter() - start)
                if done.returncode != 0:
                    sys.exit(f"contacts list failed: {done.stderr.decode()[-2000:]}")
            times["python"].append(_timed(lambda: subprocess.run(
                [sys.executable, "-c", "pass"], check=True)))
            if store.dialect != "sqlite":  # the driver's own import, a floor for the list
                times["psycopg"].append(_timed(lambda: subprocess.run(
                    [sys.executable, "-c", "import psycopg"], check=True)))
            times["index"].append(_timed(lambda t=text: _found(store, t)))
            times["scan"].append(_timed(lambda t=text: _before(store, t)))
            times["select"].append(_timed(
                lambda t=text: store.contacts.select(ContactFilter(search=t))))
        medians = {k: statistics.median(v) for k, v in times.items() if v}
        figures.append({"what": what, "text": text, "rows": len(found), **medians})
        print(f"  {what} ({text!r}, {len(found)} rows): list {medians['cli'] * 1000:.0f} ms "
              f"(empty book {medians['empty'] * 1000:.0f} ms); ids {medians['index'] * 1000:.1f}"
              f" ms vs LIKE scan {medians['scan'] * 1000:.0f} ms; select "
              f"{medians['select'] * 1000:.0f} ms", flush=True)
    return figures


def _table(backend: str, figures: list[dict]) -> None:
    driver = all("psycopg" in f for f in figures)  # the floor of a PostgreSQL list
    print(f"\n{backend}:\n")
    print("| search | rows | `contacts list --search` | same, empty book | / `python -c pass` "
          + ("| / `import psycopg` " if driver else "")
          + "| ids, index | ids, LIKE scan | scan / index | select (contacts built) |")
    print("|---|---|---|---|---|---|---|---|---|" + ("---|" if driver else ""))
    for f in figures:
        by_driver = f" {f['cli'] / f['psycopg']:.2f} |" if driver else ""
        print(f"| {f['what']}: `{f['text']}` | {f['rows']} | {f['cli'] * 1000:.0f} ms | "
              f"{f['empty'] * 1000:.0f} ms | {f['cli'] / f['python']:.1f} |{by_driver} "
              f"{f['index'] * 1000:.1f} ms | {f['scan'] * 1000:.0f} ms | "
              f"{f['scan'] / f['index']:.0f} | {f['select'] * 1000:.0f} ms |")
    print(f"\n`python -c pass`: {statistics.median(f['python'] for f in figures) * 1000:.1f} ms")
    if any("psycopg" in f for f in figures):
        print("`python -c 'import psycopg'`: "
              f"{statistics.median(f['psycopg'] for f in figures) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"),
                        default="sqlite")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    server = postgres_server() if "postgresql" in backends else None
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
            for backend in backends:
                homes = {}
                for key in ("book", "empty"):
                    env = dict(os.environ)
                    env.pop("PRESSCTL_DB", None)
                    if server is not None and backend == "postgresql":
                        env["PRESSCTL_DB"] = server.new_database(f"search_{key}")
                    home = Path(tmp) / f"{backend}-{key}"
                    subprocess.run([str(console_script()), "--home", str(home), "init"],
                                   env=env, check=True, capture_output=True)
                    homes[key] = (home, env)
                home, env = homes["book"]
                url = env.get("PRESSCTL_DB")
                store = Store.open(_location(url) if url else home / "pressctl.db",
                                   create=False)
                try:
                    seconds = build(store, args.contacts)
                    print(f"{backend}: {args.contacts:,} contacts stored in {seconds:.1f} s "
                          f"({args.contacts / seconds:,.0f}/s, search index kept by the "
                          "database)", flush=True)
                    results[backend] = measure(store, homes, args.runs)
                finally:
                    store.close()
    finally:
        if server is not None:
            server.stop()
    print(f"\nmachine: {machine()}; load {os.getloadavg()[0]:.2f}; {args.runs} interleaved "
          "runs per search, medians")
    for backend, figures in results.items():
        _table(backend, figures)


def _location(url: str):
    from pressctl.config import parse_database

    return parse_database(url, base=Path("."), where="bench")


if __name__ == "__main__":
    main()

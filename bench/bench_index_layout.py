#!/usr/bin/env python3
"""What FTS5's per-document sizes cost the SQLite search index (migration 0019).

    python bench/bench_index_layout.py [--contacts 100000] [--runs 2]

Writes the documents of CONTACTS synthetic contacts (a contact's own text, an e-mail
address, a phone: the three kinds an import writes for most contacts) into the search
index's table as pressctl declares it, a chunk of 3,000 documents per statement as an
import does (pressctl.store.search.index_range), once with the layout of migration 0015
(FTS5 keeps each document's size) and once with 0019's (``columnsize=0``), in the same
run and alternately. Prints CPU µs a contact and the index's size for each, and their
ratio. SQLite and the standard library only: no pressctl is imported.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

LAYOUTS = {
    "0015 (with sizes)": "",
    "0019 (columnsize=0)": ", columnsize=0",
}
CHUNK = 3000


def documents(contacts: int) -> list[tuple[int, str]]:
    docs = []
    for i in range(1, contacts + 1):
        docs.append((i * 4, f"Journalist Name{i} Lastname\nReporter\n\nOutlet {i % 500} Daily\n"))
        docs.append((i * 4 + 1, f"first.last{i}@example{i % 3}.org"))
        docs.append((i * 4 + 3, f"+3319900{i % 100000:05d}"))
    return sorted(docs)


def one_run(folder: Path, options: str, docs: list[tuple[int, str]]) -> tuple[float, int]:
    """(CPU seconds to write the index, its size in bytes)."""
    path = folder / "index.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("CREATE VIRTUAL TABLE contact_search USING fts5(text, content='', "
                   f"detail=none{options}, tokenize='trigram case_sensitive 0')")
        db.execute("CREATE TABLE source (doc INTEGER PRIMARY KEY, body TEXT)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO source VALUES (?, ?)", docs)
        db.execute("COMMIT")
        started = time.process_time()
        db.execute("BEGIN")
        for start in range(0, len(docs), CHUNK):
            first, last = docs[start][0], docs[min(start + CHUNK, len(docs)) - 1][0]
            db.execute("INSERT INTO contact_search (rowid, text) SELECT doc, body FROM "
                       "source WHERE doc BETWEEN ? AND ?", (first, last))
        db.execute("COMMIT")
        spent = time.process_time() - started
        size = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE "
                          "'contact_search%'").fetchone()[0]
    finally:
        db.close()
    return spent, int(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    docs = documents(args.contacts)
    spent: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.runs):
            for name, options in LAYOUTS.items():
                cpu, size = one_run(Path(folder), options, docs)
                spent[name].append(cpu)
                sizes[name] = size
    print(f"{args.contacts:,} contacts, {len(docs):,} documents, {args.runs} run(s), "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPU(s)")
    print("| layout | CPU µs a contact (median) | index size | vs 0015 (CPU, size) |")
    print("|---|---|---|---|")
    reference = next(iter(LAYOUTS))
    base_cpu, base_size = statistics.median(spent[reference]), sizes[reference]
    for name in LAYOUTS:
        cpu = statistics.median(spent[name])
        print(f"| {name} | {cpu / args.contacts * 1e6:.1f} | {sizes[name] / 2**20:.1f} MiB | "
              f"{cpu / base_cpu:.2f} ×, {sizes[name] / base_size:.2f} × |")


if __name__ == "__main__":
    main()

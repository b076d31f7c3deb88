"""`pressctl db`: the book's database as a whole (status, copy, backup). The work is in
pressctl.book.database; here: parse, call it, print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, state

if TYPE_CHECKING:
    from pressctl.store.transfer import BookSum

app = typer.Typer(no_args_is_help=True)


@app.command("status")
def status(
    ctx: typer.Context,
    json_out: Json = False,
    with_checksum: Annotated[bool, typer.Option(
        "--checksum", help="Also count and checksum every table (reads the whole book).")]
    = False,
) -> None:
    """Show the backend, where the book is (a URL without its password), its
    schema version, what it holds, the rows waiting to be sent and its size.

    Example: pressctl db status --json
    """
    from pressctl.book.database import book_status

    st = state(ctx)
    found = book_status(st.book(), with_checksum=with_checksum)
    counts = found.counts
    if json_out:
        data: dict = {
            "backend": found.backend, "location": found.location,
            "schema_version": found.schema_version,
            "counts": {"contacts": counts.contacts, "organisations": counts.organizations,
                       "audiences": counts.audiences, "mailouts": counts.mailouts},
            "waiting": {"queued": counts.queued, "due": found.due,
                        "sending": counts.sending},
            "size_bytes": found.size_bytes,
        }
        if found.sums is not None:
            data |= _sums_json(found.sums)
        st.out.json(data)
        return
    pairs: list[tuple[str, object]] = [
        ("backend", found.backend), ("location", found.location),
        ("schema", found.schema_version), ("contacts", counts.contacts),
        ("organisations", counts.organizations), ("audiences", counts.audiences),
        ("mailouts", counts.mailouts),
        ("waiting", f"{counts.queued} queued, {found.due} due now, "
                    f"{counts.sending} being sent"),
    ]
    if found.size_bytes is not None:
        what = "file" if found.backend == "sqlite" else "on the server"
        pairs.append(("size", f"{found.size_bytes:,} bytes ({what})"))
    if found.sums is not None:
        pairs.append(("checksum", found.sums.checksum))
    st.out.record(pairs)


@app.command("copy")
def copy(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(
        metavar="SOURCE", help="The book to copy: a file, sqlite:///PATH or postgresql://URL.")],
    target: Annotated[str, typer.Argument(
        metavar="TARGET", help="An empty database or a new file to copy it into.")],
    json_out: Json = False,
) -> None:
    """Copy a whole book (contacts, organisations, audiences, mailouts with
    their frozen messages and rows, opt-outs, history) into an empty database,
    all or nothing, and check it: the rows and a checksum of every table must
    be equal on both sides.

    Ids are kept. The outbox lease is not copied: it belongs to a running
    worker. A TARGET that already holds a book's rows is refused (exit 3).

    Example: pressctl db copy pressctl.db postgresql://presse@db/press
    """
    from pressctl.book.database import copy_book

    st = state(ctx)
    done = copy_book(source, target, settings=st.config(), env=st.env, base=Path.cwd())
    if json_out:
        st.out.json({"source": done.source, "target": done.target,
                     "schema_version": done.schema_version,
                     "target_created": done.target_created, "sending": done.sending,
                     **_sums_json(done.sums)})
        _warn_sending(st, done.sending)
        return
    st.out.record([*done.sums.rows.items(), ("checksum", done.sums.checksum)])
    total = sum(done.sums.rows.values())
    st.out.info(f"Copied {total} rows in {len(done.sums.tables)} tables from {done.source} "
                f"to {done.target} (schema {done.schema_version}); counts and checksums "
                "match")
    _warn_sending(st, done.sending)


def _warn_sending(st, sending: int) -> None:
    if sending:
        st.out.warn(f"{sending} row(s) were being sent by an `outbox run` on the source: in "
                    "the copy they are a stopped worker's, settled by its first `outbox run` "
                    "(stop delivery on the source before copying to avoid this)")


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="The backup file to write (readable by you only).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace FILE if it exists.")] = False,
    json_out: Json = False,
) -> None:
    """Back up a SQLite book with SQLite's online backup API: a consistent
    copy while other commands (a delivery run) keep working. A PostgreSQL
    book: use pg_dump.

    Example: pressctl db backup ~/backups/press-2026-11-22.db
    """
    from pressctl.book.database import backup_book

    st = state(ctx)
    done = backup_book(st.location(st.settings()), file, force=force)
    if json_out:
        st.out.json({"source": done.source, "file": str(done.path),
                     "size_bytes": done.size_bytes, "schema_version": done.schema_version,
                     **_sums_json(done.sums)})
        return
    st.out.record([("file", str(done.path)), ("size", f"{done.size_bytes:,} bytes"),
                   ("schema", done.schema_version), ("checksum", done.sums.checksum)])
    st.out.info(f"Backed up {done.source} to {done.path}")


def _sums_json(sums: BookSum) -> dict:
    return {"tables": {t.name: {"rows": t.rows, "sha256": t.sha256}
                       for t in sorted(sums.tables, key=lambda t: t.name)},
            "checksum": sums.checksum}

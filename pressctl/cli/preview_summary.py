"""The summary of `release preview --all`: one row per message, written as the messages
are built (tab-separated when piped, a JSON array with --json), so that a preview of
300,000 messages holds none of them. The same bytes as
:func:`pressctl.cli.views.print_preview_summary`, which keeps its rows (the demo's few);
on a terminal the table is laid out from all its cells, so there the rows are kept too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.cli.output import Output
from pressctl.cli.views import PREVIEW_COLUMNS

if TYPE_CHECKING:
    from pressctl.releases.rendering import BuiltMessage


def preview_row(message: BuiltMessage) -> dict[str, Any]:
    recipient = message.recipient
    return {
        "recipient": f"{recipient.contact.name} <{recipient.address}>",
        "language": recipient.version.language,
        "version": Path(recipient.version.path).name,
        "copy": "embargoed" if recipient.embargoed else "public",
        "embargoed": recipient.embargoed,
        "size": len(message.raw),
        "attachments": message.attachments,
        "calendar": message.has_calendar,
    }


def _cells(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for r in rows:
        yield (r["recipient"], r["language"], r["version"], r["copy"],
               f"{r['size'] / 1024:.1f} KB", r["attachments"], r["calendar"])


def print_preview_summary(out: Output, messages: Iterable[BuiltMessage], *,
                          as_json: bool = False) -> int:
    """Print a row per message as it comes; returns how many messages there were."""
    from pressctl.cli.streamed import write_json_array, write_tab_separated

    rows = map(preview_row, messages)
    if as_json:
        return write_json_array(rows)
    if out.rich_stdout:
        kept = list(_cells(rows))
        out.table(PREVIEW_COLUMNS, kept)
        count = len(kept)
    else:
        count = write_tab_separated(PREVIEW_COLUMNS, _cells(rows))
    out.info(f"{count} message(s) built; nothing was sent")
    return count

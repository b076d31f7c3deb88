"""`pressctl release ...` (and its alias `pressctl invite ...`): new, check, preview."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import State, state

app = typer.Typer(no_args_is_help=True)

TemplatesDir = Annotated[Path | None, typer.Option(
    "--templates", help="Templates folder overriding the defaults (default: the home's).")]


def _templates(st: State, folder: Path | None):
    from pressctl.releases.templating import Templates

    return Templates(folder or st.paths.templates_dir)


def _today_and_now():
    from datetime import datetime

    now = datetime.now().astimezone()
    return now.date(), now


@app.command("new")
def new(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The release file to create (.md).")],
    kind: Annotated[str | None, typer.Option("--kind", help="release, invitation or advisory.")] = None,
    org: Annotated[list[str] | None, typer.Option("--org", help="Organisation (repeat for a joint release).")] = None,
    language: Annotated[str, typer.Option("--lang", help="Language of the release (en, fr).")] = "en",
) -> None:
    """Write a filled-in release file to start from (never overwrites).

    Example: pressctl release new PR107-2020.md --org CNES --org SFR --kind invitation
    """
    from pressctl.config import write_private_file
    from pressctl.errors import InvalidInput
    from pressctl.releases.documents import KINDS
    from pressctl.releases.release_file import skeleton

    st = state(ctx)
    chosen = kind or ("invitation" if ctx.parent and ctx.parent.info_name == "invite" else "release")
    if chosen not in KINDS:
        raise InvalidInput(f"--kind {chosen!r}", hint=f"use {', '.join(KINDS)}")
    if file.exists():
        raise InvalidInput(f"{file} already exists", hint="choose another name or remove it")
    today, _ = _today_and_now()
    write_private_file(file, skeleton(chosen, list(org or []), today, language))
    st.out.info(f"Wrote {file}: edit it, then `pressctl release check {file}`")


@app.command("check")
def check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The release file.")],
    templates: TemplatesDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a release in one pass: front matter, zones, embargo, event, contacts,
    organisations, templates, attachments, links (exit 3 on errors).

    Example: pressctl release check PR106-2020.en.md
    """
    from pressctl.errors import EXIT_INVALID
    from pressctl.releases.compose import check_release

    st = state(ctx)
    today, now = _today_and_now()
    errors, warnings = check_release(st.book(), file, _templates(st, templates), today, now=now)
    if json_out:
        st.out.json({"errors": [str(p) for p in errors], "warnings": [str(p) for p in warnings]})
    else:
        for problem in errors:
            st.out.line(f"error: {problem}")
        for problem in warnings:
            st.out.line(f"warning: {problem}")
        st.out.info(f"{file}: {len(errors)} error(s), {len(warnings)} warning(s)")
    if errors:
        raise typer.Exit(EXIT_INVALID)


@app.command("preview")
def preview(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The release file.")],
    to: Annotated[list[str] | None, typer.Option("--to", help="Only this contact (id, e-mail or name; repeat).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Build every recipient's message and summarise.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="summary, text, html or eml.")] = "",
    out: Annotated[Path | None, typer.Option("--out", help="Write .eml (+ .html, .ics) files into this folder.")] = None,
    audience: Annotated[str | None, typer.Option("--audience", help="Filter overriding the release's, e.g. 'tag:space and lang:fr'.")] = None,
    templates: TemplatesDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Summary as JSON.")] = False,
) -> None:
    """Run the real pipeline (recipients, rendering, every message) and show or write the
    result instead of sending it. Nothing is sent. For an embargoed release, contacts who
    do not accept embargoes are shown with the public version they get at the lift.

    Example: pressctl release preview PR106-2020.en.md --to claire.fontaine@gazette-espace.example.org
    """
    from pressctl.errors import InvalidInput
    from pressctl.releases.compose import build_messages, load_release_set, select_recipients

    st = state(ctx)
    book = st.book()
    today, now = _today_and_now()
    releases = load_release_set(file, today)
    for warning in releases.warnings:
        st.out.warn(str(warning))
    recipients = select_recipients(book, releases, audience, only=to)
    if not recipients:
        raise InvalidInput(f"{file}: nobody to send to", hint="check the audience and opt-outs")
    chosen = fmt or ("summary" if all_ or not to or len(recipients) > 1 else "text")
    if chosen not in ("summary", "text", "html", "eml"):
        raise typer.BadParameter(f"--format {chosen!r}: use summary, text, html or eml")
    built = build_messages(book, releases, recipients, _templates(st, templates), now=now)
    if out is not None:
        built = _write_all(built, out)
    if chosen == "summary":
        _summary(st, built, json_out)  # rows only: 10,000 messages are never held at once
        if out is not None:
            st.out.info(f"Wrote the messages into {out}")
    else:
        for message in built:
            _show(st, message, chosen)
    if releases.main.embargo is not None:
        public = sum(not r.embargoed for r in recipients)
        if public:
            st.out.info(f"{public} recipient(s) do not accept embargoes: they get the public "
                        "version at the lift, not the embargoed one")


def _write_all(built, folder: Path):
    """Pass messages through, writing each as .eml (and its HTML and .ics) into folder,
    privately (0600) and atomically: they carry the recipients' names and addresses."""
    import email
    import email.policy
    import re

    from pressctl.config import write_private_file

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for number, message in enumerate(built, 1):
        slug = re.sub(r"[^a-z0-9]+", "-", message.recipient.address.lower()).strip("-")
        stem = folder / f"{number:05d}-{slug}"
        write_private_file(stem.with_suffix(".eml"), message.raw)
        parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
        for part in parsed.walk():
            if part.get_content_type() == "text/html":
                html = part.get_content().replace("\r\n", "\n")  # the wire's CRLF
                write_private_file(stem.with_suffix(".html"), html)
            elif part.get_content_type() == "text/calendar":
                write_private_file(stem.with_suffix(".ics"), part.get_payload(decode=True))
        yield message


def _summary(st: State, messages, as_json: bool) -> None:
    rows = [{
        "recipient": f"{m.recipient.contact.name} <{m.recipient.address}>",
        "language": m.recipient.version.language,
        "version": Path(m.recipient.version.path).name,
        "copy": "embargoed" if m.recipient.embargoed else "public",
        "embargoed": m.recipient.embargoed,
        "size": len(m.raw),
        "attachments": m.attachments,
        "calendar": m.has_calendar,
    } for m in messages]
    if as_json:
        st.out.json(rows)
        return
    st.out.table(("recipient", "language", "version", "copy", "size", "attachments",
                  "calendar"),
                 [(r["recipient"], r["language"], r["version"], r["copy"],
                   f"{r['size'] / 1024:.1f} KB", r["attachments"], r["calendar"]) for r in rows])
    st.out.info(f"{len(rows)} message(s) built; nothing was sent")


def _show(st: State, message, fmt: str) -> None:
    import email
    import email.policy
    import sys

    if fmt == "eml":
        sys.stdout.buffer.write(message.raw)
        return
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    wanted = "text/html" if fmt == "html" else "text/plain"
    body = next((p.get_content() for p in parsed.walk() if p.get_content_type() == wanted), "")
    body = body.replace("\r\n", "\n")  # the wire's CRLF, not the terminal's
    if fmt == "html":
        st.out.line(body)
        return
    st.out.record([(name, str(parsed[name])) for name in ("From", "To", "Subject", "Date")
                   if parsed[name] is not None])
    st.out.line("")
    st.out.line(body.rstrip("\n"))

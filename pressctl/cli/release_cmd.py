"""`pressctl release ...` (and its alias `pressctl invite ...`): new, check, preview, proof,
and for an invitation already sent, update and cancel (its event; the two groups share the
commands, so `release update` works for a release with an [event] too)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import Json, State, TemplatesDir, state
from pressctl.times import iso

app = typer.Typer(no_args_is_help=True)

ReleasePath = Annotated[Path, typer.Argument(help="The release file.")]


def _templates(st: State, folder: Path | None):
    from pressctl.releases.templating import Templates

    return Templates(folder or st.paths.templates_dir)


def _today_and_now() -> tuple[date, datetime]:
    now = datetime.now().astimezone()
    return now.date(), now


@app.command("new")
def new(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The release file to create (.md).")],
    kind: Annotated[str | None, typer.Option(
        "--kind", help="release, invitation or advisory.")] = None,
    org: Annotated[list[str] | None, typer.Option(
        "--org", help="Organisation (repeat for a joint release).")] = None,
    language: Annotated[str, typer.Option(
        "--lang", help="Language of the release (en, fr).")] = "en",
) -> None:
    """Write a filled-in release file to start from (never overwrites).

    Example: pressctl release new PR107-2020.md --org CNES --org SFR --kind invitation
    """
    from pressctl.config import write_private_file
    from pressctl.errors import InvalidInput
    from pressctl.releases.documents import KINDS
    from pressctl.releases.skeleton import skeleton

    st = state(ctx)
    invite = ctx.parent is not None and ctx.parent.info_name == "invite"
    chosen = kind or ("invitation" if invite else "release")
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
    file: ReleasePath,
    templates: TemplatesDir = None,
    json_out: Json = False,
) -> None:
    """Check a release in one pass: front matter, zones, embargo, event, contacts,
    organisations, templates, attachments, links (exit 3 on errors).

    Example: pressctl release check PR106-2020.en.md
    """
    from pressctl.errors import EXIT_INVALID
    from pressctl.releases.checking import check_release

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


FORMATS = ("summary", "text", "html", "eml")


@app.command("preview")
def preview(
    ctx: typer.Context,
    file: ReleasePath,
    to: Annotated[list[str] | None, typer.Option(
        "--to", help="Only this contact (id, e-mail or name; repeat).")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Build every recipient's message and summarise.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="summary, text, html or eml.")] = "",
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write .eml (+ .html, .ics) files into this folder.")] = None,
    audience: Annotated[str | None, typer.Option(
        "--audience", help="Filter overriding the release's, e.g. 'tag:space and lang:fr'.")
    ] = None,
    templates: TemplatesDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Summary as JSON.")] = False,
) -> None:
    """Run the real pipeline (recipients, rendering, every message) and show or write the
    result instead of sending it. Nothing is sent. For an embargoed release, contacts who
    do not accept embargoes are shown with the public version they get at the lift.

    Example: pressctl release preview PR106-2020.en.md --to claire.fontaine@gazette-espace.example.org
    """  # noqa: E501 (an example is one line to copy: typer's help keeps the docstring's breaks)
    from collections.abc import Iterator

    from pressctl.cli.preview_summary import print_preview_summary
    from pressctl.releases.checking import load_release_set
    from pressctl.releases.planning import stream_messages
    from pressctl.releases.preview import preview_recipients, write_previews
    from pressctl.releases.recipients import Recipient

    st = state(ctx)
    book = st.book()
    today, now = _today_and_now()
    releases = load_release_set(file, today)
    for warning in releases.warnings:
        st.out.warn(str(warning))
    # Read, built, written and summed up one recipient at a time: --all for 300,000
    # contacts holds none of them for the whole run (bench/bench_mailout.py).
    recipients = preview_recipients(book, file, releases, audience, only=to)
    named: list[Recipient] = []
    if to:  # a few, named: how many decides the format
        named = list(recipients)
        recipients = iter(named)
    chosen = fmt or ("summary" if all_ or not to or len(named) > 1 else "text")
    if chosen not in FORMATS:
        raise typer.BadParameter(f"--format {chosen!r}: use summary, text, html or eml")
    public = 0

    def counted() -> Iterator[Recipient]:
        nonlocal public
        for recipient in recipients:
            public += not recipient.embargoed
            yield recipient

    built = stream_messages(book, releases, counted(), _templates(st, templates), now=now)
    if out is not None:
        built = (written.message for written in write_previews(built, out))
    if chosen == "summary":
        print_preview_summary(st.out, built, as_json=json_out)
        if out is not None:
            st.out.info(f"Wrote the messages into {out}")
    else:
        for message in built:
            _show(st, message.raw, chosen)
    if releases.main.embargo is not None and public:
        st.out.info(f"{public} recipient(s) do not accept embargoes: they get the public "
                    "version at the lift, not the embargoed one")


def _show(st: State, raw: bytes, fmt: str) -> None:
    import sys

    from pressctl.releases.preview import read_back

    if fmt == "eml":
        sys.stdout.buffer.write(raw)
        return
    message = read_back(raw)
    if fmt == "html":
        st.out.line(message.html)
        return
    st.out.record(message.headers)
    st.out.line("")
    st.out.line(message.text.rstrip("\n"))


@app.command("proof")
def proof(
    ctx: typer.Context,
    file: ReleasePath,
    to: Annotated[str, typer.Option(
        "--to", help="Your own address: the proof goes there, never to the journalist.")],
    as_contact: Annotated[str | None, typer.Option(
        "--as", help="Whose copy (id, e-mail or name); default: the first of the audience. "
                     "(Who is acting is `pressctl --as NAME release proof ...`.)")] = None,
    audience: Annotated[str | None, typer.Option(
        "--audience", help="Filter overriding the release's, as `mailout create` takes it.")
    ] = None,
    templates: TemplatesDir = None,
    json_out: Json = False,
) -> None:
    """Send yourself the real message one recipient would get (their language, salutation,
    embargoed or public copy, invitation, attachments), marked [PROOF], through the
    configured relay (else the home's Maildir). Nothing is recorded: no mailout, and the
    journalist is never mailed. Exit 5 when the relay does not take it.

    Example: pressctl release proof PR106-2020.en.md --to pascale.bresson@cnes.fr --as claire.fontaine@gazette-espace.example.org
    """  # noqa: E501 (an example is one line to copy: typer's help keeps the docstring's breaks)
    from pressctl.delivery.proof import send_proof
    from pressctl.delivery.run import transport_for

    st = state(ctx)
    book = st.book()
    _, now = _today_and_now()
    report = send_proof(book, file, to=to, as_contact=as_contact, audience=audience,
                        templates=_templates(st, templates), now=now,
                        transports=transport_for(book.settings, st.paths.delivery_dir, st.env))
    for warning in report.warnings:
        st.out.warn(str(warning))
    if json_out:
        st.out.json({"reference": report.reference, "to": report.to,
                     "contact": {"id": report.contact_id, "name": report.contact_name,
                                 "email": report.address, "chosen": report.chosen},
                     "language": report.language, "copy": report.copy,
                     "calendar": report.calendar, "attachments": report.attachments,
                     "subject": report.subject, "message_id": report.message_id,
                     "via": report.via, "reply": report.reply})
    else:
        st.out.line(report.summary())


# -- an invitation already sent: `invite update`, `invite cancel` ------------------------------

When = Annotated[str | None, typer.Option(
    "--at", help='When (default: at once): "in 2h", "2026-11-23 09:00 Europe/Paris", "now" '
                 'or "lift" (the embargo lift: the public copy, to everyone it goes to).')]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Approve without asking (scripts).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Everything but storing it.")]


@app.command("update")
def update(
    ctx: typer.Context,
    file: ReleasePath,
    at: When = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    templates: TemplatesDir = None,
    json_out: Json = False,
) -> None:
    """Send the changed event (time, link, venue, passcode...) to exactly those who received
    the invitation, as a new mailout: same UID, SEQUENCE raised, the changes named at the
    top. Refused (exit 3) when nothing changed, or the invitation was never sent.

    Example: pressctl invite update briefing.md --yes
    """
    from pressctl.delivery.events import plan_update

    st = state(ctx)
    _, now = _today_and_now()
    plan = plan_update(st.book(), file, at=at, now=now)
    _approve(st, plan, file, yes=yes, dry_run=dry_run, templates=templates, json_out=json_out)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    file: ReleasePath,
    note: Annotated[str | None, typer.Option(
        "--note", help="Why, or what instead: shown at the top of the message.")] = None,
    at: When = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    templates: TemplatesDir = None,
    json_out: Json = False,
) -> None:
    """Cancel the event: METHOD:CANCEL with the same UID and a raised SEQUENCE, to exactly
    those who received the invitation (their calendars remove it), the note first. The
    event is then marked cancelled; a second cancel is refused (exit 3).

    Example: pressctl invite cancel briefing.md --note "Postponed to October; a new invitation follows." --yes
    """  # noqa: E501 (an example is one line to copy: typer's help keeps the docstring's breaks)
    from pressctl.delivery.events import plan_cancel

    st = state(ctx)
    _, now = _today_and_now()
    plan = plan_cancel(st.book(), file, note=note, at=at, now=now)
    _approve(st, plan, file, yes=yes, dry_run=dry_run, templates=templates, json_out=json_out)


def _approve(st: State, plan, file: Path, *, yes: bool, dry_run: bool,
             templates: Path | None, json_out: bool) -> None:
    """Show what will go out, ask (unless --yes), freeze it: as `mailout create` does."""
    from pressctl.delivery.events import store_event_mailout
    from pressctl.delivery.unsubscribe import ensure_key, load_key

    for warning in plan.warnings:
        st.out.warn(str(warning))
    mailout = plan.mailout
    item: dict = {
        "kind": plan.kind, "reference": mailout.releases.main.reference, "uid": plan.uid,
        "sequence": plan.sequence, "previous_sequence": plan.previous,
        "phase": mailout.phase, "due": iso(mailout.due_at),
        "recipients": len(mailout.recipients),
        "languages": sorted({r.version.language for r in mailout.recipients}),
        "changes": {language: [{"what": c.what, "value": c.value} for c in changes]
                    for language, changes in plan.notice.changes.items()},
        "note": plan.notice.note, "earlier_mailouts": plan.earlier,
        "skipped": [{"name": s.name, "address": s.address, "reason": s.reason}
                    for s in plan.skipped],
    }
    if not json_out:
        st.out.record([("event", f"{item['reference']} ({plan.uid})"), ("sends", plan.kind),
                       ("sequence", f"{plan.previous} -> {plan.sequence}"),
                       *[(f"changes ({language})", "; ".join(
                           f"{c['what']}: {c['value'] or 'removed'}" for c in changes))
                         for language, changes in item["changes"].items() if changes],
                       *([("note", plan.notice.note)] if plan.notice.note else []),
                       ("phase", mailout.phase), ("due", item["due"]),
                       ("recipients", item["recipients"]),
                       ("languages", ",".join(item["languages"])),
                       ("skipped", len(plan.skipped))])
        for skipped in plan.skipped:
            st.out.warn(f"skipped {skipped.name} <{skipped.address}>: {skipped.reason}")
    if dry_run:
        if json_out:
            st.out.json(item)
        st.out.info("Dry run: nothing stored")
        return
    if not yes:
        from pressctl.cli.prompts import confirm_or_stop, interactive

        if not interactive():
            raise typer.BadParameter("not on a terminal: pass --yes to approve the "
                                     f"{plan.kind.noun}")
        confirm_or_stop(f"Send the {plan.kind.noun} to {len(mailout.recipients)} "
                        "recipient(s)?", "Nothing approved: no mailout was stored.")
    ensure_key(st.paths.unsubscribe_key)  # homes made before one-click tokens have none
    mailout_id = store_event_mailout(st.book(), plan, _templates(st, templates), path=file,
                                     token_key=load_key(st.paths.unsubscribe_key))
    if json_out:
        st.out.json({"id": mailout_id, **item})
    st.out.info(f"Mailout #{mailout_id} ({plan.kind.noun}, SEQUENCE {plan.sequence}): "
                f"{len(mailout.recipients)} message(s) due {item['due']}; "
                "`pressctl outbox run` (or cron) delivers it")


@app.command("rsvps")
def rsvps(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(
        help="The release reference (PR106-2020), a mailout id, or the event's UID.")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="csv: UTF-8, commas, a header row (no e-mail addresses).")] = None,
    json_out: Json = False,
) -> None:
    """The attendance list of a press conference: name, outlet, answer and when, for
    everyone invited (answers recorded by `pressctl inbox import`), then answers from
    people it was not sent to; counts of accepted, declined, tentative and no answer.

    Example: pressctl invite rsvps PR106-2020 --format csv > door.csv
    """
    import sys

    from pressctl.book.rsvps import counts_line, rsvp_csv, rsvp_json, rsvp_list
    from pressctl.errors import InvalidInput

    if fmt not in (None, "csv"):
        raise InvalidInput(f"--format {fmt!r} is not a format of the attendance list",
                           hint="use --format csv, or --json")
    st = state(ctx)
    book = st.book()
    found = rsvp_list(book, ref)
    if json_out:
        st.out.json(rsvp_json(found))
    elif fmt == "csv":
        sys.stdout.write(rsvp_csv(found, book.zone))
    else:
        from pressctl.cli.tables import Col
        from pressctl.cli.views import local_time

        # The answer times as every listing shows them (with the zone's name); the CSV
        # keeps rsvp_rows' plain times.
        columns = (Col("name", priority=1, min_width=16),
                   Col("outlet", priority=1, min_width=14),
                   Col("answer", priority=1, overflow="whole"),
                   Col("answered", priority=2, overflow="whole"),
                   Col("invited", priority=3, overflow="whole"))
        people = [(p, invited) for group, invited in ((found.invited, "yes"),
                                                      (found.others, "no")) for p in group]
        st.out.table(columns, [(p.name, p.outlet or "", str(p.answer),
                                local_time(p.answered_at, book.zone), invited)
                               for p, invited in people],
                     title=f"{found.reference} ({found.uid})")
    st.out.info(counts_line(found))

"""Embargo consent is structural (issue 7, findings 1 and 2), end to end.

`mailout create` then `outbox run` through the CLI, against a real SMTP server (aiosmtpd
on loopback); what the SERVER received is what is checked. The sample book has 21
journalists who may be mailed (one more opted out): 13 accept embargoes, 8 do not, and
one of those notes says "does not sign embargo agreements".

The release's embargo lifts in 2099. To deliver the public phase, the tests move the
stored due time of the public mailout to a minute ago in the test database (``lift_now``)
and run `outbox run` as cron would: the frozen messages are untouched, only the moment
changes. The corners
of falling back from the embargoed to the public phase are driven in-process with an
injected clock (``test_mailout.deliver``, the one delivery helper of the core tests).
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
import os
import pty
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES, db_snapshot, home_store
from mailing import APPROVED, KEY, LIFT, Clock, deliver, edit_front, release

from pressctl.book.contacts import edit_contact, remove_contacts
from pressctl.delivery import mailouts as mailout
from pressctl.delivery.transport import RecordingTransport
from pressctl.delivery.unsubscribe import load_key, unsubscribe_token
from pressctl.releases.templating import Templates

UNSUBSCRIBE_URL = "https://presse.example.org/unsubscribe?t={token}"
CLAIRE = "claire.fontaine@gazette-espace.example.org"  # accepts embargoes
ANAIS = "anais.gauthier@sante-hebdo.example.org"  # "Does not sign embargo agreements"
RETIRED = ("embargo_only is no longer needed: pressctl sends the embargoed version only to "
           "contacts who accept embargoes, and the public version to the others at the lift; "
           "remove this line")


def _journalists() -> tuple[set[str], set[str]]:
    """(first addresses of the journalists who accept embargoes, of those who do not),
    opted-out ones left out, read from the sample file itself."""
    accept, refuse = set(), set()
    with (SAMPLES / "contacts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "journalist" and row["opted_out"] == "false":
                address = row["emails"].split(";")[0].strip()
                (accept if row["embargo_ok"] == "true" else refuse).add(address)
    return accept, refuse


ACCEPT, REFUSE = _journalists()


def test_the_sample_book_is_the_one_the_issue_describes():
    assert (len(ACCEPT), len(REFUSE)) == (13, 8)
    assert CLAIRE in ACCEPT and ANAIS in REFUSE


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def relay(sample_book, home, smtp_server):
    """The sample book, with config.toml pointing at the aiosmtpd server and a one-click
    unsubscribe URL; returns the server."""
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "plain"\n'
        f'[sender]\nunsubscribe_url = "{UNSUBSCRIBE_URL}"\n', encoding="utf-8")
    return smtp_server


@pytest.fixture
def embargoed(tmp_path) -> Path:
    """The seed release (en + fr, embargo and press conference) moved to 2099."""
    folder = tmp_path / "release"
    folder.mkdir()
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        text = text.replace("2020-09-2", "2099-09-2")  # date, embargo, event start
        (folder / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return folder / "PR106-2020.en.md"


def create(cli, path: Path, *options: str) -> list[dict]:
    result = cli("mailout", "create", path, "--audience", "kind:journalist", *options,
                 "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def run_outbox(cli) -> None:
    result = cli("outbox", "run")
    assert result.exit_code == 0, result.stderr


def lift_now(home: Path, phase: str = "public") -> None:
    """Move the due time of the ``phase`` mailouts to a minute ago (see the module
    docstring): just past, so that no "give up after" age is reached."""
    moment = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with home_store(home) as store, store.transaction():
        store.db.execute("UPDATE mailouts SET due_at = ? WHERE phase = ?", (moment, phase))


def received(server) -> list[tuple[str, email.message.EmailMessage]]:
    """(recipient, parsed message) of everything the server accepted, in order."""
    found = []
    for message in server.messages:
        [recipient] = message.rcpt_tos
        found.append((recipient, email.message_from_bytes(message.data,
                                                          policy=email.policy.default)))
    return found


def text_of(message) -> str:
    return "\n".join(message.get_body((kind,)).get_content() for kind in ("plain", "html"))


def is_embargoed(message) -> bool:
    embargo_notice = ("Embargoed until" in text_of(message)
                      or "Sous embargo jusqu" in text_of(message))
    assert str(message["Subject"]).startswith("EMBARGO") == embargo_notice
    return embargo_notice


def rows_of(cli, mailout_id: int) -> dict[str, dict]:
    shown = cli("mailout", "show", str(mailout_id), "--json")
    assert shown.exit_code == 0, shown.stderr
    return {row["address"]: row for row in json.loads(shown.stdout)["rows"]}


# --------------------------------------------------------------------------- the default


def test_by_default_embargoed_copy_only_to_who_accepts_embargoes_the_rest_public_at_lift(
        sample_book, relay, home, embargoed):
    # Finding 1 of issue 7: the embargoed version went to all 21, with no warning.
    cli = sample_book
    created = create(cli, embargoed)
    assert [m["phase"] for m in created] == ["embargoed", "public"]
    first, second = created
    assert (first["phase"], first["recipients"], first["embargoed"]) == ("embargoed", 13, True)
    assert (second["phase"], second["recipients"], second["embargoed"]) == ("public", 8, False)
    assert datetime.fromisoformat(second["due"]) == datetime(2099, 9, 22, 9, 30, tzinfo=UTC)
    run_outbox(cli)
    before_lift = received(relay)
    assert sorted(r for r, _ in before_lift) == sorted(ACCEPT)
    assert all(is_embargoed(message) for _, message in before_lift)
    run_outbox(cli)  # the lift is still ahead: nothing more
    assert len(relay.messages) == 13
    lift_now(home)
    run_outbox(cli)
    at_lift = received(relay)[13:]
    assert sorted(r for r, _ in at_lift) == sorted(REFUSE)
    assert not any(is_embargoed(message) for _, message in at_lift)
    counts = Counter(r for r, _ in received(relay))
    assert set(counts.values()) == {1} and set(counts) == ACCEPT | REFUSE  # nothing twice
    [(_, anais)] = [(r, m) for r, m in received(relay) if r == ANAIS]
    assert str(anais["Subject"]) == "Le CNES s'associe à la Société Française de Radiologie"
    run_outbox(cli)
    assert len(relay.messages) == 21


def test_no_public_leaves_out_who_does_not_accept_embargoes_and_says_how_many(
        sample_book, relay, home, embargoed):
    cli = sample_book
    dry = cli("mailout", "create", embargoed, "--audience", "kind:journalist", "--no-public",
              "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    header, *rows = [line.split("\t") for line in dry.stdout.splitlines()]
    assert header == ["phase", "due", "recipients", "languages", "embargoed", "get nothing"]
    assert [(row[0], row[2], row[-1]) for row in rows] == [("embargoed", "13", "8")]
    assert ("Warning: " + str(embargoed) + ": 8 contact(s) of the audience do not accept "
            "embargoes and get nothing (--no-public)") in dry.stderr
    [only] = create(cli, embargoed, "--no-public")
    assert (only["phase"], only["recipients"], only["left_out"]) == ("embargoed", 13, 8)
    run_outbox(cli)
    lift_now(home)
    run_outbox(cli)
    assert sorted(r for r, _ in received(relay)) == sorted(ACCEPT)  # the 8 get nothing
    listed = json.loads(cli("mailout", "list", "--json").stdout)
    assert [m["phase"] for m in listed] == ["embargoed"]


def test_the_old_public_at_lift_flag_still_works(sample_book, relay, embargoed):
    cli = sample_book
    first, second = create(cli, embargoed, "--public-at-lift")
    assert (first["recipients"], second["phase"], second["recipients"]) == (13, "public", 8)


def test_at_lift_one_public_mailout_goes_to_everyone(sample_book, relay, home, embargoed):
    cli = sample_book
    [single] = create(cli, embargoed, "--at", "lift")
    assert (single["phase"], single["recipients"], single["embargoed"]) == ("single", 21, False)
    run_outbox(cli)
    assert relay.messages == []  # due at the lift
    lift_now(home, "single")
    run_outbox(cli)
    assert sorted(r for r, _ in received(relay)) == sorted(ACCEPT | REFUSE)
    assert not any(is_embargoed(message) for _, message in received(relay))


@pytest.mark.subprocess
def test_the_confirmation_says_how_many_get_nothing(sample_book, home, embargoed,
                                                    console_script):
    # On a terminal `mailout create` asks; the question names who is left out.
    master, slave = pty.openpty()
    env = dict(os.environ, PRESSCTL_HOME=str(home), NO_COLOR="1")
    before = db_snapshot(home)
    try:
        run = subprocess.Popen([str(console_script), "mailout", "create", str(embargoed),
                                "--audience", "kind:journalist", "--no-public", "--now"],
                               stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env)
        os.write(master, b"n\n")
        out, err = run.communicate(timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert run.returncode == 6, err.decode()  # declined: not a bug (1)
    assert ("Approve 13 message(s); 8 contact(s) of the audience get nothing (they do not "
            "accept embargoes, --no-public)?") in err.decode()
    assert "Nothing approved: no mailout was stored." in err.decode()
    assert db_snapshot(home) == before


# --------------------------------------------------------------------------- consent withdrawn


def test_consent_withdrawn_after_approval_gets_the_public_copy_at_the_lift_instead(
        sample_book, relay, home, embargoed):
    # Finding 2 of issue 7: X received the embargoed copy.
    cli = sample_book
    first, second = create(cli, embargoed, "--at", "now")
    edited = cli("contacts", "edit", CLAIRE, "--no-embargo-ok")
    assert edited.exit_code == 0, edited.stderr
    run_outbox(cli)
    assert CLAIRE not in {r for r, _ in received(relay)}
    assert sorted(r for r, _ in received(relay)) == sorted(ACCEPT - {CLAIRE})
    row = rows_of(cli, first["id"])[CLAIRE]
    assert (row["state"], row["reply"]) == (
        "skipped", (f"no longer accepts embargoes: gets the public version at the lift "
                    f"(mailout #{second['id']})"))
    assert rows_of(cli, second["id"])[CLAIRE]["state"] == "queued"
    lift_now(home)
    run_outbox(cli)
    [(_, copy)] = [(r, m) for r, m in received(relay) if r == CLAIRE]
    assert not is_embargoed(copy)
    assert str(copy["Subject"]) == "Le CNES s'associe à la Société Française de Radiologie"
    token = unsubscribe_token(load_key(home / "unsubscribe.key"), second["id"], CLAIRE)
    assert f"t={token}>" in str(copy["List-Unsubscribe"])
    counts = Counter(r for r, _ in received(relay))
    assert set(counts.values()) == {1} and set(counts) == ACCEPT | REFUSE


def test_consent_withdrawn_without_a_public_phase_is_skipped_with_the_reason(
        sample_book, relay, home, embargoed):
    cli = sample_book
    [only] = create(cli, embargoed, "--at", "now", "--no-public")
    assert cli("contacts", "edit", CLAIRE, "--no-embargo-ok").exit_code == 0
    run_outbox(cli)
    lift_now(home)
    run_outbox(cli)
    assert CLAIRE not in {r for r, _ in received(relay)}
    assert len(relay.messages) == 12
    row = rows_of(cli, only["id"])[CLAIRE]
    assert (row["state"], row["reply"]) == (
        "skipped", "no longer accepts embargoes: no public phase (created with --no-public)")


# --------------------------------------------------------------------------- bad release files


@pytest.mark.parametrize("where", ["PR106-2020.en.md", "PR106-2020.fr.md"])
def test_a_release_file_with_embargo_only_is_refused_at_its_line_and_nothing_is_stored(
        sample_book, relay, home, embargoed, where):
    # Finding 1 of issue 7: embargo_only = true in a translation was silently ignored.
    cli = sample_book
    edit_front(embargoed.with_name(where), 'place = "Paris"',
               'place = "Paris"\nembargo_only = true')
    before = db_snapshot(home)
    result = cli("mailout", "create", embargoed, "--yes")
    assert result.exit_code == 3 and result.stdout == ""
    shown = embargoed if where.endswith("en.md") else embargoed.with_name(where).resolve()
    assert f"{shown}:10: {RETIRED}" in result.stderr
    assert "Traceback" not in result.stderr
    assert db_snapshot(home) == before
    run_outbox(cli)
    assert relay.messages == []
    check = cli("release", "check", embargoed)
    assert check.exit_code == 3 and f"error: {shown}:10: {RETIRED}" in check.stdout


@pytest.mark.parametrize(("french", "why"), [
    ('embargo = "2099-09-22 11:00 Europe/Paris"',
     "every version of a release lifts at the same moment"),
    ('embargo = "2099-09-22 10:30 Europe/London"',
     "the same moment in another zone (Europe/London, not Europe/Paris)"),
])
def test_release_check_names_a_translation_that_disagrees_on_the_embargo(
        sample_book, relay, home, embargoed, french, why):
    cli = sample_book
    translation = embargoed.with_name("PR106-2020.fr.md")
    edit_front(translation, 'embargo = "2099-09-22 11:30 Europe/Paris"', french)
    check = cli("release", "check", embargoed)
    assert check.exit_code == 3
    [error] = [line for line in check.stdout.splitlines() if line.startswith("error: ")]
    written = re.search(r'"(.*)"', french).group(1)
    assert error.startswith(f'error: {translation.resolve()}:10: embargo "{written}" differs '
                            'from "2099-09-22 11:30 Europe/Paris" in PR106-2020.en.md: ')
    assert why in error
    before = db_snapshot(home)
    created = cli("mailout", "create", embargoed, "--yes")
    assert created.exit_code == 3 and f"{translation.resolve()}:10: " in created.stderr
    assert db_snapshot(home) == before


def test_release_check_names_a_translation_without_the_embargo(sample_book, embargoed):
    translation = embargoed.with_name("PR106-2020.fr.md")
    edit_front(translation, 'embargo = "2099-09-22 11:30 Europe/Paris"\n', "")
    check = sample_book("release", "check", embargoed)
    assert check.exit_code == 3
    assert (f"error: {translation.resolve()}: no embargo, but PR106-2020.en.md is embargoed "
            'until "2099-09-22 11:30 Europe/Paris"') in check.stdout


# --------------------------------------------------------------------------- one-click tokens


def test_every_message_received_carries_an_unguessable_one_click_token(
        sample_book, relay, home, embargoed):
    # Issue 7, small leaks: the token was the sequential contact id.
    cli = sample_book
    first, second = create(cli, embargoed)
    run_outbox(cli)
    lift_now(home)
    run_outbox(cli)
    key = load_key(home / "unsubscribe.key")
    ids = {c["emails"][0]: c["id"] for c in json.loads(
        cli("contacts", "list", "--json").stdout) if c["emails"]}
    tokens = []
    for recipient, message in received(relay):
        mailout_id = first["id"] if is_embargoed(message) else second["id"]
        token = unsubscribe_token(key, mailout_id, recipient)
        assert str(message["List-Unsubscribe"]).endswith(
            f"<{UNSUBSCRIBE_URL.format(token=token)}>")
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert token != str(ids[recipient])
        tokens.append(token)
    assert len(tokens) == len(set(tokens)) == 21


# --------------------------------------------------------------------------- falling back


@pytest.fixture
def core(book):
    """The sample book in the core (no CLI), for the corners driven with a clock."""
    from pressctl.book.importer import import_file
    from pressctl.book.orgs import import_orgs
    from pressctl.contacts.formats.files import open_contact_file

    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def plan_and_store(book, path: Path, **options) -> list[int]:
    plans = mailout.plan_mailouts(book, path, at=None, audience="kind:journalist",
                                  now=APPROVED, **options)
    return mailout.store_mailouts(book, plans, Templates(), path=path, token_key=KEY)


def withdraw(book, address: str) -> None:
    edit_contact(book, address, {"embargo_ok": False})


def row_of(book, mailout_id: int, address: str):
    [row] = [r for r in book.store.mailouts.rows(mailout_id) if r.address == address]
    return row


def test_withdrawn_consent_concerns_only_embargoed_rows(core, tmp_path):
    first, second = plan_and_store(core, release(tmp_path))
    rows = core.store.mailouts.rows(first) + core.store.mailouts.rows(second)
    assert core.store.consent.withdrawn_consent(r.id for r in rows) == set()  # the 8 are in public
    withdraw(core, CLAIRE)
    assert core.store.consent.withdrawn_consent(r.id for r in rows) == {row_of(core, first, CLAIRE).id}
    [single] = plan_and_store(core, release(tmp_path, embargo=None))
    assert core.store.consent.withdrawn_consent(r.id for r in core.store.mailouts.rows(single)) == set()


def test_a_contact_removed_after_approval_is_withheld_too(core, tmp_path):
    first, second = plan_and_store(core, release(tmp_path))
    remove_contacts(core, [CLAIRE])
    transport = RecordingTransport()
    deliver(core, Clock(APPROVED), transport)
    assert CLAIRE not in {address for _, address, _ in transport.sent}
    assert row_of(core, first, CLAIRE).reply == (
        f"no longer in the contact book: gets the public version at the lift (mailout #{second})")


def test_falling_back_reopens_a_public_phase_that_was_done(core, tmp_path):
    # The embargoed phase was paused past the lift; the public one finished meanwhile.
    # (The lift is 26.5 h after approval: past the default give_up_after of 24 h.)
    from dataclasses import replace

    from pressctl.book.session import Book

    delivery = replace(core.settings.delivery, give_up_after=timedelta(days=3))
    core = Book(core.store, replace(core.settings, delivery=delivery), core.now)
    first, second = plan_and_store(core, release(tmp_path))
    mailout.pause(core, first)
    clock, transport = Clock(LIFT), RecordingTransport()
    deliver(core, clock, transport)
    assert core.store.mailouts.get(second).state == "done"
    withdraw(core, CLAIRE)
    mailout.pause(core, first, resume=True)
    deliver(core, clock, transport)
    assert core.store.mailouts.get(second).state == "scheduled"  # one more row to send
    deliver(core, clock, transport)
    [(_, _, data)] = [sent for sent in transport.sent if sent[1] == CLAIRE]
    assert b"EMBARGO" not in data.split(b"\r\n\r\n")[0]
    assert core.store.mailouts.get(second).state == "done"
    assert row_of(core, second, CLAIRE).state == "sent"


def test_falling_back_into_a_cancelled_public_phase_sends_nothing(core, tmp_path):
    first, second = plan_and_store(core, release(tmp_path))
    mailout.cancel(core, second)
    withdraw(core, CLAIRE)
    clock, transport = Clock(APPROVED), RecordingTransport()
    deliver(core, clock, transport)
    clock.moment = LIFT
    deliver(core, clock, transport)
    assert CLAIRE not in {address for _, address, _ in transport.sent}
    assert row_of(core, first, CLAIRE).reply == (
        f"no longer accepts embargoes: the public version was cancelled (mailout #{second})")
    assert row_of(core, second, CLAIRE).state == "cancelled"


def test_falling_back_twice_adds_one_public_row(core, tmp_path):
    first, second = plan_and_store(core, release(tmp_path))
    withdraw(core, CLAIRE)
    row = row_of(core, first, CLAIRE)
    with core.store.transaction():
        first_reason = core.store.consent.fall_back_to_public(row.id, "2030-03-02T08:00:00Z")
        again = core.store.consent.fall_back_to_public(row.id, "2030-03-02T08:00:01Z")
    assert first_reason == again
    assert [r.address for r in core.store.mailouts.rows(second)].count(CLAIRE) == 1


def test_falling_back_happens_inside_a_transaction_or_not_at_all(core, tmp_path):
    first, second = plan_and_store(core, release(tmp_path))
    row = row_of(core, first, CLAIRE)
    with pytest.raises(RuntimeError, match="inside a transaction"):
        core.store.consent.fall_back_to_public(row.id, "2030-03-02T08:00:00Z")
    assert row_of(core, first, CLAIRE).state == "queued"
    assert CLAIRE not in {r.address for r in core.store.mailouts.rows(second)}

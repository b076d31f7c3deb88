"""Schema changes of the contact book, in order. Append only: never edit a shipped one.

Each migration has a name recorded in ``schema_migrations`` once applied, its SQL, and
optionally a Python step run after the SQL in the same transaction (to fill new columns
from values SQL cannot compute). The SQL is written once for SQLite and PostgreSQL
(pressctl.store.dialect rewrites it for PostgreSQL); a Python step is told which engine
it runs on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pressctl.contacts.model import sort_key
from pressctl.store.search import create_index as _create_search_index
from pressctl.store.search import drop_document_sizes as _drop_document_sizes


@dataclass(frozen=True, slots=True)
class Migration:
    """One named schema change: its SQL statements, then its Python step if any."""

    name: str  # recorded in schema_migrations once applied
    sql: str  # statements separated by ";"
    python_step: Callable[[Any, str], None] | None = None  # (connection, dialect)


def _fill_sort_names(db: Any, dialect: str) -> None:
    rows = db.execute("SELECT id, name FROM contacts").fetchall()
    db.executemany("UPDATE contacts SET sort_name = ? WHERE id = ?",
                   [(sort_key(name), cid) for cid, name in rows])


def _number_tags(db: Any, dialect: str) -> None:
    if dialect != "sqlite":
        return  # a PostgreSQL book starts at this version: no tag was stored before it
    positions: dict[int, int] = {}
    updates = []
    for contact_id, tag in db.execute(
            "SELECT contact_id, tag FROM contact_tags ORDER BY contact_id, rowid").fetchall():
        position = positions.get(contact_id, 0)
        positions[contact_id] = position + 1
        updates.append((position, contact_id, tag))
    db.executemany("UPDATE contact_tags SET position = ? WHERE contact_id = ? AND tag = ?",
                   updates)


def _fill_phone_forms(db: Any, dialect: str) -> None:
    from pressctl.store.contacts import fill_phone_forms  # it imports this module

    fill_phone_forms(db)


MIGRATIONS: list[Migration] = [
    Migration(
        "0001_contacts_and_organizations",
        """
        CREATE TABLE organizations (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
            short_name  TEXT UNIQUE COLLATE NOCASE,
            country     TEXT,
            website     TEXT,
            created     TEXT NOT NULL,
            updated     TEXT NOT NULL
        );
        CREATE TABLE organization_about (
            org_id      INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            language    TEXT NOT NULL,
            text        TEXT NOT NULL,
            PRIMARY KEY (org_id, language)
        );
        CREATE TABLE contacts (
            id           INTEGER PRIMARY KEY,
            name         TEXT NOT NULL,
            kind         TEXT NOT NULL CHECK (kind IN ('officer', 'journalist', 'other')),
            role         TEXT,
            organization TEXT,
            outlet       TEXT,
            languages    TEXT NOT NULL DEFAULT '',
            country      TEXT,
            notes        TEXT,
            embargo_ok   INTEGER NOT NULL DEFAULT 0,
            opted_out    INTEGER NOT NULL DEFAULT 0,
            created      TEXT NOT NULL,
            updated      TEXT NOT NULL
        );
        CREATE INDEX contacts_organization ON contacts (organization COLLATE NOCASE);
        CREATE TABLE contact_emails (
            contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            position    INTEGER NOT NULL,
            address     TEXT NOT NULL,
            key         TEXT NOT NULL UNIQUE,
            PRIMARY KEY (contact_id, position)
        );
        CREATE TABLE contact_phones (
            contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            position    INTEGER NOT NULL,
            e164        TEXT NOT NULL,
            extension   TEXT,
            type        TEXT NOT NULL,
            label       TEXT,
            PRIMARY KEY (contact_id, position)
        );
        CREATE TABLE contact_tags (
            contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            tag         TEXT NOT NULL,
            PRIMARY KEY (contact_id, tag)
        );
        CREATE INDEX contact_tags_tag ON contact_tags (tag);
        """,
        None,
    ),
    Migration(
        # Lists sort "Élodie" with the E's, not after "Zoé" (SQLite's NOCASE is ASCII only).
        "0002_contacts_sort_name",
        """
        ALTER TABLE contacts ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
        CREATE INDEX contacts_sort_name ON contacts (sort_name, id);
        """,
        _fill_sort_names,
    ),
    Migration(
        "0003_saved_audiences",
        """
        CREATE TABLE audiences (
            name        TEXT PRIMARY KEY,
            expression  TEXT NOT NULL,
            created     TEXT NOT NULL,
            updated     TEXT NOT NULL
        );
        """,
        None,
    ),
    Migration(
        # Mailouts freeze what was approved: the variants (rendered parts) and one row per
        # recipient with its personal parts, so later edits change nothing but opt-outs.
        "0004_mailouts",
        """
        CREATE TABLE mailouts (
            id            INTEGER PRIMARY KEY,
            reference     TEXT NOT NULL,
            release_path  TEXT NOT NULL,
            phase         TEXT NOT NULL CHECK (phase IN ('single', 'embargoed', 'public')),
            linked_to     INTEGER REFERENCES mailouts(id),
            due_at        TEXT NOT NULL,
            state         TEXT NOT NULL CHECK (state IN ('scheduled', 'paused', 'cancelled', 'done')),
            domain        TEXT NOT NULL,
            created       TEXT NOT NULL,
            updated       TEXT NOT NULL
        );
        CREATE TABLE mailout_variants (
            mailout_id    INTEGER NOT NULL REFERENCES mailouts(id) ON DELETE CASCADE,
            number        INTEGER NOT NULL,
            frozen        BLOB NOT NULL,
            PRIMARY KEY (mailout_id, number)
        );
        CREATE TABLE mailout_rows (
            id              INTEGER PRIMARY KEY,
            mailout_id      INTEGER NOT NULL REFERENCES mailouts(id) ON DELETE CASCADE,
            variant         INTEGER NOT NULL,
            contact_id      INTEGER,
            name            TEXT NOT NULL,
            address         TEXT NOT NULL,
            salutation      TEXT NOT NULL,
            message_id      TEXT NOT NULL,
            token           TEXT NOT NULL,
            state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending',
                            'sent', 'failed', 'skipped', 'cancelled', 'unknown')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            reply           TEXT,
            claimed_by      TEXT,
            updated         TEXT NOT NULL,
            sent_at         TEXT,
            UNIQUE (mailout_id, address)
        );
        CREATE INDEX mailout_rows_work ON mailout_rows (mailout_id, state, next_attempt_at);
        CREATE TABLE suppressions (
            key       TEXT PRIMARY KEY,
            address   TEXT NOT NULL,
            reason    TEXT NOT NULL,
            created   TEXT NOT NULL
        );
        """,  # noqa: E501 - a shipped migration's SQL is never edited, not even reflowed
        None,
    ),
    Migration(
        # Issue 7, delivery a press office can trust:
        # - an embargoed row carries what its recipient needs to get the public version
        #   instead (variant of the linked public mailout, Message-ID, unsubscribe token),
        #   for when they withdraw embargo consent after approval;
        # - one delivery run per database at a time: a lease with a heartbeat, stored here
        #   (never in a home folder) so that homes and machines sharing the database agree;
        # - opt-outs are kept by address (suppressions), and lifting one is recorded;
        # - an index that keeps a run's claims O(1) per message on 100,000-row mailouts,
        #   and one to find a row by its one-click unsubscribe token.
        "0005_delivery_trust",
        """
        ALTER TABLE mailout_rows ADD COLUMN fallback_variant INTEGER;
        ALTER TABLE mailout_rows ADD COLUMN fallback_message_id TEXT;
        ALTER TABLE mailout_rows ADD COLUMN fallback_token TEXT;
        CREATE INDEX mailout_rows_queue ON mailout_rows (mailout_id, state);
        CREATE INDEX mailout_rows_token ON mailout_rows (token);
        CREATE TABLE outbox_lease (
            name          TEXT PRIMARY KEY,
            run_id        TEXT NOT NULL,
            host          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            pid_started   TEXT,
            acquired_at   TEXT NOT NULL,
            heartbeat_at  TEXT NOT NULL,
            expires_at    TEXT NOT NULL
        );
        ALTER TABLE suppressions ADD COLUMN note TEXT;
        INSERT OR IGNORE INTO suppressions (key, address, reason, created)
            SELECT e.key, e.address, 'opted out', c.updated
            FROM contact_emails e JOIN contacts c ON c.id = e.contact_id
            WHERE c.opted_out = 1;
        CREATE TABLE optins (
            id                 INTEGER PRIMARY KEY,
            key                TEXT NOT NULL,
            address            TEXT NOT NULL,
            suppressed_reason  TEXT,
            suppressed_at      TEXT,
            lifted_at          TEXT NOT NULL,
            note               TEXT NOT NULL
        );
        CREATE INDEX optins_key ON optins (key);
        """,
        None,
    ),
    Migration(
        # Issue 9, PostgreSQL: a contact's tags keep the order they were given in by a
        # position of their own, as e-mails and phones do (SQLite's hidden rowid gave it;
        # PostgreSQL has none).
        "0006_contact_tag_positions",
        """
        ALTER TABLE contact_tags ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
        """,
        _number_tags,
    ),
    Migration(
        # Issue 9, a team on one book:
        # - who did what: one row per change a person made (contacts, organisations,
        #   saved audiences, mailouts), written in the transaction of the change;
        # - no lost updates: every write of a contact or an organisation increments its
        #   version, and an edit writes only if the version it read is still there.
        "0007_team_changes",
        """
        CREATE TABLE changes (
            id            INTEGER PRIMARY KEY,
            at            TEXT NOT NULL,
            actor         TEXT NOT NULL,
            action        TEXT NOT NULL,
            subject_kind  TEXT NOT NULL,
            subject_id    TEXT NOT NULL,
            summary       TEXT NOT NULL
        );
        CREATE INDEX changes_subject ON changes (subject_kind, subject_id, id);
        CREATE INDEX changes_at ON changes (at, id);
        ALTER TABLE contacts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE organizations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        """,
        None,
    ),
    Migration(
        # Issue 9, several delivery workers on one PostgreSQL outbox:
        # - "about to send the final dot" is marked on the row itself (transmitting_at),
        #   where every worker sees it (another machine cannot read a dead worker's
        #   in-flight file); cleared when the row is settled;
        # - the relay's rate limit is shared by all workers: the next free send slot
        #   (microseconds since the epoch, on the database server's clock).
        "0008_delivery_workers",
        """
        ALTER TABLE mailout_rows ADD COLUMN transmitting_at TEXT;
        CREATE TABLE outbox_rate (
            name     TEXT PRIMARY KEY,
            next_us  INTEGER NOT NULL
        );
        """,
        None,
    ),
    Migration(
        # Issue 10, what comes back after a send (`pressctl inbox import`):
        # - every message taken in, by its idempotence key (the Message-ID, or a digest of
        #   a message without one): a message seen twice counts once;
        # - bounces, each tied to the mailout row it is about; the bouncing state of an
        #   address, kept as history (a cleared state keeps its row, with who cleared it,
        #   when and how): at most one open state per address;
        # - answers to invitations, one per event UID and attendee (the latest wins);
        # - people's replies, listed for follow-up with the row they answer;
        # - Message-IDs are looked up from bounces and replies: indexed.
        "0009_inbox",
        """
        CREATE TABLE inbox_messages (
            key          TEXT PRIMARY KEY,
            kind         TEXT NOT NULL CHECK (kind IN ('bounce', 'rsvp', 'unsubscribe',
                         'auto-reply', 'human-reply')),
            sender       TEXT,
            subject      TEXT NOT NULL,
            dated        TEXT,
            imported_at  TEXT NOT NULL,
            row_id       INTEGER REFERENCES mailout_rows(id) ON DELETE SET NULL,
            detail       TEXT
        );
        CREATE INDEX inbox_messages_kind ON inbox_messages (kind, imported_at);
        CREATE TABLE bounces (
            id           INTEGER PRIMARY KEY,
            message_key  TEXT NOT NULL REFERENCES inbox_messages(key) ON DELETE CASCADE,
            email_key    TEXT NOT NULL,
            address      TEXT NOT NULL,
            row_id       INTEGER REFERENCES mailout_rows(id) ON DELETE SET NULL,
            status_code  TEXT,
            severity     TEXT NOT NULL CHECK (severity IN ('hard', 'soft')),
            diagnostic   TEXT NOT NULL,
            at           TEXT NOT NULL,
            UNIQUE (message_key, email_key)
        );
        CREATE INDEX bounces_address ON bounces (email_key, at);
        CREATE TABLE bouncing (
            id           INTEGER PRIMARY KEY,
            email_key    TEXT NOT NULL,
            address      TEXT NOT NULL,
            since        TEXT NOT NULL,
            reason       TEXT NOT NULL,
            marked_at    TEXT NOT NULL,
            cleared_at   TEXT,
            cleared_by   TEXT,
            cleared_how  TEXT
        );
        CREATE UNIQUE INDEX bouncing_open ON bouncing (email_key) WHERE cleared_at IS NULL;
        CREATE INDEX bouncing_address ON bouncing (email_key, id);
        CREATE TABLE rsvps (
            uid          TEXT NOT NULL,
            email_key    TEXT NOT NULL,
            attendee     TEXT NOT NULL,
            partstat     TEXT NOT NULL CHECK (partstat IN ('ACCEPTED', 'DECLINED', 'TENTATIVE')),
            seq          INTEGER NOT NULL,
            dtstamp      TEXT NOT NULL,
            comment      TEXT,
            contact_id   INTEGER,
            row_id       INTEGER REFERENCES mailout_rows(id) ON DELETE SET NULL,
            message_key  TEXT NOT NULL REFERENCES inbox_messages(key),
            updated      TEXT NOT NULL,
            PRIMARY KEY (uid, email_key)
        );
        CREATE INDEX rsvps_contact ON rsvps (contact_id);
        CREATE TABLE replies (
            message_key  TEXT PRIMARY KEY REFERENCES inbox_messages(key) ON DELETE CASCADE,
            sender       TEXT NOT NULL,
            email_key    TEXT NOT NULL,
            subject      TEXT NOT NULL,
            dated        TEXT,
            row_id       INTEGER REFERENCES mailout_rows(id) ON DELETE SET NULL,
            imported_at  TEXT NOT NULL
        );
        CREATE INDEX replies_address ON replies (email_key, imported_at);
        CREATE INDEX replies_row ON replies (row_id);
        CREATE INDEX mailout_rows_message_id ON mailout_rows (message_id);
        CREATE INDEX mailout_rows_fallback_message_id ON mailout_rows (fallback_message_id);
        """,
        None,
    ),
    Migration(
        # Issue 10, events have a life (`invite update`, `invite cancel`): per event UID,
        # the SEQUENCE last sent (raised by pressctl, never by hand), the details of the
        # version last sent in each language, when it was approved and whether the event
        # was cancelled (pressctl.store.events).
        "0010_events",
        """
        CREATE TABLE events (
            uid           TEXT PRIMARY KEY,
            reference     TEXT NOT NULL,
            sequence      INTEGER NOT NULL CHECK (sequence >= 0),
            approved_at   TEXT NOT NULL,
            cancelled_at  TEXT,
            note          TEXT
        );
        CREATE INDEX events_reference ON events (reference);
        CREATE TABLE event_details (
            uid         TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,
            language    TEXT NOT NULL,
            title       TEXT NOT NULL,
            start_at    TEXT NOT NULL,
            end_at      TEXT NOT NULL,
            zone        TEXT NOT NULL,
            venue       TEXT,
            url         TEXT,
            meeting_id  TEXT,
            passcode    TEXT,
            dial_in     TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (uid, language)
        );
        CREATE INDEX mailouts_reference ON mailouts (reference);
        """,
        None,
    ),
    Migration(
        # Issue 10, GDPR (`contacts forget`): the secret of the keyed hashes that stand in
        # for a forgotten person's addresses (pressctl.book.forgotten). Kept in the book,
        # beside the suppressions it protects, so that it lives exactly as long as they
        # do (backups, `db copy`) and every home sharing the book hashes alike; created
        # by the first `forget`, never replaced.
        "0011_forget_key",
        """
        CREATE TABLE book_secrets (
            name     TEXT PRIMARY KEY,
            secret   TEXT NOT NULL,
            created  TEXT NOT NULL
        );
        """,
        None,
    ),
    Migration(
        # A contact's history (`contacts history`, `contacts show`, `export-person`) finds
        # its mailout rows by contact id and by address, whatever its case: without these,
        # every `contacts show` read the whole mailout_rows table.
        "0012_rows_by_contact",
        """
        CREATE INDEX mailout_rows_contact ON mailout_rows (contact_id);
        CREATE INDEX mailout_rows_address_lower ON mailout_rows (lower(address));
        """,
        None,
    ),
    Migration(
        # Issue 11: an organisation's names in each language ("Agence spatiale
        # canadienne", "ASC") and its French "of" form's data (article "la", or the whole
        # form "de l'Onera"; pressctl.contacts.french_forms). One row per organisation and
        # language; organizations.name and short_name stay the canonical names contacts
        # refer to.
        "0013_organization_names",
        """
        CREATE TABLE organization_names (
            org_id      INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            language    TEXT NOT NULL,
            name        TEXT,
            short_name  TEXT,
            article     TEXT,
            of_form     TEXT,
            PRIMARY KEY (org_id, language)
        );
        """,
        None,
    ),
    Migration(
        # Issue 11, a contact in each reader's language: its role in other languages
        # (contacts.role stays the role as written, shown where no language's is given),
        # one row per contact and language; how messages greet it (its own salutation,
        # and whether a first-name greeting is welcome: pressctl.releases.salutations).
        "0014_contact_roles_and_salutations",
        """
        CREATE TABLE contact_roles (
            contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            language    TEXT NOT NULL,
            position    INTEGER NOT NULL,
            role        TEXT NOT NULL,
            PRIMARY KEY (contact_id, language)
        );
        ALTER TABLE contacts ADD COLUMN salutation TEXT;
        ALTER TABLE contacts ADD COLUMN first_name_ok INTEGER NOT NULL DEFAULT 0;
        """,
        None,
    ),
    Migration(
        # Issue 12: `contacts list --search` through an index kept in step by the database
        # (SQLite: an FTS5 trigram table and its triggers; PostgreSQL: pg_trgm GIN indexes),
        # built here from the rows already in the book (pressctl.store.search). Its
        # statements are written in Python: triggers hold ";", and the two engines differ.
        "0015_contact_search_index",
        "",
        _create_search_index,
    ),
    Migration(
        # Issue 12: every read of contacts (list, export, audiences) fetches each chunk's
        # tags in their order; the primary key (contact_id, tag) does not hold that order,
        # so each chunk was sorted and every tag row read from the table. This index is
        # the order itself, and holds the tag: a third less time per tag read.
        "0016_contact_tags_in_order",
        """
        CREATE INDEX contact_tags_in_order ON contact_tags (contact_id, position, tag);
        """,
        None,
    ),
    Migration(
        # Issue 12: each phone's display forms (international, national) and region,
        # computed once when the number is written (pressctl.store.contacts), so that
        # listing a book needs neither phonenumbers nor a format per number. The numbers
        # already stored get theirs here; NULL where phonenumbers cannot format one
        # (it is then shown as before, from a parse).
        "0017_contact_phone_forms",
        """
        ALTER TABLE contact_phones ADD COLUMN international TEXT;
        ALTER TABLE contact_phones ADD COLUMN national TEXT;
        ALTER TABLE contact_phones ADD COLUMN region TEXT;
        """,
        _fill_phone_forms,
    ),
    Migration(
        # Issue 12: every claim and every result of a delivery run changes a row's state,
        # and so wrote both indexes that begin with (mailout_id, state). Only
        # mailout_rows_queue is kept: its entries are in row id order under each
        # (mailout_id, state), which is the order a run takes rows in
        # (pressctl.store.runs.queued_ids reads a page without sorting the mailout's
        # queued rows), and the idle question of pressctl.store.idle walks it.
        "0018_one_queue_index",
        """
        DROP INDEX mailout_rows_work;
        """,
        None,
    ),
    Migration(
        # Issue 12: the SQLite search index without the per-document sizes FTS5 keeps for
        # ranking, which no search uses: one b-tree row less per document an import or an
        # edit writes (pressctl.store.search.drop_document_sizes).
        "0019_search_index_without_sizes",
        "",
        _drop_document_sizes,
    ),
]

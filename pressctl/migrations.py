"""Schema changes of the contact book, in order. Append only: never edit a shipped one.

Each migration has a name recorded in ``schema_migrations`` once applied.
"""

MIGRATIONS: list[tuple[str, str]] = [
    (
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
    ),
]

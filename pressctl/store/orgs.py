"""The SQL of organisations: name, short name, country, website, their About texts and
their names in each language (with the French "of" form's article or override).

Every write of an organisation increments its ``version`` (a new one is at version 1), so
that an edit can write only over the version it read (see pressctl.store.contacts)."""

from __future__ import annotations

from pressctl.contacts.model import Organization
from pressctl.store.database import Connection, Database


class OrgQueries:
    """Organisations and their About texts, written inside the caller's transaction."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db

    def insert(self, org: Organization) -> None:
        """Insert a new organisation; sets its ``id``."""
        cursor = self.db.execute(
            "INSERT INTO organizations (name, short_name, country, website, created, updated) "
            "VALUES (?,?,?,?,?,?) RETURNING id",
            (org.name, org.short_name, org.country, org.website, org.created, org.updated),
        )
        org.id = cursor.fetchone()[0]
        self._write_about(org)
        self._write_names(org)

    def replace(self, org: Organization, *, version: int | None = None) -> bool:
        """Overwrite a stored organisation and its About texts (inside a transaction); with
        ``version``, only if it is still at that version (else False, nothing written)."""
        sql = ("UPDATE organizations SET name=?, short_name=?, country=?, website=?, updated=?, "
               "version = version + 1 WHERE id=?")
        params: tuple[object, ...] = (org.name, org.short_name, org.country, org.website,
                                      org.updated, org.stored_id)
        if version is not None:
            sql += " AND version=?"
            params += (version,)
        if self.db.execute(sql, params).rowcount != 1 and version is not None:
            return False
        self.db.execute("DELETE FROM organization_about WHERE org_id = ?", (org.stored_id,))
        self._write_about(org)
        self.db.execute("DELETE FROM organization_names WHERE org_id = ?", (org.stored_id,))
        self._write_names(org)
        return True

    def version(self, org_id: int) -> int | None:
        """The organisation's version (None: no such organisation). Read it before it."""
        row = self.db.execute("SELECT version FROM organizations WHERE id = ?",
                              (org_id,)).fetchone()
        return int(row[0]) if row else None

    def _write_about(self, org: Organization) -> None:
        self.db.executemany(
            "INSERT INTO organization_about (org_id, language, text) VALUES (?,?,?)",
            [(org.id, lang, text) for lang, text in sorted(org.about.items())],
        )

    def _write_names(self, org: Organization) -> None:
        """One row per language that has a name, a short name, an article or an "of" form."""
        languages = sorted(set(org.names) | set(org.short_names) | set(org.article) | set(org.of))
        self.db.executemany(
            "INSERT INTO organization_names (org_id, language, name, short_name, article, "
            "of_form) VALUES (?,?,?,?,?,?)",
            [(org.id, lang, org.names.get(lang), org.short_names.get(lang),
              org.article.get(lang), org.of.get(lang)) for lang in languages],
        )

    def delete(self, org_id: int) -> None:
        self.db.execute("DELETE FROM organizations WHERE id = ?", (org_id,))

    def find(self, ref: str) -> Organization | None:
        """By id, short name or name (case-insensitive)."""
        row = self.db.execute(
            "SELECT id FROM organizations WHERE short_name = ? COLLATE NOCASE "
            "OR name = ? COLLATE NOCASE OR CAST(id AS TEXT) = ? "
            "ORDER BY short_name = ? COLLATE NOCASE DESC LIMIT 1",
            (ref, ref, ref, ref),
        ).fetchone()
        return self._orgs("WHERE id = ?", (row[0],))[0] if row else None

    def get(self, org_id: int) -> Organization | None:
        found = self._orgs("WHERE id = ?", (org_id,))
        return found[0] if found else None

    def all(self) -> list[Organization]:
        return self._orgs("", ())

    def contact_count(self, org: Organization) -> int:
        """How many contacts name this organisation (by name or short name)."""
        return int(self.db.execute(
            "SELECT count(*) FROM contacts WHERE organization = ? COLLATE NOCASE "
            "OR organization = ? COLLATE NOCASE",
            (org.name, org.short_name or org.name),
        ).fetchone()[0])

    def _orgs(self, where: str, params: tuple[object, ...]) -> list[Organization]:
        orgs = [
            Organization(
                id=r[0], name=r[1], short_name=r[2], country=r[3], website=r[4],
                created=r[5], updated=r[6],
            )
            for r in self.db.execute(
                "SELECT id, name, short_name, country, website, created, updated "
                f"FROM organizations {where} ORDER BY coalesce(short_name, name) COLLATE NOCASE",
                params,
            )
        ]
        by_id = {o.id: o for o in orgs}
        for org_id, lang, text in self.db.execute(
            "SELECT org_id, language, text FROM organization_about ORDER BY language"
        ):
            if org_id in by_id:
                by_id[org_id].about[lang] = text
        for org_id, lang, name, short, article, of_form in self.db.execute(
            "SELECT org_id, language, name, short_name, article, of_form "
            "FROM organization_names ORDER BY language"
        ):
            org = by_id.get(org_id)
            if org is None:
                continue
            for values, value in ((org.names, name), (org.short_names, short),
                                  (org.article, article), (org.of, of_form)):
                if value is not None:
                    values[lang] = value
        return orgs

"""The book as one command sees it: the open store, the settings, the time of the command
and who runs it, which every use case of the book (and of releases and delivery above it)
takes.

``actor`` is the acting user, recorded with every change (pressctl.book.changes): the CLI
reads it once (``--as``, else PRESSCTL_USER, else the login name) and checks it; the core
never reads the environment. ``zone`` is the local time zone the CLI read, in which a
message of the core shows a time ("changed by anne at 10:42"); UTC by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from pressctl.config import Settings
from pressctl.store import Store

if TYPE_CHECKING:  # validation imports phonenumbers, which `outbox run` never needs
    from pressctl.contacts.validation import RegionFor


@dataclass(slots=True)
class Book:
    """What every use case needs: the open store, the settings, the time of the command and
    who is acting."""

    store: Store
    settings: Settings
    now: str  # UTC, ISO 8601 ("2026-11-22T09:30:00Z"), read once at the CLI edge
    actor: str = field(default="unknown", kw_only=True)  # checked at the edge
    zone: tzinfo = field(default=UTC, kw_only=True)  # where messages show times

    def region_for(self, default_region: str | None = None) -> RegionFor:
        """Phone region: the contact's country, else its organisation's, else the default
        (``default_region``, else the settings' ``default_region``)."""
        by_name: dict[str, str] = {}
        for org in self.store.orgs.all():
            if org.country:
                by_name[org.name.casefold()] = org.country
                if org.short_name:
                    by_name[org.short_name.casefold()] = org.country
        fallback = default_region or self.settings.default_region

        def region_for(country: str | None, organization: str | None) -> str | None:
            if country:
                return country
            if organization and organization.casefold() in by_name:
                return by_name[organization.casefold()]
            return fallback

        return region_for

"""What extraction proposes and what it is told: a contact found in a release, with its
confidence and the source lines of each of its fields, and the organisations of the book
(their names, web domains and country) it may attach contacts to. Pure data, no rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from pressctl.contacts.model import Phone


@dataclass(frozen=True, slots=True)
class KnownOrg:
    """An organisation of the book as extraction sees it: the name a contact's
    ``organization`` takes, the web domains its addresses live under ("cnes.fr" from
    https://presse.cnes.fr) and its country (the region of its national numbers)."""

    name: str
    domains: tuple[str, ...] = ()
    country: str | None = None


@dataclass(slots=True)
class ProposedContact:
    """A contact found in a release, for the user to review before importing it.

    ``confidence`` (0..1) says how sure extraction is that this is one press contact with
    the right details (see :mod:`pressctl.contacts.extraction.scoring`); ``name_line``,
    ``phone_lines`` and ``email_lines`` are the 1-based source lines each field came from
    (one per phone and per e-mail, in the same order).
    """

    name: str | None  # a person, or the office's text when is_office; None if neither
    role: str | None
    organization: str | None
    phones: list[Phone]  # fax numbers included, with type "fax"
    emails: list[str]  # normalised
    line: int  # 1-based source line where the contact starts
    is_office: bool = False
    problems: list[str] = field(default_factory=list)
    confidence: float = 1.0
    name_line: int | None = None
    phone_lines: list[int] = field(default_factory=list)
    email_lines: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        """Name, role, organisation, phones to call (RFC 3966 extension), e-mails, the
        confidence and the source line of each field."""
        calls = [(phone, line) for phone, line in zip(self.phones, self._phone_lines(),
                                                      strict=True) if phone.type != "fax"]
        phones = [f"{phone.e164};ext={phone.extension}" if phone.extension else phone.e164
                  for phone, _ in calls]
        return {"name": self.name, "role": self.role, "organization": self.organization,
                "phones": phones, "emails": list(self.emails),
                "confidence": self.confidence,
                "lines": {"name": self.name_line, "emails": self._email_lines(),
                          "phones": [line for _, line in calls]}}

    def _phone_lines(self) -> list[int]:
        lines = self.phone_lines[: len(self.phones)]
        return lines + [self.line] * (len(self.phones) - len(lines))

    def _email_lines(self) -> list[int]:
        lines = self.email_lines[: len(self.emails)]
        return lines + [self.line] * (len(self.emails) - len(lines))

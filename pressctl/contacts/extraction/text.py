"""Propose contacts from the contact blocks of a press release (text, Markdown or HTML).

The pipeline, one module per step:

1. :mod:`~pressctl.contacts.extraction.html` reduces the markup to logical lines whose
   fields are separated by tabs (cells, column-aligning spaces, bold runs).
2. :mod:`~pressctl.contacts.extraction.segment` mends lines broken by copy-paste, turns
   people set side by side (table columns, "A / B" pairs) into one block each, and gives
   each block the region of its e-mail domains (the book's organisation's country, else
   the country code), else the given one.
3. :mod:`~pressctl.contacts.extraction.anchors` finds the e-mails (the project's cleaner)
   and phones (labelled ones read by the project's parser; unlabelled digits only where
   libphonenumber's own ``PhoneNumberMatcher`` finds a number) of each line.
4. :mod:`~pressctl.contacts.extraction.fields` classifies the text between them: a
   person's name (press-release conventions in EN/FR/DE/IT/ES), an office, a role, an
   organisation or other text. :mod:`~pressctl.contacts.extraction.vocabulary` holds the
   words.
5. :mod:`~pressctl.contacts.extraction.assembly` attaches the details to the nearest name
   in reading order; :mod:`~pressctl.contacts.extraction.context` finds the organisation
   (the block's heading, else the book's organisation of the e-mail domain, else one the
   release names; without an e-mail, the one organisation of the book the release names);
   :mod:`~pressctl.contacts.extraction.scoring` gives each proposal its
   confidence.

Names in body text (the quoted CEO) are never proposed: without an e-mail or a phone next
to them they are no contact, and a sentence of prose ends any contact above it. Unlabelled
digits count as a phone only where contact details are expected or alone in their field;
a company's number under a sentence and a conference's dial-in number are no contact.
"""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.contacts.extraction.assembly import Assembler
from pressctl.contacts.extraction.context import ReleaseOrgs
from pressctl.contacts.extraction.html import detect_format, release_lines
from pressctl.contacts.extraction.model import KnownOrg, ProposedContact
from pressctl.contacts.extraction.segment import block_regions, columns, repair

__all__ = ["KnownOrg", "ProposedContact", "detect_format", "extract_contacts"]


def extract_contacts(
    text: str, *, region: str | None = "FR", filename: str | None = None,
    orgs: Sequence[KnownOrg] = (),
) -> list[ProposedContact]:
    """Contacts proposed from ``text``, in source order; [] when there is no contact block.

    ``region`` is the default country for numbers written without +CC (with None only
    international numbers are accepted, unless the block's e-mail domains name a
    country; others are kept as problems). ``orgs`` are the book's organisations: an
    e-mail domain under one's website gives a contact its organisation and its numbers
    their region.
    """
    lines = columns(repair(release_lines(text, detect_format(text, filename))))
    assembler = Assembler(region, ReleaseOrgs.of(text, lines, orgs))
    for line, line_region in zip(lines, block_regions(lines, region, orgs), strict=True):
        assembler.feed(line, line_region)
    return assembler.finish()

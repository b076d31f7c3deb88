"""How sure extraction is of a proposed contact: a confidence between 0 and 1.

The score adds what speaks for one real press contact with the right details:

=====================================================  ======
a person's name that fills its field ("Jane Doe")        0.45
an office's name ("Press Office", "Pressestelle")        0.40
a person's name found inside a phrase                    0.30
no name                                                  0
an e-mail                                                0.25
a phone (0.15), or both an e-mail and a phone            0.35
in a contact section or after "Media contact:"           0.15
an organisation known for it                             0.05
=====================================================  ======

and takes away what speaks against it: details far from the name (more than four lines
between the name and its first detail, -0.10) and a problem (an invalid number or address,
-0.20: a detail read wrong may belong to someone else). The result is rounded to two
decimals. So a named person with an e-mail and a phone in a contact section scores 0.95
(1.0 with an organisation), a named person with a phone only outside any section 0.60,
details without a name (and so with the problem saying so) 0.10 to 0.35.

The confidence says whether a proposal is a press contact; whether its details are valid
is the import's business: a proposal with a problem that is imported stops the import,
like any invalid row.

`contacts extract --import` imports proposals from :data:`IMPORT_THRESHOLD` on.
"""

from __future__ import annotations

from dataclasses import dataclass

IMPORT_THRESHOLD = 0.5
"""Proposals below this confidence are not imported unless asked (``--all``)."""

_NAME = {"person": 0.45, "office": 0.40, "weak": 0.30, "none": 0.0}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a proposed contact rests on."""

    name: str  # "person", "office", "weak" (a name inside a phrase) or "none"
    emails: int
    phones: int
    context: bool  # in a contact section, or introduced by "Media contact:"
    organization: bool
    spread: int  # lines from the name to its first detail (0: same line)
    problems: int


def confidence(evidence: Evidence) -> float:
    """The confidence of a proposal resting on ``evidence`` (see the module's table)."""
    score = _NAME[evidence.name]
    if evidence.emails and evidence.phones:
        score += 0.35
    elif evidence.emails:
        score += 0.25
    elif evidence.phones:
        score += 0.15
    if evidence.context:
        score += 0.15
    if evidence.organization:
        score += 0.05
    if evidence.spread > 4:
        score -= 0.10
    if evidence.problems:
        score -= 0.20
    return round(min(1.0, max(0.0, score)), 2)

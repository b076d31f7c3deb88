#!/usr/bin/env python3
"""Contact extraction scored over the corpus of issue 13 (tests/contacts/extraction_corpus/).

Each block of the corpus is run through the project's extractor the way `pressctl contacts
extract FILE --region R` runs it (:func:`pressctl.book.extraction.extract_from_file`: the
file read as UTF-8, its format told by its name and content, "no contacts found" counted as
no proposal), with R the block's ``region`` from expected.toml, or one region for every
block with ``--region XX`` (``--region FR`` is what a user with the default settings gets).

The scoring rule (what "found exactly" means):

* A **proposal matches an expected contact** when all three hold:

  1. its e-mail set equals the expected set, addresses compared case-insensitively
     (``Jane.Roe@Example.org`` is ``jane.roe@example.org``), nothing more, nothing less;
  2. its phone set equals the expected set, numbers compared as E.164 strings with the
     extension as ``;ext=N`` (faxes count as phones: a fax is part of what is imported);
  3. its name equals the expected name, or one of the expected contact's ``also``
     spellings, after normalisation: Unicode NFKD with the accents dropped, case folded,
     leading honorifics removed (Dr, Prof., Mr, Ms, Mme, Herr, Frau, Dott.ssa, Sr., Sra.
     ...), then compared as the multiset of its words (runs of letters). So "DUPONT
     Marie" = "Marie Dupont", "Dr. Emma Lindholm" = "Emma Lindholm" and "Raphael Sart" =
     "Raphaël Sart", but "Marie" != "Marie Dupont" and "Service de presse" != "Service
     de presse de l'Université de Lorvane" unless listed in ``also``. A proposal without
     a name matches nothing.

* Within a block, proposals are taken in source order and each matches the first
  expected contact, not yet matched, that it equals (the rule is exact, so the order
  cannot change the count). True positives = matches; precision = matches / proposals;
  recall = matches / expected contacts; F1 their harmonic mean (0 when both are 0). The
  same sums are grouped by layout kind, language and source.
* The organisation is **not** part of the match (issue 13's score is on e-mails and
  phones per contact). It is reported beside it: among matched contacts, how many have
  the expected organisation (same normalisation as names but compared as the whole
  string; ``organization = ""`` expects none; ``organization_also`` lists other names).
* Each missed expected contact is given a reason, from the proposal sharing an e-mail or
  a phone with it: ``name`` (the details are right, the name is not), ``emails``,
  ``phones`` (which sets differ), or ``missed`` (nothing shares a detail with it). Each
  unmatched proposal sharing no detail with any expected contact is ``extra``.

    python bench/bench_extraction.py [--region block|XX] [--json] [--layout KIND]
                                     [--corpus DIR]

``--corpus DIR`` scores another folder of the same format (blocks + expected.toml), such
as the held-out set tests/contacts/extraction_heldout/ (blocks written after the tuning).

The module is also imported by tests/contacts/test_extraction_corpus.py, which checks
the corpus itself and runs the score.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# pressctl.contacts.extraction.scoring.IMPORT_THRESHOLD (tests check they agree)
IMPORT_THRESHOLD = 0.5
CORPUS = HERE.parent / "tests" / "contacts" / "extraction_corpus"

_HONORIFIC = re.compile(
    r"^(?:(?:dr|prof|professor|professeur|mr|mrs|ms|mme|mlle|herr|frau|dott|dott\.ssa"
    r"|dottssa|sig|sig\.ra|sra|sr|ing|mag)\.?\s+)+"
)


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True, slots=True)
class Expected:
    """One contact the extractor should propose for a block."""

    name: str
    also: tuple[str, ...]
    office: bool
    organization: str  # "" when no organisation is expected
    organization_also: tuple[str, ...]
    emails: frozenset[str]
    phones: frozenset[str]
    notes: str


@dataclass(frozen=True, slots=True)
class Block:
    file: str
    source: str
    layout: str
    language: str
    region: str
    notes: str
    contacts: tuple[Expected, ...]


def load_corpus(directory: Path = CORPUS) -> list[Block]:
    """The blocks of expected.toml, in file order."""
    with (directory / "expected.toml").open("rb") as handle:
        data = tomllib.load(handle)
    blocks = []
    for raw in data["block"]:
        contacts = tuple(
            Expected(
                name=c["name"], also=tuple(c.get("also", ())), office=c.get("office", False),
                organization=c.get("organization", ""),
                organization_also=tuple(c.get("organization_also", ())),
                emails=frozenset(c["emails"]),
                phones=frozenset(c["phones"]), notes=c.get("notes", ""),
            )
            for c in raw.get("contact", ())
        )
        blocks.append(Block(raw["file"], raw["source"], raw["layout"], raw["language"],
                            raw["region"], raw.get("notes", ""), contacts))
    return blocks


# --------------------------------------------------------------------------- the rule


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(name: str | None) -> tuple[str, ...] | None:
    """A name as compared: accents and case folded, honorifics dropped, words sorted."""
    if not name:
        return None
    text = _HONORIFIC.sub("", _fold(name).strip())
    words = re.findall(r"[^\W\d_]+", text)
    return tuple(sorted(words)) or None


def org_key(org: str | None) -> str:
    return " ".join(re.findall(r"[^\W_]+", _fold(org or "")))


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the scorer sees of a proposed contact."""

    name: str | None
    organization: str | None
    emails: frozenset[str]
    phones: frozenset[str]
    line: int
    confidence: float = 1.0

    @classmethod
    def of(cls, contact: Any) -> Proposal:
        """From a pressctl ProposedContact (name, organization, emails, phones, line,
        confidence)."""
        phones = frozenset(
            f"{p.e164};ext={p.extension}" if p.extension else p.e164 for p in contact.phones
        )
        return cls(contact.name, contact.organization, frozenset(contact.emails), phones,
                   contact.line, getattr(contact, "confidence", 1.0))


def matches(expected: Expected, proposal: Proposal) -> bool:
    """The rule: equal e-mail set, equal phone set, same normalised name (or an alias)."""
    return (folded_emails(proposal) == folded_emails(expected)
            and proposal.phones == expected.phones and name_matches(expected, proposal))


def folded_emails(contact: Expected | Proposal) -> frozenset[str]:
    return frozenset(email.casefold() for email in contact.emails)


def name_matches(expected: Expected, proposal: Proposal) -> bool:
    key = name_key(proposal.name)
    return key is not None and key in {name_key(n) for n in (expected.name, *expected.also)}


def org_right(expected: Expected, proposal: Proposal) -> bool:
    return org_key(proposal.organization) in {
        org_key(o) for o in (expected.organization, *expected.organization_also)
    }


# --------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class BlockScore:
    file: str
    source: str
    layout: str
    language: str
    expected: int
    proposed: int
    matched: int
    org_right: int
    failures: list[dict[str, Any]] = field(default_factory=list)  # kind, what, detail
    below_threshold: int = 0  # proposals `extract --import` leaves out without --all
    below_threshold_right: int = 0  # ... of which matched an expected contact
    error: str | None = None


def score_block(block: Block, proposals: Sequence[Proposal]) -> BlockScore:
    free = list(block.contacts)
    used: list[Proposal] = []
    unmatched: list[Proposal] = []
    org_ok = 0
    low = low_right = 0
    for proposal in proposals:
        found = next((e for e in free if matches(e, proposal)), None)
        low += proposal.confidence < IMPORT_THRESHOLD
        if found is None:
            unmatched.append(proposal)
            continue
        low_right += proposal.confidence < IMPORT_THRESHOLD
        free.remove(found)
        used.append(proposal)
        if org_right(found, proposal):
            org_ok += 1
    score = BlockScore(block.file, block.source, block.layout, block.language,
                       len(block.contacts), len(proposals), len(proposals) - len(unmatched),
                       org_ok, below_threshold=low, below_threshold_right=low_right)
    for expected in free:
        near = next((p for p in unmatched if folded_emails(p) & folded_emails(expected)
                     or p.phones & expected.phones), None)
        if near is None:
            score.failures.append({"kind": "missed", "expected": expected.name, "got": None})
            continue
        kinds = [k for k, differs in (
            ("emails", folded_emails(near) != folded_emails(expected)),
            ("phones", near.phones != expected.phones),
            ("name", not name_matches(expected, near)),
        ) if differs]
        score.failures.append({
            "kind": "+".join(kinds), "expected": expected.name,
            "got": {"name": near.name, "emails": sorted(near.emails),
                    "phones": sorted(near.phones)},
            "want": {"emails": sorted(expected.emails), "phones": sorted(expected.phones)},
        })
    for proposal in unmatched:
        if not any(folded_emails(proposal) & folded_emails(e) or proposal.phones & e.phones
                   for e in block.contacts):
            score.failures.append({
                "kind": "extra", "expected": None,
                "got": {"name": proposal.name, "emails": sorted(proposal.emails),
                        "phones": sorted(proposal.phones), "line": proposal.line},
            })
    return score


def prf(matched: int, proposed: int, expected: int) -> dict[str, float | int]:
    precision = matched / proposed if proposed else 0.0
    recall = matched / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"expected": expected, "proposed": proposed, "matched": matched,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def totals(scores: Iterable[BlockScore]) -> dict[str, Any]:
    scores = list(scores)
    result = prf(sum(s.matched for s in scores), sum(s.proposed for s in scores),
                 sum(s.expected for s in scores))
    result["org_right"] = sum(s.org_right for s in scores)
    result["below_threshold"] = sum(s.below_threshold for s in scores)
    result["below_threshold_right"] = sum(s.below_threshold_right for s in scores)
    result["blocks"] = len(scores)
    return result


def grouped(scores: Sequence[BlockScore], key: Callable[[BlockScore], str]
            ) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[BlockScore]] = {}
    for score in scores:
        groups.setdefault(key(score), []).append(score)
    return {name: totals(group) for name, group in sorted(groups.items())}


def failure_counts(scores: Iterable[BlockScore]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for score in scores:
        for failure in score.failures:
            counts[failure["kind"]] = counts.get(failure["kind"], 0) + 1
    return dict(sorted(counts.items()))


# --------------------------------------------------------------------------- running


def extract(path: Path, region: str | None) -> tuple[list[Proposal], str | None]:
    """The proposals `pressctl contacts extract` makes for ``path`` (none if it finds none)."""
    from pressctl.book.extraction import extract_from_file
    from pressctl.errors import InvalidInput

    try:
        return [Proposal.of(c) for c in extract_from_file(path, region)], None
    except InvalidInput as err:
        return [], str(err)


def run(directory: Path = CORPUS, region: str | None = None,
        layout: str | None = None) -> list[BlockScore]:
    """Scores of every block (``region`` None: each block's own region)."""
    scores = []
    for block in load_corpus(directory):
        if layout and block.layout != layout:
            continue
        proposals, error = extract(directory / block.file, region or block.region)
        score = score_block(block, proposals)
        score.error = error
        scores.append(score)
    return scores


def report(scores: Sequence[BlockScore], region: str, seconds: float,
           directory: Path = CORPUS) -> dict[str, Any]:
    directory = directory.resolve()
    shown = (directory.relative_to(HERE.parent) if directory.is_relative_to(HERE.parent)
             else directory)
    return {
        "corpus": str(shown), "region": region,
        "seconds": round(seconds, 3), "overall": totals(scores),
        "by_layout": grouped(scores, lambda s: s.layout),
        "by_language": grouped(scores, lambda s: s.language),
        "by_source": grouped(scores, lambda s: s.source),
        "failures": failure_counts(scores),
        "blocks": [asdict(s) for s in scores],
    }


def _line(label: str, t: dict[str, Any]) -> str:
    return (f"  {label:<16} {t['matched']:>3}/{t['expected']:<3} proposed {t['proposed']:>3}"
            f"  P {t['precision']:.2f}  R {t['recall']:.2f}  F1 {t['f1']:.2f}"
            f"  org {t['org_right']}/{t['matched']}")


def print_text(result: dict[str, Any]) -> None:
    print(f"Extraction corpus {result['corpus']} (region: {result['region']}), "
          f"{len(result['blocks'])} blocks in {result['seconds']:.2f} s")
    for block in result["blocks"]:
        mark = "ok " if block["matched"] == block["expected"] == block["proposed"] else "-- "
        print(f"{mark}{block['file']:<36} {block['language']}  expected {block['expected']}"
              f"  proposed {block['proposed']}  matched {block['matched']}")
        for failure in block["failures"]:
            got = failure["got"]
            shown = ("nothing" if got is None else
                     f"{got['name']!r} {got['emails']} {got['phones']}")
            want = failure.get("want", "")
            print(f"     {failure['kind']:<14} {failure['expected']!r}: got {shown}"
                  + (f" want {want['emails']} {want['phones']}" if want else ""))
    print("\nOverall")
    print(_line("all", result["overall"]))
    for title, key in (("By layout", "by_layout"), ("By language", "by_language"),
                       ("By source", "by_source")):
        print(title)
        for name, t in result[key].items():
            print(_line(name, t))
    print("Failures by kind: " + ", ".join(f"{k} {v}" for k, v in result["failures"].items()))
    overall = result["overall"]
    print(f"Below the import threshold ({IMPORT_THRESHOLD}): {overall['below_threshold']} "
          f"proposal(s), {overall['below_threshold_right']} of them right (left out by "
          "`extract --import` without --all)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", default="block",
                        help="'block' (each block's own region, default) or a region for all")
    parser.add_argument("--layout", help="only the blocks of this layout kind")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="the corpus folder (blocks + expected.toml); default: "
                             "tests/contacts/extraction_corpus")
    args = parser.parse_args(argv)
    if not (args.corpus / "expected.toml").is_file():
        parser.error(f"--corpus {args.corpus}: no expected.toml there")
    region = None if args.region == "block" else args.region.upper()
    start = time.perf_counter()
    scores = run(args.corpus, region, args.layout)
    result = report(scores, region or "per block", time.perf_counter() - start, args.corpus)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_text(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

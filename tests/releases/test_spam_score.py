"""Deliverability: the sample release and invitation, each language version, scored by
SpamAssassin as a receiving relay would score the bytes pressctl hands it, must stay at
1.0 or below (5.0 is "spam"; 1.0 leaves room for what a relay adds on its way).

SpamAssassin is Debian's package with the rules it ships (/usr/share/spamassassin, so a
machine where sa-update ran scores the same), offline (``-L``: no DNS blocklists, no
Razor or Pyzor), without Bayes (whose score depends on what a machine was trained with)
and with a home of its own (it keeps per-user files there). All messages go through one
process (``--mbox``): it takes a second to load its rules.

A test message carrying GTUBE (the standard test string every SpamAssassin knows) goes
with them and must be scored as spam: the check is alive, its rules are loaded.

Without SpamAssassin the tests skip, and fail when PRESSCTL_REQUIRE_SPAMASSASSIN=1 (CI).
"""

from __future__ import annotations

import mailbox
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sample_mail import sample_messages

LIMIT = 1.0
SHIPPED_RULES = Path("/usr/share/spamassassin")  # Debian's; sa-update writes elsewhere
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
PLAIN = ["release-fr", "release-en", "invitation-fr", "invitation-en"]
NAMES = PLAIN + [f"branded-{name}" for name in PLAIN]  # logo, footer, a picture


@dataclass(frozen=True, slots=True)
class Score:
    score: float
    rules: list[tuple[float, str, str]]  # (points, rule, description)

    def explain(self) -> str:
        return "; ".join(f"{points:+.1f} {rule} ({text})" for points, rule, text in self.rules)


def spamassassin() -> str:
    found = shutil.which("spamassassin")
    if found is None:
        reason = "SpamAssassin is not installed (Debian: apt-get install spamassassin)"
        if os.environ.get("PRESSCTL_REQUIRE_SPAMASSASSIN") == "1":
            pytest.fail(f"{reason}, and PRESSCTL_REQUIRE_SPAMASSASSIN=1", pytrace=False)
        pytest.skip(reason)
    return found


def score_messages(executable: str, messages: dict[str, bytes], folder: Path
                   ) -> dict[str, Score]:
    """Each message's score and the rules that hit, from one SpamAssassin run."""
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {}
    box = mailbox.mbox(folder / "in.mbox", create=True)
    for name, raw in messages.items():
        message_id = message_from_bytes(raw, policy=policy.default)["Message-ID"]
        assert message_id and message_id not in by_id, f"{name}: Message-ID {message_id}"
        by_id[message_id.strip()] = name
        box.add(raw.replace(b"\r\n", b"\n"))  # an mbox holds lines as a Unix MTA stores them
    box.close()
    args = [executable, "--local", "--test-mode", "--mbox", "--nocreate-prefs",
            "--cf=use_bayes 0", "--cf=bayes_auto_learn 0"]
    if SHIPPED_RULES.is_dir():
        args.append(f"--configpath={SHIPPED_RULES}")
    home = folder / "home"
    home.mkdir(exist_ok=True)
    with (folder / "in.mbox").open("rb") as given:
        done = subprocess.run(args, stdin=given, capture_output=True, timeout=300,
                              env={**os.environ, "HOME": str(home)})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    (folder / "out.mbox").write_bytes(done.stdout)
    scores = {}
    for message in mailbox.mbox(folder / "out.mbox"):
        name = by_id[message["Message-ID"].strip()]
        status = " ".join(message["X-Spam-Status"].split())
        found = re.search(r"score=(-?\d+(?:\.\d+)?)", status)
        assert found, f"{name}: no score in X-Spam-Status: {status}"
        scores[name] = Score(float(found.group(1)), _report(message.as_bytes()))
    assert sorted(scores) == sorted(messages), done.stderr.decode(errors="replace")
    return scores


def _report(raw: bytes) -> list[tuple[float, str, str]]:
    """The rules of the table --test-mode appends: " pts rule name  description" lines
    under a line of dashes, a long description going on in lines of their own."""
    text = raw.decode("utf-8", errors="replace")
    table = text.split("Content analysis details:", 1)[1].split("\n---- ", 1)[1]
    rules: list[tuple[float, str, str]] = []
    for line in table.splitlines()[1:]:
        if not line.strip():
            break
        row = re.match(r"\s*(-?\d+(?:\.\d+)?)\s+(\S+)\s+(.*)", line)
        if row:
            rules.append((float(row.group(1)), row.group(2), row.group(3).strip()))
        elif rules:
            points, rule, said = rules[-1]
            rules[-1] = (points, rule, f"{said} {line.strip()}")
    return rules


def gtube() -> bytes:
    message = EmailMessage()
    message["From"] = "someone@example.org"
    message["To"] = "claire.fontaine@gazette-espace.example.org"
    message["Subject"] = "Test"
    message["Message-ID"] = "<gtube.pressctl@example.org>"
    message.set_content(f"This is the GTUBE, the\n{GTUBE}\n")
    return message.as_bytes()


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> dict[str, Score]:
    executable = spamassassin()
    messages = {}
    for branded, prefix in ((False, ""), (True, "branded-")):
        for sample in sample_messages(tmp_path_factory.mktemp("samples"), branded=branded):
            messages[prefix + sample.name] = sample.raw
    assert sorted(messages) == sorted(NAMES)
    messages["gtube"] = gtube()
    return score_messages(executable, messages, tmp_path_factory.mktemp("spamassassin"))


@pytest.mark.parametrize("name", NAMES)
def test_the_sample_message_scores_at_most_one_point(scores, name):
    found = scores[name]
    assert found.score <= LIMIT, (
        f"{name} scores {found.score} (at most {LIMIT}): {found.explain()}")


def test_a_message_spamassassin_must_call_spam_is_scored_as_spam(scores):
    """GTUBE: the scoring is real (the shipped rules are loaded), and the rules that hit
    are read back for the failure message."""
    found = scores["gtube"]
    assert found.score >= 1000
    assert "GTUBE" in [rule for _, rule, _ in found.rules]
    assert "Generic Test for Unsolicited Bulk Email" in found.explain()


def test_without_spamassassin_the_tests_skip_and_fail_where_it_is_required(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("PRESSCTL_REQUIRE_SPAMASSASSIN", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install spamassassin"):
        spamassassin()
    monkeypatch.setenv("PRESSCTL_REQUIRE_SPAMASSASSIN", "1")
    with pytest.raises(pytest.fail.Exception, match="PRESSCTL_REQUIRE_SPAMASSASSIN=1"):
        spamassassin()

"""`contacts import` of a file whose report outgrows memory: every rejected row, cleaned
value and opt-out still reaches --json, --verbose and the rejects file, in file order."""

from __future__ import annotations

import csv
import json

from pressctl.book import importer, spool


def test_a_report_kept_partly_on_disk_still_lists_every_row(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "KEPT", 2)
    monkeypatch.setattr(spool, "BATCH", 3)
    monkeypatch.setattr(importer, "CHUNK", 4)
    lines = ["Name,Email,Opted out"]
    for i in range(30):
        if i % 3 == 0:
            lines.append(f"Bad {i},bad{i}-at-example.org,")
        else:  # a display name to clean; every fifth opted out
            lines.append(f'Good {i},"Good {i} <good{i}@example.org>",{"yes" if i % 5 == 0 else ""}')
    source = tmp_path / "big.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = cli("contacts", "import", source, "--skip-invalid", "--rejects", rejects,
                 "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    bad = [i for i in range(30) if i % 3 == 0]
    assert summary["rejected"] == len(bad) and summary["added"] == 30 - len(bad)
    assert summary["problems"] == [
        f'{source}:{i + 2}: e-mail "bad{i}-at-example.org": An email address must have an '
        "@-sign." for i in bad]
    assert summary["cleaned"] == 30 - len(bad)
    opted = [i for i in range(30) if i % 5 == 0 and i % 3]
    assert [n["where"] for n in summary["opted_out"]] == [f"{source}:{i + 2}" for i in opted]
    rows = list(csv.reader(rejects.open(encoding="utf-8")))
    assert [r[0] for r in rows[1:]] == [f"Bad {i}" for i in bad]

    verbose = cli("contacts", "import", source, "--skip-invalid", "--rejects", rejects,
                  "--verbose", "--dry-run", "--on-duplicate", "skip")
    assert verbose.exit_code == 0, verbose.stderr
    assert verbose.stderr.count("cleaned ") >= 30 - len(bad)

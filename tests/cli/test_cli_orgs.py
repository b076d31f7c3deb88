"""`pressctl orgs` with names by language and the French "of" form (issue 11): add, edit,
show, export and import keep them; bad values are refused with exit 3 and nothing changes.
Every test runs on SQLite and on PostgreSQL (the `home` fixture)."""

from __future__ import annotations

import json

import pytest
from conftest import db_snapshot, home_store

CSA = ("orgs", "add", "Canadian Space Agency", "--short", "CSA", "--country", "CA",
       "--name-lang", "fr=Agence spatiale canadienne", "--short-lang", "fr=ASC",
       "--short-lang", "en=CSA")


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _show(cli, ref: str) -> dict:
    return json.loads(_ok(cli("orgs", "show", ref, "--json")).stdout)


def test_add_with_names_by_language_and_show_them(cli):
    added = json.loads(_ok(cli(*CSA, "--json")).stdout)
    assert (added["name"], added["short_name"]) == ("Canadian Space Agency", "CSA")
    assert added["names"] == {"fr": "Agence spatiale canadienne"}
    assert added["short_names"] == {"fr": "ASC", "en": "CSA"}
    shown = _show(cli, "CSA")
    assert shown["forms"]["fr"] == {"name": "Agence spatiale canadienne", "short": "ASC",
                                    "label": "ASC", "of": "de l'ASC"}
    assert shown["forms"]["en"] == {"name": "Canadian Space Agency", "short": "CSA",
                                    "label": "CSA", "of": "CSA"}
    text = _ok(cli("orgs", "show", "CSA")).stdout
    assert "short name (fr)" in text and "ASC; de l'ASC" in text


def test_add_with_an_article_and_an_of_form(cli):
    _ok(cli("orgs", "add", "National Aeronautics and Space Administration", "--short", "NASA",
            "--article", "fr=la"))
    _ok(cli("orgs", "add", "Office national d'études et de recherches aérospatiales",
            "--short", "ONERA", "--short-lang", "fr=Onera", "--of", "fr=de l'Office"))
    assert _show(cli, "NASA")["forms"]["fr"]["of"] == "de la NASA"
    assert _show(cli, "ONERA")["of"] == {"fr": "de l'Office"}
    assert _show(cli, "ONERA")["forms"]["fr"]["of"] == "de l'Office"  # the override wins


def test_edit_replaces_one_language_and_an_empty_value_removes_it(cli):
    _ok(cli(*CSA))
    _ok(cli("orgs", "edit", "CSA", "--short-lang", "en=", "--article", "fr=la",
            "--name-lang", "en=Canadian Space Agency"))
    shown = _show(cli, "CSA")
    assert shown["short_names"] == {"fr": "ASC"}
    assert shown["names"] == {"en": "Canadian Space Agency", "fr": "Agence spatiale canadienne"}
    assert shown["article"] == {"fr": "la"} and shown["version"] == 2
    assert shown["last_change"]["summary"] == ("edited CSA: name (en), short name (en), "
                                               "article (fr)")


@pytest.mark.parametrize(("args", "message"), [
    (("--short-lang", "français!=ASC"), 'short_names: "français!" is not a language tag'),
    (("--name-lang", "fr="), "names (fr) is empty: write it, or leave the language out"),
    (("--short-lang", "ASC"), '--short-lang "ASC": expected LANG=VALUE'),
    (("--of", "=de l'ASC"), '--of "=de l\'ASC": expected LANG=VALUE'),
    (("--article", "fr=der"), 'article (fr): "der" is not one of le, la, l\', les, none'),
    (("--article", "en=the"), "article (en): articles are for French names only"),
    (("--of", "fr=l'ASC"), 'of (fr): "l\'ASC" does not read as "of" + the name'),
])
def test_add_refuses_bad_names_by_language_with_exit_3(cli, home, args, message):
    with home_store(home) as store:
        before = db_snapshot(store)
    result = cli("orgs", "add", "Canadian Space Agency", "--short", "CSA", *args)
    assert result.exit_code == 3
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    with home_store(home) as store:
        assert db_snapshot(store) == before


@pytest.mark.parametrize(("args", "message"), [
    (("--short-lang", "xx!="), '"xx!" is not a language tag'),
    (("--article", "fr=feminine"), '"feminine" is not one of le, la'),
    (("--name-lang", "nothing"), '--name-lang "nothing": expected LANG=VALUE'),
])
def test_edit_refuses_bad_names_by_language_with_exit_3(cli, args, message):
    _ok(cli(*CSA))
    before = _show(cli, "CSA")
    result = cli("orgs", "edit", "CSA", *args)
    assert result.exit_code == 3
    assert message in result.stderr and "Traceback" not in result.stderr
    assert _show(cli, "CSA") == before


def test_export_then_import_into_another_book_keeps_every_field(cli, tmp_path, monkeypatch):
    source = tmp_path / "orgs.json"
    source.write_text(json.dumps([
        {"name": {"en": "Canadian Space Agency", "fr": "Agence spatiale canadienne"},
         "short_name": {"en": "CSA", "fr": "ASC"}, "about": {"fr": "L'ASC..."}},
        {"name": "United Nations", "names": {"fr": "Nations unies"}, "article": {"fr": "les"},
         "of": {"de": "der Vereinten Nationen"}},
    ], ensure_ascii=False), encoding="utf-8")
    _ok(cli("orgs", "import", source))
    out = tmp_path / "export.json"
    assert "Wrote 2 organisation(s)" in _ok(cli("orgs", "export", "--out", out)).stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported == json.loads(_ok(cli("orgs", "export")).stdout)  # stdout: the same
    assert exported[0]["short_names"] == {"en": "CSA", "fr": "ASC"}
    assert exported[1]["article"] == {"fr": "les"}

    monkeypatch.setenv("PRESSCTL_HOME", str(tmp_path / "other"))
    monkeypatch.delenv("PRESSCTL_DB", raising=False)
    _ok(cli("init"))
    _ok(cli("orgs", "import", out))
    assert json.loads(_ok(cli("orgs", "export")).stdout) == exported
    assert _show(cli, "United Nations")["forms"]["fr"]["of"] == "des Nations unies"


def test_import_of_a_file_with_bad_names_by_language_exits_3_and_lists_them(cli, tmp_path):
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps([{"name": "A", "short_name": {"fr": ""}},
                                {"name": "B", "article": {"fr": "der"}}]), encoding="utf-8")
    result = cli("orgs", "import", path)
    assert result.exit_code == 3
    assert f"{path}: organisation 1: short_name (fr) is empty" in result.stderr
    assert f'{path}: organisation 2: article (fr): "der" is not one of' in result.stderr
    assert json.loads(_ok(cli("orgs", "list", "--json")).stdout) == []


def test_help_documents_the_options():
    from typer.testing import CliRunner

    from pressctl.cli.app import build_app

    for command in ("add", "edit"):
        argv = ["orgs", command, "--help"]
        text = " ".join(CliRunner().invoke(build_app(argv), argv, env={"COLUMNS": "200"})
                        .stdout.split())
        for option in ("--name-lang", "--short-lang", "--article", "--of"):
            assert option in text
        assert "de la NASA" in text and "des Nations unies" in text

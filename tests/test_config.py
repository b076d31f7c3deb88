from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest

from pressctl.config import (
    DEFAULT_CONFIG,
    DatabaseLocation,
    DeliverySettings,
    DisplaySettings,
    Security,
    SenderSettings,
    Settings,
    SmtpSettings,
    ensure_config,
    load_settings,
    resolve_paths,
    write_private_file,
)
from pressctl.errors import ConfigError


def test_home_holds_everything(tmp_path):
    paths = resolve_paths({}, tmp_path / "h")
    assert paths.config_file == tmp_path / "h" / "config.toml"
    assert paths.database == tmp_path / "h" / "pressctl.db"
    assert paths.templates_dir == tmp_path / "h" / "templates"


def test_option_beats_environment(tmp_path):
    env = {"PRESSCTL_HOME": str(tmp_path / "env-home"), "PRESSCTL_DB": str(tmp_path / "env.db")}
    assert resolve_paths(env).home == tmp_path / "env-home"
    assert resolve_paths(env).database == tmp_path / "env.db"
    chosen = resolve_paths(env, tmp_path / "opt-home", tmp_path / "opt.db")
    assert chosen.home == tmp_path / "opt-home"
    assert chosen.database == tmp_path / "opt.db"
    assert chosen.database_option == DatabaseLocation(path=tmp_path / "opt.db")
    assert resolve_paths({}, tmp_path).database_option is None  # the home's own file
    # the rest of the database rules: tests/test_database_location.py


def test_platform_directories_without_a_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    paths = resolve_paths({})
    assert paths.home is None
    assert paths.config_file == tmp_path / "xdg-config" / "pressctl" / "config.toml"
    assert paths.database == tmp_path / "xdg-data" / "pressctl" / "pressctl.db"


def test_missing_config_means_defaults(tmp_path):
    assert load_settings(tmp_path / "nope.toml") == Settings()


def test_default_config_file_is_private_and_reads_back(tmp_path):
    path = tmp_path / "h" / "config.toml"
    assert ensure_config(path) is True
    assert ensure_config(path) is False  # idempotent: a second run keeps the user's file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == DEFAULT_CONFIG
    assert load_settings(path) == Settings(
        default_region="FR", display=DisplaySettings(own_country="FR", phone_style="auto"))


def test_settings_are_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[contacts]\ndefault_region = "be"\n[display]\nphone_style = "house"\n')
    assert load_settings(path) == Settings(
        default_region="BE", display=DisplaySettings(own_country="BE", phone_style="house"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[contacts]\ndefault_region = "XX"\n', "not an ISO 3166 region"),
        ('[contacts]\nregion = "FR"\n', "unknown key 'region' in [contacts]"),
        ('[mailbox]\nhost = "x"\n', "unknown section [mailbox]"),
        ('[display]\nphone_style = "fancy"\n', "phone_style 'fancy'"),
        ('[contacts]\ndefault_region = \n', "line 2"),
    ],
)
def test_bad_config_names_the_file_and_the_problem(tmp_path, text, fragment):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)
    assert caught.value.exit_code == 4


def test_private_write_replaces_atomically(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    write_private_file(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temp file left behind


def test_sender_settings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[sender]\nname = "CNES Press Office"\naddress = "Presse@CNES.fr"\n'
                    'unsubscribe_url = "https://presse.example.org/u?t={token}"\n')
    settings = load_settings(path)
    assert (settings.sender.name, settings.sender.address) == ("CNES Press Office",
                                                               "Presse@cnes.fr")
    assert settings.sender.unsubscribe_url == "https://presse.example.org/u?t={token}"
    assert settings.sender.list_unsubscribe is None


@pytest.mark.parametrize(("text", "fragment"), [
    ('[sender]\naddress = "presse@cnes"\n', "sender.address"),
    ('[sender]\naddress = "a@example.com, b@example.com"\n', "one e-mail address"),
    ('[sender]\nunsubscribe_url = "http://x.example.org/{token}"\n', "https://"),
    ('[sender]\nunsubscribe_url = "https://x.example.org/u"\n', "{token}"),
    ('[sender]\nname = "A\\nBcc: x@example.com"\n', "one line"),
])
def test_bad_sender_settings(tmp_path, text, fragment):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert fragment in str(caught.value)


def test_smtp_and_delivery_settings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[smtp]\nhost = "smtp.example.org"\nport = 465\nsecurity = "tls"\n'
                    'username = "presse"\npassword_env = "SMTP_PASS"\nconnections = 4\n'
                    '[delivery]\nrate = "50/s, 600/min"\nmax_attempts = 3\n')
    settings = load_settings(path)
    assert settings.smtp == SmtpSettings("smtp.example.org", 465, "tls", username="presse",
                                         password_env="SMTP_PASS", connections=4)
    assert settings.delivery == DeliverySettings(limits={1.0: 50, 60.0: 600}, max_attempts=3,
                                                 give_up_after=timedelta(hours=24),
                                                 maildir="outbox")


def test_delivery_defaults_retry_for_a_day():
    assert Settings().delivery == DeliverySettings({}, 5, timedelta(hours=24), "outbox")
    assert Settings().smtp is None  # the Maildir of the home


@pytest.mark.parametrize(("text", "age"), [
    ("24h", timedelta(hours=24)), ("90m", timedelta(minutes=90)), ("2d", timedelta(days=2)),
    ("1d 12h", timedelta(hours=36)), ("2 hours 30 min", timedelta(minutes=150)),
])
def test_give_up_after_takes_a_duration(tmp_path, text, age):
    path = tmp_path / "config.toml"
    path.write_text(f'[delivery]\ngive_up_after = "{text}"\n')
    assert load_settings(path).delivery.give_up_after == age


@pytest.mark.parametrize(("text", "fragment"), [
    ('[smtp]\nport = 25\n', "needs a host"),
    ('[smtp]\nhost = "h"\nport = "25"\n', "smtp.port has the wrong type"),
    ('[smtp]\nhost = "h"\npassword = "hunter2"\n', "unknown key 'password'"),
    ('[smtp]\nhost = "h"\nsecurity = "ssl"\n', "is not one of starttls, tls, plain"),
    ('[smtp]\nhost = "smtp.example.org"\nsecurity = "plain"\n', "refused for a remote host"),
    ('[smtp]\nhost = "h"\nconnections = 17\n', "connections must be between 1 and 16"),
    ('[smtp]\nhost = "h"\nusername = "u"\n', "no password source"),
    ('[delivery]\ngive_up_after = "soon"\n', "give_up_after must be a duration"),
    ('[delivery]\ngive_up_after = "40d"\n', "give_up_after must be a duration"),
    ('[smtp]\nhost = "h"\nverify = 1\n', "smtp.verify has the wrong type"),
    ('[delivery]\nrate = "fast"\n', "delivery.rate"),
    ('[delivery]\nmax_attempts = 0\n', "max_attempts"),
])
def test_bad_delivery_settings(tmp_path, text, fragment):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert fragment in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_each_table_is_one_typed_value(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[display]\nown_country = "be"\nphone_style = "e164"\n'
                    '[sender]\naddress = "presse@cnes.fr"\n'
                    '[smtp]\nhost = "smtp.example.org"\nport = 465\nsecurity = "tls"\n'
                    '[delivery]\nrate = "50/s, 600/min"\n'
                    '[database]\nurl = "postgresql://presse@db.example.org/press"\n'
                    'password_env = "PRESSCTL_DB_PASSWORD"\n')
    settings = load_settings(path)
    assert settings.display == DisplaySettings(own_country="BE", phone_style="e164")
    assert settings.sender == SenderSettings(address="presse@cnes.fr")
    assert settings.smtp is not None and settings.smtp.security is Security.TLS
    assert settings.delivery.limits == {1.0: 50, 60.0: 600}  # parsed once, here
    assert settings.database == DatabaseLocation(url="postgresql://presse@db.example.org/press",
                                                 password_env="PRESSCTL_DB_PASSWORD")


def test_the_default_config_documents_the_database_table_and_keeps_sqlite(tmp_path):
    assert "\n[database]\n# " in DEFAULT_CONFIG
    assert "# url = \"postgresql://" in DEFAULT_CONFIG
    assert "pip install 'pressctl[postgres]'" in DEFAULT_CONFIG
    path = tmp_path / "config.toml"
    ensure_config(path)
    assert load_settings(path).database is None  # the home's pressctl.db


@pytest.mark.parametrize(("host", "allowed"), [
    ("localhost", True), ("127.0.0.1", True), ("127.1.2.3", True), ("[::1]", True),
    ("LOCALHOST.", True), ("smtp.example.org", False), ("10.0.0.1", False),
    ("localhost.example.org", False),
])
def test_only_a_loopback_host_may_be_spoken_to_unencrypted(host, allowed):
    settings = SmtpSettings(host, security="plain")
    assert settings.cleartext_allowed is allowed
    if allowed:
        settings.check()
    else:
        with pytest.raises(ConfigError, match="refused for a remote host"):
            settings.check()


def test_inbox_soft_bounce_thresholds_come_from_the_config_file(tmp_path):
    from pressctl.config import InboxSettings, load_settings

    config = tmp_path / "config.toml"
    config.write_text("[inbox]\nsoft_bounces = 5\nsoft_days = 10\n", encoding="utf-8")
    assert load_settings(config).inbox == InboxSettings(soft_bounces=5, soft_days=10)
    config.write_text("", encoding="utf-8")
    assert load_settings(config).inbox == InboxSettings(soft_bounces=3, soft_days=30)


@pytest.mark.parametrize("line", ["soft_bounces = 0", "soft_days = 366", 'soft_days = "30"',
                                  "soft_bounces = true", "hard = 1"])
def test_inbox_settings_out_of_range_are_refused_naming_the_file(tmp_path, line):
    from pressctl.config import load_settings
    from pressctl.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text(f"[inbox]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert str(config) in str(raised.value) and "inbox" in str(raised.value)


def test_the_csv_dialect_default_comes_from_the_config_file(tmp_path):
    from pressctl.config import load_settings
    from pressctl.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text('[contacts]\ncsv_dialect = "excel"\n', encoding="utf-8")
    assert load_settings(config).csv_dialect == "excel"
    config.write_text('[contacts]\ncsv_dialect = "tsv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="contacts.csv_dialect 'tsv' is not one of"):
        load_settings(config)


def test_times_are_shown_in_the_configured_zone_else_the_systems(tmp_path):
    from zoneinfo import ZoneInfo

    from pressctl.config import load_settings
    from pressctl.config.settings import system_zone

    config = tmp_path / "config.toml"
    assert load_settings(config).display.timezone is None
    summer, winter = datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    for moment in (summer, winter):
        assert (moment.astimezone(load_settings(config).display.zone()).utcoffset()
                == moment.astimezone(system_zone()).utcoffset())
    config.write_text('[display]\ntimezone = "America/Montreal"\n', encoding="utf-8")
    assert load_settings(config).display.zone() == ZoneInfo("America/Montreal")


@pytest.mark.parametrize("value", ['"Mars/Olympus"', '""', "2"])
def test_an_unknown_display_timezone_is_refused_naming_the_file(tmp_path, value):
    from pressctl.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text(f"[display]\ntimezone = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="display.timezone") as raised:
        load_settings(config)
    assert str(config) in str(raised.value) and "Europe/Paris" in raised.value.hint


def test_the_csv_dialects_config_accepts_are_the_ones_the_writer_knows():
    from pressctl.config.defaults import CSV_DIALECTS as NAMED
    from pressctl.contacts.formats.csvfile import CSV_DIALECTS as WRITTEN

    assert set(NAMED) == set(WRITTEN)

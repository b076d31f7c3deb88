"""VERP at send time (issue 10): with `[delivery] verp = true`, each message's envelope
sender carries its row's token, so that a bounce names its recipient even when it quotes
nothing of the original; without it, the plain sender."""

from __future__ import annotations

from dataclasses import replace

from conftest import home_of
from test_delivery_run import APPROVED, Clock, approve, book_with

from pressctl.book.session import Book
from pressctl.config import load_settings
from pressctl.delivery.run import run_outbox
from pressctl.inbox.verp import verp_token


def _run(book: Book, server, *, verp: bool) -> None:
    settings = replace(book.settings, smtp=server.settings(),
                       delivery=replace(book.settings.delivery, verp=verp))
    run_outbox(Book(book.store, settings, book.now), home=home_of(book), env={},
               now=Clock(APPROVED))


def test_with_verp_each_envelope_sender_names_its_row(book, tmp_path, smtp_server):
    mailout_id = approve(book_with(book, tmp_path, 4), tmp_path)
    _run(book, smtp_server, verp=True)
    tokens = {row.address: row.token for row in book.store.mailouts.rows(mailout_id)}
    assert len(smtp_server.messages) == len(tokens) >= 4
    for message in smtp_server.messages:
        [to] = message.rcpt_tos
        local, _, domain = message.mail_from.rpartition("@")
        assert local.endswith("+b." + tokens[to]) and "@" + domain in message.mail_from
        assert verp_token(message.mail_from) == tokens[to]


def test_without_verp_the_envelope_sender_is_the_plain_sender(book, tmp_path, smtp_server):
    approve(book_with(book, tmp_path, 2), tmp_path)
    _run(book, smtp_server, verp=False)
    assert smtp_server.messages
    assert all(verp_token(m.mail_from) is None and "+b." not in m.mail_from
               for m in smtp_server.messages)


def test_verp_is_a_boolean_in_the_config_file(tmp_path):
    import pytest

    from pressctl.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text("[delivery]\nverp = true\n", encoding="utf-8")
    assert load_settings(config).delivery.verp is True
    config.write_text('[delivery]\nverp = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="delivery.verp must be true or false"):
        load_settings(config)

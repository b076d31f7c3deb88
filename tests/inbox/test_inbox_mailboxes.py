"""The mailbox reader on real mailboxes written by the standard library's mailbox module
(a Maildir and an mbox in tmp_path), and the paths it must refuse."""

from __future__ import annotations

import mailbox
import os
from pathlib import Path

import pytest
from inbox_mail import sample

from pressctl.errors import InvalidInput
from pressctl.inbox.classify import classify
from pressctl.inbox.mailboxes import MailboxMessage, read_mailbox

NAMES = ["postfix-dsn-hard.eml", "itip-google-declined.eml", "human-reply.eml",
         "ooo-french.eml", "no-message-id.eml"]


def _lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").rstrip(b"\n")


def _maildir(path: Path, names: list[str]) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for name in names:
        box.add(mailbox.MaildirMessage(sample(name)))
    return box


def test_a_maildir_gives_every_message_in_new_and_cur(tmp_path):
    box = _maildir(tmp_path / "Maildir", NAMES)
    seen = next(iter(box.keys()))
    message = box[seen]
    message.set_subdir("cur")
    message.add_flag("S")  # read by a mail program: moved to cur/ with ":2,S"
    box[seen] = message
    assert {p.parent.name for p in (tmp_path / "Maildir").glob("*/*")} == {"new", "cur"}
    found = list(read_mailbox(tmp_path / "Maildir"))
    assert sorted(m.key for m in found) == sorted(box.keys())
    assert sorted(_lf(m.raw) for m in found) == sorted(_lf(sample(n)) for n in NAMES)
    assert all(isinstance(m, MailboxMessage) for m in found)


def test_a_maildir_key_is_stable_when_flags_change(tmp_path):
    box = _maildir(tmp_path / "Maildir", ["human-reply.eml"])
    [key] = box.keys()
    before = [m.key for m in read_mailbox(tmp_path / "Maildir")]
    message = box[key]
    message.set_subdir("cur")
    message.add_flag("RS")
    box[key] = message
    assert [m.key for m in read_mailbox(tmp_path / "Maildir")] == before == [key]


def test_maildir_messages_classify_like_the_files(tmp_path):
    _maildir(tmp_path / "Maildir", NAMES)
    kinds = sorted(classify(m.raw).kind for m in read_mailbox(tmp_path / "Maildir"))
    assert kinds == sorted(classify(sample(n)).kind for n in NAMES)


def test_a_maildir_with_only_cur_is_read(tmp_path):
    (tmp_path / "box" / "cur").mkdir(parents=True)
    (tmp_path / "box" / "cur" / "1795421647.M1P1.office:2,S").write_bytes(sample("human-reply.eml"))
    assert [m.key for m in read_mailbox(tmp_path / "box")] == ["1795421647.M1P1.office"]


def test_a_message_met_in_new_and_cur_at_once_is_read_once(tmp_path):
    # A mail program moved it from new/ to cur/ while the folders were listed.
    for sub, name in (("new", "1795421647.M1P1.office"), ("cur", "1795421647.M1P1.office:2,S")):
        (tmp_path / "box" / sub).mkdir(parents=True)
        (tmp_path / "box" / sub / name).write_bytes(sample("human-reply.eml"))
    assert [m.key for m in read_mailbox(tmp_path / "box")] == ["1795421647.M1P1.office"]


def test_tmp_and_hidden_files_of_a_maildir_are_not_messages(tmp_path):
    _maildir(tmp_path / "Maildir", ["human-reply.eml"])
    (tmp_path / "Maildir" / "tmp" / "1795421650.M2P2.office").write_bytes(b"half written")
    (tmp_path / "Maildir" / "new" / ".dovecot-lock").write_bytes(b"")
    assert len(list(read_mailbox(tmp_path / "Maildir"))) == 1


def test_an_empty_maildir_has_no_messages(tmp_path):
    mailbox.Maildir(tmp_path / "Maildir", create=True)
    assert list(read_mailbox(tmp_path / "Maildir")) == []


def test_an_mbox_gives_every_message_in_order(tmp_path):
    box = mailbox.mbox(tmp_path / "replies.mbox", create=True)
    for name in NAMES:
        box.add(mailbox.mboxMessage(sample(name)))
    box.flush()
    box.close()
    found = list(read_mailbox(tmp_path / "replies.mbox"))
    assert [m.key for m in found] == [str(i) for i in range(len(NAMES))]
    assert [_lf(m.raw) for m in found] == [_lf(sample(n)) for n in NAMES]
    assert [classify(m.raw).kind for m in found] == [classify(sample(n)).kind for n in NAMES]


def test_an_empty_mbox_file_has_no_messages(tmp_path):
    (tmp_path / "empty.mbox").write_bytes(b"")
    assert list(read_mailbox(tmp_path / "empty.mbox")) == []


# -- what is refused -------------------------------------------------------------------------


def test_a_missing_path_is_refused_naming_it(tmp_path):
    # Refused by the call itself, before any message is asked for (no next() here).
    with pytest.raises(InvalidInput, match="no such file or folder") as err:
        read_mailbox(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(err.value)
    assert "Maildir" in str(err.value) and "mbox" in str(err.value)


def test_a_folder_that_is_not_a_maildir_is_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "message.eml").write_bytes(sample("human-reply.eml"))
    with pytest.raises(InvalidInput, match="not a Maildir") as err:
        read_mailbox(tmp_path / "folder")
    assert str(tmp_path / "folder") in str(err.value)


def test_a_single_message_file_is_not_an_mbox(tmp_path):
    path = tmp_path / "bounce.eml"
    path.write_bytes(sample("postfix-dsn-hard.eml"))
    with pytest.raises(InvalidInput, match="not an mbox file") as err:
        read_mailbox(path)
    assert str(path) in str(err.value)


def test_a_special_file_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInput, match="neither a folder nor a file"):
        read_mailbox(fifo)


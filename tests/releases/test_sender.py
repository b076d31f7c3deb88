"""The configured sender and unsubscribe settings reach the built messages."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from conftest import REPO, SAMPLES


def test_configured_sender_and_one_click_unsubscribe(cli, home):
    assert cli("orgs", "import", SAMPLES / "organizations.json").exit_code == 0
    assert cli("contacts", "import", SAMPLES / "contacts.csv").exit_code == 0
    (home / "config.toml").write_text(
        '[sender]\nname = "CNES Press Office"\naddress = "presse@cnes.fr"\n'
        'list_unsubscribe = "unsubscribe@cnes.fr"\n'
        'unsubscribe_url = "https://presse.example.org/unsubscribe?t={token}"\n')
    result = cli("release", "preview", REPO / "examples" / "PR106-2020.en.md",
                 "--to", "claire.fontaine@gazette-espace.example.org", "--format", "eml")
    assert result.exit_code == 0, result.stderr
    message = email.message_from_bytes(result.stdout_bytes, policy=email.policy.default)
    assert message["From"].addresses[0].display_name == "CNES Press Office"
    assert message["From"].addresses[0].addr_spec == "presse@cnes.fr"
    unsubscribe = str(message["List-Unsubscribe"])
    assert "<mailto:unsubscribe@cnes.fr" in unsubscribe
    assert "<https://presse.example.org/unsubscribe?t=preview-token>" in unsubscribe
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@cnes.fr>")


def test_without_configuration_the_first_officer_sends(cli):
    cli("orgs", "import", SAMPLES / "organizations.json")
    cli("contacts", "import", SAMPLES / "contacts.csv")
    result = cli("release", "preview", Path(REPO / "examples" / "PR106-2020.en.md"),
                 "--to", "5", "--format", "eml")
    message = email.message_from_bytes(result.stdout_bytes, policy=email.policy.default)
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Pascale Bresson (CNES)",
                                                      "pascale.bresson@cnes.fr")
    assert message["List-Unsubscribe-Post"] is None

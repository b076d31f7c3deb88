"""`pressctl dkim`: make the signing key and its DNS record, check that signing works.
The work is in pressctl.delivery.dkim; here: parse, call it, print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.context import Json, state

if TYPE_CHECKING:
    from pressctl.delivery.dkim import DnsRecord

app = typer.Typer(no_args_is_help=True)


@app.command("keygen")
def keygen(
    ctx: typer.Context,
    selector: Annotated[str, typer.Option(
        "--selector", help="The key's name in the DNS, e.g. press2026 (a new one per key).")],
    domain: Annotated[str, typer.Option(
        "--domain", help="The domain of your From addresses, e.g. cnes.fr.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the private key (default: dkim-SELECTOR.pem beside "
                      "config.toml). Never overwritten.")] = None,
    json_out: Json = False,
) -> None:
    """Write a new 2048-bit RSA private key (mode 0600) and print the DNS TXT record
    to publish and the [dkim] lines to add to config.toml.

    Example: pressctl dkim keygen --selector press2026 --domain cnes.fr
    """
    from pressctl.delivery.dkim import generate_key

    st = state(ctx)
    config_dir = st.paths.config_file.parent
    if out is None:
        from pressctl.home import require_home

        require_home(st.paths, db_given=st.db_given)
        out = config_dir / f"dkim-{selector.strip().lower()}.pem"
    pair = generate_key(selector, domain, out.absolute())
    if json_out:
        st.out.json({"key_file": str(pair.key_file), "bits": pair.bits,
                     "domain": pair.domain, "selector": pair.selector,
                     "record": _record_json(pair.record),
                     "config": pair.config_lines(config_dir)})
        return
    st.out.info(f"Wrote a {pair.bits}-bit RSA private key to {pair.key_file} (mode 0600): "
                "keep it secret, and back it up.")
    st.out.line(f"Publish this TXT record in the DNS of {pair.domain}:")
    st.out.line(f"  name:  {pair.record.name}")
    st.out.line(f"  value: {pair.record.value}")
    st.out.line("In a zone file:")
    st.out.line(f"  {pair.record.zone_line}")
    st.out.line("")
    st.out.line(f"Then add to {st.paths.config_file}:")
    st.out.line(pair.config_lines(config_dir).rstrip("\n"))


@app.command("check")
def check(ctx: typer.Context, json_out: Json = False) -> None:
    """Load the [dkim] key of config.toml, sign a sample message and verify it
    against the key's public half (exit 4 when the key or the table is wrong). The
    DNS is not asked: compare the record printed with the one you published.

    Example: pressctl dkim check
    """
    from datetime import UTC, datetime

    from pressctl.delivery.dkim import check_signing
    from pressctl.errors import ConfigError

    st = state(ctx)
    settings = st.config().dkim  # no book needed
    if settings is None:
        raise ConfigError(f"{st.paths.config_file}: no [dkim] table: messages are not signed",
                          hint="run `pressctl dkim keygen --selector S --domain D` and add "
                               "the [dkim] lines it prints")
    found = check_signing(settings, env=st.env, now=datetime.now(UTC))
    if json_out:
        st.out.json({"ok": True, "domain": found.domain, "selector": found.selector,
                     "bits": found.bits, "algorithm": "rsa-sha256",
                     "canonicalization": "relaxed/relaxed", "signed": list(found.signed),
                     "record": _record_json(found.record), "verdict": found.verdict})
        return
    st.out.line(found.verdict)
    st.out.line(f"The TXT record to publish: {found.record.name}")
    st.out.line(f"  {found.record.value}")


def _record_json(record: DnsRecord) -> dict:
    return {"name": record.name, "value": record.value, "strings": list(record.strings),
            "zone_line": record.zone_line}

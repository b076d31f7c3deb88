"""`pressctl smtp test`: check the delivery configuration end to end."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.context import state

app = typer.Typer(no_args_is_help=True)


@app.command("test")
def test(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option(
        "--to", help="Also send a short test message to this address.")] = None,
) -> None:
    """Connect, secure (STARTTLS/TLS with a verified certificate), log in, and optionally
    send a test message (exit 4 on a configuration or credential problem). With [dkim],
    first sign a sample message and verify it with the key's public half.

    Example: pressctl smtp test --to pascale.bresson@cnes.fr
    """
    from pressctl.delivery.run import describe_transport
    from pressctl.delivery.transport import check_smtp

    st = state(ctx)
    settings = st.book().settings
    if settings.dkim is not None:  # a key that does not sign is exit 4, before the relay
        from datetime import UTC, datetime

        from pressctl.delivery.dkim import check_signing

        st.out.line(str(check_signing(settings.dkim, env=st.env, now=datetime.now(UTC))))
    if settings.smtp is None:
        where = describe_transport(settings, st.paths.delivery_dir)
        st.out.line(f"No [smtp] host configured: `outbox run` delivers into the {where}")
        return
    sender = settings.sender.address or to
    for line in check_smtp(settings.smtp, st.env, send_to=to, sender=sender):
        st.out.line(line)

"""`pressctl smtp test`: check the delivery configuration end to end."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.context import Json, state

app = typer.Typer(no_args_is_help=True)


@app.command("test")
def test(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option(
        "--to", help="Also send a short test message to this address.")] = None,
    json_out: Json = False,
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
    say = (lambda line: None) if json_out else st.out.line  # --json: one object at the end
    dkim = None
    if settings.dkim is not None:  # a key that does not sign is exit 4, before the relay
        from datetime import UTC, datetime

        from pressctl.delivery.dkim import check_signing

        dkim = str(check_signing(settings.dkim, env=st.env, now=datetime.now(UTC)))
        say(dkim)
    via = describe_transport(settings, st.paths.delivery_dir)
    steps = []
    if settings.smtp is None:
        steps.append(f"No [smtp] host configured: `outbox run` delivers into the {via}")
        say(steps[-1])
    else:  # each step is said as it succeeds; a failure raises (exit 4 or 5)
        sender = settings.sender.address or to
        for line in check_smtp(settings.smtp, st.env, send_to=to, sender=sender):
            steps.append(line)
            say(line)
    if json_out:
        st.out.json({"via": via, "dkim": dkim, "steps": steps, "sent_to": to, "ok": True})

"""`pressctl optouts import`: read unsubscribe replies and opt their senders out;
`pressctl optouts serve`: the one-click unsubscribe page (RFC 8058) for a quick start."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli.context import Json, state

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(
        help="A Maildir folder or an mbox file of replies to the List-Unsubscribe address.")],
    json_out: Json = False,
) -> None:
    """Opt out the sender of every unsubscribe reply (known contact or not).

    Bounces (delivery status notifications, MAILER-DAEMON, postmaster) and automatic
    replies (out of office) are not requests: they are skipped and counted.

    Example: pressctl optouts import ~/Maildir/.unsubscribe
    """
    from pressctl.book.optouts import import_optouts

    st = state(ctx)
    report = import_optouts(st.book(), path)
    if json_out:
        st.out.json({
            "messages": report.messages, "contacts": report.contacts,
            "unknown": report.unknown, "unreadable": report.unreadable,
            "bounces": report.bounces, "auto_replies": report.auto_replies,
            "skipped": [{"message": s.message, "from": s.sender, "subject": s.subject,
                         "why": str(s.why)} for s in report.skipped],
        })
        return
    for address in report.contacts:
        st.out.info(f"opted out {address}")
    for address in report.unknown:
        st.out.info(f"suppressed {address} (not in the book: never mailed if added later)")
    for skipped in report.skipped:
        st.out.info(f"skipped {skipped.message} ({skipped.why}): from {skipped.sender}, "
                    f'"{skipped.subject}"')
    for problem in report.unreadable:
        st.out.warn(problem)
    st.out.info(f"{report.messages} message(s): {len(report.contacts)} contact(s) "
                f"opted out, {len(report.unknown)} other address(es) suppressed; skipped "
                f"{report.bounces} bounce(s) and {report.auto_replies} automatic reply(ies)")


@app.command("serve")
def serve(
    ctx: typer.Context,
    listen: Annotated[str, typer.Option(
        "--listen", metavar="HOST:PORT",
        help="Address and port to listen on ([::1]:8080 for IPv6; port 0: any free port). "
             "Another address than loopback is reachable from other machines: put the "
             "page behind the office's HTTPS web server.")] = "127.0.0.1:8080",
) -> None:
    """Serve the one-click unsubscribe page (RFC 8058) until Ctrl-C.

    It answers at the path of sender.unsubscribe_url. GET shows a page with a
    button and never unsubscribes; POST (the mail client's one-click, or the
    button) opts the recipient out. One access-log line per request goes to
    stderr, with tokens replaced by "…". Behind the office's web server, run
    pressctl.delivery.unsubscribe_app:make_app_from_env() in a WSGI server.

    Example: pressctl optouts serve --listen 127.0.0.1:8080
    """
    from pressctl.delivery.unsubscribe_app import host_port, make_server, unsubscribe_app_for
    from pressctl.errors import EXIT_INTERRUPTED

    host, port = _host_port(listen)
    st = state(ctx)
    settings = st.settings()  # a missing home or book is refused, naming the `init`
    unsubscribe_app = unsubscribe_app_for(st.paths, st.env)

    def log(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    server = make_server(unsubscribe_app, host, port, log)  # a port in use: said first
    if settings.sender.unsubscribe_url is None:
        st.out.warn("sender.unsubscribe_url is not set in config.toml: messages carry no "
                    "one-click link (the page answers at /unsubscribe?t=TOKEN meanwhile)")
    if not _is_loopback(host):
        st.out.warn(f"{host} is reachable from other machines: serve the page to the "
                    "public through the office's HTTPS web server")
    bound, bound_port = server.server_address[:2]
    st.out.info(f"serving the unsubscribe page on http://{host_port(str(bound), int(bound_port))}"
                f"{unsubscribe_app.route.shown} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        st.out.info("stopped serving the unsubscribe page")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        server.server_close()


def _host_port(listen: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) of --listen; a bad one is a usage error (exit 2)."""
    host, colon, port = listen.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise typer.BadParameter(f"{listen!r} is not HOST:PORT (e.g. 127.0.0.1:8080)",
                                 param_hint="--listen")
    return host, int(port)


def _is_loopback(host: str) -> bool:
    """Only this machine can reach ``host`` (an address, or "localhost")."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

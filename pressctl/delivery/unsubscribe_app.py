"""The one-click unsubscribe page (RFC 8058): a small WSGI application, standard library
only, and the threaded wsgiref server `pressctl optouts serve` runs it in.

Where: the path of ``sender.unsubscribe_url``, reading the token where that URL puts it
(the query parameter holding ``{token}``, ``t`` in the documented example, or the last
path segment): the links sent and the page agree by construction. Other paths are 404.

- GET shows a short page in French and English with one button. It never unsubscribes:
  mail scanners and link previews follow links.
- POST with ``List-Unsubscribe=One-Click`` (form-encoded or multipart, as RFC 8058 lets
  a mail client send it; the page's own button sends the same) records the opt-out
  (pressctl.book.unsubscribe) and says so; a second POST changes nothing and says the same.
- A malformed, unknown or forged token gets the same 400 page. No page ever shows an
  address, not even masked: the person knows which message they clicked, and a masked
  form ("c***@gazette-espace.example.org") would still tell a forwarded link's reader
  where its owner works.
- Other methods (HEAD too) get 405 with Allow. A body over 4 KiB gets 413: it is never
  kept (up to 64 KiB is read and dropped, so that the client reads the page).
- The book is opened for each request and closed after it, so a long-lived server
  survives a database restart; while the book cannot be reached, 503 and nothing
  changes. No traceback or token reaches a page or a log line.

Tokens are secrets: :func:`redact` replaces them in every log line with "…". The token is
verified here (:func:`token_verifier`), where the home's key is: the book below asks
through a callable and never sees the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from pressctl.book.session import Book
from pressctl.book.unsubscribe import InvalidToken, Verify, opt_out_by_token, token_holder
from pressctl.config import (
    DatabaseLocation,
    Paths,
    Settings,
    database_location,
    load_settings,
    resolve_paths,
)
from pressctl.delivery.unsubscribe import TOKEN_LENGTH, load_key, unsubscribe_token
from pressctl.errors import ConfigError
from pressctl.store import Store
from pressctl.times import iso

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

WEB_ACTOR = "one-click link"  # who the trail says opted out: the recipient, by the link
MAX_BODY = 4096  # bytes of a POST body read at most (RFC 8058's is 26)
DISCARDED = 65536  # a longer body is read and dropped up to this, then the connection closed
MAX_QUERY = 1024  # characters of a query string looked at
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")  # base64url, as unsubscribe_token

# -- where the page answers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """The page's path and where its token is: query parameter ``param``, or the last
    path segment when ``param`` is None."""

    path: str
    param: str | None = "t"

    def token_in(self, path: str, query: str) -> str | None:
        """The token of a request (possibly empty or malformed), or None when the
        request is not for this page."""
        if self.param is None:
            head, _, last = path.rpartition("/")
            return last if head == self.path else None
        if path != self.path:
            return None
        if len(query) > MAX_QUERY:
            return ""
        try:
            values = parse_qs(query, keep_blank_values=True, max_num_fields=20)
        except ValueError:  # too many fields
            return ""
        found = values.get(self.param, [])
        return found[0] if len(found) == 1 else ""

    @property
    def shown(self) -> str:
        """The page's address pattern, for messages: /unsubscribe?t=TOKEN."""
        if self.param is None:
            return f"{self.path}/TOKEN"
        return f"{self.path}?{self.param}=TOKEN"


DEFAULT_ROUTE = Route("/unsubscribe", "t")


def route_of(unsubscribe_url: str | None) -> Route:
    """Where the page answers for the configured ``sender.unsubscribe_url`` (the
    documented default without one). ConfigError when ``{token}`` is neither a query
    parameter's whole value nor the whole last path segment."""
    if unsubscribe_url is None:
        return DEFAULT_ROUTE
    parts = urlsplit(unsubscribe_url)
    path = unquote(parts.path)
    if "{token}" in path:
        head, _, tail = path.partition("{token}")
        if head.endswith("/") and not tail:
            return Route(head.rstrip("/"), None)
    else:
        names = [name for name, value in parse_qsl(parts.query, keep_blank_values=True)
                 if value == "{token}"]
        if len(names) == 1:
            return Route(path or "/", names[0])
    raise ConfigError(f"sender.unsubscribe_url {unsubscribe_url!r}: the unsubscribe page reads "
                      "{token} from a query parameter or from the last path segment",
                      hint='e.g. "https://presse.example.org/unsubscribe?t={token}"')


def redact(text: str, route: Route = DEFAULT_ROUTE) -> str:
    """``text`` (a log line) with every token replaced by "…": the token parameter's
    value, what follows the page's path, and any run of token-like characters."""
    if route.param is not None:
        text = re.sub(rf"(?i)([?&;]{re.escape(route.param)}=)[^&;\s\"']*", r"\1…", text)
    else:
        text = re.sub(rf"({re.escape(route.path)}/)[^\s?\"']+", r"\1…", text)
    return re.sub(rf"[A-Za-z0-9_%-]{{{TOKEN_LENGTH},}}", "…", text)


def token_verifier(key: bytes) -> Verify:
    """``verify(mailout_id, address, token)``: the token is the HMAC under ``key`` of
    that address in that mailout (compared in constant time)."""

    def verify(mailout_id: int, address: str, token: str) -> bool:
        expected = unsubscribe_token(key, mailout_id, address).encode("ascii")
        return hmac.compare_digest(expected, token.encode("ascii", "replace"))

    return verify


# -- the pages ------------------------------------------------------------------------------

_STYLE = ("body{font:17px/1.5 system-ui,sans-serif;max-width:34em;margin:3em auto;"
          "padding:0 1em;color:#222}h1{font-size:1.4em}p[lang=en]{color:#555}"
          "button{font:inherit;padding:.5em 1.5em;cursor:pointer}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode("ascii")
SECURITY_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
)
ALLOWED = "GET, POST"


@dataclass(frozen=True, slots=True)
class Page:
    status: str
    title: tuple[str, str]  # French, English
    text: tuple[str, str]
    button: bool = False  # the confirmation form

    def render(self) -> bytes:
        fr, en = (html.escape(t) for t in self.title)
        form = ('<form method="post"><input type="hidden" name="List-Unsubscribe" '
                'value="One-Click"><button type="submit">Confirmer / Confirm</button></form>'
                if self.button else "")
        return (
            '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex, nofollow">'
            f"<title>{fr} / {en}</title><style>{_STYLE}</style></head><body>"
            f'<h1>{fr} <span lang="en">/ {en}</span></h1>'
            f"<p>{html.escape(self.text[0])}</p><p lang=\"en\">{html.escape(self.text[1])}</p>"
            f"{form}</body></html>\n").encode()


CONFIRM = Page("200 OK", ("Désinscription", "Unsubscribe"), (
    "Vous ne souhaitez plus recevoir nos communiqués de presse ? Confirmez ci-dessous.",
    "You no longer wish to receive our press releases? Please confirm below."), button=True)
DONE = Page("200 OK", ("Désinscription confirmée", "Unsubscribed"), (
    "Vous ne recevrez plus de communiqués de presse de notre part.",
    "You will receive no more press releases from us."))
INVALID = Page("400 Bad Request", ("Lien non valide", "Invalid link"), (
    "Ce lien n'est pas valide. Il a peut-être été coupé : copiez-le en entier depuis le "
    "message, ou répondez au message pour vous désinscrire.",
    "This link is not valid. It may have been cut short: copy it whole from the message, "
    "or reply to the message to unsubscribe."))
NOT_ONE_CLICK = Page("400 Bad Request", ("Demande incomprise", "Request not understood"), (
    "Cette demande n'a pas pu être comprise : utilisez le bouton de la page de désinscription.",
    "This request could not be understood: please use the button of the unsubscribe page."))
NOT_FOUND = Page("404 Not Found", ("Page introuvable", "Page not found"), (
    "Cette page n'existe pas.", "There is no such page."))
NOT_ALLOWED = Page("405 Method Not Allowed", ("Méthode refusée", "Method not allowed"), (
    "Cette page n'accepte que GET et POST.", "This page accepts only GET and POST."))
TOO_LARGE = Page("413 Content Too Large", ("Requête trop longue", "Request too large"), (
    "Cette demande est trop longue.", "This request is too large."))
UNAVAILABLE = Page("503 Service Unavailable", ("Service indisponible", "Service unavailable"), (
    "Le service est momentanément indisponible et rien n'a été modifié : réessayez dans "
    "quelques minutes.", "The service is unavailable for a moment and nothing was changed: "
    "please try again in a few minutes."))
FAILED = Page("500 Internal Server Error", ("Erreur", "Error"), (
    "Une erreur s'est produite et rien n'a été modifié : réessayez plus tard.",
    "Something went wrong and nothing was changed: please try again later."))


# -- the application ------------------------------------------------------------------------


class UnsubscribeApp:
    """The WSGI application (see the module's docstring): ``open_book`` gives a Book for
    one request (closed after it); ``key`` is the home's unsubscribe key."""

    def __init__(self, open_book: Callable[[], Book], *, key: bytes,
                 route: Route = DEFAULT_ROUTE) -> None:
        self.open_book = open_book
        self.verify = token_verifier(key)
        self.route = route

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        body = _body(environ)
        page = TOO_LARGE if body is None else self.respond(environ, method, body)
        content = page.render()
        headers = [*SECURITY_HEADERS, ("Content-Length", str(len(content)))]
        if page is NOT_ALLOWED:
            headers.append(("Allow", ALLOWED))
        if page is UNAVAILABLE:
            headers.append(("Retry-After", "120"))
        start_response(page.status, headers)
        return [b"" if method == "HEAD" else content]

    def respond(self, environ: WSGIEnvironment, method: str, body: bytes) -> Page:
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        token = self.route.token_in(path, str(environ.get("QUERY_STRING", "")))
        if token is None:
            return NOT_FOUND
        if method not in ("GET", "POST"):
            return NOT_ALLOWED
        if not _TOKEN.fullmatch(token):
            return INVALID
        if method == "POST" and not _is_one_click(str(environ.get("CONTENT_TYPE") or ""), body):
            return NOT_ONE_CLICK
        try:
            book = self.open_book()
            try:
                if method == "GET":
                    token_holder(book, token, self.verify)
                    return CONFIRM
                opt_out_by_token(book, token, self.verify)
                return DONE
            finally:
                book.store.close()
        except InvalidToken:
            return INVALID
        except ConfigError as err:  # the book cannot be reached or written (StorageError)
            _log(environ, f"unsubscribe page: {err}", self.route)
            return UNAVAILABLE
        except Exception as err:  # a bug: no traceback on the page, nor a token in the log
            _log(environ, f"unsubscribe page: unexpected {type(err).__name__}: {err}",
                 self.route)
            return FAILED


def make_app(open_book: Callable[[], Book], *, key: bytes,
             route: Route = DEFAULT_ROUTE) -> UnsubscribeApp:
    """The unsubscribe page as a WSGI application (see :class:`UnsubscribeApp`)."""
    return UnsubscribeApp(open_book, key=key, route=route)


def _log(environ: WSGIEnvironment, text: str, route: Route) -> None:
    """One line to the WSGI server's error log (never to the page)."""
    stream = environ.get("wsgi.errors")
    if stream is not None:
        stream.write(redact(text, route) + "\n")


def _body(environ: WSGIEnvironment) -> bytes | None:
    """The request's body, at most MAX_BODY bytes of it and only as many as announced
    (or, chunked, as the server says the stream ends: ``wsgi.input_terminated``, set by
    gunicorn and mod_wsgi); None when it is longer. A longer one is read up to DISCARDED
    bytes and dropped, so that the client reads the 413 page rather than a connection
    reset."""
    stream = environ["wsgi.input"]
    if not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
        body = stream.read(MAX_BODY + 1)  # chunked, and the server ends the stream for us
        return body if len(body) <= MAX_BODY else None
    try:
        length = max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return b""  # no body we can read: no one-click request either
    if length <= MAX_BODY:
        return stream.read(length) if length else b""
    if length <= DISCARDED:
        while length > 0:
            chunk = stream.read(min(length, MAX_BODY))
            if not chunk:
                break
            length -= len(chunk)
    return None


def _is_one_click(content_type: str, body: bytes) -> bool:
    """The body is RFC 8058's ``List-Unsubscribe=One-Click``: form-encoded, multipart
    (RFC 7578), or sent without a type."""
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        fields = _multipart(content_type, body)
    else:
        try:
            fields = parse_qsl(body.decode("ascii"), keep_blank_values=True,
                               max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            return False
    return any(name == "List-Unsubscribe" and value.strip().lower() == "one-click"
               for name, value in fields)


def _multipart(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The text fields of a multipart/form-data body (RFC 7578), by the stdlib's parser."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields = []
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields.append((name, payload.decode("utf-8", "replace")))
    return fields


# -- for deployment -------------------------------------------------------------------------


def book_opener(location: DatabaseLocation, settings: Settings,
                env: Mapping[str, str]) -> Callable[[], Book]:
    """Opens the book for one request, at the request's time, acting as WEB_ACTOR."""

    def open_book() -> Book:
        store = Store.open(location, create=False, env=env)
        return Book(store, settings, iso(datetime.now(UTC)), actor=WEB_ACTOR)

    return open_book


def unsubscribe_app_for(paths: Paths, env: Mapping[str, str]) -> UnsubscribeApp:
    """The page of the book ``paths`` name (``env``: a PostgreSQL password's source).
    Refuses at once (ConfigError) a missing key or book, or a URL it cannot serve."""
    settings = load_settings(paths.config_file)
    location = database_location(paths, settings)
    route = route_of(settings.sender.unsubscribe_url)
    key = load_key(paths.unsubscribe_key)
    Store.open(location, create=False, env=env).close()  # fail now, not at the first click
    return make_app(book_opener(location, settings, env), key=key, route=route)


def make_app_from_env(env: Mapping[str, str] | None = None) -> UnsubscribeApp:
    """The application for a WSGI server (gunicorn, uWSGI, mod_wsgi): the book of
    PRESSCTL_HOME (and PRESSCTL_DB, if set), as `pressctl` finds it."""
    env = dict(os.environ if env is None else env)
    return unsubscribe_app_for(resolve_paths(env), env)


# -- the quick-start server -----------------------------------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # Ctrl-C does not wait for a slow client
    allow_reuse_address = True
    log: Callable[[str], None]
    route: Route


class _LogStream:
    """wsgi.errors and wsgiref's own error output, as redacted log lines."""

    def __init__(self, server: _Server) -> None:
        self.server = server

    def write(self, text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                self.server.log(redact(line, self.server.route))

    def flush(self) -> None:
        pass


class _Handler(WSGIRequestHandler):
    timeout = 30  # seconds a client may take: a stalled one does not hold a thread forever
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        line = f"{self.address_string()} - - [{self.log_date_time_string()}] {format % args}"
        self.server.log(redact(line, self.server.route))

    def get_stderr(self) -> _LogStream:  # type: ignore[override]
        return _LogStream(self.server)


def make_server(app: UnsubscribeApp, host: str, port: int,
                log: Callable[[str], None]) -> WSGIServer:
    """A threaded wsgiref server for ``app`` on HOST:PORT (port 0: any free port; read
    ``server_address``), writing one redacted access-log line per request to ``log``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("UnsubscribeServer", (_Server,), {"address_family": family})
    try:
        server = server_class((host, port), _Handler)
    except OSError as err:
        raise ConfigError(f"cannot listen on {host_port(host, port)} ({err.strerror or err})",
                          hint="choose another address or port with --listen") from None
    server.log = log
    server.route = app.route
    server.set_app(app)
    return server


def host_port(host: str, port: int) -> str:
    """HOST:PORT as a URL writes it ([::1]:8080 for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

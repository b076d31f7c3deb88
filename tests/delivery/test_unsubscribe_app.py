"""The one-click unsubscribe page (pressctl.delivery.unsubscribe_app) over real HTTP: the
application deployments use (make_app_from_env on the test's home), in the threaded
wsgiref server `optouts serve` runs, on a loopback port, asked by http.client.

The tokens come from a real mailout: the sample book, the example release approved for
tag:space with a one-click URL in config.toml, delivered to a recording transport, and
the link read from the List-Unsubscribe header of a message it received.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from conftest import NOW, SAMPLES, db_snapshot, home_location
from mailing import APPROVED, Clock, deliver, release_now

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.config import load_settings
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.transport import RecordingTransport
from pressctl.delivery.unsubscribe import load_key, unsubscribe_token
from pressctl.delivery.unsubscribe_app import (
    WEB_ACTOR,
    Route,
    make_app_from_env,
    make_server,
    redact,
    route_of,
)
from pressctl.errors import ConfigError
from pressctl.releases.templating import Templates
from pressctl.store import Store

URL = "https://presse.example.org/unsubscribe?t={token}"
LATER = "2030-03-09 10:00 Europe/Paris"  # the second mailout, a week after APPROVED


@contextmanager
def opened(home: Path) -> Iterator[Book]:
    """The home's book as its config says, acting as an officer (closed after)."""
    store = Store.open(home_location(home), create=False)
    try:
        yield Book(store, load_settings(home / "config.toml"), NOW, actor="anne")
    finally:
        store.close()


def env_of(home: Path) -> dict[str, str]:
    """What a WSGI server's environment would hold for this home."""
    env = {"PRESSCTL_HOME": str(home)}
    if os.environ.get("PRESSCTL_DB"):  # the [postgresql] runs
        env["PRESSCTL_DB"] = os.environ["PRESSCTL_DB"]
    return env


@dataclass
class Office:
    """The approved mailouts and what the first one delivered."""

    home: Path
    first: int
    second: int
    sent: list[tuple[str, str, bytes]]  # (sender, recipient, data) of the first mailout
    address: str  # the recipient whose link the tests follow
    target: str  # the path and query of that link

    @property
    def token(self) -> str:
        return self.target.partition("?t=")[2]


def approve(book: Book, home: Path, path: Path, at: str | None = None) -> int:
    key = load_key(home / "unsubscribe.key")
    plans = plan_mailouts(book, path, at=at, audience=None, now=APPROVED)
    [mailout_id] = store_mailouts(book, plans, Templates(), path=path, token_key=key)
    return mailout_id


def one_click_link(data: bytes) -> str:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = re.findall(r"<(https://[^>]+)>", str(message["List-Unsubscribe"]))
    return url


@pytest.fixture
def office(home: Path, tmp_path: Path) -> Office:
    (home / "config.toml").write_text(f'[sender]\nunsubscribe_url = "{URL}"\n',
                                      encoding="utf-8")
    with opened(home) as book:
        import_orgs(book, SAMPLES / "organizations.json")
        import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
        path = release_now(tmp_path)
        first, second = approve(book, home, path), approve(book, home, path, at=LATER)
        transport = RecordingTransport()
        assert deliver(book, Clock(APPROVED), transport).sent == len(transport.sent) > 1
    _, address, data = transport.sent[0]
    url = urlsplit(one_click_link(data))
    assert url.netloc == "presse.example.org"
    return Office(home, first, second, transport.sent, address, f"{url.path}?{url.query}")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Served:
    port: int
    log: list[str]
    responses: list[Response] = field(default_factory=list)

    def call(self, method: str, target: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> Response:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, target, body=body, headers=headers or {})
            reply = connection.getresponse()
            response = Response(reply.status, {k.lower(): v for k, v in reply.getheaders()},
                                reply.read().decode("utf-8"))
        finally:
            connection.close()
        # No page ever shows an address, of this person or anyone.
        assert "@" not in response.text
        assert "Traceback" not in response.text
        self.responses.append(response)
        return response

    def get(self, target: str) -> Response:
        return self.call("GET", target)

    def one_click(self, target: str, body: bytes = b"List-Unsubscribe=One-Click",
                  kind: str = "application/x-www-form-urlencoded") -> Response:
        return self.call("POST", target, body, {"Content-Type": kind})

    def wait_for_log(self, count: int) -> None:
        """wsgiref writes the access line after the response: wait for it."""
        deadline = time.monotonic() + 5
        while len(self.log) < count and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture
def served(office: Office) -> Iterator[Served]:
    lines: list[str] = []
    server = make_server(make_app_from_env(env_of(office.home)), "127.0.0.1", 0, lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server.server_address[1], lines)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def suppression_and_contact(home: Path, address: str):
    key = email_key(address)
    with opened(home) as book:
        suppression = book.store.suppressions.suppressions_of([key]).get(key)
        owner = book.store.contacts.owners_of_email_keys([key])[key]
        contact = book.store.contacts.get(owner)
        trail = book.store.changes.trail()
    return suppression, contact, trail


class FormReader(HTMLParser):
    """The forms of a page: (attributes of <form>, [(name, value) of its inputs])."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append((dict(attrs), []))
        elif tag == "input" and self.forms:
            values = dict(attrs)
            self.forms[-1][1].append((values.get("name") or "", values.get("value") or ""))


# -- GET never unsubscribes ---------------------------------------------------------------


def test_get_shows_a_confirmation_page_and_never_opts_out(office, served):
    before = db_snapshot(office.home)
    page = served.get(office.target)
    assert page.status == 200
    assert "Confirmer / Confirm" in page.text and 'method="post"' in page.text
    assert "Désinscription" in page.text and "Unsubscribe" in page.text
    served.get(office.target)  # a mail scanner following the link twice
    assert db_snapshot(office.home) == before


# -- POST opts out, as every opt-out is recorded ------------------------------------------


def test_a_one_click_post_opts_the_recipient_out_with_the_trail(office, served):
    page = served.one_click(office.target)
    assert page.status == 200
    assert "You will receive no more press releases from us." in page.text
    assert "Vous ne recevrez plus de communiqués de presse de notre part." in page.text
    suppression, contact, trail = suppression_and_contact(office.home, office.address)
    assert suppression is not None and suppression.reason == "one-click unsubscribe"
    assert f"mailout #{office.first}" in (suppression.note or "")
    assert contact.opted_out
    with opened(office.home) as book:  # every address of the person, as other opt-outs
        held = book.store.suppressions.suppressions_of(email_key(e) for e in contact.emails)
    assert len(held) == len(contact.emails)
    [entry] = [c for c in trail if c.action == "opt-out"]
    assert (entry.actor, entry.subject, entry.subject_id) == (
        WEB_ACTOR, "contact", str(contact.stored_id))
    assert entry.summary.startswith(f"one-click unsubscribe (mailout #{office.first}, ")


def test_a_second_post_changes_nothing_and_says_the_same(office, served):
    first = served.one_click(office.target)
    after_first = db_snapshot(office.home)
    second = served.one_click(office.target)
    assert (second.status, second.text) == (first.status, first.text)
    assert db_snapshot(office.home) == after_first


def test_the_multipart_post_rfc_8058_prefers_is_accepted(office, served):
    boundary = "----pressctl" + secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
            f"\r\nOne-Click\r\n--{boundary}--\r\n").encode("ascii")
    page = served.one_click(office.target, body, f"multipart/form-data; boundary={boundary}")
    assert page.status == 200
    assert suppression_and_contact(office.home, office.address)[1].opted_out


def test_the_pages_own_button_posts_what_a_mail_client_posts(office, served):
    reader = FormReader()
    reader.feed(served.get(office.target).text)
    [(form, inputs)] = reader.forms
    assert form == {"method": "post"}  # no action: the form posts back to the link itself
    page = served.one_click(office.target, urlencode(inputs).encode("ascii"))
    assert page.status == 200 and "no more press releases" in page.text
    assert suppression_and_contact(office.home, office.address)[1].opted_out


@pytest.mark.parametrize("body", [b"", b"List-Unsubscribe=Later", b"unsubscribe=yes",
                                  b"\xff\xfe"])
def test_a_post_that_is_not_one_click_changes_nothing(office, served, body):
    before = db_snapshot(office.home)
    page = served.one_click(office.target, body)
    assert page.status == 400 and "could not be understood" in page.text
    assert db_snapshot(office.home) == before


def test_an_oversized_body_is_refused_and_changes_nothing(office, served):
    before = db_snapshot(office.home)
    page = served.one_click(office.target, b"List-Unsubscribe=One-Click&" + b"x" * 5000)
    assert page.status == 413
    assert db_snapshot(office.home) == before


def test_a_later_mailout_skips_the_address_that_unsubscribed(office, served):
    assert served.one_click(office.target).status == 200
    with opened(office.home) as book:
        transport = RecordingTransport()
        report = deliver(book, Clock(APPROVED.replace(day=9, hour=9)), transport)
        rows = {r.address: r for r in book.store.mailouts.rows(office.second)}
    assert office.address not in [recipient for _, recipient, _ in transport.sent]
    assert report.sent == len(office.sent) - 1 and report.skipped == 1
    assert (rows[office.address].state, rows[office.address].reply) == ("skipped", "opted out")


# -- tokens that name nobody ------------------------------------------------------------


def test_a_forged_token_is_refused_and_changes_nothing(office, served):
    forged = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode("ascii")
    assert len(forged) == len(office.token)
    before = db_snapshot(office.home)
    for page in (served.get(f"/unsubscribe?t={forged}"),
                 served.one_click(f"/unsubscribe?t={forged}")):
        assert page.status == 400 and "This link is not valid." in page.text
    assert db_snapshot(office.home) == before


def test_a_stored_token_that_does_not_verify_under_the_homes_key_is_not_believed(office,
                                                                              served):
    # A row whose token was not made with this home's key (the key replaced since, or
    # the old scheme's guessable tokens): found in the book, but not believed.
    other = unsubscribe_token(b"another key, not the home's: 0123456789", office.first,
                              office.address)
    with opened(office.home) as book, book.store.transaction():
        book.store.db.execute("UPDATE mailout_rows SET token = ? WHERE mailout_id = ? "
                              "AND address = ?", (other, office.first, office.address))
    before = db_snapshot(office.home)
    assert served.get(f"/unsubscribe?t={other}").status == 400
    assert served.one_click(f"/unsubscribe?t={other}").status == 400
    assert db_snapshot(office.home) == before


def test_a_well_signed_token_of_nobody_in_the_mailout_is_refused(office, served):
    key = load_key(office.home / "unsubscribe.key")
    stranger = unsubscribe_token(key, office.first, "stranger@example.org")
    before = db_snapshot(office.home)
    assert served.one_click(f"/unsubscribe?t={stranger}").status == 400
    assert db_snapshot(office.home) == before


@pytest.mark.parametrize("query", [
    "", "t=", "t=short", "t={token}x", "t={cut}", "t=" + "!" * 32, "t={token}&t={token}",
    "x={token}", "t=" + "A" * 5000, "&".join(f"f{i}=1" for i in range(50)) + "&t={token}",
], ids=["none", "empty", "short", "too-long", "cut", "bad-chars", "twice", "other-name",
        "huge", "many-fields"])
def test_a_malformed_link_is_refused_and_changes_nothing(office, served, query):
    before = db_snapshot(office.home)
    target = "/unsubscribe?" + query.format(token=office.token, cut=office.token[:-1])
    for page in (served.get(target), served.one_click(target)):
        assert page.status == 400 and "This link is not valid." in page.text
    assert db_snapshot(office.home) == before


# -- what the server says, and to whom ------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_other_methods_get_405_with_allow(office, served, method):
    before = db_snapshot(office.home)
    page = served.call(method, office.target, b"List-Unsubscribe=One-Click")
    assert page.status == 405 and page.headers["allow"] == "GET, POST"
    assert (page.text == "") == (method == "HEAD")
    assert db_snapshot(office.home) == before


@pytest.mark.parametrize("target", ["/", "/favicon.ico", "/unsubscribe/x?t={token}",
                                    "/UNSUBSCRIBE?t={token}"])
def test_other_paths_are_not_found(office, served, target):
    page = served.one_click(target.format(token=office.token))
    assert page.status == 404
    assert not suppression_and_contact(office.home, office.address)[1].opted_out


def test_every_page_is_sent_with_the_security_headers(office, served):
    pages = [served.get(office.target), served.get("/unsubscribe?t=bad"),
             served.get("/nowhere"), served.call("PUT", office.target),
             served.one_click(office.target)]
    assert [p.status for p in pages] == [200, 400, 404, 405, 200]
    for page in pages:
        headers = page.headers
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        policy = dict(p.strip().split(" ", 1) for p in headers["content-security-policy"]
                      .split(";"))
        assert policy["default-src"] == "'none'" and policy["form-action"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        # The one inline style is allowed by its hash, nothing else.
        [style] = re.findall(r"<style>(.*?)</style>", page.text)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert policy["style-src"] == f"'sha256-{digest}'"
        assert "<script" not in page.text


def test_no_page_names_the_address_in_any_form(office, served):
    local, _, domain = office.address.partition("@")
    pages = [served.get(office.target), served.one_click(office.target),
             served.one_click(office.target)]
    for page in pages:
        assert local not in page.text and domain not in page.text
    # The valid link's page is the same for every recipient: nothing of the person in it.
    _, other, data = office.sent[1]
    url = urlsplit(one_click_link(data))
    assert served.get(f"{url.path}?{url.query}").text == pages[0].text


def test_the_access_log_never_holds_a_token(office, served):
    targets = [office.target, f"/unsubscribe?t={office.token[:-1]}",
               f"/unsubscribe?x=1&t={office.token}", f"/elsewhere?T={office.token}"]
    for target in targets:
        served.get(target)
    served.one_click(office.target)
    served.wait_for_log(len(targets) + 1)
    assert len(served.log) == len(targets) + 1  # one line per request
    text = "\n".join(served.log)
    assert office.token not in text and office.token[:-1] not in text
    assert '"GET /unsubscribe?t=… HTTP/1.1" 200' in text
    assert '"POST /unsubscribe?t=… HTTP/1.1" 200' in text


# -- a long-lived server and its database ---------------------------------------------------


@contextmanager
def book_away(home: Path) -> Iterator[None]:
    """The book cannot be reached for a while: its SQLite file moved away, or its
    PostgreSQL database renamed (as during a restore); back as it was after."""
    location = home_location(home)
    if location.path is not None:
        away = location.path.with_name("away.db")
        location.path.rename(away)
        try:
            yield
        finally:
            away.rename(location.path)
        return
    import psycopg
    from psycopg import sql

    name = unquote(urlsplit(location.url).path.lstrip("/"))
    admin_url = location.url.rsplit("/", 1)[0] + "/postgres"

    def rename(old: str, new: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for _ in range(50):  # the page's last connection may still be closing
                try:
                    admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(old), sql.Identifier(new)))
                    return
                except psycopg.errors.ObjectInUse:
                    time.sleep(0.1)
            raise AssertionError(f"{old} stayed in use")

    rename(name, name + "_away")
    try:
        yield
    finally:
        rename(name + "_away", name)


def test_while_the_book_is_unreachable_the_page_says_503_and_then_recovers(office, served):
    served.get(office.target)  # the server has served before the outage
    before = db_snapshot(office.home)
    with book_away(office.home):
        for page in (served.get(office.target), served.one_click(office.target)):
            assert page.status == 503 and "nothing was changed" in page.text
            assert page.headers["retry-after"] == "120"
    assert db_snapshot(office.home) == before
    # The same server, the book back: the next click works (a book per request).
    assert served.one_click(office.target).status == 200
    assert suppression_and_contact(office.home, office.address)[1].opted_out
    served.wait_for_log(6)  # four access lines, and the two outages said in the log
    assert sum("unsubscribe page: " in line for line in served.log) == 2
    assert office.token not in "\n".join(served.log)


# -- where the page answers -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "route"), [
    (None, Route("/unsubscribe", "t")),
    ("https://presse.cnes.fr/unsubscribe?t={token}", Route("/unsubscribe", "t")),
    ("https://presse.cnes.fr/presse/desabonnement?lang=fr&jeton={token}",
     Route("/presse/desabonnement", "jeton")),
    ("https://presse.cnes.fr/u/{token}", Route("/u", None)),
    ("https://presse.cnes.fr/{token}", Route("", None)),
])
def test_the_page_answers_where_the_configured_url_points(url, route):
    assert route_of(url) == route


@pytest.mark.parametrize("url", ["https://presse.cnes.fr/u-{token}.html",
                                 "https://presse.cnes.fr/u/{token}/confirm",
                                 "https://presse.cnes.fr/u?t=x{token}",
                                 "https://{token}.presse.cnes.fr/u"])
def test_a_url_whose_token_the_page_cannot_read_is_refused(url):
    with pytest.raises(ConfigError, match="query parameter or from the last path segment"):
        route_of(url)


def test_a_token_in_the_last_path_segment_is_served_there(home, tmp_path):
    (home / "config.toml").write_text(
        '[sender]\nunsubscribe_url = "https://presse.example.org/desabonnement/{token}"\n',
        encoding="utf-8")
    with opened(home) as book:
        import_orgs(book, SAMPLES / "organizations.json")
        import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
        approve(book, home, release_now(tmp_path))
        transport = RecordingTransport()
        deliver(book, Clock(APPROVED), transport)
    _, address, data = transport.sent[0]
    target = urlsplit(one_click_link(data)).path
    token = target.rsplit("/", 1)[1]
    lines: list[str] = []
    server = make_server(make_app_from_env(env_of(home)), "127.0.0.1", 0, lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        served = Served(server.server_address[1], lines)
        assert served.get(f"/desabonnement?t={token}").status == 404
        assert served.get(target).status == 200
        assert served.one_click(target).status == 200
        served.wait_for_log(3)
    finally:
        server.shutdown()
        server.server_close()
    assert suppression_and_contact(home, address)[1].opted_out
    assert token not in "\n".join(lines) and "/desabonnement/… HTTP" in lines[-1]


@pytest.mark.parametrize(("line", "shown"), [
    ('"GET /unsubscribe?t=abc HTTP/1.1" 400', '"GET /unsubscribe?t=… HTTP/1.1" 400'),
    ('"GET /unsubscribe?x=1&T=abc&y=2 HTTP/1.1"', '"GET /unsubscribe?x=1&T=…&y=2 HTTP/1.1"'),
    ("code 400, message Bad request syntax ('GET /u?t=" + "A" * 40 + "')",
     "code 400, message Bad request syntax ('GET /u?t=…')"),
    ("token " + "Ab_-" * 8 + " seen", "token … seen"),
])
def test_log_lines_lose_their_tokens(line, shown):
    assert redact(line, Route("/unsubscribe", "t")) == shown


def test_path_tokens_are_redacted_after_the_pages_path():
    assert redact('"GET /u/abc%2F HTTP/1.1"', Route("/u", None)) == '"GET /u/… HTTP/1.1"'


def _wsgi_call(app, target: str, body: bytes) -> tuple[str, bytes]:
    """A request as a WSGI server that reads chunked bodies passes it (gunicorn,
    mod_wsgi): no CONTENT_LENGTH, and ``wsgi.input_terminated`` set."""
    import io
    from wsgiref.util import setup_testing_defaults

    path, _, query = target.partition("?")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query,
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}
    setup_testing_defaults(environ)
    said: list[str] = []
    content = b"".join(app(environ, lambda status, headers: said.append(status)))
    return said[0], content


def test_a_chunked_one_click_post_is_read_as_far_as_the_limit(office):
    app = make_app_from_env(env_of(office.home))
    before = db_snapshot(office.home)
    status, _ = _wsgi_call(app, office.target, b"List-Unsubscribe=One-Click&" + b"x" * 5000)
    assert status.startswith("413") and db_snapshot(office.home) == before
    status, content = _wsgi_call(app, office.target, b"List-Unsubscribe=One-Click")
    assert status == "200 OK" and b"no more press releases" in content
    assert suppression_and_contact(office.home, office.address)[1].opted_out

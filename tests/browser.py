"""Headless Chromium for the rendering tests (tests/releases/test_browser_render.py) and
for bench/screenshots.py: an HTML message laid out at an exact width, measured and
photographed.

Chromium is driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``: it
reads requests on fd 3 and writes replies on fd 4, each a JSON text ended by a NUL byte),
so no client library, no port and no window are involved.

Why an iframe: headless Chromium lays out no window narrower than 500 px. A 390 px window
is laid out at 500 px and clipped, which hides exactly the sideways scrolling we look for.
So the message is loaded into an iframe of the exact width (its ``srcdoc``: same origin as
the page around it, which can then measure inside it) in a window wider than any width
measured, and the screenshot is the iframe's box, grown to the message's full height.

Chromium is Debian's ``chromium`` package (/usr/bin/chromium), or PRESSCTL_CHROMIUM. Where
it is missing the tests skip, or fail when PRESSCTL_REQUIRE_BROWSER=1 (.ci/run sets it, so
that a green CI has looked at the messages in a real browser).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import html
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

ENV_CHROMIUM = "PRESSCTL_CHROMIUM"
ENV_REQUIRE = "PRESSCTL_REQUIRE_BROWSER"
WINDOW = (1200, 1000)  # wider than any width measured: the iframe is laid out at its own
TIMEOUT = 30.0  # seconds for one reply (a first start on a cold, shared CI machine is slow)


class BrowserError(RuntimeError):
    """Chromium could not be started, died, or did not answer."""


def find_chromium() -> str | None:
    """PRESSCTL_CHROMIUM, else chromium (Debian's package) or chromium-browser on PATH."""
    given = os.environ.get(ENV_CHROMIUM)
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_required() -> bool:
    return os.environ.get(ENV_REQUIRE) == "1"


# -- the message as a browser sees it ----------------------------------------------------------


def html_with_parts(raw: bytes) -> str:
    """The text/html part of a message, its ``cid:`` references (inline images: the logo,
    pictures of the body) replaced with ``data:`` URIs of the message's own parts, as a
    mail client shows them. A ``cid:`` naming no part is left alone: the image is broken,
    as it would be in the client."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    if part is None:
        raise ValueError("the message has no text/html part")
    markup = part.get_content()
    parts = {}
    for each in message.walk():
        content_id = each.get("Content-ID")
        if content_id and not each.is_multipart():
            data = base64.b64encode(each.get_payload(decode=True)).decode("ascii")
            parts[content_id.strip().strip("<>")] = f"data:{each.get_content_type()};base64,{data}"

    def resolve(match: re.Match[str]) -> str:
        return parts.get(unquote(match.group(1)), match.group(0))

    return re.sub(r"cid:([^\"'\s)>]+)", resolve, markup)


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Box:
    left: float
    right: float
    width: float

    def inside(self, other: Box, slack: float = 0.5) -> bool:
        return self.left >= other.left - slack and self.right <= other.right + slack


@dataclass(frozen=True, slots=True)
class Layout:
    """What a width made of a message."""

    width: int  # the viewport's (the iframe's) width
    page_width: int  # how wide the page is: wider than ``width`` means sideways scrolling
    height: int
    sticking_out: list[str]  # elements whose box passes the right edge (for the message)
    images: list[tuple[str, int]]  # (src, shortened; naturalWidth): 0 is a broken image
    notice: Box | None  # the element holding the notice text, when asked for one
    column: Box | None  # the content column (the element with max-width 640px)
    font: str  # the computed font-family of the longest paragraph
    notice_font: str | None  # and of the notice

    @property
    def overflows(self) -> bool:
        return self.page_width > self.width

    @property
    def broken_images(self) -> list[str]:
        return [src for src, natural in self.images if natural <= 0]


# Runs in the page around the iframe: waits for the message's fonts and images, grows the
# iframe to the message's height (so that the screenshot holds all of it and no vertical
# scrollbar takes width), then measures inside it.
_MEASURE = r"""
(async (notice) => {
  const frame = document.getElementById("message");
  const doc = frame.contentDocument;
  await doc.fonts.ready;
  await Promise.all([...doc.images].map((img) => img.complete ? null :
    new Promise((done) => { img.onload = img.onerror = done; })));
  frame.style.height = "1px";  // scrollHeight is then the message's, not the frame's
  frame.style.height = doc.documentElement.scrollHeight + "px";
  await new Promise((done) => requestAnimationFrame(() => done()));
  const width = doc.documentElement.clientWidth;
  const box = (el) => { const r = el.getBoundingClientRect();
                        return {left: r.left, right: r.right, width: r.width}; };
  const visible = (el) => { const r = el.getBoundingClientRect();
                            return r.width > 0 && r.height > 0; };
  const name = (el) => el.tagName.toLowerCase() +
    (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
  const flat = (s) => s.replace(/\s+/g, " ").trim();
  const out = [...doc.body.querySelectorAll("*")]
    .filter((el) => visible(el) && el.getBoundingClientRect().right > width + 0.5)
    .map((el) => `${name(el)} (right edge at ${Math.round(el.getBoundingClientRect().right)} px: ` +
                 `"${flat(el.textContent).slice(0, 40)}")`);
  const column = [...doc.body.querySelectorAll("*")]
    .find((el) => getComputedStyle(el).maxWidth === "640px");
  let found = null;
  if (notice) {
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (flat(node.textContent).includes(notice) && visible(node.parentElement)) {
        found = node.parentElement;
        break;
      }
    }
    // Its box is the outermost element holding the notice and nothing else (a banner's
    // cell or table around the paragraph), not stopping at the column.
    while (found && found.parentElement && found.parentElement !== doc.body &&
           found.parentElement !== column &&
           flat(found.parentElement.textContent) === flat(found.textContent)) {
      found = found.parentElement;
    }
  }
  return {
    page_width: doc.documentElement.scrollWidth,
    width: width,
    height: doc.documentElement.scrollHeight,
    sticking_out: out.slice(0, 8),
    images: [...doc.images].map((img) => [img.getAttribute("src").slice(0, 60),
                                          img.complete ? img.naturalWidth : 0]),
    notice: found ? box(found) : null,
    column: column ? box(column) : null,
    font: getComputedStyle([...doc.body.querySelectorAll("p")].reduce(
      (a, b) => (b.textContent.length > a.textContent.length ? b : a),
      doc.body.querySelector("p") || doc.body)).fontFamily,
    notice_font: found ? getComputedStyle(found).fontFamily : null,
  };
})
"""


def _outer_page(markup: str, width: int) -> str:
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
            "html,body{margin:0;padding:0;background:#d8d8d8}"
            "iframe{display:block;border:0;margin:0;background:#fff}</style></head><body>"
            f'<iframe id="message" style="width:{width}px;height:3000px" '
            f'srcdoc="{html.escape(markup, quote=True)}"></iframe></body></html>')


# -- Chromium ----------------------------------------------------------------------------------


class Chromium:
    """One headless Chromium and one tab, driven over the DevTools pipe. A context manager;
    :meth:`layout` loads a message at a width, measures it and can write a screenshot."""

    def __init__(self, executable: str) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="pressctl-chromium-"))
        self._log = (self._folder / "chromium.log").open("wb")
        ours_in, theirs_out = os.pipe()  # Chromium's replies: it writes fd 4
        theirs_in, ours_out = os.pipe()  # our requests: it reads fd 3

        def onto_3_and_4() -> None:  # in the child, before exec
            # Either end may be fd 3 or 4 already: move both out of the way first.
            reading, writing = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
                                for fd in (theirs_in, theirs_out))
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        args = [executable, "--headless", "--remote-debugging-pipe",
                f"--user-data-dir={self._folder / 'profile'}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars",
                "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-extensions", "--disable-background-networking", "--mute-audio",
                "--force-device-scale-factor=1", "--font-render-hinting=none",
                # containers give /dev/shm 64 MB, where Chromium's renderer crashes
                "--disable-dev-shm-usage"]
        if os.geteuid() == 0:  # CI runs as root, where Chromium refuses its sandbox
            args.append("--no-sandbox")
        try:
            self._process = subprocess.Popen(
                [*args, "about:blank"], stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=self._log, pass_fds=(3, 4), preexec_fn=onto_3_and_4)
        except (OSError, subprocess.SubprocessError) as err:
            os.close(ours_in)
            os.close(ours_out)
            self._cleanup()
            raise BrowserError(f"cannot start {executable}: {err}") from err
        finally:
            os.close(theirs_in)
            os.close(theirs_out)
        self._in, self._out = ours_in, ours_out
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self.call("Target.attachToTarget",
                                      {"targetId": target, "flatten": True})["sessionId"]
            self.call("Page.enable", session=self._session)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the protocol

    def call(self, method: str, params: dict | None = None, *, session: str | None = None
             ) -> dict:
        self._next_id += 1
        request: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        data = json.dumps(request).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except BrokenPipeError as err:
            raise BrowserError(f"Chromium has gone away{self._log_tail()}") from err
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def _wait_for(self, event: str) -> None:
        while True:
            for i, seen in enumerate(self._events):
                if seen["method"] == event:
                    del self._events[: i + 1]
                    return
            self._events.append(self._read())

    def _read(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise BrowserError(f"Chromium did not answer within {TIMEOUT:.0f} s"
                                   f"{self._log_tail()}")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium has gone away{self._log_tail()}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _log_tail(self) -> str:
        self._log.flush()
        lines = (self._folder / "chromium.log").read_text(errors="replace").splitlines()
        useful = [line for line in lines if "dbus" not in line.lower()][-5:]
        return (": " + " | ".join(useful)) if useful else ""

    # what the tests use

    def layout(self, markup: str, width: int, *, notice: str | None = None,
               screenshot: Path | None = None, crop: int | None = None) -> Layout:
        """``markup`` (a whole HTML document) laid out ``width`` px wide: measured, and
        photographed into ``screenshot`` (a PNG of the whole message, or of its first
        ``crop`` px) when given. ``notice``: a text whose element's box to report (the
        embargo notice)."""
        if width > WINDOW[0]:
            raise ValueError(f"{width} px is wider than the window ({WINDOW[0]} px)")
        page = self._folder / "page.html"
        page.write_text(_outer_page(markup, width), encoding="utf-8")
        self._events.clear()  # a load event of a page before this one is not this one's
        self.call("Page.navigate", {"url": page.as_uri()}, session=self._session)
        self._wait_for("Page.loadEventFired")
        result = self.call("Runtime.evaluate", {
            "expression": f"{_MEASURE}({json.dumps(notice)})", "awaitPromise": True,
            "returnByValue": True}, session=self._session)
        if "exceptionDetails" in result:
            raise BrowserError(f"measuring failed: {result['exceptionDetails']}")
        found = result["result"]["value"]
        if screenshot is not None:
            shot = self.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width,
                         "height": min(found["height"], crop or found["height"]),
                         "scale": 1}}, session=self._session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return Layout(
            width=width, page_width=found["page_width"], height=found["height"],
            sticking_out=found["sticking_out"],
            images=[(src, natural) for src, natural in found["images"]],
            notice=Box(**found["notice"]) if found["notice"] else None,
            column=Box(**found["column"]) if found["column"] else None,
            font=found["font"], notice_font=found["notice_font"])

    def close(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            try:  # the polite way first: Chromium then removes its own files
                os.write(self._out, json.dumps({"id": 0, "method": "Browser.close"}).encode()
                         + b"\0")
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        for fd in (getattr(self, "_in", -1), getattr(self, "_out", -1)):
            with contextlib.suppress(OSError):  # closed already: close() runs twice
                os.close(fd)
        self._in = self._out = -1
        self._cleanup()

    def _cleanup(self) -> None:
        self._log.close()
        shutil.rmtree(self._folder, ignore_errors=True)

"""The HTML part's last steps, once per variant: the notices placed inside the column, and
the templates' CSS inlined into ``style`` attributes.

Notices (the embargo, an event's update or cancellation) are stamped by pressctl, not by
the templates, so that an edited template can neither drop nor garble them. The default
templates say where they go, inside the 640 px column, with ``{{ notices }}``: the
:data:`NOTICES` marker. A template without it (an old copy in a home's folder) gets them
right after ``<body>``, as before; they carry their own inline style and font for that.

CSS: Gmail, Outlook and many webmails drop or mangle ``<style>`` blocks, so the templates'
class rules are written into each element's ``style`` by css-inline (a Rust library:
~10 µs a message, far below the rendering). Rules it cannot inline (``@media``: the
narrow-screen and dark-mode rules) stay in a ``<style>`` in the head, for the clients
that read it. Remote stylesheets are never fetched. css-inline is imported here only,
when a message is rendered: start-up time matters for every other command.

css-inline parses and writes the HTML again (html5ever), which would turn the NUL bytes
of the per-recipient holes (pressctl.releases.messages: SALUTATION, UNSUBSCRIBE) into
replacement characters: they are swapped for plain markers around it. It also writes
"<" and ">" unescaped inside attribute values, as HTML5 allows; they are escaped again,
so that a caption's "<img ...>" in an alt attribute cannot look like a tag to a mail
client's sanitiser that reads HTML with regular expressions.
"""

from __future__ import annotations

import re

from pressctl.releases.templating import TemplateError

NOTICES = "<!--pressctl:notices-->"  # where {{ notices }} puts the notices
_HOLE = re.compile("\x00([A-Z]+)\x00")
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
# A start tag as html5ever writes it (values always in double quotes), and such a value.
_TAG = re.compile(r'<[A-Za-z][^>"]*(?:"[^"]*"[^>"]*)*>')
_VALUE = re.compile(r'"[^"]*"')


def stamp(html: str, notice: str) -> str:
    """``notice`` (HTML) first among the notices: right after the marker the template put
    inside the column, else right after ``<body>``. A notice stamped later goes above one
    stamped before it (the embargo above an event's update)."""
    if NOTICES in html:
        return html.replace(NOTICES, NOTICES + notice, 1)
    body = _BODY.search(html)
    if body is None:
        return notice + html
    return html[: body.end()] + notice + html[body.end():]


def finish_html(html: str) -> str:
    """The HTML part as it is sent: the notices marker gone, the CSS inlined."""
    return inline_css(html.replace(NOTICES, ""))


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules written into ``style`` attributes; ``@media``
    rules kept in one ``<style>`` of the head. A rule the HTML already writes in an
    element's ``style`` attribute wins over the stylesheet's, as in a browser."""
    if "<style" not in html.lower():
        return html  # nothing to inline (an old template with inline styles only)
    import css_inline

    number = 0
    while (tag := f"pressctl{number}hole") in html:  # a marker the message does not contain
        number += 1
    marked = _HOLE.sub(lambda m: f"{tag}{m.group(1)}-{tag}", html)
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False,
                                    keep_link_tags=False)
    try:
        inlined = inliner.inline(marked)
    except (css_inline.InlineError, ValueError) as err:
        raise TemplateError(f"the CSS of the HTML template cannot be inlined: {err}",
                            hint="check the <style> block of the template") from err
    inlined = _TAG.sub(_escape_values, inlined)
    return re.sub(re.escape(tag) + "([A-Z]+)-" + re.escape(tag),
                  lambda m: f"\x00{m.group(1)}\x00", inlined)


def _escape_values(tag: re.Match[str]) -> str:
    return _VALUE.sub(lambda value: value.group().replace("<", "&lt;").replace(">", "&gt;"),
                      tag.group())

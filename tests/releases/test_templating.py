"""Templates and Markdown: the default templates against a seed-000-like release (CNES + SFR,
an online press conference), user overrides, errors that name file and line, the sandbox,
hostile contact data, and the two Markdown renderings."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from conftest import REPO

from pressctl.errors import EXIT_INVALID, InvalidInput
from pressctl.releases import markdown, templating
from pressctl.releases.inlining import NOTICES, finish_html
from pressctl.releases.markdown import markdown_to_html, markdown_to_text
from pressctl.releases.templating import (
    TemplateError,
    Templates,
    by_organization,
    mailto_uri,
    tel_uri,
    template_name,
    underline,
    wrap,
)

# The body of seed release 000 (PR106-2020), shortened, with its Markdown as published.
SEED_BODY = """\
## **CNES PARTNERS WITH FRENCH RADIOLOGY SOCIETY NEW SYNERGIES BETWEEN SPACE AND HEALTHCARE**

Tuesday 22 September, CNES and the French Radiology Society (Société Française de \
Radiologie - SFR) will be announcing the signature of a partnership agreement at the \
Journées Francophones de Radiologie (French-speaking Radiology Days) conference running \
from 2 to 5 October.

The partners have identified three main areas of action:

1. The need for innovative medical imaging technologies for deep space exploration
2. Interventional radiology for deep space exploration
3. Development of innovative medical and satellite image-processing technologies and methods

Forging closer ties between space and healthcare is also one of the main thrusts of our \
*ConnectByCnes* initiative.

**Journalists wanting to watch the on-line press conference  
Tuesday 22 September, starting at 11.30 a.m.**

**Connect to:**

**<https://zoom.us/j/97981495219> - Meeting ID: 979 8149 5219**

[presse.cnes.fr](http://presse.cnes.fr)
"""

ABOUT_CNES = ("CNES (Centre National d'Études Spatiales) is the government agency responsible "
              "for shaping France's space policy and implementing it in Europe. Founded in "
              "1961, it is the initiator of major space projects, launch vehicles and "
              "satellites, and the partner of choice for industry fuelling innovation.")
ABOUT_SFR = ("The Société Française de Radiologie (SFR) is a scientific society whose mission "
             "is to provide teaching and training—through the organization of congresses and "
             "development and dissemination of teaching tools.")

CONTACTS = [
    ("Pascale Bresson", "CNES", "+33 1 44 76 75 39", "pascale.bresson@cnes.fr"),
    ("Raphaël Sart", "CNES", "+33 1 44 76 74 51", "raphael.sart@cnes.fr"),
    ("Nicolas Merlet", "SFR", "+33 6 25 79 64 79", "nicolasmerlet@ortus-sante.fr"),
    ("Françoise Millet", "Société Française de Radiologie", "+33 6 86 89 55 17",
     "francoisemillet@ortus-sante.fr"),  # matched by the organisation's full name
]

DEFAULT_NAMES = {f"{base}.{lang}.{fmt}.j2"
                 for base in ("release", "invitation", "_header", "_event", "_contacts", "_about",
                              "_footer")
                 for lang in ("en", "fr") for fmt in ("txt", "html")} | {"_style.html.j2"}
MAIN = [(kind, lang, fmt) for kind in ("release", "invitation") for lang in ("en", "fr")
        for fmt in ("txt", "html")]


def seed_context(language: str = "en", kind: str = "release", body: str = SEED_BODY) -> dict:
    english = language == "en"
    return {
        "release": {
            "reference": "PR106-2020", "kind": kind, "language": language,
            "title": "CNES partners with French Radiology Society",
            "subtitle": "New synergies between space and healthcare",
            "date_text": "21 September 2020" if english else "21 septembre 2020",
            "place": "Paris",
        },
        "salutation": "Dear Jane Doe," if english else "Madame, Monsieur,",
        "body_html": markdown_to_html(body),
        "body_text": markdown_to_text(body),
        "embargo_line": None,
        "event": {
            "title": "Online press conference" if english else "Conférence de presse en ligne",
            "when_text": "Tuesday 22 September 2020, 11:30" if english
            else "mardi 22 septembre 2020, 11 h 30",
            "end_text": "12:30" if english else "12 h 30",
            "zone": "Paris time" if english else "heure de Paris",
            "venue": None,
            "url": "https://zoom.us/j/97981495219",
            "meeting_id": "979 8149 5219",
            "passcode": "220920",
            "dial_in": ["+33 1 70 37 22 46", "+33 1 70 37 97 29"],
            "rsvp": "presse@cnes.fr",
            "rsvp_deadline_text": "21 September 2020" if english else "21 septembre 2020",
        },
        "organizations": [
            {"name": "Centre national d'études spatiales", "short_name": "CNES",
             "website": "https://presse.cnes.fr", "about": ABOUT_CNES,
             "full_name": "Centre national d'études spatiales", "short": "CNES",
             "label": "CNES", "of": "CNES" if english else "du CNES"},
            {"name": "Société Française de Radiologie", "short_name": "SFR",
             "website": "http://www.sfr.radiologie.fr", "about": ABOUT_SFR,
             "full_name": "Société Française de Radiologie", "short": "SFR",
             "label": "SFR", "of": "SFR" if english else "de la SFR"},
        ],
        "contacts": [{"name": name, "role": "Press Officer", "organization": org,
                      "phones": [phone], "emails": [email]}
                     for name, org, phone, email in CONTACTS],
        "sender": {"name": "Pascale Bresson", "organization": "CNES"},
        "branding": {"logo": None, "color": None, "footer": None, "privacy": None,
                     "privacy_url": None},
        "unsubscribe_url": "mailto:presse@cnes.fr?subject=unsubscribe",
        "notices": NOTICES,
    }


class _Checker(HTMLParser):
    """Collects tags and attributes and checks that every element is closed in order."""

    VOID = frozenset({"br", "meta", "img", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):  # <br />: a start tag only
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == [], (checker.errors, checker.stack)
    return checker


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    return folder


# ------------------------------------------------------------------ default templates


def test_the_default_templates_are_the_documented_ones():
    names = Templates().names()
    assert {name for name, _, _ in names} == DEFAULT_NAMES
    assert {origin for _, origin, _ in names} == {"default"}
    readme = (REPO / "templates" / "README.md").read_text(encoding="utf-8")
    for name in ("release.{lang}.{fmt}.j2", "_header", "_event", "_contacts", "_about",
                 "body_html", "embargo_line", "rsvp_deadline_text", "advisory"):
        assert name in readme


def test_the_default_templates_compile():
    assert Templates().check() == []


@pytest.mark.parametrize(("kind", "language", "fmt"), MAIN)
def test_every_default_template_renders_the_seed_release(kind, language, fmt):
    out = Templates().render(f"{kind}.{language}.{fmt}.j2", seed_context(language, kind))
    text = out if fmt == "txt" else "".join(parse_html(out).text)
    plain = flat(text)
    english = language == "en"
    for expected in ("PR106-2020", "CNES partners with French Radiology Society",
                     "New synergies between space and healthcare",
                     "21 September 2020" if english else "Paris, le 21 septembre 2020",
                     "https://zoom.us/j/97981495219", "979 8149 5219", "220920",
                     "+33 1 70 37 22 46", "+33 1 70 37 97 29", "presse@cnes.fr",
                     "Raphaël Sart", "Françoise Millet", "Pascale Bresson", "Nicolas Merlet",
                     "+33 6 86 89 55 17", "francoisemillet@ortus-sante.fr",
                     flat(ABOUT_CNES), flat(ABOUT_SFR), "three main areas of action"):
        assert expected in plain, expected
    # seed layout: each organisation's About, then its contacts, in the organisations' order
    about = ("About CNES", "About SFR") if english else ("À propos du CNES",
                                                        "À propos de la SFR")
    sequence = [about[0], "Pascale Bresson", "Raphaël Sart", about[1],
                "Nicolas Merlet", "Françoise Millet"]
    positions = [plain.index(s) for s in sequence]
    assert positions == sorted(positions)
    # a release tells the news first; an invitation puts the event first
    event_at, body_at = plain.index("979 8149 5219"), plain.index("three main areas")
    assert (event_at < body_at) == (kind == "invitation")
    if fmt == "txt":
        assert "&#39;" not in out and "&amp;" not in out and "<p" not in out
        assert "d'Études" in out and "**" not in out
        assert "\r" not in out and out.endswith("\n") and "\n\n\n" not in out
    else:
        assert out.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in out


@pytest.mark.parametrize("kind", ["release", "invitation"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_html_is_self_contained_and_mail_friendly(kind, language):
    # as sent: the template's stylesheet inlined (pressctl.releases.inlining)
    out = finish_html(Templates().render(f"{kind}.{language}.html.j2",
                                         seed_context(language, kind)))
    checker = parse_html(out)
    tags = {tag for tag, _ in checker.tags}
    assert not tags & {"script", "link", "iframe", "object", "form", "img"}
    assert "javascript:" not in out.lower() and "max-width: 640px" in out
    hrefs = [attrs["href"] for tag, attrs in checker.tags if tag == "a"]
    assert "mailto:raphael.sart@cnes.fr" in hrefs and "tel:+33686895517" in hrefs
    assert "https://zoom.us/j/97981495219" in hrefs and "tel:+33170372246" in hrefs
    assert "mailto:presse@cnes.fr" in hrefs and "https://presse.cnes.fr" in hrefs
    assert all(h.startswith(("mailto:", "tel:", "https://", "http://")) for h in hrefs)
    # a class only names an element for the @media rules: its style is inline
    assert all("style" in attrs for _, attrs in checker.tags if "class" in attrs)
    head_css = re.findall(r"<style>(.*?)</style>", out, re.DOTALL)
    assert len(head_css) == 1 and re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "",
                                         head_css[0]).strip() == ""  # only @media is left


@pytest.mark.parametrize("fmt", ["txt", "html"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_advisory_uses_the_release_template(language, fmt):
    name = template_name("advisory", language, fmt)
    assert name == f"release.{language}.{fmt}.j2"
    out = Templates().render(name, seed_context(language, "advisory"))
    label = "MEDIA ADVISORY" if language == "en" else "AVIS AUX MÉDIAS"
    assert label in out.upper() if fmt == "html" else label in out
    assert template_name("invitation", "fr-CA", "html") == "invitation.fr.html.j2"


@pytest.mark.parametrize(("kind", "language", "fmt"), MAIN)
def test_default_templates_leave_the_embargo_notice_to_the_core(kind, language, fmt):
    # pressctl.releases.rendering stamps the notice above the rendered body; a second copy from
    # the template would only repeat it.
    name = f"{kind}.{language}.{fmt}.j2"
    context = seed_context(language, kind)
    context["embargo_line"] = "EMBARGOED until 22 September 2020, 11:30 Paris time"
    assert "EMBARGOED" not in Templates().render(name, context)


def test_optional_parts_may_be_missing():
    context = seed_context()
    context.update(event=None, salutation="")
    context["release"].update(subtitle=None, place=None)
    context["organizations"][1].update(about=None, website=None)
    for fmt in ("txt", "html"):
        out = Templates().render(f"release.en.{fmt}.j2", context)
        assert "220920" not in out and "About SFR" not in out and "About CNES" in out
        assert "Paris," not in out and "Françoise Millet" in out


def test_contacts_of_no_listed_organisation_come_last():
    context = seed_context()
    context["contacts"].append({"name": "Jane Freelance", "role": None, "organization": None,
                                "phones": [], "emails": ["jane@example.org"]})
    out = Templates().render("release.en.txt.j2", context)
    assert out.index("Françoise Millet") < out.index("Press contacts\n") < out.index(
        "Jane Freelance")
    groups = by_organization(context["contacts"], context["organizations"])
    assert [len(people) for _, people in groups] == [2, 2, 1] and groups[-1][0] is None


# ------------------------------------------------------------------ overrides and errors


def test_a_user_file_overrides_the_default_one(user_dir):
    (user_dir / "_about.en.txt.j2").write_text("ABOUT {{ org.short_name }}\n", encoding="utf-8")
    templates = Templates(user_dir=user_dir)
    out = templates.render("release.en.txt.j2", seed_context())
    assert "ABOUT CNES\n" in out and "About CNES" not in out  # used inside a default template
    rows = {name: (origin, path) for name, origin, path in templates.names()}
    assert rows["_about.en.txt.j2"] == ("user", user_dir / "_about.en.txt.j2")
    assert rows["release.en.txt.j2"][0] == "default"
    assert templates.source("_about.en.txt.j2") == ("ABOUT {{ org.short_name }}\n",
                                                    user_dir / "_about.en.txt.j2")


def test_a_typo_names_the_user_file_and_line(user_dir):
    path = user_dir / "release.en.txt.j2"
    path.write_text("Ref. {{ release.reference }}\n\n{{ releas.title }}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        Templates(user_dir=user_dir).render("release.en.txt.j2", seed_context())
    error = caught.value
    assert str(error).startswith(f"{path}:3: ") and "'releas' is undefined" in str(error)
    assert (error.path, error.line) == (str(path), 3)
    assert isinstance(error, InvalidInput) and error.exit_code == EXIT_INVALID


def test_a_typo_in_a_partial_names_the_partial_and_where_it_was_included(user_dir):
    partial = user_dir / "_contacts.en.html.j2"
    partial.write_text("{% for p in people %}\n{{ p.phone }}\n{% endfor %}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        Templates(user_dir=user_dir).render("release.en.html.j2", seed_context())
    message = str(caught.value)
    assert message.startswith(f"{partial}:2: ") and "has no attribute 'phone'" in message
    assert f"included from {REPO / 'templates' / 'release.en.html.j2'}:" in message


def test_a_syntax_error_is_reported_with_file_and_line(user_dir):
    path = user_dir / "invitation.fr.txt.j2"
    path.write_text("Bonjour\n{% if event %}\n{{ event.title }\n{% endif %}\n", encoding="utf-8")
    templates = Templates(user_dir=user_dir)
    problems = templates.check()
    assert [p.where for p in problems] == [f"{path}:3"]
    assert "unexpected '}'" in problems[0].message
    with pytest.raises(TemplateError, match=re.escape(f"{path}:3: ")):
        templates.render("invitation.fr.txt.j2", seed_context("fr", "invitation"))


def test_check_reports_a_missing_partial_and_unreadable_files(user_dir):
    (user_dir / "release.en.txt.j2").write_text('x\n{% include "_heder.en.txt.j2" %}\n',
                                                encoding="utf-8")
    (user_dir / "latin1.txt.j2").write_bytes("Réf.".encode("latin-1"))
    problems = {p.where: p.message for p in Templates(user_dir=user_dir).check()}
    assert problems[f"{user_dir / 'release.en.txt.j2'}:2"] == (
        "template '_heder.en.txt.j2' not found")
    assert "not UTF-8" in problems[str(user_dir / "latin1.txt.j2")]


def test_an_unknown_template_is_invalid_input(user_dir):
    with pytest.raises(TemplateError, match="'release.de.txt.j2' not found") as caught:
        Templates(user_dir=user_dir).render("release.de.txt.j2", seed_context())
    assert "pressctl templates list" in str(caught.value)
    with pytest.raises(TemplateError):
        Templates(user_dir=user_dir).source("release.de.txt.j2")


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}",
    "{{ release.title.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ '{0.__class__}'.format(release) }}",
    "{{ contacts.append(release) }}",  # the sandbox is immutable: the context can't change
    "{% set x = release.update({'title': 'hacked'}) %}",
])
def test_the_sandbox_refuses_unsafe_access(user_dir, payload):
    (user_dir / "evil.txt.j2").write_text(f"line 1\n{payload}\n", encoding="utf-8")
    context = seed_context()
    with pytest.raises(TemplateError, match=re.escape("evil.txt.j2:2: ")) as caught:
        Templates(user_dir=user_dir).render("evil.txt.j2", context)
    assert isinstance(caught.value.__cause__, jinja2.sandbox.SecurityError)
    assert "unsafe" in str(caught.value)
    assert context == seed_context()


def test_autoescape_follows_the_extension(user_dir):
    for name in ("x.html.j2", "x.txt.j2", "x.j2"):
        (user_dir / name).write_text("{{ value }}", encoding="utf-8")
    templates = Templates(user_dir=user_dir)
    value = {"value": "<b>Tom & Jerry</b>"}
    assert templates.render("x.html.j2", value) == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert templates.render("x.txt.j2", value) == "<b>Tom & Jerry</b>"
    assert templates.render("x.j2", value) == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"


HOSTILE = {"name": 'Eve <script>alert("x")</script>\r\nBcc: victim@example.com',
           "role": "Chief \"Officer\" & 'Co'\n<img src=x onerror=alert(1)>",
           "organization": "CNES",
           "phones": ['+33 1 44 76 75 39" onclick="alert(1)'],
           "emails": ['eve"><script>@example.com?bcc=victim@example.com']}


def test_hostile_contact_data_is_escaped_in_html():
    context = seed_context()
    context["contacts"].append(HOSTILE)
    out = Templates().render("release.en.html.j2", context)
    checker = parse_html(out)
    assert not {"script", "img"} & {tag for tag, _ in checker.tags}
    assert "onclick" not in {key for _, attrs in checker.tags for key in attrs}
    assert "onerror" not in {key for _, attrs in checker.tags for key in attrs}
    assert "&lt;script&gt;" in out and "Chief &#34;Officer&#34; &amp; &#39;Co&#39;" in out
    hrefs = [attrs["href"] for tag, attrs in checker.tags if tag == "a"]
    assert "mailto:eve%22%3E%3Cscript%3E@example.com%3Fbcc%3Dvictim@example.com" in hrefs
    assert "tel:+33144767539" in hrefs


@pytest.mark.parametrize("language", ["en", "fr"])
def test_hostile_contact_data_is_plain_text_in_text(language):
    context = seed_context(language)
    context["contacts"].append(HOSTILE)
    out = Templates().render(f"release.{language}.txt.j2", context)
    assert "\r" not in out
    assert not any(line.startswith("Bcc:") for line in out.splitlines())
    line = next(line for line in out.splitlines() if line.startswith("Eve "))
    assert line == ('Eve <script>alert("x")</script> Bcc: victim@example.com, '
                    "Chief \"Officer\" & 'Co' <img src=x onerror=alert(1)>")


# ------------------------------------------------------------------ caching and copying


def test_templates_are_read_and_compiled_once(monkeypatch):
    calls: list[str] = []
    original = jinja2.FileSystemLoader.get_source

    def counting(self, environment, name):
        calls.append(name)
        return original(self, environment, name)

    monkeypatch.setattr(jinja2.FileSystemLoader, "get_source", counting)
    templates = Templates()
    context = seed_context()
    first = templates.render("release.en.html.j2", context)
    loaded = len(calls)
    assert loaded >= 5  # the template and its four partials
    for _ in range(200):
        assert templates.render("release.en.html.j2", context) == first
    assert len(calls) == loaded and templates.environment is templates.environment


def test_copy_defaults_never_overwrites(tmp_path):
    target = tmp_path / "mine"
    templates = Templates(user_dir=target)
    copied = templates.copy_defaults(target)
    assert sorted(p.name for p in copied) == sorted(DEFAULT_NAMES)
    for path in copied:
        assert path.read_bytes() == (REPO / "templates" / path.name).read_bytes()
    edited = target / "release.en.txt.j2"
    edited.write_text("my own\n", encoding="utf-8")
    assert templates.copy_defaults(target) == []
    assert templates.copy_defaults(target, ["release.en.txt.j2"]) == []
    assert edited.read_text(encoding="utf-8") == "my own\n"
    assert sorted(p.name for p in target.iterdir()) == sorted(DEFAULT_NAMES)  # no temp files
    assert {origin for _, origin, _ in templates.names()} == {"user"}


def test_copy_defaults_by_name(tmp_path):
    target = tmp_path / "new" / "folder"
    copied = Templates().copy_defaults(target, ["_contacts.fr.html.j2"])
    assert copied == [target / "_contacts.fr.html.j2"]
    with pytest.raises(TemplateError, match="no default template named 'nope.j2'"):
        Templates().copy_defaults(target, ["nope.j2"])
    assert [p.name for p in target.iterdir()] == ["_contacts.fr.html.j2"]


# ------------------------------------------------------------------ filters


@pytest.mark.parametrize(("phone", "uri"), [
    ("+33 1 44 76 75 39", "tel:+33144767539"),
    ("+33 (0)1 44 76 75 39", "tel:+33144767539"),
    ("+1 212-555-0100 ext. 12", "tel:+12125550100;ext=12"),
    ("01 44 76 75 39 (switchboard)", "tel:0144767539"),
    ("Mobile: +33625796479 (direct)", "tel:+33625796479"),
    ("no number", ""),
])
def test_tel_uri(phone, uri):
    assert tel_uri(phone) == uri


def test_mailto_and_wrap():
    assert mailto_uri("pascale.bresson@cnes.fr") == "mailto:pascale.bresson@cnes.fr"
    assert mailto_uri("a+b@x.fr?cc=c@d.fr") == "mailto:a+b@x.fr%3Fcc%3Dc@d.fr"
    long = "word " * 30 + "https://example.org/" + "x" * 80
    wrapped = wrap(long + "\n\n  short\n")
    assert all(len(line) <= 72 or line.endswith("x" * 80) for line in wrapped.splitlines())
    assert "https://example.org/" + "x" * 80 in wrapped and "\n\n  short" in wrapped


# ------------------------------------------------------------------ markdown


def test_markdown_to_html_on_the_seed_body():
    html = markdown_to_html(SEED_BODY)
    checker = parse_html(html)
    tags = [tag for tag, _ in checker.tags]
    assert tags.count("li") == 3 and "ol" in tags and "h2" in tags and "em" in tags
    assert "<strong>CNES PARTNERS WITH FRENCH RADIOLOGY SOCIETY" in html
    assert '<a href="https://zoom.us/j/97981495219"' in html
    assert '<a href="http://presse.cnes.fr"' in html and "<br />" in html
    assert all("style" in attrs for tag, attrs in checker.tags
               if tag in ("p", "h2", "ol", "li", "a"))
    assert "<script" not in html and "<style" not in html and "class=" not in html


def test_markdown_raw_html_is_shown_not_passed_through():
    html = markdown_to_html('<script>alert(1)</script>\n\nHi <b onclick="x()">there</b> '
                            "[click](javascript:alert(1)) ![x](data:text/html,boom)\n")
    assert "<script" not in html and "<b" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onclick=&quot;x()&quot;&gt;there&lt;/b&gt;" in html
    assert "<img" not in html  # markdown-it refuses data:text/html as a source


def test_markdown_tables_in_html_and_text():
    source = "| Mission | Launch |\n|:--|--:|\n| SVOM | 2024 |\n| Microscope | 2016 |\n"
    html = markdown_to_html(source)
    assert "border:1px solid" in html and "text-align:right" in html and "<th" in html
    assert markdown_to_text(source).splitlines() == [
        "Mission    | Launch",
        "-----------+-------",
        "SVOM       |   2024",
        "Microscope |   2016",
    ]


def test_markdown_to_text_on_the_seed_body():
    text = markdown_to_text(SEED_BODY)
    lines = text.splitlines()
    assert lines[:3] == [
        "CNES PARTNERS WITH FRENCH RADIOLOGY SOCIETY NEW SYNERGIES BETWEEN SPACE",
        "AND HEALTHCARE",
        "-" * 71,
    ]
    assert "1. The need for innovative medical imaging technologies for deep space\n" \
           "   exploration\n2. Interventional radiology" in text
    assert "3. Development of innovative" in text
    assert "our ConnectByCnes initiative" in text and "*" not in text
    assert ("Journalists wanting to watch the on-line press conference\n"
            "Tuesday 22 September, starting at 11.30 a.m.") in text
    assert "https://zoom.us/j/97981495219 - Meeting ID: 979 8149 5219" in text
    assert "<https://zoom.us" not in text  # an autolink is its own text
    assert "presse.cnes.fr <http://presse.cnes.fr>" in text
    assert all(len(line) <= 72 for line in lines)
    assert "\n\n\n" not in text and not text.endswith("\n")


def test_markdown_to_text_lists_headings_and_quotes():
    source = ("# Title\n\n### Small heading\n\n- one\n- two with [a link](https://example.org)\n"
              "  - nested\n\n5. five\n6. six\n\n> quoted *text*\n\nemail <press@example.org>"
              " and `code`\n\n---\n\n<b>raw</b> &amp; entity\n")
    assert markdown_to_text(source).splitlines() == [
        "Title", "=====", "", "SMALL HEADING", "",
        "- one", "- two with a link <https://example.org>", "  - nested", "",
        "5. five", "6. six", "", "> quoted text", "",
        "email press@example.org and code", "", "-" * 72, "",
        "<b>raw</b> & entity",
    ]


def test_only_templating_uses_jinja2_and_only_markdown_renders_markdown():
    # Contact extraction reads Markdown with markdown-it too (issue 8: one reader per
    # format); it never renders, so jinja2 stays templating's alone.
    users: dict[str, set[str]] = {"jinja2": set(), "markdown_it": set()}
    package = REPO / "pressctl"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.split(".")[0] in users:
                    users[name.split(".")[0]].add(path.relative_to(package).as_posix())
    assert users == {"jinja2": {"releases/templating.py"},
                     "markdown_it": {"releases/markdown.py", "contacts/extraction/html.py"}}


@pytest.mark.parametrize(("code", "never"), [
    ("from pressctl.releases.markdown import markdown_images, markdown_to_html, "
     "markdown_to_text; s = '# T\\n\\n![c](a.png) *x*\\n'; markdown_images(s); "
     "markdown_to_html(s); markdown_to_text(s)", "jinja2"),
    ("from pressctl.releases.templating import Templates; t = Templates(); t.names(); "
     "assert t.check() == []", "markdown_it"),
], ids=["markdown-without-jinja2", "templating-without-markdown-it"])
def test_markdown_and_templating_never_load_each_others_library(code, never):
    # Each costs ~45 ms to import: `templates list` needs no markdown-it, and reading a
    # body's images (release check) needs no Jinja2. Run in a fresh interpreter, so an
    # import anywhere down the line counts.
    check = f"import sys; {code}; assert {never!r} not in sys.modules, 'imported {never}'"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_text_part_is_as_wide_and_underlined_in_the_body_as_in_the_templates():
    # markdown does not import templating (jinja2): it has the width and the underline
    # written again, and they must stay what the templates' wrap and underline use.
    assert markdown.TEXT_WIDTH == templating.TEXT_WIDTH == 72
    text = markdown_to_text("# Launch of *SVOM*\n\n## Ariane 6 flies\n\n### Small\n")
    assert text.split("\n\n") == [underline("Launch of SVOM", "="),
                                    underline("Ariane 6 flies"), "SMALL"]
    long = "word " * 40
    assert markdown_to_text(long) == wrap(long.strip())


def test_tel_links_dial_from_abroad_even_when_the_number_is_shown_nationally():
    from pressctl.releases.templating import ShownPhone, tel_uri

    shown = ShownPhone("01 44 76 75 39", "+33144767539", "5")
    assert str(shown) == "01 44 76 75 39"
    assert tel_uri(shown) == "tel:+33144767539;ext=5"
    assert tel_uri("+33 (0)1 44 76 75 39") == "tel:+33144767539"

"""Finding contacts in a release: pure functions from a release's text to proposed
contacts, each with its confidence and the source line of each field. One module per step
of the pipeline (see :mod:`.text`, which runs it): html (markup to logical lines), segment
(repaired lines, one block per person, regions), anchors (e-mails and phones), fields
(names, offices, roles, organisations), vocabulary (their words in EN/FR/DE/IT/ES),
assembly (details attached to names), context (organisations), scoring (confidence),
model (what goes in and out). The `contacts extract` use case that calls them is
pressctl.book.extraction, which passes the book's organisations in.

May import: pressctl.contacts, pressctl.errors; markdown_it (in html only, to read
Markdown as the release templates render it); phonenumbers (in anchors only, for its
PhoneNumberMatcher).
"""

"""Finding contact blocks in a release: text (contacts proposed from logical lines) and
html (HTML, Markdown or plain text reduced to logical lines), pure functions from text to
proposed contacts with their line numbers. The `contacts extract` use case that imports
them is pressctl.book.extraction.

May import: pressctl.contacts, pressctl.errors; markdown_it (in html only, to read
Markdown as the release templates render it).
"""

"""What is sent: release files, their check, the audience, and the rendered messages.

release_file (the one reader of a release file: TOML header + Markdown, with line
numbers) and skeleton (the file `release new` writes), documents (the values: Release,
ReleaseSet, Embargo, Event), embargo (where the embargo rule is decided: who gets which
version, when; and the notice), audience (the filter language) and saved_audiences (the
book's named audiences), calendar (iTIP .ics), markdown (the body as HTML and text),
templating (the only jinja2 user), messages (MIME bytes) and headers (their encoded
header fields), preview files, and the use cases: checking (read a release with
its translations, `release check`), recipients (who gets which copy), rendering (the
messages, rendered once per variant) and events (what changed in an event since it was
sent, and the notice that names it).

May import: pressctl.book, pressctl.store, pressctl.contacts, pressctl.config,
pressctl.times, pressctl.resources, pressctl.errors. Never pressctl.delivery.
"""

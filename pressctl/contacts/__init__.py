"""What a valid contact is, and nothing else: the pure contact domain at the bottom.

model (Contact, Phone, Organization, ContactFilter), phones (where a number is parsed
and normalised to E.164), emails (where an address is cleaned and normalised), regions,
validation (one record's fields -> a Contact or its problems), formats/ (CSV, vCard,
JSON: files to raw records and back), extraction/ (contact blocks found in a
release's text or HTML, step by step) and name_keys (a name normalised for matching
duplicates).

May import: pressctl.errors only. No database, no settings, no clock: the book's use
cases (pressctl.book) and the store build on this, never the other way round.
"""

"""The names of pressctl's files and the config.toml that `pressctl init` writes."""

from __future__ import annotations

CONFIG_NAME = "config.toml"
DATABASE_NAME = "pressctl.db"
TEMPLATES_DIR = "templates"
UNSUBSCRIBE_KEY_NAME = "unsubscribe.key"  # see pressctl.delivery.unsubscribe
PHONE_STYLES = ("auto", "international", "national", "house", "e164")
# The CSV dialects pressctl.contacts.formats.csvfile writes; named here so that reading
# config.toml does not import the csv writer (2.5 ms of every start-up).
CSV_DIALECTS = ("standard", "excel")

DEFAULT_CONFIG = """\
# pressctl configuration. Paths: `pressctl paths`.

[contacts]
# Region for phone numbers written without a country code, when neither the contact
# nor its organisation has a country (ISO 3166 alpha-2: FR, BE, GB, US...).
default_region = "FR"
# CSV export for Excel ("excel": semicolons, UTF-8 with BOM, CRLF), or "standard".
# csv_dialect = "excel"

[display]
# Your own country: its numbers are shown in national format ("01 44 76 75 39")
# when phone_style is "auto"; others in international format.
own_country = "FR"
# auto | international | national | house ("+33 (0)1 44 76 75 39") | e164
phone_style = "auto"
# Times on screen are shown in this zone (IANA name); default: the system's.
# timezone = "Europe/Paris"

[sender]
# Messages come from the first press officer of the release unless you set an address
# here (e.g. the press office's shared mailbox).
# name = "CNES Press Office"
# address = "presse@cnes.fr"
# Where unsubscribe requests go (List-Unsubscribe mailto); default: the sender.
# list_unsubscribe = "unsubscribe@cnes.fr"
# A one-click unsubscribe page (RFC 8058), with {token} for the recipient:
# unsubscribe_url = "https://presse.cnes.fr/unsubscribe?t={token}"

[branding]
# The look of the HTML part. The logo is a PNG, JPEG or GIF file (relative to the home),
# sent inside each message, never fetched from the web; about 400 pixels wide, on an
# opaque background (a transparent logo disappears in dark mode).
# logo = "logo.png"
# color = "#0b3d91"           # a rule above the message and under its headings
# The footer, per language (or one text for all); the unsubscribe link follows it.
# footer.fr = "Service de presse du CNES, 2 place Maurice Quentin, 75001 Paris"
# footer.en = "CNES Press Office, 2 place Maurice Quentin, 75001 Paris, France"
# A privacy line per language: the address of a page, or a sentence.
# privacy.fr = "https://cnes.fr/fr/donnees-personnelles"
# privacy.en = "https://cnes.fr/en/personal-data"

[salutations]
# How a message greets its recipient, first rule that applies: the contact's own
# salutation (`contacts edit ID --salutation "Madame la rédactrice en chef"`); "Bonjour
# Jeanne," for a contact marked --first-name-ok; a greeting set below for the message's
# language ({name}: the full name); else the style: "name" ("Bonjour Jeanne Dupont," /
# "Dear Jeanne Dupont,") or "formal" ("Madame, Monsieur," / "Dear Sir or Madam,").
# style = "formal"
# fr = "Madame, Monsieur,"
# de = "Sehr geehrte Damen und Herren,"

[smtp]
# Without a host, `outbox run` delivers into a Maildir in the home (see [delivery]).
# host = "smtp.example.org"
# port = 587
# security = "starttls"       # starttls | tls (implicit, port 465) | plain (loopback only)
# username = "presse"
# password_env = "PRESSCTL_SMTP_PASSWORD"   # or: password_command = "pass show smtp"
# ca_file = "/etc/ssl/certs/my-ca.pem"      # an extra trusted CA; verification stays on
# connections = 2

[database]
# Without a url the book is pressctl.db in the home (SQLite). A team shares one PostgreSQL
# database (needs the driver: pip install 'pressctl[postgres]'); --db and PRESSCTL_DB
# override this url. libpq's PG* variables, ~/.pgpass and sslmode work as usual.
# url = "postgresql://presse@db.example.org:5432/press?sslmode=verify-full"
# password_env = "PRESSCTL_DB_PASSWORD"     # or: password_command = "pass show press-db"

[delivery]
# rate = "50/s, 600/min"      # the relay's limits, never exceeded
# max_attempts = 5            # transient failures (4xx, dropped connections) retried
# give_up_after = "24h"       # after its due time, a message not yet delivered fails
# maildir = "outbox"          # relative to the home
# verp = false                # true: bounces go to press+b.<token>@..., naming the recipient
#                             # (the relay must deliver press+anything@ to the press office)
# processes = "auto"          # sender processes over SMTP: min(2, cores), never more than
#                             # connections; 1 keeps one process

[inbox]
# `inbox import`: a hard bounce (5.x.x) marks an address bouncing at once; soft bounces
# (4.x.x: mailbox full, greylisting) only when this many come within this many days.
# soft_bounces = 3
# soft_days = 30

[dkim]
# Sign every message (RSA-SHA256): `pressctl dkim keygen --selector S --domain D` makes the
# key and prints these lines and the DNS record to publish.
# domain = "cnes.fr"
# selector = "press2026"
# key_file = "dkim-press2026.pem"           # or: key_command = "pass show dkim/press2026"
"""


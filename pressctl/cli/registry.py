"""The command groups and top-level commands, with their one-line summaries.

Kept free of typer so that ``pressctl --help`` can be answered without importing it;
:mod:`pressctl.cli.app` builds the typer application from the same table.
"""

from __future__ import annotations

# name, module (under pressctl.cli), summary
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("contacts", "contacts_cmd",
     "Keep press officers and journalists: add, list, import, export, check."),
    ("orgs", "orgs_cmd", "Organisations: their country, website and \"About\" boilerplates."),
    ("check", "check_cmd", "Check phone numbers or e-mail addresses without storing them."),
    ("release", "release_cmd", "Releases: write, check and preview them (nothing is sent)."),
    ("invite", "release_cmd", "Invitations to press conferences: the same commands as release."),
    ("audiences", "audiences_cmd", "Saved audiences: named filters a release uses as @name."),
    ("mailout", "mailout_cmd", "Approved releases frozen for delivery at a time; follow them."),
    ("outbox", "outbox_cmd", "Deliver what is due (the cron entry point); the crontab line."),
    ("smtp", "smtp_cmd", "Check the SMTP configuration end to end."),
    ("dkim", "dkim_cmd", "DKIM signing: make the key and its DNS record, check it works."),
    ("inbox", "inbox_cmd", "Record what came back: bounces, RSVPs, unsubscribe requests, replies."),
    ("optouts", "optouts_cmd", "Opt out the senders of unsubscribe replies (Maildir or mbox)."),
    ("templates", "templates_cmd", "The Jinja2 templates releases are rendered with."),
    ("db", "db_cmd", "The book's database: status, copy to or from PostgreSQL, backup."),
    ("log", "log_cmd", "Who changed what, and when: the audit trail of the book."),
)

# name, summary (these live in pressctl.cli.setup_cmd)
COMMANDS: tuple[tuple[str, str], ...] = (
    ("init", "Create the home, config.toml, the contact book and the unsubscribe key "
             "(safe to run again)."),
    ("paths", "Show where the config, the database and the templates are."),
    ("demo", "The whole path on sample data in a temporary home: contacts, release, preview."),
)

# option, metavar, summary
GLOBAL_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--home", "PATH", "Home folder for config, database and templates [env: PRESSCTL_HOME]"),
    ("--db", "PATH|URL", "Database file or postgresql:// URL, overriding the home's "
                         "[env: PRESSCTL_DB]"),
    ("--as", "NAME", "Who is acting, recorded with every change [env: PRESSCTL_USER, else "
                     "the login name]"),
    ("--quiet, -q", "", "Print only data and errors"),
    ("--no-color", "", "No colours (also when NO_COLOR is set)"),
    ("--debug", "", "Show the full traceback of an unexpected error"),
    ("--version", "", "Show the version and exit"),
    ("--install-completion", "[SHELL]", "Install shell completion: bash, zsh or fish"),
    ("--show-completion", "[SHELL]", "Print the shell completion script"),
    ("--help, -h", "", "Show this message and exit"),
)

GLOBAL_VALUE_OPTIONS = ("--home", "--db", "--as")


def top_level_help(version: str) -> str:
    width = 14
    lines = [
        f"pressctl {version}: contacts, releases and embargoed mailouts for press officers.",
        "",
        "Usage: pressctl [OPTIONS] COMMAND [ARGS]...",
        "",
        "Commands:",
    ]
    lines += [f"  {name:<{width}}{summary}" for name, summary in COMMANDS]
    lines += ["", "Command groups:"]
    lines += [f"  {name:<{width}}{summary}" for name, _, summary in GROUPS]
    lines += ["", "Options:"]
    lefts = [f"{option} {metavar}".strip() for option, metavar, _ in GLOBAL_OPTIONS]
    room = max(width + 4, *(len(left) + 2 for left in lefts))
    for left, (_, _, summary) in zip(lefts, GLOBAL_OPTIONS, strict=True):
        lines.append(f"  {left:<{room}}{summary}")
    lines += [
        "",
        "Run `pressctl COMMAND --help` for a command's options and examples.",
        "Exit codes: 0 done, 1 bug, 2 bad command line, 3 invalid input,",
        "4 configuration or credentials, 5 delivery failures, 130 interrupted.",
    ]
    return "\n".join(lines) + "\n"


def group_in(argv: list[str]) -> str | None:
    """The command group or command named in ``argv``, skipping global options."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in GLOBAL_VALUE_OPTIONS:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None

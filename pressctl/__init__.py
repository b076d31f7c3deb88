"""pressctl: contacts, releases and embargoed mailouts for press officers."""

__version__ = "0.1.0"

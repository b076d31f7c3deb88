"""What comes back after a send, read and sorted: the inbox reader.

mailboxes (a Maildir or an mbox file -> raw messages) and imap (a folder of an IMAP
server, read-only, over a certificate-checking TLS context): the modules here that do
I/O; headers (a message's headers, addresses, Message-IDs and prose, read without
letting a malformed one raise), verp (the bounce address that carries a recipient's
token), dsn (delivery status notifications, RFC 3464) with bounce_text (the bounces
MTAs write as prose: Exim, qmail, Exchange, Gmail, Postfix), itip (calendar replies,
RFC 5546 METHOD:REPLY), automatic (out-of-office and other machine-made mail),
unsubscribe (requests to be taken off the list) and classify (one message -> its kind
and details).

May import: pressctl.errors, pressctl.contacts.emails, the standard library, and
icalendar inside the functions that read calendars. Everything but mailboxes and imap
is pure:
bytes in, typed values out; no database, no clock, no settings. The use cases that
record bounces, RSVPs and replies build on this.
"""

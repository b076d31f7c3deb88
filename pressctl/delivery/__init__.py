"""Getting messages out: mailouts (planned, frozen, approved), the run that delivers
them, and the transports.

mailouts (create/freeze, cancel, pause, retry), approval (the summary `mailout
create` shows before it asks), run (run_outbox: the `outbox run` use
case: lease, recovery, retries, give-up), sending (the connection workers), ledger (the
run's rows: claimed, withheld, settled), report (RunReport, StopRequest), inflight (what
each connection sent, crash-safe), recovery (what dead runs left), marks (a PostgreSQL
worker's marks), lease, sharedlimit (the relay's limit across workers), frozen (approved
variants as bytes), unsubscribe (RFC 8058 tokens) and unsubscribe_app (the one-click
page), dkim (signing), proof (`release proof`), events (`invite update`, `invite
cancel`) and transport/ (smtp: the only smtplib user; maildir; recorder).

May import: pressctl.releases, pressctl.book, pressctl.inbox, pressctl.store,
pressctl.outbox, pressctl.contacts, pressctl.config, pressctl.secrets, pressctl.times,
pressctl.errors.
"""

"""The contact book's use cases: what `contacts`, `orgs`, `optouts` and `inbox` do.

Adding, editing, removing, tagging, checking and exporting contacts; imports (all or
nothing); organisations; opt-outs and opt-ins; `contacts extract`; likely duplicates
(duplicates.py) and merging them (merge.py). Each takes a Book
(session.py: the open store, the settings and the time of the command) and returns
values; none prints or prompts. Every write of a contact keeps its opt-outs
(suppression.py): an opt-out is forever. What comes back after a send (bounces, RSVPs,
replies, unsubscribe requests) is recorded by inbox.py; bouncing addresses by bounces.py;
one person's history by history.py, an event's attendance list by rsvps.py, the one-click
opt-out by unsubscribe.py.

May import: pressctl.contacts (the pure domain), pressctl.inbox (the inbox reader),
pressctl.store (all SQL is there), pressctl.config, pressctl.errors.
"""

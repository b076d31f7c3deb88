"""The rules of the outbox, pure: the states a mailout and its rows go through (states:
the StrEnums), what happens after an attempt (policy: retry, fail, unknown), which manual
actions are allowed, and the relay's rate limits (ratelimit). No I/O and no clock: time
is a parameter.

May import: pressctl.times, pressctl.errors. The store stores these states; the
delivery run applies these rules.
"""

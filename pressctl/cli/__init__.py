"""The command line: typer and rich live here and nowhere else.

launcher (the console script: `--help` and `--version` without typer), registry (the
groups and their summaries), app (the typer application and the one error handler),
context (State, the time of the command, the options several groups share), output
(stdout/stderr, tables, JSON), views (printers several commands share), prompts (yes/no
questions: a no exits 6), approval_screen (`mailout create`'s), signals, and one
*_cmd module per command group: parse the command line, call the core, print.

May import every package of pressctl; nothing imports it. A command module never imports
the app or another command module, but for a group split by command family: its module
(contacts_cmd) imports its families (contacts_*_cmd), which import none.
"""

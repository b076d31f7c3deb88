"""`pressctl contacts duplicates | merge`: one person per person — finding the contacts
that are likely one person, and merging them.

Part of the contacts group: contacts_cmd registers these commands on the group's app, in
its help order. Parse the command line, call one core function, print.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli.context import Json, state

Keep = Annotated[str, typer.Argument(
    help="The contact kept (its values win): id, e-mail address or exact name.")]
Others = Annotated[list[str], typer.Argument(
    help="The contacts merged into KEEP and removed: ids, e-mail addresses or exact names.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def duplicates(ctx: typer.Context, json_out: Json = False) -> None:
    """List groups of contacts that are likely one person, and why: the same phone, the
    same name in the same organisation or outlet, similar names (accents, word order,
    initials). Exit 0 whatever is found.

    Example: pressctl contacts duplicates --json
    """
    from pressctl.book.duplicates import likely_duplicates
    from pressctl.cli.views import print_duplicate_groups

    st = state(ctx)
    book = st.book()
    print_duplicate_groups(st.out, likely_duplicates(book.store), as_json=json_out)


def merge(ctx: typer.Context, keep: Keep, others: Others, yes: Yes = False,
          json_out: Json = False) -> None:
    """Merge contacts into KEEP, in one transaction: e-mails, phones, tags, languages and
    notes united; history, mailout rows, answers and trail moved to KEEP; an opt-out, a
    bounce or a withdrawn embargo consent on any of them kept (asks first on a terminal).

    Example: pressctl contacts merge 12 15 jane.roe@example.com --yes
    """
    from pressctl.book.merge import merge_contacts, plan_merge
    from pressctl.cli.prompts import confirm_or_stop, interactive
    from pressctl.cli.views import merge_json, merge_plan_lines

    st = state(ctx)
    book = st.book()
    if not yes:
        plan = plan_merge(book.store, keep, others)  # refs checked before any question
        if not interactive():
            raise typer.BadParameter("refusing to merge without --yes when not on a terminal")
        for line in merge_plan_lines(plan):
            st.out.info(line)
        confirm_or_stop(f"Merge {len(plan.others)} contact(s) into #{plan.keep.id}?",
                        "Nothing merged.")
    result = merge_contacts(book, keep, others)
    for notice in result.opted_out:
        st.out.warn(str(notice))
    if json_out:
        st.out.json(merge_json(result, book.settings))
        return
    merged = ", ".join(f"#{o.id}" for o in result.plan.others)
    st.out.info(f"Merged {merged} into contact #{result.plan.keep.id} "
                f"{result.plan.keep.name}")

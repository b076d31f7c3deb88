"""Stored numbers shown from the display forms the store keeps beside them, without
phonenumbers: a list of a book whose numbers all have their forms never imports it
(~12 ms of a ~70 ms `contacts list`) nor formats a number (issue 12).

The store computes each number's international and national forms and its region when
it writes the number (pressctl.contacts.phones.display_forms: phonenumbers' own forms,
one parse per number, ever) and gives them back with each phone it reads
(``Phone.forms``). Every style
follows from the three: "house" from the two forms (:func:`house_text`), "auto" from the
region. A number the store holds no forms for (written before migration 0017, or one
phonenumbers could not format) is shown as before, by pressctl.contacts.phones, which
is imported then and only then.

Pure: no I/O; importing this module imports no third-party package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pressctl.contacts.model import Phone

STYLES = ("e164", "international", "national", "house", "auto")
REGION_ALIASES = {"UK": "GB"}  # people write UK; ISO 3166 says GB


def normal_region(region: str | None) -> str | None:
    """An ISO 3166 region as the phones module reads it: upper case, UK as GB."""
    region = (region or "").strip().upper()
    return REGION_ALIASES.get(region, region) or None


def formatter(style: str, own_country: str | None = None) -> Callable[[Phone], str]:
    """How a stored phone is shown in ``style`` (see STYLES) by a reader in
    ``own_country``; the extension appended as " ext. 5". The style is checked here."""
    if style not in STYLES:
        raise ValueError(f"unknown phone style {style!r} (expected one of {', '.join(STYLES)})")
    own_region = normal_region(own_country) or ""
    parsed: list[Callable[[str, str, str], str]] = []

    def computed(e164: str) -> str:
        if not parsed:  # a number without stored forms: phonenumbers after all
            from pressctl.contacts.phones import shown_without_stored_forms

            parsed.append(shown_without_stored_forms)
        return parsed[0](e164, style, own_region)

    def show(phone: Phone) -> str:
        e164 = phone.e164
        stored = phone.forms
        if style == "e164":
            shown = e164
        elif stored is None:
            shown = computed(e164)
        else:
            shown = from_forms(stored, style, own_region)
        return f"{shown} ext. {phone.extension}" if phone.extension else shown

    return show


def from_forms(stored: tuple[str, str, str], style: str, own_region: str) -> str:
    """A style of a number from its stored (international, national, region)."""
    international, national, region = stored
    if style == "auto":  # phonenumbers: region_code_for_number(number) == own_region
        style = "national" if region and region == own_region else "international"
    if style == "international":
        return international
    if style == "national":
        return national
    code = international[1:international.find(" ")]  # "+33 1 ..." always: see the store
    return house_text(int(code), international, national)


def house_text(code: int, international: str, national: str) -> str:
    """International with the droppable trunk prefix shown: "+33 (0)1 44 76 75 39".

    The trunk is whatever the national form has in front of the international digits;
    where the national form has no such prefix (+1, +39) this is the international form.
    """
    head = f"+{code} "
    if not international.startswith(head):
        return international
    rest = international[len(head):]
    trunk = national[: -len(rest)].strip() if national.endswith(rest) else ""
    return f"{head}({trunk}){rest}" if trunk.isdigit() else international

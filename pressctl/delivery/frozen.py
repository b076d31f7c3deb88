"""Approved messages, frozen: a variant (and its sender) as bytes for the database, and
back, so that a mailout sends exactly what was previewed and approved, however the
contacts, templates or release file change afterwards."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from pressctl.releases.messages import Attachment, InlineImage, Sender, Variant

if TYPE_CHECKING:
    from pressctl.releases.calendar import InvitationTemplate

FORMAT = 1


def freeze(variant: Variant, sender: Sender) -> bytes:
    calendar: InvitationTemplate | None = getattr(variant.calendar, "__self__", None)
    if variant.calendar is not None:
        from pressctl.releases.calendar import InvitationTemplate

        if not isinstance(calendar, InvitationTemplate):
            raise TypeError("only an InvitationTemplate's for_attendee can be frozen")
    data = {
        "format": FORMAT,
        "sender": {"name": sender.name, "address": sender.address, "reply_to": sender.reply_to,
                   "list_unsubscribe_mailto": sender.list_unsubscribe_mailto,
                   "unsubscribe_url": sender.unsubscribe_url},
        "subject": variant.subject, "text": variant.text, "html": variant.html,
        "language": variant.language,
        "attachments": [{"filename": a.filename, "content_type": a.content_type,
                         "data": base64.b64encode(a.data).decode("ascii")}
                        for a in variant.attachments],
        "calendar": calendar.state() if calendar is not None else None,
        "images": [{"content_id": i.content_id, "filename": i.filename,
                    "content_type": i.content_type,
                    "data": base64.b64encode(i.data).decode("ascii")} for i in variant.images],
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def thaw(blob: bytes) -> tuple[Variant, Sender]:
    data = json.loads(blob)
    if data.get("format") != FORMAT:
        raise ValueError(f"frozen variant format {data.get('format')!r} is not {FORMAT}")
    sender = Sender(**data["sender"])
    calendar = None
    if data["calendar"]:  # the calendar (and typography) is imported only for an event
        from pressctl.releases.calendar import InvitationTemplate

        calendar = InvitationTemplate.from_state(data["calendar"]).for_attendee
    variant = Variant(
        subject=data["subject"], text=data["text"], html=data["html"],
        language=data["language"],
        attachments=tuple(Attachment(a["filename"], a["content_type"],
                                     base64.b64decode(a["data"])) for a in data["attachments"]),
        calendar=calendar,
        images=tuple(InlineImage(i["content_id"], i["filename"], i["content_type"],
                                 base64.b64decode(i["data"]))
                     for i in data.get("images", ())),  # none in a variant frozen before them
    )
    return variant, sender

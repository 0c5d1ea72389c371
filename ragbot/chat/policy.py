"""Who may add documents from chat: RAGBOT_UPLOADERS, with a Slack user group or Discord role that may too."""

from __future__ import annotations

from ragbot.config import Settings


def upload_refusal(settings: Settings, *, is_admin: bool, in_uploader_group: bool, group_label: str = "") -> str | None:
    """None when this person may upload; else the refusal to show them, saying who may."""
    if settings.uploaders == "everyone" or is_admin or in_uploader_group:
        return None
    also = f" and {group_label}" if group_label else ""
    return (f"🔒 In this workspace only admins{also} may add documents (RAGBOT_UPLOADERS=admins). "
            "Send the file or link to one of them, or ask an admin to let you upload.")

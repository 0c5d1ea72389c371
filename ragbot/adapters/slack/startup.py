"""Start-up checks of the Slack settings that name people and groups: a typo is an error, not a silent no-op."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.config import Settings
from ragbot.errors import RagbotError


def check_named_ids(client: WebClient, settings: Settings) -> None:
    """Raise RagbotError naming the setting when RAGBOT_ADMIN_USERS or RAGBOT_UPLOADER_GROUP names someone unknown."""
    for entry in settings.admin_users:
        platform, _, user = entry.rpartition(":")
        if platform not in ("", "slack"):
            continue  # a Discord id in a shared setting: the Discord adapter checks it
        try:
            client.users_info(user=user)
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "invalid_user"):
                raise RagbotError(f"RAGBOT_ADMIN_USERS names {entry}, which is not a user of this Slack workspace; "
                                  "fix or remove it (user ids look like U012AB3CD).") from None
            raise
    if settings.uploader_group:
        try:
            client.usergroups_users_list(usergroup=settings.uploader_group)
        except SlackApiError as exc:
            if exc.response.get("error") == "no_such_subteam":
                raise RagbotError(f"RAGBOT_UPLOADER_GROUP names {settings.uploader_group}, which is not a user "
                                  "group of this Slack workspace; use the group's id (S012AB3CD).") from None
            raise

"""Ragbot's Slack listeners, one module per surface; register() adds them all to a Bolt app."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from ragbot.adapters.slack import saving, watching
from ragbot.adapters.slack.client import add_rate_limit_retries
from ragbot.adapters.slack.listeners import actions, commands, edits, events, views
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.chat.service import ChatService
from ragbot.wiring import Services


def register(
    app: App,
    *,
    services: Services,
    chat: ChatService | None = None,
    pool: ThreadPoolExecutor | None = None,
    ask_command: str = "/ask",
    upload_command: str = "/ragbot-upload",
    admin_command: str = "/ragbot-admin",
) -> SlackRagbot:
    """Add Ragbot's events, commands, buttons and modals to a Bolt app, leaving its other listeners alone.

    Message listeners match only DMs to the bot and replies (or edits) in threads it answered, so a host app's own
    message listeners still see everything else. Command names can be changed to avoid clashes.
    """
    add_rate_limit_retries(app.client)
    rt = SlackRagbot(services.use_cases("slack", chat=chat), services.settings, pool=pool)
    events.register(app, rt)
    watching.register(app, rt)  # after events: Bolt runs the first matching listener, and Ragbot's threads come first
    saving.register(app, rt)
    edits.register(app, rt)
    commands.register(app, rt, ask_command=ask_command, upload_command=upload_command, admin_command=admin_command)
    actions.register(app, rt)
    views.register(app, rt)
    return rt


__all__ = ["register"]

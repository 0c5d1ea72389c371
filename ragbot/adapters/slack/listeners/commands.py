"""Slash commands: /ask, /ragbot-upload and /ragbot-admin (each acks at once; work happens after)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack import administering, asking, watching
from ragbot.adapters.slack.formatting import escape
from ragbot.adapters.slack.modals import upload_modal
from ragbot.adapters.slack.runtime import SlackRagbot

_log = logging.getLogger(__name__)
ASK_HELP = "Ask a question about your team's documents, for example: `/ask How many vacation days do I get?`"
NOT_IN_CHANNEL = ("I can't post in this conversation. Invite me with `/invite @Ragbot`, "
                  "or ask me in a DM.")


def register(app: App, rt: SlackRagbot, *, ask_command: str = "/ask", upload_command: str = "/ragbot-upload",
             admin_command: str = "/ragbot-admin") -> None:
    """Add the slash command listeners."""

    @app.command(ask_command)
    def ragbot_ask(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient,
                   respond: Respond) -> None:
        ack()
        question = " ".join((command.get("text") or "").split())
        if not question:
            respond(text=ASK_HELP, response_type="ephemeral")
            return
        channel, user = command["channel_id"], command["user_id"]
        try:
            # The question goes first as the thread's root; its metadata makes it the user's turn in history.
            root = client.chat_postMessage(
                channel=channel, text=f"<@{user}> asked: *{escape(question)}*",
                metadata={"event_type": asking.QUESTION_EVENT, "event_payload": {"question": question}},
            )
        except SlackApiError as exc:
            _log.info("/ask could not post in %s: %s", channel, exc.response.get("error"))
            respond(text=NOT_IN_CHANNEL, response_type="ephemeral")
            return
        q = asking.Question(text=question, user=user, team=context.team_id or command.get("team_id"),
                               channel=channel, thread_ts=str(root["ts"]))
        asking.start(rt, client, q, bot_user_id=context.bot_user_id, bot_id=context.bot_id)

    @app.command(upload_command)
    def ragbot_upload(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient,
                      respond: Respond) -> None:
        ack()
        channel = command["channel_id"]
        # Said before the form opens, so nobody fills it in for nothing (the submission is checked again).
        if refusal := rt.upload_refusal(client, context.team_id or command.get("team_id"), command["user_id"]):
            respond(text=refusal, response_type="ephemeral")
            return
        try:  # views.open must happen within 3 s of the command, so it is not deferred
            client.views_open(trigger_id=command["trigger_id"],
                              view=upload_modal(channel=channel, is_dm=channel.startswith("D")))
        except SlackApiError as exc:
            respond(text=f"I couldn't open the upload form ({exc.response.get('error')}). Please try again.",
                    response_type="ephemeral")

    @app.command(admin_command)
    def ragbot_admin(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient,
                     respond: Respond) -> None:
        ack()
        if watching.is_command(command.get("text")):  # watch, unwatch, watching: they need the channel
            rt.submit(watching.admin_command, rt, client, team=context.team_id or command.get("team_id"),
                      user=command["user_id"], channel=command["channel_id"], text=command.get("text") or "",
                      respond=respond, on_error=lambda msg: respond(text=msg, response_type="ephemeral"))
            return
        rt.submit(administering.handle, rt, client, team=context.team_id or command.get("team_id"),
                  user=command["user_id"], text=command.get("text") or "", respond=respond,
                  on_error=lambda msg: respond(text=msg, response_type="ephemeral"))

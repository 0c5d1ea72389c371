"""Buttons: 👍/👎 under answers, admin confirmations, and "Add to knowledge base" under DM files."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack import administering, feedback
from ragbot.adapters.slack.formatting import VOTE_DOWN, VOTE_UP
from ragbot.adapters.slack.modals import feedback_modal, upload_modal
from ragbot.adapters.slack.runtime import SlackRagbot

_log = logging.getLogger(__name__)
VOTE_FAILED = "Sorry, I couldn't record your vote just now. Please try again."


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user", {}).get("id", ""))


def _team(body: dict[str, Any], context: BoltContext) -> str | None:
    return context.team_id or body.get("team", {}).get("id")


def register(app: App, rt: SlackRagbot) -> None:
    """Add the button listeners."""

    @app.action(VOTE_UP)
    def ragbot_vote_up(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            rt.chat.vote(question_id=int(action["value"]), user=_user(body), vote=1)
        except Exception:
            _log.exception("could not record a 👍")
            respond(text=VOTE_FAILED, response_type="ephemeral", replace_original=False)
            return
        respond(text="Thanks for the feedback! 👍", response_type="ephemeral", replace_original=False)

    @app.action(VOTE_DOWN)
    def ragbot_vote_down(ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient,
                         respond: Respond) -> None:
        ack()
        qid, user = int(action["value"]), _user(body)
        try:  # the modal first: its trigger_id expires 3 s after the click
            client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(question_id=qid))
            opened = True
        except SlackApiError as exc:
            _log.warning("could not open the feedback form: %s", exc.response.get("error"))
            opened = False
        try:
            rt.chat.vote(question_id=qid, user=user, vote=-1)
        except Exception:
            _log.exception("could not record a 👎")
            respond(text=VOTE_FAILED, response_type="ephemeral", replace_original=False)
            return
        if not opened:  # no form to submit or close, so uploaders hear now
            respond(text="Thanks, your 👎 is recorded.", response_type="ephemeral", replace_original=False)
            rt.submit(feedback.notify_uploaders, rt, client, question_id=qid, voter=user, comment=None)

    @app.action(administering.CONFIRM_ACTION)
    def ragbot_admin_confirm(ack: Ack, action: dict[str, Any], body: dict[str, Any], context: BoltContext,
                             client: WebClient, respond: Respond) -> None:
        ack()
        rt.submit(administering.confirmed, rt, client, team=_team(body, context), user=_user(body),
                  value=action["value"], respond=respond,
                  on_error=lambda msg: respond(text=msg, replace_original=True))

    @app.action(administering.CANCEL_ACTION)
    def ragbot_admin_cancel(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Cancelled; nothing was changed.", replace_original=True)

    @app.action("ragbot_add_files")
    def ragbot_add_files(ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient,
                         respond: Respond) -> None:
        ack()
        file_ids = [f for f in (action.get("value") or "").split(",") if f]
        channel = str(body.get("channel", {}).get("id") or _user(body))
        try:
            client.views_open(trigger_id=body["trigger_id"], view=upload_modal(
                channel=channel, file_ids=file_ids, is_dm=channel.startswith("D")))
        except SlackApiError as exc:
            respond(text=f"I couldn't open the form ({exc.response.get('error')}). Please try again.",
                    response_type="ephemeral", replace_original=False)


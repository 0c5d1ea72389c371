"""Modal submissions: the upload form and the 'what was wrong?' form (submitted or closed)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from ragbot.adapters.slack import feedback, uploading
from ragbot.adapters.slack.asking import tell_user
from ragbot.adapters.slack.modals import FEEDBACK_VIEW, UPLOAD_VIEW, read_feedback, read_upload
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.domain import Scope

_log = logging.getLogger(__name__)


def register(app: App, rt: SlackRagbot) -> None:
    """Add the modal listeners."""

    @app.view_submission(UPLOAD_VIEW)
    def ragbot_upload_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                                client: WebClient) -> None:
        form = read_upload(view)
        if form.crawl and not form.url:
            ack(response_action="errors", errors={"url": "Paste the link of the site to crawl."})
            return
        if not form.file_ids and not form.url:
            ack(response_action="errors", errors={"files": "Attach a file or paste a link."})
            return
        ack()  # closes the modal; downloads can take longer than Slack waits
        user = str(body.get("user", {}).get("id", ""))
        team = context.team_id or body.get("team", {}).get("id")
        channel = form.channel or user
        space = rt.space(team)
        up = uploading.Upload(team=team, user=user, channel=channel, file_ids=form.file_ids, url=form.url,
                            scope=Scope(space, None if form.workspace_wide else channel),
                            via="dm" if channel.startswith("D") else "slash", crawl=form.crawl)
        rt.submit(uploading.process, rt, client, up, on_error=lambda msg: tell_user(client, channel, user, msg))

    @app.view_submission(FEEDBACK_VIEW)
    def ragbot_feedback_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        qid, comment = read_feedback(view)
        user = str(body.get("user", {}).get("id", ""))
        if comment:
            rt.submit(rt.chat.vote, question_id=qid, user=user, vote=-1, comment=comment)
        rt.submit(feedback.notify_uploaders, rt, client, question_id=qid, voter=user, comment=comment)

    @app.view_closed(FEEDBACK_VIEW)
    def ragbot_feedback_closed(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        qid, _ = read_feedback(view)
        user = str(body.get("user", {}).get("id", ""))
        rt.submit(feedback.notify_uploaders, rt, client, question_id=qid, voter=user, comment=None)

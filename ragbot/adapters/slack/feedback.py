"""Votes on answers and the DM to uploaders of documents a 👎 answer cited."""

from __future__ import annotations

import logging
from collections import defaultdict

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack.formatting import clip, escape
from ragbot.adapters.slack.runtime import SlackRagbot

_log = logging.getLogger(__name__)


def notify_uploaders(rt: SlackRagbot, client: WebClient, *, question_id: int, voter: str,
                     comment: str | None) -> int:
    """DM each Slack uploader of a cited document once per (answer, voter); returns how many were told."""
    if not rt.settings.notify_uploaders_on_downvote or not rt.first_notice(question_id, voter):
        return 0
    row = rt.chat.question(question_id)
    if row is None:
        return 0
    titles: dict[str, list[str]] = defaultdict(list)
    for uploader, title in rt.chat.uploaders_of_cited(question_id):
        platform, _, user = uploader.partition(":")
        if platform == "slack" and user and user != voter:
            titles[user].append(title)
    told = 0
    for user, docs in titles.items():
        names = ", ".join(f"*{escape(t)}*" for t in docs)
        text = (f"👎 Someone found an answer that cited your document {names} unhelpful.\n"
                f"*Question:* {escape(clip(row.question, 500))}")
        if comment:
            text += f"\n*What was wrong:* {escape(clip(comment, 1500))}"
        text += "\nIf the document is out of date, upload a new version with `/ragbot-upload`."
        try:
            client.chat_postMessage(channel=user, text=text)
            told += 1
        except SlackApiError as exc:
            _log.warning("could not DM uploader %s: %s", user, exc.response.get("error"))
    return told

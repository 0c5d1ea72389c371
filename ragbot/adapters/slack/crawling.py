"""A site to crawl from the upload form: one status message for the whole crawl, edited as pages finish."""

from __future__ import annotations

from slack_sdk import WebClient

from ragbot.adapters.slack.formatting import escape
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.adapters.slack.status import bold
from ragbot.adapters.slack.uploading import StatusMessage, Upload
from ragbot.domain import Adder
from ragbot.errors import RagbotError


def add_site(rt: SlackRagbot, client: WebClient, up: Upload, url: str) -> int | None:
    """Register the site and queue its crawl; the workers edit the status message with the counts."""
    status = StatusMessage(client, up, f"🕸️ {bold(url)}: crawl queued.")
    try:
        is_admin, display = rt.profile(client, up.team, up.user)
        site, outcome = rt.uses.sites.start_crawl(scope=up.scope, url=url, chat_ref=status.ref,
                                                  by=Adder(f"slack:{up.user}", display, "crawl", is_admin))
    except RagbotError as exc:
        status.set(f"❌ {bold(url)}: {escape(str(exc))}")
        return None
    if outcome != "crawl queued":
        status.set(f"🕸️ {bold(url)}: {escape(outcome)}")
    return site.id

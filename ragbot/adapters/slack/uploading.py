"""Uploads from Slack: files.info → download with the bot token → store and enqueue, with a status message."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack.asking import tell_user
from ragbot.adapters.slack.formatting import UPDATE_TEXT_LIMIT, clip, escape
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.adapters.slack.status import bold, chat_ref, render
from ragbot.chat.status import Status
from ragbot.domain import Scope
from ragbot.errors import FileTooLarge, RagbotError
from ragbot.ingestion.intake import Accepted, check_upload

_log = logging.getLogger(__name__)
NO_FILES_READ = ("Slack sent a sign-in page instead of the file: the bot token lacks the `files:read` scope. "
                 "Ask an admin to add it to the Slack app and reinstall it.")


class DownloadError(RagbotError):
    """A Slack file could not be downloaded."""


@dataclass(frozen=True)
class Upload:
    """One submitted upload: who, where the status goes, the scope, and what to add."""

    team: str | None
    user: str
    channel: str
    scope: Scope
    file_ids: list[str]
    url: str | None = None
    via: str = "slash"  # "dm" when the files came from a DM's "Add to knowledge base" button
    crawl: bool = False  # the URL is a site's root: crawl every page under it


def download(info: dict[str, Any], *, token: str, max_bytes: int, timeout: float = 60.0) -> bytes:
    """The file's bytes from url_private_download, sent with the bot token; refuses sign-in pages and oversize."""
    url = info.get("url_private_download") or info.get("url_private")
    name = info.get("name") or info.get("id", "file")
    if not url:
        raise DownloadError(f"{name}: Slack gave no download link for this file.")
    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as http, \
                http.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as resp:
            if resp.status_code != 200:
                raise DownloadError(f"{name}: Slack answered {resp.status_code} to the download; try again.")
            content_type = resp.headers.get("content-type", "")
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge.upload(name, max_bytes=max_bytes)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise DownloadError(f"{name}: the download failed ({exc.__class__.__name__}); try again.") from exc
    data = b"".join(chunks)
    # Without files:read Slack answers 200 with its HTML sign-in page rather than 401.
    is_html_file = PurePosixPath(name).suffix.lower() in (".html", ".htm")
    if "text/html" in content_type and (not is_html_file or len(data) != int(info.get("size") or len(data))):
        raise DownloadError(NO_FILES_READ)
    return data


class StatusMessage:
    """The channel message that shows one document's progress (a DM when the channel refuses the bot)."""

    def __init__(self, client: WebClient, up: Upload, text: str) -> None:
        self.client = client
        self.ref: dict[str, Any] | None = None
        for channel, note in ((up.channel, ""), (up.user, "\n_(I couldn't post in that channel, so here it is.)_")):
            try:
                resp = client.chat_postMessage(channel=channel, text=text + note)
                self.ref = chat_ref(str(resp["channel"]), str(resp["ts"]), up.team)
                return
            except SlackApiError as exc:
                _log.warning("status message in %s failed: %s", channel, exc.response.get("error"))

    def set(self, text: str) -> None:
        """Replace the status text (best effort)."""
        if self.ref is None:
            return
        try:
            self.client.chat_update(channel=self.ref["channel"], ts=self.ref["ts"], text=clip(text, UPDATE_TEXT_LIMIT))
        except SlackApiError as exc:
            _log.warning("status update failed: %s", exc.response.get("error"))


def _after(status: StatusMessage, title: str, accepted: Accepted) -> None:
    # A queued document now belongs to the workers, who edit the message; only other outcomes are ours to show.
    if not accepted.changed:
        status.set(f"✅ {bold(title)}: already in the knowledge base, unchanged.")
    elif not accepted.queued:
        status.set(render.status(Status.upload(title, "queued", 0, accepted.message)))


def add_file(rt: SlackRagbot, client: WebClient, up: Upload, file_id: str) -> int | None:
    """Add one Slack file; every outcome is shown to the user. Returns the document id when accepted."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        tell_user(client, up.channel, up.user, f"❌ I couldn't read file {file_id} ({exc.response.get('error')}).")
        return None
    name = str(info.get("name") or info.get("title") or file_id)
    try:
        check_upload(filename=name, size=int(info.get("size") or 0), max_bytes=rt.settings.max_upload_bytes)
    except RagbotError as exc:
        tell_user(client, up.channel, up.user, f"❌ {escape(str(exc))}")
        return None
    status = StatusMessage(client, up, render.status(Status.upload(name, "downloading")))
    try:
        data = download(info, token=client.token or rt.settings.slack_bot_token or "",
                        max_bytes=rt.settings.max_upload_bytes)
        status.set(render.status(Status.upload(name, "queued")))
        is_admin, display = rt.profile(client, up.team, up.user)
        accepted = rt.chat.add_file(scope=up.scope, data=data, filename=name, source_uri=name,
                                    uploader=f"slack:{up.user}", chat_ref=status.ref, uploader_name=display,
                                    via=up.via, is_admin=is_admin, link=info.get("permalink"))
    except RagbotError as exc:
        failure = f"❌ {bold(name)}: {escape(str(exc))}"
        status.set(failure)
        if status.ref is None:
            tell_user(client, up.channel, up.user, failure)
        return None
    _after(status, name, accepted)
    return accepted.document_id


def add_url(rt: SlackRagbot, client: WebClient, up: Upload, url: str) -> int | None:
    """Add a link; the workers fetch it and edit the status message."""
    status = StatusMessage(client, up, render.status(Status.upload(url, "queued")))
    try:
        is_admin, display = rt.profile(client, up.team, up.user)
        accepted = rt.chat.add_url(scope=up.scope, url=url, uploader=f"slack:{up.user}", chat_ref=status.ref,
                                   uploader_name=display, is_admin=is_admin)
    except RagbotError as exc:
        status.set(f"❌ {escape(str(exc))}")
        return None
    _after(status, url, accepted)
    return accepted.document_id


def process(rt: SlackRagbot, client: WebClient, up: Upload) -> list[int]:
    """Add every file and the link of one submission; returns the accepted document ids."""
    if refusal := rt.upload_refusal(client, up.team, up.user):
        tell_user(client, up.channel, up.user, refusal)
        return []
    ids = [add_file(rt, client, up, f) for f in up.file_ids]
    if up.url and up.crawl:
        from ragbot.adapters.slack.crawling import add_site

        add_site(rt, client, up, up.url)  # pages are documents of their own, reported in the site's one message
    elif up.url:
        ids.append(add_url(rt, client, up, up.url))
    return [i for i in ids if i is not None]


def file_names(files: list[dict[str, Any]]) -> list[str]:
    """Display names of files attached to a message."""
    return [str(f.get("name") or f.get("title") or f.get("id")) for f in files]

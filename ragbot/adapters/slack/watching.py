"""Watched channels on Slack: `/ragbot-admin watch|unwatch|watching`, files shared in channels, deleted files."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot import watch
from ragbot.adapters.slack import trail, uploading
from ragbot.adapters.slack.formatting import add_files_blocks, escape
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.domain import Adder
from ragbot.errors import RagbotError
from ragbot.ingestion.intake import check_upload

_log = logging.getLogger(__name__)
COMMANDS = ("watch", "unwatch", "watching")
HELP_LINES = [
    "• `watch`: ingest files shared in this channel and its threads from now on, for this channel only",
    "• `watch workspace`: the same, answered in the whole workspace (public channels only)",
    "• `unwatch`: stop that; `watching`: list the watched channels",
]
REFUSAL = ("Sorry, `watch`, `unwatch` and `watching` are for workspace admins and owners, and for people an admin "
           "added to `RAGBOT_ADMIN_USERS`.")
# Shared files are downloaded and stored off the listener threads, by a pool of their own: a flood of files in a
# watched channel waits here instead of starving the answers.
WATCH_THREADS = 2
_pools_lock = threading.Lock()


def is_command(text: str | None) -> bool:
    """Whether a /ragbot-admin text is one of the watch commands."""
    words = (text or "").split()
    return bool(words) and words[0].lower() in COMMANDS


def _is_public(client: WebClient, channel: str) -> bool | None:
    """True for a public channel, False for a private one, None when Slack would not say (missing scope)."""
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        _log.info("conversations.info %s failed: %s", channel, exc.response.get("error"))
        return None
    return not (info.get("is_private") or info.get("is_im") or info.get("is_mpim"))


def admin_command(rt: SlackRagbot, client: WebClient, *, team: str | None, user: str, channel: str, text: str,
                  respond: Any) -> None:
    """Run watch, unwatch or watching for an admin, answering privately."""
    if not rt.is_admin(client, team, user):
        respond(text=REFUSAL, response_type="ephemeral")
        return
    words = text.split()
    op, arg = words[0].lower(), " ".join(words[1:]).lower()
    respond(text=_run(rt, client, op=op, arg=arg, space=rt.space(team), channel=channel, user=user),
            response_type="ephemeral")


def _run(rt: SlackRagbot, client: WebClient, *, op: str, arg: str, space: str, channel: str, user: str) -> str:
    if op == "watching":
        found = rt.uses.watches.watching(space=space)
        if not found:
            return "No channel is watched. Run `/ragbot-admin watch` in a channel to start."
        lines = [f"• <#{w.channel}> · answers {'the whole workspace' if w.workspace_wide else 'that channel'}"
                 f" · since {w.added_at:%Y-%m-%d}" + (f" · by <@{w.added_by.removeprefix('slack:')}>"
                                                      if w.added_by else "") for w in found]
        return "*Watched channels*\n" + "\n".join(lines)
    if channel[:1] not in ("C", "G"):
        return f"Run `/ragbot-admin {op}` in the channel itself (not in a DM)."
    if op == "unwatch":
        if rt.uses.watches.unwatch(space=space, channel=channel, by=f"slack:{user}"):
            return f"🙈 No longer watching <#{channel}>. Documents already added from it stay (`docs` lists them)."
        return f"<#{channel}> was not watched; `watching` lists the channels that are."
    if arg not in ("", "channel", "workspace"):
        return "Use `watch` (this channel only) or `watch workspace` (the whole workspace, public channels only)."
    workspace_wide = arg == "workspace"
    if workspace_wide:
        public = _is_public(client, channel)
        if public is None:
            return ("I couldn't check whether this channel is public (the app needs the `channels:read` scope), so "
                    "its files can only answer here: run `/ragbot-admin watch`.")
        if not public:
            return ("This is a private channel: its files can only answer here, so that they never reach people "
                    "outside it. Run `/ragbot-admin watch` instead.")
    rt.uses.watches.watch(space=space, channel=channel, workspace_wide=workspace_wide, by=f"slack:{user}")
    where = "the whole workspace" if workspace_wide else "this channel only"
    return (f"👀 Watching <#{channel}>: files shared here and in its threads are added to the knowledge base, "
            f"answering {where}. Their messages get ⏳ then ✅ (or ❌ with a reply saying why). I must be a member "
            "of the channel to see them: `/invite @Ragbot`.")


def _pool(rt: SlackRagbot) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = rt.__dict__.get("_watch_pool")
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=WATCH_THREADS, thread_name_prefix="ragbot-watch")
            rt.__dict__["_watch_pool"] = pool
        return pool


def on_files(rt: SlackRagbot, client: WebClient, event: dict[str, Any], context: BoltContext, *,
             bot_thread: bool) -> None:
    """Files shared in a channel message: ingested when the channel is watched, else offered in Ragbot's threads."""
    team = context.team_id or event.get("team")
    channel, user, ts = str(event.get("channel", "")), str(event.get("user", "")), str(event.get("ts", ""))
    files = [f for f in event.get("files") or [] if f.get("id")]
    w = rt.uses.watches.watched(space=rt.space(team), channel=channel)
    if w is None:
        if bot_thread:
            _offer(client, channel, event.get("thread_ts") or ts, files)
        return
    for file in files:
        name = str(file.get("name") or file.get("title") or file["id"])
        if not watch.supported(name):
            _log.info("watched channel %s: skipping %s (not a kind Ragbot reads)", channel, name)
            continue  # quietly: a channel full of images must not fill up with replies
        ref = {"platform": "slack", "channel": channel, "ts": ts, "team": team, "style": trail.STYLE,
               "file_id": file["id"], "thread_ts": event.get("thread_ts") or ts}
        _pool(rt).submit(_ingest, rt, client, w, ref, user, file, name)


def _offer(client: WebClient, channel: str, thread_ts: str, files: list[dict[str, Any]]) -> None:
    """The DM offer, in Ragbot's thread: a button that opens the upload form for these files."""
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text="Add these files to the knowledge base?",
                                blocks=add_files_blocks([f["id"] for f in files], uploading.file_names(files)))
    except SlackApiError as exc:
        _log.warning("could not offer to add thread files: %s", exc.response.get("error"))


def _ingest(rt: SlackRagbot, client: WebClient, w: watch.Watch, ref: dict[str, Any], user: str,
            file: dict[str, Any], name: str) -> None:
    """Download one shared file, store it and queue it; the trail shows how it went."""
    trail.working(client, ref)
    title = escape(name)
    try:
        info = client.files_info(file=file["id"])["file"]
        check_upload(filename=name, size=int(info.get("size") or 0), max_bytes=rt.settings.max_upload_bytes)
        data = uploading.download(info, token=client.token or rt.settings.slack_bot_token or "",
                                max_bytes=rt.settings.max_upload_bytes)
        is_admin, display = rt.profile(client, ref["team"], user)
        accepted = rt.uses.watches.add_shared_file(
            scope=w.scope(), data=data, filename=name,
            source_uri=str(info.get("permalink") or f"slack-file:{file['id']}"),
            by=Adder(f"slack:{user}", display, watch.VIA, is_admin), chat_ref=ref)
    except SlackApiError as exc:
        trail.failed(client, ref, f"❌ *{title}*: I couldn't read the file ({exc.response.get('error')}).")
        return
    except RagbotError as exc:
        trail.failed(client, ref, f"❌ *{title}*: {escape(str(exc))}")
        return
    except Exception:
        _log.exception("shared file %s failed", name)
        trail.failed(client, ref, f"❌ *{title}*: something went wrong on my side; an admin can see it in the logs.")
        return
    if not accepted.changed:
        trail.done(client, ref)  # the same content is already in: nothing to index


def register(app: App, rt: SlackRagbot) -> None:
    """Files shared in channel messages (after Ragbot's own message listeners) and files deleted in Slack."""

    def is_channel_file_share(event: dict[str, Any]) -> bool:
        return (event.get("subtype") == "file_share" and event.get("channel_type") != "im"
                and not event.get("bot_id") and bool(event.get("files")) and bool(event.get("user")))

    @app.event("message", matchers=[is_channel_file_share])
    def ragbot_shared_files(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient,
                            request: Any) -> None:
        from ragbot.adapters.slack.listeners.events import answered_in, first_delivery

        if not first_delivery(rt, body, request):
            return
        thread_ts = event.get("thread_ts")
        bot_thread = bool(thread_ts) and answered_in(rt, client, context, str(event.get("channel", "")),
                                                     str(thread_ts))
        on_files(rt, client, event, context, bot_thread=bot_thread)

    @app.event("file_deleted")
    def ragbot_file_deleted(event: dict[str, Any], context: BoltContext) -> None:
        space, file_id = rt.space(context.team_id), str(event.get("file_id", ""))
        if file_id:
            _pool(rt).submit(rt.uses.watches.forget_file, space=space, file_id=file_id)

"""`ragbot serve slack`: run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP mode)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from ragbot.cli.app import err_console, fail, serve_app, services, settings


@serve_app.command("slack")
def serve_slack(
    host: Annotated[str | None, typer.Option(help="Bind address (default RAGBOT_SLACK_HOST, 0.0.0.0).")] = None,
    port: Annotated[int | None, typer.Option(help="Port for /slack/events and /healthz (RAGBOT_SLACK_PORT).")] = None,
    http: Annotated[bool, typer.Option("--http", help="HTTP mode even when SLACK_APP_TOKEN is set.")] = False,
) -> None:
    """Answer questions in Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events."""
    s = settings()
    if not s.slack_bot_token:
        raise fail("SLACK_BOT_TOKEN is not set; copy the bot token (xoxb-...) from the Slack app's OAuth page.")
    if http:
        s.slack_app_token = None
    if not s.slack_app_token and not s.slack_signing_secret:
        raise fail("Set SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode); "
                   "see docs/slack.md.")
    from ragbot.observability.logging import configure_from_settings

    configure_from_settings(s)
    logging.getLogger("ragbot").setLevel(logging.INFO)  # the adapter's start-up and failure lines, not library chatter
    from ragbot.adapters.slack.app import serve

    svc = services()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    mode = "Socket Mode" if s.slack_app_token else f"HTTP mode on port {port or s.slack_port}"
    err_console.print(f"Ragbot for Slack starting ({mode}). Ctrl-C stops it.", highlight=False)
    serve(svc, host=host, port=port, stop=stop)

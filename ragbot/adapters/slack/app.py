"""The standalone Bolt app behind `ragbot serve slack`, and how it runs: Socket Mode or HTTP."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App

from ragbot.adapters.slack.client import make_web_client
from ragbot.adapters.slack.http_server import SlackHttpServer
from ragbot.adapters.slack.listeners import register
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.adapters.slack.startup import check_named_ids
from ragbot.chat.pickup import no_worker_warning
from ragbot.storage.db import check_connection
from ragbot.wiring import Services

_log = logging.getLogger(__name__)


class _TokenWarningFilter(logging.Filter):
    """Drops Bolt's 'token will be unused' warning: SLACK_BOT_TOKEN is in the environment and also in our client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_BOLT_LOG = logging.getLogger("ragbot.slack.bolt")
_BOLT_LOG.addFilter(_TokenWarningFilter())


def build_app(services: Services, **register_options: Any) -> tuple[App, SlackRagbot]:
    """A Bolt app with only Ragbot's listeners, a WebClient that handles 429s, and a roomy listener pool."""
    s = services.settings
    app = App(
        name="ragbot",
        logger=_BOLT_LOG,
        client=make_web_client(s),
        signing_secret=s.slack_signing_secret or "",
        # Acks of commands and buttons run in this pool too: keep it apart from the answer pool so they never wait.
        listener_executor=ThreadPoolExecutor(max_workers=max(2, s.slack_listener_threads),
                                             thread_name_prefix="ragbot-bolt"),
    )
    rt = register(app, services=services, **register_options)

    # Subscribed message events that Ragbot does not answer (ordinary channel chatter) are acknowledged here,
    # so Slack does not retry them as failures. A host app using register() keeps its own fallbacks instead.
    @app.event("message")
    def ignore_other_messages() -> None:
        return None

    @app.error
    def log_errors(error: Exception, body: dict[str, Any]) -> None:
        _log.error("unhandled Slack listener error (%s): %s", body.get("type"), error, exc_info=error)

    return app, rt


def health(services: Services) -> tuple[bool, str]:
    """Whether the database answers (the only dependency a question cannot do without)."""
    try:
        check_connection(services.engine)
    except Exception as exc:
        return False, str(exc)
    return True, "ok"


def serve(services: Services, *, host: str | None = None, port: int | None = None,
          stop: threading.Event | None = None) -> None:
    """Run until stopped: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events; /healthz always."""
    s = services.settings
    app, rt = build_app(services)
    check_named_ids(app.client, s)  # before connecting: a typo in who is an admin must not go unnoticed
    if warning := no_worker_warning(services.queue):
        _log.warning(warning)
    socket_mode = bool(s.slack_app_token)
    server = SlackHttpServer(None if socket_mode else app, host=host or s.slack_host, port=port or s.slack_port,
                             health=lambda: health(services))
    server.start()
    handler = None
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(app, app_token=s.slack_app_token)
            handler.connect()
            _log.info("Ragbot is connected to Slack in Socket Mode; health on %s/healthz", server.url)
        else:
            _log.info("Ragbot listens for Slack on %s/slack/events", server.url)
        (stop or threading.Event()).wait()
    finally:
        if handler is not None:
            handler.close()
        server.stop()
        rt.close()

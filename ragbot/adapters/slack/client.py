"""The Slack Web API client Ragbot uses: optional base URL and retries on 429 and dropped connections."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from ragbot.config import Settings

DEFAULT_BASE_URL = "https://slack.com/api/"


def api_base_url(settings: Settings) -> str:
    """The Web API base URL; WebClient needs the trailing slash."""
    url = settings.slack_base_url or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def add_rate_limit_retries(client: WebClient, max_retry_count: int = 2) -> WebClient:
    """Make the client wait out Slack 429s (Retry-After) instead of failing; idempotent."""
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=max_retry_count))
    return client


def make_web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient for the bot token that retries rate-limited and dropped calls."""
    client = WebClient(
        token=token or settings.slack_bot_token,
        base_url=api_base_url(settings),
        timeout=30,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )
    return add_rate_limit_retries(client)

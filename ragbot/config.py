"""Settings: the only place that reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ragbot.errors import InvalidSettings


def _plain(name: str) -> AliasChoices:
    """Accept the conventional un-prefixed name (e.g. DATABASE_URL)."""
    return AliasChoices(name)


class Settings(BaseSettings):
    """Every knob Ragbot has; built once by an entry point and passed down."""

    # env_ignore_empty: a blank `KEY=` in .env or an empty ConfigMap value means "unset, use the default".
    model_config = SettingsConfigDict(env_prefix="RAGBOT_", extra="ignore", populate_by_name=True,
                                      env_ignore_empty=True)

    # Storage and broker. None means "use the embedded default".
    database_url: str | None = Field(default=None, validation_alias=_plain("DATABASE_URL"))
    # A streaming read replica of DATABASE_URL: retrieval reads go there, writes and ingestion stay on the primary.
    database_read_url: str | None = Field(default=None, validation_alias=_plain("DATABASE_READ_URL"))
    # How long a read waits for the replica to replay a space's latest change before asking the primary instead.
    replica_wait_seconds: float = 0.2
    redis_url: str | None = Field(default=None, validation_alias=_plain("REDIS_URL"))
    data_dir: Path = Field(default=Path("~/.local/share/ragbot").expanduser())

    # Providers. "auto" picks the vendor when its key is set, the offline default otherwise.
    embedder: Literal["auto", "local", "voyage"] = "auto"
    # "auto" also picks "openai" when RAGBOT_OPENAI_BASE_URL is set and ANTHROPIC_API_KEY is not.
    chat_model: Literal["auto", "extractive", "claude", "openai"] = "auto"
    voyage_api_key: str | None = Field(default=None, validation_alias=_plain("VOYAGE_API_KEY"))
    voyage_base_url: str | None = None
    voyage_model: str = "voyage-3.5"
    anthropic_api_key: str | None = Field(default=None, validation_alias=_plain("ANTHROPIC_API_KEY"))
    anthropic_base_url: str | None = None
    claude_model: str = "claude-sonnet-4-6"
    claude_max_tokens: int = 1024
    # Any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp, LM Studio): see docs/local-llm.md.
    openai_base_url: str | None = None
    openai_model: str | None = None
    openai_api_key: str | None = None  # Ollama and llama.cpp need none; vLLM and gateways may
    openai_max_tokens: int = 1024
    # The server's context length: the oldest turns of a conversation are left out so prompt and answer fit.
    openai_context_tokens: int = 8192
    # Read timeout: a local model may take a minute to load and read the prompt before its first token.
    openai_timeout_seconds: float = 120.0

    # Ingestion.
    chunk_size: int = 400
    chunk_overlap: int = 40
    max_upload_mb: float = 50.0
    # Seconds after which an upload still queued gets "no worker has picked it up" in its chat status (0: never).
    worker_pickup_seconds: float = Field(default=30.0, ge=0)
    embed_batch_size: int = 64
    # Chunks one document may become, checked before it is embedded. Unset: enough for the largest text upload
    # RAGBOT_MAX_UPLOAD_MB allows (one chunk per chunk_size - chunk_overlap characters), 145,636 at the defaults.
    max_chunks_per_document: int | None = None
    fetch_timeout_seconds: float = 20.0
    # Off by default: URL ingestion must not reach the host's own network (SSRF). Tests and intranets may turn it on.
    allow_private_urls: bool = False
    # Site crawls (`ingest URL --crawl`, the upload form's crawl option): pause between two requests to one site,
    # and the page budget when none is given (--max-pages).
    crawl_delay_ms: int = Field(default=500, ge=0)
    crawl_max_pages: int = Field(default=200, ge=1, le=10_000)

    # Retrieval.
    default_space: str = "local"
    top_k: int = 5
    # Up to this many more chunks of the pages among the top_k, from the next top_k candidates, for the answer to
    # quote (the gate reads the top_k alone): the right page is found more often than its right chunk.
    page_extra: int = Field(default=3, ge=0, le=20)
    # Tuned with `ragbot eval` on two public sets (docs/quality.md): a small RRF k trusts the top of each list,
    # and 20 candidates per retriever rank as well as 40 while halving the cost of channel-filtered HNSW scans.
    candidates: int = 20
    rrf_k: int = 5
    # Best-passage cosine below which the bot says it does not know. With all-MiniLM-L6-v2, 0.40 refused 96-97% of
    # off-topic questions while refusing 0-3% of answerable ones on both eval sets (0.30 refused only ~80%).
    min_similarity: float = 0.40
    ef_search: int = 100
    # Reranking: "auto" reranks with Voyage when VOYAGE_API_KEY is set, "none" never, "voyage" always (needs the key).
    # rerank_candidates fused passages go to the reranker, which keeps top_k; it reorders, never decides "don't know".
    reranker: Literal["auto", "none", "voyage"] = "auto"
    rerank_model: str = "rerank-2.5-lite"
    rerank_candidates: int = 30

    # Chat platforms.
    slack_bot_token: str | None = Field(default=None, validation_alias=_plain("SLACK_BOT_TOKEN"))
    slack_app_token: str | None = Field(default=None, validation_alias=_plain("SLACK_APP_TOKEN"))
    slack_signing_secret: str | None = Field(default=None, validation_alias=_plain("SLACK_SIGNING_SECRET"))
    slack_base_url: str | None = None
    # Slack adapter: HTTP-mode bind address (Socket Mode serves only /healthz there), streaming edit interval,
    # and thread pools sized so that acks never wait behind slow answers.
    slack_host: str = "0.0.0.0"
    slack_port: int = 3000
    slack_stream_interval: float = 1.0
    slack_answer_threads: int = 64
    slack_listener_threads: int = 16
    # Bot ids (B...) whose @mentions are answered; every other bot is ignored so two bots never loop.
    # Comma-separated, not JSON: NoDecode hands the raw string to the validator below.
    slack_allowed_bots: Annotated[list[str], NoDecode] = Field(default_factory=list)
    discord_token: str | None = Field(default=None, validation_alias=_plain("DISCORD_TOKEN"))
    discord_dev_guild_id: int | None = Field(default=None, validation_alias=_plain("DISCORD_DEV_GUILD_ID"))
    # The application's public key (Developer Portal → General Information), for `serve discord --http`.
    discord_public_key: str | None = Field(default=None, validation_alias=_plain("DISCORD_PUBLIC_KEY"))
    # Workers edit upload status messages over plain REST; tests point this at a fake server.
    discord_api_base_url: str = "https://discord.com/api/v10"
    # Privileged intent: only needed so follow-ups in the bot's threads work without an @mention.
    discord_message_content: bool = True
    discord_edit_interval: float = 1.0  # seconds between streaming edits of one answer
    # Interaction tokens die after 15 minutes; past this many seconds answers go out as channel messages.
    discord_interaction_budget: float = 840.0
    discord_history_messages: int = 20  # thread/DM messages read as conversation history
    discord_sync_commands: bool = True  # sync slash commands at start-up (standalone bot only)
    admin_users: list[str] = Field(default_factory=list)
    # Who may add documents from chat: everyone, or admins only plus a Slack user group id (S0123ABCD) or a
    # Discord role (name or id). The CLI acts as an admin.
    # Citations of content unchanged this long say "last updated N months ago" (0: never).
    stale_days: int = Field(default=365, ge=0)
    uploaders: Literal["everyone", "admins"] = "everyone"
    uploader_group: str | None = None
    uploader_role: str | None = None
    admin_role: str | None = None
    questions_per_minute: int = 10
    # Shared by every replica (Redis when REDIS_URL is set, PostgreSQL otherwise); 0 turns a limit off.
    workspace_questions_per_minute: int = 120
    uploads_per_hour: int = 30
    notify_uploaders_on_downvote: bool = True
    # A URL source failing re-sync this many times in a row (or once with 404/410) is stale: not cited.
    stale_after_failures: int = Field(default=3, ge=1)
    # hide: a stale source's passages are not cited (filtered inside search); warn: cited, marked as unreachable.
    stale_policy: Literal["hide", "warn"] = "hide"

    # Workers.
    task_soft_time_limit: int = 600
    task_time_limit: int = 660
    visibility_timeout: int = 3600
    stuck_after_seconds: int = 900
    url_resync_minutes: int = 1440
    # Retention, applied daily by beat (0 keeps forever): failed uploads that never became searchable, and stored
    # questions with their votes and comments (they hold user ids and what people asked; see docs/security.md).
    failed_retention_days: int = Field(default=7, ge=0)
    question_retention_days: int = Field(default=90, ge=0)

    # Operations: logs and the /metrics + /healthz port of processes that serve no HTTP of their own.
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR (any case)
    metrics_host: str = "0.0.0.0"
    metrics_port: int = 9464  # 0 turns the metrics server off

    @field_validator("slack_allowed_bots", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """RAGBOT_SLACK_ALLOWED_BOTS as comma-separated ids (blanks dropped)."""
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @property
    def max_upload_bytes(self) -> int:
        """The upload cap in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def chunk_limit(self) -> int:
        """RAGBOT_MAX_CHUNKS_PER_DOCUMENT, or the default sized to the largest allowed text upload."""
        if self.max_chunks_per_document:
            return self.max_chunks_per_document
        return -(-self.max_upload_bytes // max(1, self.chunk_size - self.chunk_overlap))


def load_settings() -> Settings:
    """Build Settings; a bad value raises InvalidSettings with one line naming the variable, value and what fits."""
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidSettings("; ".join(_problem(e) for e in exc.errors())) from None


def _problem(error: Any) -> str:
    name = str(error["loc"][0]) if error["loc"] else ""
    field = Settings.model_fields.get(name)
    alias = getattr(field, "validation_alias", None) if field else None
    variable = alias.choices[0] if isinstance(alias, AliasChoices) else name if name.isupper() else \
        f"RAGBOT_{name.upper()}"
    secret = any(word in name.lower() for word in ("key", "token", "secret", "password"))
    value = "" if secret or isinstance(error.get("input"), dict) else f"={error.get('input')!r}"
    expected = (error.get("ctx") or {}).get("expected")
    wanted = f"use one of {expected}" if expected else str(error["msg"]).removeprefix("Value error, ")
    return f"invalid setting {variable}{value}: {wanted}"

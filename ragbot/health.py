"""Readiness checks for `ragbot health`: database, pgvector, migrations, broker, embedder and chat model."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from ragbot.config import Settings
from ragbot.observability.logging import redact
from ragbot.storage import ops

CHECKS = ("database", "pgvector", "migrations", "broker", "embedder", "chat")
MIN_PGVECTOR = (0, 5, 0)  # HNSW indexes arrived in pgvector 0.5
TIMEOUT_SECONDS = 3  # a probe must answer quickly even when a server is black-holed


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome and a line of detail an operator can act on."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """'ok   name  detail' or 'FAIL name  detail'."""
        return f"{'ok' if self.ok else 'FAIL':<4} {self.name:<10} {self.detail}"


class _Context:
    """What the checks share: settings, a lazily made engine and the database check's outcome."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self.database_ok: bool | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            from ragbot.storage.db import database_url

            # NullPool and a connect timeout: a health probe holds no connections and never hangs.
            self._engine = create_engine(database_url(self.settings), poolclass=NullPool,
                                         connect_args={"connect_timeout": TIMEOUT_SECONDS})
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _short(exc: BaseException) -> str:
    """The first line of an error, without secrets."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return redact(lines[0] if lines else type(exc).__name__)


def _needs_database(ctx: _Context) -> str | None:
    if ctx.database_ok is None:
        check_database(ctx)
    return None if ctx.database_ok else "not checked: the database is unreachable"


def check_database(ctx: _Context) -> CheckResult:
    """The database answers a query; the detail names the (redacted) URL and server version."""
    try:
        url = ctx.engine().url.render_as_string(hide_password=True)
        with ctx.engine().connect() as conn:
            version = ops.server_version(conn)
        ctx.database_ok = True
        return CheckResult("database", True, f"{url} (PostgreSQL {version})")
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none raised
        ctx.database_ok = False
        where = redact(str(ctx.settings.database_url or "embedded database"))
        return CheckResult("database", False, f"cannot connect to {where}: {_short(exc)}")


def check_pgvector(ctx: _Context) -> CheckResult:
    """The vector extension is installed at a version with HNSW support."""
    if reason := _needs_database(ctx):
        return CheckResult("pgvector", False, reason)
    with ctx.engine().connect() as conn:
        installed, available = ops.pgvector_versions(conn)
    if installed is None:
        hint = "run `ragbot db upgrade`" if available else "install pgvector on the server (or use a managed one)"
        return CheckResult("pgvector", False, f"extension not installed (available: {available or 'no'}); {hint}")
    parts = tuple(int(p) for p in str(installed).split(".")[:3] if p.isdigit())
    if parts < MIN_PGVECTOR:
        return CheckResult("pgvector", False, f"version {installed} is too old; HNSW needs 0.5.0 or newer")
    return CheckResult("pgvector", True, f"version {installed}")


def check_migrations(ctx: _Context) -> CheckResult:
    """The schema is at the newest migration."""
    if reason := _needs_database(ctx):
        return CheckResult("migrations", False, reason)
    from ragbot.storage.db import current_revision, head_revision

    current, head = current_revision(ctx.engine()), head_revision()
    if current == head:
        return CheckResult("migrations", True, f"at head {head}")
    return CheckResult("migrations", False, f"at {current or 'none'}, head is {head}: run `ragbot db upgrade`")


def check_broker(ctx: _Context) -> CheckResult:
    """REDIS_URL answers PING (and keeps queued tasks); without it, the Postgres fallback broker is reachable."""
    redis_url = ctx.settings.redis_url
    if not redis_url:
        if reason := _needs_database(ctx):
            return CheckResult("broker", False, f"REDIS_URL unset, fallback broker is the database; {reason}")
        return CheckResult("broker", True, "REDIS_URL unset: using the fallback broker, kombu's SQLAlchemy "
                                           "transport on the database (fine for one machine)")
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        started = time.perf_counter()
        client.ping()
        detail = f"{redact(redis_url)} PONG in {(time.perf_counter() - started) * 1000:.0f} ms"
        try:  # managed Redis often forbids CONFIG; only warn when it answers with a policy that drops tasks
            policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
        except redis.exceptions.RedisError:
            policy = None
        if policy and policy != "noeviction":
            detail += f"; warning: maxmemory-policy is {policy}, set noeviction so queued tasks are never evicted"
        return CheckResult("broker", True, detail)
    except Exception as exc:  # noqa: BLE001
        return CheckResult("broker", False, f"cannot reach {redact(redis_url)}: {_short(exc)}")
    finally:
        client.close()


def check_embedder(ctx: _Context) -> CheckResult:
    """The configured embedder loads and embeds a word into a vector of its declared size."""
    from ragbot.wiring import make_embedder

    try:
        embedder = make_embedder(ctx.settings)
        vector = embedder.embed_query("health")
    except Exception as exc:  # noqa: BLE001
        return CheckResult("embedder", False, f"{ctx.settings.embedder}: {_short(exc)}")
    if len(vector) != embedder.dim:
        return CheckResult("embedder", False, f"{embedder.model_id} returned {len(vector)} values, "
                                              f"expected {embedder.dim}")
    return CheckResult("embedder", True, f"{embedder.model_id} ({embedder.dim} dimensions)")


def check_chat(ctx: _Context) -> CheckResult:
    """An OpenAI-compatible server answers and serves the model; the other chat models need no probe here."""
    from ragbot.wiring import chat_model_choice, make_openai_chat

    choice = chat_model_choice(ctx.settings)
    if choice != "openai":
        detail = ctx.settings.claude_model if choice == "claude" else "offline, nothing to reach"
        return CheckResult("chat", True, f"{choice} ({detail})")
    try:
        # Ten seconds: a server busy loading a model still lists its models quickly.
        return CheckResult("chat", True, make_openai_chat(ctx.settings, timeout=10.0, max_retries=0).check())
    except Exception as exc:  # noqa: BLE001
        return CheckResult("chat", False, f"openai: {_short(exc)}")


_RUNNERS: dict[str, Callable[[_Context], CheckResult]] = {
    "database": check_database, "pgvector": check_pgvector, "migrations": check_migrations,
    "broker": check_broker, "embedder": check_embedder, "chat": check_chat,
}


def run_checks(settings: Settings, names: Iterable[str] = CHECKS) -> list[CheckResult]:
    """Run the named checks in order; a check that raises is reported as failed, never propagated."""
    ctx = _Context(settings)
    results: list[CheckResult] = []
    try:
        for name in names:
            try:
                results.append(_RUNNERS[name](ctx))
            except Exception as exc:  # noqa: BLE001
                results.append(CheckResult(name, False, _short(exc)))
    finally:
        ctx.close()
    return results


def as_json(results: Iterable[CheckResult]) -> dict[str, Any]:
    """The results as a JSON-ready object: {"ok": bool, "checks": [{name, ok, detail}]}."""
    items = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in results]
    return {"ok": all(i["ok"] for i in items), "checks": items}

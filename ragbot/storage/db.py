"""Engine creation, connection checks and automatic migrations."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from ragbot.config import Settings
from ragbot.errors import DatabaseUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"  # shipped inside the package
_MIGRATION_LOCK = 7_424_711  # advisory lock id, so that concurrent processes migrate once


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL: DATABASE_URL when set, else the embedded server's."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    from ragbot.storage.embedded import embedded_url

    return embedded_url(settings.data_dir)


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver whatever scheme the user wrote."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs (the one shared redaction)."""
    from ragbot.observability.redaction import redact as shared

    return shared(url)


def _register_vector(dbapi_conn: object, _record: object) -> None:
    """Teach psycopg the vector type (binary COPY and numpy parameters) once the extension exists."""
    from pgvector.psycopg import register_vector

    try:
        register_vector(dbapi_conn)
    except Exception:  # noqa: BLE001 - before the first migration the type does not exist yet
        dbapi_conn.rollback()  # type: ignore[attr-defined]


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """A pooled engine with pgvector registered on every connection.

    psycopg prepares a statement on its 5th run, and PostgreSQL may then plan it once for every parameter value.
    One cached plan for the hybrid search cannot fit a 200k-chunk space and a 100-chunk one alike: on a 23k-chunk
    space of 100k chunks over 100 spaces it took p95 48 ms instead of 12 ms (benchmarks/scale.py). Unprepared,
    each query is planned for its own space: the planner picks the HNSW index, or an exact scan of a small space.
    It also keeps Ragbot working behind PgBouncer in transaction mode, where prepared statements go astray.
    """
    engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=10,
                           connect_args={"prepare_threshold": None})
    event.listen(engine, "connect", _register_vector)
    return engine


def read_engine(settings: Settings) -> Engine | None:
    """An engine on the read replica (DATABASE_READ_URL), or None when none is configured.

    Only reads go there: it is never migrated (it replays the primary's schema) and never written to.
    """
    if not settings.database_read_url:
        return None
    if not settings.database_url:
        raise DatabaseUnavailable(
            "DATABASE_READ_URL is set but DATABASE_URL is not: a read replica needs the primary it replicates. "
            "Set DATABASE_URL to the primary, or unset DATABASE_READ_URL."
        )
    return make_engine(normalise_url(settings.database_read_url))


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with the URL and what to check when the server is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"Cannot reach the database at {redact(engine.url.render_as_string(hide_password=False))}: {reason}. "
            "Check that PostgreSQL is running and DATABASE_URL is right, or unset DATABASE_URL to use the embedded one."
        ) from exc


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration id."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None when it has none."""
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
        if not exists:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations, serialised across processes by an advisory lock."""
    from alembic import command

    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            cfg = _alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
            conn.commit()
    engine.dispose()  # pooled connections registered no vector type before the extension existed


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Revert migrations (used by tests and by operators)."""
    from alembic import command

    with engine.connect() as conn:
        cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()
    engine.dispose()


def ensure_schema(engine: Engine) -> None:
    """Migrate on first use; cheap when already at head."""
    check_connection(engine)
    if current_revision(engine) != head_revision():
        upgrade(engine)

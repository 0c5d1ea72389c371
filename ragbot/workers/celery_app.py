"""The Celery app, built once from Settings: `celery -A workers.celery_app worker` or `ragbot worker`."""

from __future__ import annotations

from ragbot.config import load_settings
from ragbot.errors import InvalidSettings
from ragbot.workers import observability
from ragbot.workers.config import make_app

try:
    settings = load_settings()
except InvalidSettings as exc:
    raise SystemExit(f"error: {exc}") from None  # one line, not a traceback from inside Celery's app loader
app = make_app(settings)
observability.install(settings, str(app.conf.broker_url))

"""The Celery app, built once from Settings: `celery -A workers.celery_app worker` or `ragbot worker`."""

from __future__ import annotations

from bot.config import Settings
from workers import observability
from workers.config import make_app

settings = Settings()
app = make_app(settings)
observability.install(settings, str(app.conf.broker_url))

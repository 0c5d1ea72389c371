"""The Celery app, built once from Settings: `celery -A workers.celery_app worker` or `ragbot worker`."""

from __future__ import annotations

from ragbot.config import Settings
from ragbot.workers import observability
from ragbot.workers.config import make_app

settings = Settings()
app = make_app(settings)
observability.install(settings, str(app.conf.broker_url))

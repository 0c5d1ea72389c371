"""Background workers: real Redis, real Celery worker subprocesses, the embedded Postgres."""

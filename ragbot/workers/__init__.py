"""Celery workers: thin named tasks over the core ingestion functions."""

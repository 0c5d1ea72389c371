"""Adapters to embedding and chat models: the only place that imports vendor SDKs."""

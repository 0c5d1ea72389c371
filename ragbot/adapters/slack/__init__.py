"""Ragbot on Slack (slack-bolt): register(app, services=...) for an existing Bolt app, or `ragbot serve slack`."""

from __future__ import annotations

from typing import Any

__all__ = ["build_app", "register"]


def __getattr__(name: str) -> Any:
    # Lazy, so that workers importing the status updater do not load every listener.
    if name == "register":
        from ragbot.adapters.slack.listeners import register

        return register
    if name == "build_app":
        from ragbot.adapters.slack.app import build_app

        return build_app
    raise AttributeError(name)

"""The app manifest asks for exactly the commands, events and scopes Ragbot uses."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml

from ragbot.adapters.slack.listeners import register

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "slack" / "manifest.yaml"


def test_manifest_matches_what_the_listeners_use() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    defaults = {p.default for name, p in inspect.signature(register).parameters.items() if name.endswith("_command")}
    assert {c["command"] for c in manifest["features"]["slash_commands"]} == defaults
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.channels", "message.groups", "message.im", "file_deleted"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "channels:history", "groups:history", "im:history", "chat:write", "commands",
        "files:read", "users:read", "usergroups:read", "reactions:write", "channels:read", "groups:read"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    from ragbot.adapters.slack.saving import SAVE_CALLBACK

    assert [(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]] == [("message", SAVE_CALLBACK)]

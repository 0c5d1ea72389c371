"""The suite is hermetic: settings from the calling shell never reach a test."""

from __future__ import annotations

import os

from ragbot.config import Settings
from tests.support import scrub_environment


def test_no_setting_from_the_calling_shell_is_visible() -> None:
    plain = {"REDIS_URL", "DATABASE_URL", "VOYAGE_API_KEY", "ANTHROPIC_API_KEY"}
    knobs = ("RAGBOT_TEST_", "RAGBOT_FUZZ_")
    leaked = [k for k in os.environ if k in plain or k.startswith(("OPENAI_", "SLACK_", "DISCORD_"))
              or (k.startswith("RAGBOT_") and not k.startswith(knobs))]
    assert leaked == []
    settings = Settings()
    assert settings.redis_url is None and settings.database_url is None and settings.voyage_api_key is None


def test_scrubbing_removes_settings_and_keeps_the_rest() -> None:
    env = {"REDIS_URL": "redis://junk", "DATABASE_URL": "postgresql://junk", "RAGBOT_TOP_K": "x",
           "OPENAI_API_KEY": "junk", "OPENAI_BASE_URL": "http://junk", "SLACK_BOT_TOKEN": "xoxb-junk",
           "DISCORD_DEV_GUILD_ID": "1", "RAGBOT_TEST_REDIS_URL": "redis://127.0.0.1:6379/0", "PATH": "/bin"}
    removed = scrub_environment(env)
    assert set(env) == {"RAGBOT_TEST_REDIS_URL", "PATH"} and len(removed) == 7

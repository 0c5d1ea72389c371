"""Fixtures for the deployment tests: where deploy/ is, what settings exist, and a Redis to ping."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices

from ragbot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Secrets go to the Kubernetes Secret, never the ConfigMap: URLs carry passwords, the rest are credentials.
SECRET_SUFFIXES = ("_TOKEN", "_KEY", "_SECRET", "_PASSWORD")
SECRET_NAMES = {"DATABASE_URL", "DATABASE_READ_URL", "REDIS_URL"}


def env_names() -> dict[str, list[str]]:
    """Each Settings field and the environment names it is read from (aliases first, else RAGBOT_<NAME>)."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names: dict[str, list[str]] = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            found = [c for c in alias.choices if isinstance(c, str)]
        elif isinstance(alias, str):
            found = [alias]
        else:
            found = [prefix + field_name]
        names[field_name] = [n.upper() for n in found]
    return names


def is_secret(env_name: str) -> bool:
    """Whether a setting holds a credential."""
    return env_name in SECRET_NAMES or env_name.endswith(SECRET_SUFFIXES)


@pytest.fixture(scope="session")
def redis_url(redis_port: int) -> str:
    """Database 15 of the session's real Redis."""
    return f"redis://127.0.0.1:{redis_port}/15"

"""Fixtures for the deployment tests: where deploy/ is, what settings exist, and a Redis to ping."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import AliasChoices

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Secrets go to the Kubernetes Secret, never the ConfigMap: URLs carry passwords, the rest are credentials.
SECRET_SUFFIXES = ("_TOKEN", "_KEY", "_SECRET", "_PASSWORD")
SECRET_NAMES = {"DATABASE_URL", "REDIS_URL"}


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


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pings(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Database 15 of the local Redis on 6379, or of a throwaway redis-server started for this session."""
    if _pings(6379):
        yield "redis://127.0.0.1:6379/15"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis on 127.0.0.1:6379 and no redis-server to start")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _pings(port):
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/15"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

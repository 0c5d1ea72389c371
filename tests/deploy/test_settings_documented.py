"""Every setting the code reads is in deploy/.env.example and the k8s ConfigMap/Secret, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ragbot.config import Settings
from tests.deploy.conftest import DEPLOY, env_names, is_secret

ENV_EXAMPLE = DEPLOY / ".env.example"
K8S = DEPLOY / "k8s"
# Variables in .env.example that compose itself reads, not Ragbot.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}
_ASSIGN = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def parse_env_example(path: Path = ENV_EXAMPLE) -> list[tuple[str, str, bool, str]]:
    """(name, value, active, description) for each `NAME=value` or `# NAME=value` line."""
    entries = []
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        m = _ASSIGN.match(line)
        if not m:
            continue
        before = lines[i - 1] if i else ""
        described = before.startswith("#") and not _ASSIGN.match(before) and len(before.strip("# ")) > 10
        entries.append((m.group(2), m.group(3), m.group(1) is None, before if described else ""))
    return entries


def primary_names() -> set[str]:
    return {names[0] for names in env_names().values()}


def all_names() -> set[str]:
    return {n for names in env_names().values() for n in names}


def k8s_data() -> tuple[dict[str, str], dict[str, str]]:
    config = yaml.safe_load((K8S / "base" / "configmap.yaml").read_text())
    secret = yaml.safe_load((K8S / "base" / "secret.yaml").read_text())
    return dict(config["data"]), dict(secret["stringData"])


def test_settings_have_env_names() -> None:
    names = env_names()
    assert names["database_url"] == ["DATABASE_URL"] and names["top_k"] == ["RAGBOT_TOP_K"]
    assert len(primary_names()) == len(names), "two settings share an environment name"


def test_env_example_lists_every_setting_and_only_settings() -> None:
    listed = [name for name, *_ in parse_env_example()]
    assert len(listed) == len(set(listed)), f"listed twice: {sorted(n for n in listed if listed.count(n) > 1)}"
    missing = primary_names() - set(listed)
    assert not missing, f"settings missing from deploy/.env.example: {sorted(missing)}"
    unknown = set(listed) - all_names() - COMPOSE_ONLY
    assert not unknown, f"deploy/.env.example lists names no setting reads: {sorted(unknown)}"


def test_env_example_describes_each_setting() -> None:
    undocumented = [name for name, _, _, description in parse_env_example() if not description]
    assert not undocumented, f"give these a comment line above them in deploy/.env.example: {undocumented}"


def changed_from_defaults(settings: Settings) -> set[str]:
    defaults = Settings.model_construct()
    return {n for n in Settings.model_fields if getattr(settings, n) != getattr(defaults, n)}


def test_env_example_values_are_valid_and_show_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both the active lines and the commented defaults must load, so uncommenting one never breaks start-up.
    for name, value, _, _ in parse_env_example():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.redis_url == "redis://redis:6379/0" and settings.voyage_api_key is None
    # A commented line claims to show the default; the image itself sets RAGBOT_DATA_DIR and RAGBOT_LOG_FORMAT.
    stale = changed_from_defaults(settings) - {"database_url", "redis_url", "data_dir", "log_format"}
    assert not stale, f"deploy/.env.example shows values that are not the defaults for: {sorted(stale)}"


def test_configmap_and_secret_hold_every_setting_and_only_settings() -> None:
    config, secret = k8s_data()
    assert not set(config) & set(secret), "a setting is in both the ConfigMap and the Secret"
    missing = primary_names() - set(config) - set(secret)
    assert not missing, f"settings missing from deploy/k8s/base configmap.yaml/secret.yaml: {sorted(missing)}"
    unknown = (set(config) | set(secret)) - all_names()
    assert not unknown, f"the ConfigMap/Secret hold names no setting reads: {sorted(unknown)}"


def test_credentials_are_in_the_secret_only() -> None:
    config, secret = k8s_data()
    assert not [k for k in config if is_secret(k)], "credentials belong in the Secret"
    assert not [k for k in secret if not is_secret(k)], "plain settings belong in the ConfigMap"


def test_overlay_secret_env_matches_the_secret_template() -> None:
    _, secret = k8s_data()
    example = K8S / "overlays" / "example" / "secrets.env.example"
    keys = {m.group(2) for line in example.read_text().splitlines() if (m := _ASSIGN.match(line)) and not m.group(1)}
    assert keys == set(secret)


def test_configmap_and_secret_values_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    config, secret = k8s_data()
    for name, value in {**config, **secret}.items():
        monkeypatch.setenv(name, str(value))
    # The base ConfigMap documents the defaults (overlays change them); only these differ in a cluster.
    stale = changed_from_defaults(Settings()) - {"data_dir", "log_format", "database_url", "redis_url"}
    assert not stale, f"deploy/k8s/base/configmap.yaml holds values that are not the defaults for: {sorted(stale)}"

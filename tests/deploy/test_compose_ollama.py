"""The optional Ollama service in deploy/compose.yaml: off by default, models on a volume, reachable as documented."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy.conftest import DEPLOY, ROOT


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_ollama_runs_only_under_its_profile_and_keeps_models_on_a_volume() -> None:
    doc = compose()
    ollama = doc["services"]["ollama"]
    assert ollama["profiles"] == ["ollama"] and ollama["image"].startswith("ollama/ollama")
    (volume,) = ollama["volumes"]
    name, mount = volume.split(":")[:2]
    assert name in doc["volumes"] and mount == "/root/.ollama"
    assert "ports" not in ollama  # only the Ragbot containers talk to it, over the compose network
    assert int(ollama["environment"]["OLLAMA_CONTEXT_LENGTH"]) >= 8192
    # Ragbot must start without it: nothing depends on an optional service.
    assert not [s for s, svc in doc["services"].items() if "ollama" in (svc.get("depends_on") or {})]


def test_the_documented_urls_match_the_service() -> None:
    url = "http://ollama:11434/v1"
    assert url in (DEPLOY / "compose.yaml").read_text()
    assert url in (DEPLOY / ".env.example").read_text()
    assert url in (ROOT / "docs" / "local-llm.md").read_text()

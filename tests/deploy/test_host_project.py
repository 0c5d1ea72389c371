"""Ragbot installed into a host project that has its own `bot.py` and `workers.py`: both plugins load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

from tests.conftest import ROOT

HOST_SCRIPT = textwrap.dedent("""
    import asyncio, json, pathlib, sys

    import bot, workers  # the host's own modules, which Ragbot must not shadow
    import discord
    from discord.ext import commands
    from slack_bolt import App

    import ragbot
    from ragbot.adapters.slack import register
    from ragbot.adapters.status import build_services

    app = App(token="xoxb-host", signing_secret="host-secret", token_verification_enabled=False)
    before = len(app._listeners)
    register(app, services=build_services())

    host = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    asyncio.run(host.load_extension("ragbot.adapters.discord.extension"))
    print(json.dumps({
        "host": [bot.WHO, workers.WHO],
        "ragbot": str(pathlib.Path(ragbot.__file__).resolve()),
        "slack_listeners_added": len(app._listeners) - before,
        "discord_commands": sorted(c.name for c in host.tree.get_commands()),
    }))
""")


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def test_a_host_project_with_its_own_bot_and_workers_modules_loads_both_plugins(clean_db, pg_url: str,
                                                                                  tmp_path: Path) -> None:
    # A fresh venv that borrows the dependencies from this one (no network), then a real, non-editable install.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(_venv_python(venv)), "-c", purelib], check=True, capture_output=True,
                               text=True).stdout.strip())
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    build_dir = tmp_path / "src"  # a copy of what the build reads, so it leaves no build/ or egg-info in the checkout
    build_dir.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, build_dir / name)
    shutil.copytree(ROOT / "ragbot", build_dir / "ragbot", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pip = subprocess.run([str(_venv_python(venv)), "-m", "pip", "install", "-q", "--no-deps", str(build_dir)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]

    host = tmp_path / "host"
    host.mkdir()
    (host / "bot.py").write_text('WHO = "host bot"\n')
    (host / "workers.py").write_text('WHO = "host workers"\n')
    (host / "main.py").write_text(HOST_SCRIPT)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "PYTHON"))},
           "DATABASE_URL": pg_url, "RAGBOT_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([str(_venv_python(venv)), "main.py"], cwd=host, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["host"] == ["host bot", "host workers"]
    assert out["ragbot"].startswith(str(site.resolve())), out["ragbot"]  # the installed copy, not the checkout
    assert out["slack_listeners_added"] >= 10
    assert out["discord_commands"] == ["Save to Ragbot", "admin", "ask", "upload"]  # the message menu, then slash

    # No top-level `bot` or `workers` came with Ragbot: outside a host project they do not import.
    for name in ("bot", "workers"):
        miss = subprocess.run([str(_venv_python(venv)), "-c", f"import {name}"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert miss.returncode != 0 and "No module named" in miss.stderr, (name, miss.stderr)


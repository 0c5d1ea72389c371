"""Chat adapters: Slack (slack-bolt), Discord (discord.py). They depend on the core, never the reverse."""

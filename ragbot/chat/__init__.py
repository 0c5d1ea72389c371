"""Chat logic shared by the Slack and Discord adapters (no platform SDK here)."""

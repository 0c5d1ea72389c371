"""`python -m bot.cli` runs the CLI (used by tests and when the console script is not on PATH)."""

from bot.cli import main

main()

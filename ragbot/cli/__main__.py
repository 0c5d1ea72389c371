"""`python -m ragbot.cli` runs the CLI (used by tests and when the console script is not on PATH)."""

from ragbot.cli import main

main()

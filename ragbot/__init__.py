"""Ragbot: answers a team's questions from the team's own documents, with citations."""

__version__ = "0.1.0"

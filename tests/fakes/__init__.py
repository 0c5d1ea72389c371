"""Deterministic stand-ins for outside services (never for our own code)."""

"""Tests of the model providers, prompts and text helpers."""

"""The Ragbot Cog: slash commands and message listeners."""

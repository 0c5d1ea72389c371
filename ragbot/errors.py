"""Errors a user can read: each says what happened and what to do."""

from __future__ import annotations


class RagbotError(Exception):
    """Base class; str(error) is a message fit for a user."""


class IngestError(RagbotError):
    """A document could not be ingested; permanent, retrying will not help."""


class UnsupportedFile(IngestError):
    """The file type is not one Ragbot reads."""


class CorruptFile(IngestError):
    """The file could not be parsed."""


class EmptyDocument(IngestError):
    """The file holds no text."""


class SourceGone(IngestError):
    """A URL source answered 404 or 410: it is no longer there."""


class FileTooLarge(IngestError):
    """The file is over the configured cap."""

    @classmethod
    def upload(cls, name: str, *, max_bytes: int, size: int | None = None) -> FileTooLarge:
        """The one message for a file or page over the upload cap, whichever path found it (size when known)."""
        mb = f"{size / 1048576:.1f} MB is" if size is not None else "it is"
        return cls(f"{name}: {mb} over the {max_bytes / 1048576:.0f} MB limit; split it into smaller files or ask an "
                   "admin to raise RAGBOT_MAX_UPLOAD_MB.")


class TransientError(RagbotError):
    """A temporary fault (provider 429/5xx, lost connection); worth retrying."""


class DatabaseUnavailable(RagbotError):
    """The database cannot be reached."""


class QueueUnavailable(RagbotError):
    """The broker cannot be reached; queued work stays queued."""


class IndexMismatch(RagbotError):
    """The index was built with another embedding model or dimension."""


class NotFound(RagbotError):
    """A document or other object does not exist."""


class NotAllowed(RagbotError):
    """The user may not do this; the message says who may and what to do instead."""


class InvalidSettings(RagbotError):
    """A setting in the environment has a value Ragbot cannot use; the message names the variable."""

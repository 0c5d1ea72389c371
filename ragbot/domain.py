"""Plain data that flows between the core, the adapters and the workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class DocStatus(StrEnum):
    """Life cycle of a document; Postgres is the source of truth."""

    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Scope:
    """Where a question is asked: a space (workspace/guild/local) and maybe a channel."""

    space: str
    channel: str | None = None


@dataclass(frozen=True)
class Section:
    """A stretch of extracted text with its location (page or heading)."""

    text: str
    location: str = ""
    # The text keeps code's indentation (an HTML <pre>), which chunk boundaries do not count: see splitter.
    indented: bool = False


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader extracts from a file: a title and located text sections."""

    title: str
    sections: list[Section]


@dataclass(frozen=True)
class LoadedStream:
    """A loaded document whose sections are produced one at a time, so a large file's text is not held twice.

    Read the sections once, then call title(): a Markdown title is its first H1, wherever that is in the file.
    """

    sections: Iterator[Section]
    chars: int  # length of the extracted text, to report progress while the sections are consumed
    title: Callable[[], str]


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before storage: its position, text and location."""

    ordinal: int
    text: str
    location: str = ""


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with the document it came from and its scores."""

    chunk_id: int
    document_id: int
    ordinal: int
    text: str
    location: str
    title: str
    source: str
    score: float
    similarity: float | None = None
    lexical_rank: int | None = None
    focus: str = ""  # when text was widened by neighbouring chunks: the matched chunk's own text


@dataclass(frozen=True)
class Neighbour:
    """A chunk next to a retrieved one, in the same document and section (small-to-big context)."""

    anchor_id: int  # the retrieved chunk it sits beside
    chunk_id: int
    ordinal: int
    text: str


# A question word this rare in the space (IDF) is distinctive: where it is missing, or where it is, means something.
RARE_IDF = 4.0


@dataclass(frozen=True)
class TermStat:
    """One word of a question: how rare it is in the space and whether the passages hold it."""

    lexeme: str
    idf: float
    in_space: bool
    in_passages: bool
    # A rare word the space imports as a module ("import hashlib", "from hashlib import sha256") though no passage
    # holds it. Only looked for when it is rare, in the space and in no passage.
    code_name: bool = False


@dataclass(frozen=True)
class QuestionTerms:
    """The question's words as the space sees them, and how many chunks the space holds (counted up to a cap)."""

    terms: list[TermStat]
    space_chunks: int


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer."""

    n: int
    title: str
    source: str
    location: str
    snippet: str
    score: float
    document_id: int | None = None
    link: str | None = None  # where the source opens when it is not a URL itself: a chat file or message
    aged: str | None = None  # "last updated 14 months ago", when older than RAGBOT_STALE_DAYS
    unreachable: bool = False  # the source failed its re-syncs; cited anyway under RAGBOT_STALE_POLICY=warn

    @property
    def url(self) -> str | None:
        """A link when the source has one."""
        if self.link:
            return self.link
        return self.source if self.source.startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class SourceFacts:
    """What a citation needs to know of its document beyond the chunk: a link, and when its content changed."""

    link: str | None
    changed_at: datetime | None
    stale: bool = False  # the source stopped answering its re-syncs (cited only with RAGBOT_STALE_POLICY=warn)


@dataclass
class Answer:
    """An answer with its numbered citations; grounded is False when the documents do not support it."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    grounded: bool = True
    related: list[Citation] = field(default_factory=list)  # "possibly related" documents of an ungrounded answer

    def to_json(self) -> dict[str, object]:
        """The `ask --json` contract of DESIGN.md."""
        return {
            "answer": self.text,
            "grounded": self.grounded,
            "citations": [
                {"n": c.n, "title": c.title, "source": c.source, "location": c.location, "score": round(c.score, 4),
                 **({"link": c.link} if c.link else {}), **({"aged": c.aged} if c.aged else {}),
                 **({"unreachable": True} if c.unreachable else {})}
                for c in self.citations
            ],
            "related": [{"title": c.title, "source": c.source, "location": c.location} for c in self.related],
        }


@dataclass(frozen=True)
class Turn:
    """One earlier exchange in a conversation, used as history for follow-ups."""

    role: str  # "user" or "assistant"
    text: str
    sources: tuple[str, ...] = ()  # for an answer: the sources (or titles) it cited, so follow-ups can favour them


@dataclass(frozen=True)
class DocumentInfo:
    """A document as listed to users and admins."""

    id: int
    space: str
    channel: str | None
    title: str
    source: str
    status: str
    error: str | None
    chunks: int
    version: int
    progress: int
    uploader: str | None = None
    uploader_name: str | None = None
    added_via: str | None = None
    added_at: datetime | None = None
    stale: bool = False  # a source that is gone or keeps failing: its chunks are not cited

    @property
    def provenance(self) -> str:
        """Who added the current version, when and from where, e.g. 'Ada, 2026-12-06 (slash)'."""
        who = self.uploader_name or (self.uploader.split(":", 1)[-1] if self.uploader else "an admin")
        when = f", {self.added_at:%Y-%m-%d}" if self.added_at else ""
        return f"{who}{when}" + (f" ({self.added_via})" if self.added_via else "")


ADD_VIAS = ("cli", "slash", "dm", "url", "resync")  # where a document's current version came from


@dataclass(frozen=True)
class Adder:
    """Who adds a document and from where; an id of None is an admin outside chat (the CLI)."""

    id: str | None = None  # platform-prefixed user id, e.g. 'slack:U123' or 'discord:42'
    name: str | None = None  # display name when the platform gave one
    via: str = "cli"
    is_admin: bool = True


CLI_ADDER = Adder()

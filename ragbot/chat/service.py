"""ChatService: what both chat adapters do the same way: ask, record, vote, upload, deduplicate."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ragbot.chat.pickup import PickupWatch
from ragbot.chat.ratelimit import RateLimiter, slow_down_message
from ragbot.domain import Adder, Answer, Scope, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.ingestion import intake
from ragbot.observability import metrics
from ragbot.observability.logging import redact
from ragbot.ports import IngestQueue, Notifier
from ragbot.rag import RagService
from ragbot.ratelimit import SharedLimits
from ragbot.storage import conversations as conv

_log = logging.getLogger(__name__)
TROUBLE = (
    "Sorry, something went wrong while answering. Please try again in a minute; if it keeps happening, tell an admin."
)


@dataclass(frozen=True)
class Asked:
    """An answer as shown in chat, with the stored question id (None when nothing was answered)."""

    answer: Answer
    question_id: int | None
    refused: bool = False  # rate-limited or failed: no feedback buttons


@dataclass(frozen=True)
class UploadRules:
    """The plain values chat uploads run by (from Settings, via the composition root)."""

    max_upload_bytes: int
    allow_private_urls: bool
    pickup_seconds: float  # after this long without a worker, the upload's status says so


class ChatService:
    """Platform-neutral chat behaviour over the core services."""

    def __init__(self, *, rag: RagService, engine: Engine, queue: IngestQueue, limits: SharedLimits,
                 notifier: Notifier, rules: UploadRules, platform: str, limiter: RateLimiter | None = None) -> None:
        self.rag = rag
        self.engine = engine
        self.queue = queue
        self.limits = limits
        self.rules = rules
        self.platform = platform
        # An explicit limiter stays in this process; by default the limits are shared by every replica.
        self.limiter = limiter
        self.pickup = PickupWatch(engine, notifier, after=rules.pickup_seconds)

    def _question_wait(self, space: str, user: str) -> float | None:
        """Seconds until this user may ask again, or None when the question may be answered now."""
        if self.limiter is None:
            return self.limits.question(space, user)
        key = f"{space}:{user}"
        return None if self.limiter.allow(key) else self.limiter.retry_after(key)

    def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen; redeliveries get False."""
        with self.engine.begin() as conn:
            return conv.claim_event(conn, event_id=f"{self.platform}:{event_id}", platform=self.platform)

    def ask(
        self,
        question: str,
        *,
        scope: Scope,
        user: str,
        history: Sequence[Turn] = (),
        on_delta: Callable[[str], None] | None = None,
        hint: str = "",
    ) -> Asked:
        """Answer a question for a user, within their rate limit; failures become a friendly answer."""
        wait = self._question_wait(scope.space, user)
        if wait is not None:
            text = slow_down_message(wait)
            metrics.question_refused(self.platform, "rate_limited")
            return Asked(Answer(text=text, grounded=False), None, refused=True)
        started = time.perf_counter()
        try:
            answer = self.rag.answer(question, scope=scope, history=history, on_delta=on_delta,
                                              no_answer_hint=hint)
        except TransientError as exc:
            _log.warning("transient failure answering: %s", exc)
            metrics.provider_error("answer")
            metrics.question_refused(self.platform, "failed")
            # Error texts can quote what a provider echoed back; chat must never show a secret.
            return Asked(Answer(text=f"I couldn't reach the answering service just now ({redact(str(exc))}). "
                                "Please try again.", grounded=False), None, refused=True)
        except RagbotError as exc:
            metrics.question_refused(self.platform, "failed")
            return Asked(Answer(text=redact(str(exc)), grounded=False), None, refused=True)
        except Exception:
            _log.exception("unexpected failure answering a question")
            metrics.question_refused(self.platform, "failed")
            return Asked(Answer(text=TROUBLE, grounded=False), None, refused=True)
        metrics.question_answered(self.platform, time.perf_counter() - started, answer.grounded)
        latency = int((time.perf_counter() - started) * 1000)
        with self.engine.begin() as conn:
            qid = conv.record_question(conn, space=scope.space, channel=scope.channel, platform=self.platform,
                                       user_id=user, question=question, answer=answer, latency_ms=latency)
        return Asked(answer, qid)

    def vote(self, *, question_id: int, user: str, vote: int, comment: str | None = None) -> None:
        """Store a 👍 (1) or 👎 (-1), optionally with what was wrong."""
        with self.engine.begin() as conn:
            conv.record_vote(conn, question_id=question_id, platform=self.platform, user_id=user, vote=vote,
                             comment=comment)
        if comment is None:  # a comment arrives from the form after the 👎 click that was already counted
            metrics.vote(self.platform, vote)

    def uploaders_of_cited(self, question_id: int) -> list[tuple[str, str]]:
        """(uploader id, title) of documents an answer cited; uploader ids look like 'slack:U123'."""
        with self.engine.connect() as conn:
            return conv.cited_uploaders(conn, question_id=question_id)

    def question(self, question_id: int) -> Any | None:
        """A stored question row."""
        with self.engine.connect() as conn:
            return conv.get_question(conn, question_id=question_id)

    def add_file(
        self, *, scope: Scope, data: bytes, filename: str, source_uri: str, uploader: str,
        chat_ref: dict[str, Any] | None = None, uploader_name: str | None = None, via: str = "slash",
        is_admin: bool = False, link: str | None = None,
    ) -> intake.Accepted:
        """Store an uploaded file and queue it for the workers; replacing another's document needs an admin."""
        self.limits.upload(scope.space, uploader)
        accepted = intake.add_file(
            self.engine, scope=scope, data=data, filename=filename, source_uri=source_uri,
            max_bytes=self.rules.max_upload_bytes, source_kind="upload",
            by=Adder(uploader, uploader_name, via, is_admin), chat_ref=chat_ref, link=link,
        )
        return self._send(accepted, chat_ref)

    def add_url(self, *, scope: Scope, url: str, uploader: str, chat_ref: dict[str, Any] | None = None,
                uploader_name: str | None = None, is_admin: bool = False) -> intake.Accepted:
        """Register a URL and queue it for the workers; re-adding another's URL needs an admin."""
        self.limits.upload(scope.space, uploader)
        from ragbot.ingestion.fetch import check_url

        check_url(url, allow_private=self.rules.allow_private_urls)
        accepted = intake.add_url(self.engine, scope=scope, url=url, chat_ref=chat_ref,
                                  by=Adder(uploader, uploader_name, "url", is_admin))
        return self._send(accepted, chat_ref)

    def _send(self, accepted: intake.Accepted, chat_ref: dict[str, Any] | None) -> intake.Accepted:
        sent = intake.enqueue(self.queue, accepted, engine=self.engine)
        if sent.queued and chat_ref:
            self.pickup.watch(sent.document_id)  # says so in chat if no worker takes it
        return sent


"""RagService: retrieve from the scope, decide whether the documents support an answer, and answer with citations."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ragbot.answerability import Gate, Signals, signals
from ragbot.citations import Renumberer, citations_for, source_key
from ragbot.domain import Answer, Citation, Neighbour, Scope, ScoredChunk, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.followups import boost_cited, cited_before, topic_query
from ragbot.observability import metrics
from ragbot.ports import ChatModel, ChunkStore, Embedder, Reranker, SourceCatalog
from ragbot.prompts import SYSTEM_CANARY
from ragbot.safety import allowed_hosts, clean_answer
from ragbot.text import carried_line_ends_paragraph, codes

_log = logging.getLogger(__name__)
NO_ANSWER = "I couldn't find an answer to that in the documents I can search here."


class RagService:
    """Answers questions from the chunks visible in a scope."""

    def __init__(
        self,
        *,
        store: ChunkStore,
        embedder: Embedder,
        chat: ChatModel,
        top_k: int = 5,
        min_similarity: float = 0.30,
        reranker: Reranker | None = None,
        rerank_candidates: int = 30,
        gate: Gate | None = None,
        context_window: int = 1,
        context_chars: int = 1200,
        page_extra: int = 3,
        follow_up_boost: int = 3,
        related_ratio: float = 0.75,
        sources: SourceCatalog | None = None,
        stale_days: int = 365,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chat = chat
        self.top_k = top_k
        self.gate = gate or Gate(min_similarity=min_similarity)
        self.context_window = context_window  # neighbouring chunks on each side added to a passage's context
        self.context_chars = context_chars  # at most this much text per widened passage
        self.page_extra = page_extra  # more chunks of the pages already found, from the next top_k candidates
        self.follow_up_boost = follow_up_boost  # ranks gained by passages of documents the thread already cited
        self.related_ratio = related_ratio  # "possibly related" documents need this share of min_similarity
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates
        self.sources = sources  # links and content ages of cited documents
        self.stale_days = stale_days  # citations of content older than this say how old it is

    @property
    def reranker_name(self) -> str:
        """The rerank model in use, or "none"."""
        return self.reranker.model_id if self.reranker is not None else "none"

    def retrieve(self, query: str, *, scope: Scope, k: int | None = None, mode: str = "hybrid") -> list[ScoredChunk]:
        """The best chunks for a query in a scope (filtering happens inside the store), reranked when configured."""
        k = k or self.top_k
        # With a reranker the store returns a larger fused pool and the reranker picks the k best from it; the pool
        # size does not depend on k (up to rerank_candidates), so `ragbot eval` ranks what the answer path sees.
        pool = k if self.reranker is None else max(k, self.rerank_candidates)
        vector = self.embedder.embed_query(query)
        # A few more than the pool, so that passages dropped as copies (below) leave no gap in the k returned.
        found = distinct_passages(self.store.search(
            query_vector=vector, query_text=query, space=scope.space, channel=scope.channel, k=pool + self.top_k,
            mode=mode,
        ))[:pool]
        if self.reranker is None or len(found) < 2:
            return found[:k]
        return self._rerank(self.reranker, query, found, k)

    def _rerank(self, reranker: Reranker, query: str, found: list[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The k best of found by the reranker; the fused order when the reranker fails."""
        try:
            order = reranker.rerank(query, [p.text for p in found], k)
        except RagbotError as exc:
            # An answer must not fail because the reranker is down (or its key is refused): the fused order is
            # what Ragbot answers from without a reranker anyway.
            _log.warning("reranker %s failed, answering from the fused order: %s", reranker.model_id, exc)
            metrics.provider_error("rerank", "transient" if isinstance(exc, TransientError) else "permanent")
            return found[:k]
        # score becomes the reranker's relevance; similarity stays the cosine the "don't know" threshold reads.
        return [replace(found[i], score=score) for i, score in order]

    def is_relevant(self, passages: Sequence[ScoredChunk]) -> bool:
        """Whether any passage clears the similarity floor (the first of the gate's tests)."""
        # Always cosine similarity, also when reranked: rerank scores have another, model-specific scale, and
        # the thresholds were tuned on cosine. The reranker only chooses and orders the passages checked here.
        return any((p.similarity or 0.0) >= self.gate.min_similarity for p in passages)

    def plan(self, question: str, *, scope: Scope, history: Sequence[Turn] = (), mode: str = "hybrid") -> Plan:
        """Retrieve for a question in its conversation and decide whether the passages can answer it."""
        query = self.chat.condense(question, history) if history else question
        if query == question and history:
            query = topic_query(question, history)  # a model that does not rewrite follow-ups still gets the topic
        cited = cited_before(history)
        if cited:
            # A follow-up usually stays with the documents the thread has been citing.
            pool = self.retrieve(query, scope=scope, k=self.top_k * 3, mode=mode)
            ranked = boost_cited(pool, cited, places=self.follow_up_boost)
        else:
            ranked = self.retrieve(query, scope=scope, k=self.top_k * 2 if self.page_extra else None, mode=mode)
        passages = ranked[: self.top_k]
        more = same_page(ranked[self.top_k: self.top_k * 2], passages, limit=self.page_extra)
        if not passages:
            return Plan(query, passages, signals(passages, None), allowed=False)
        ids = [p.chunk_id for p in passages]
        terms = self.store.term_stats(query_text=query, space=scope.space, channel=scope.channel, chunk_ids=ids)
        asked = None
        if query != question:
            # Words a follow-up borrows from earlier turns (which may themselves have been refused for them) are
            # not the new question's to be unknown; they still count for coverage.
            own = self.store.term_stats(query_text=question, space=scope.space, channel=scope.channel, chunk_ids=ids)
            asked = {t.lexeme for t in own.terms}
        found = signals(passages, terms, asked=asked)
        if found.unquoted_names:
            found = replace(found, unquoted_names=self._unquoted(found.unquoted_names, [*passages, *more]))
        return Plan(query, passages, found, allowed=self.gate.allows(found), more=more)

    def _unquoted(self, names: Sequence[str], passages: Sequence[ScoredChunk]) -> tuple[str, ...]:
        """The code names that none of what an answer could quote holds: the passages, more of their pages and the
        chunks around them (the passages alone decide the other signals, but a name in the next chunk is in reach).
        """
        quotable = " ".join(p.text for p in self.context(list(passages))).lower()
        return tuple(n for n in names if n not in quotable)

    def quotable(self, question: str, plan: Plan) -> list[ScoredChunk]:
        """The passages an allowed answer may be quoted from: those at or above the threshold that allowed it, and
        those of a section or document named after every code the question names ("Error codes > NWL-5190: ingest
        disk nearly full"): closeness in meaning says little about a code (the embedding model does not know it),
        the heading says what the section is about. A passage that only mentions the code in passing is not enough.
        """
        floor = self.gate.floor(plan.signals) or self.gate.min_similarity
        named = [c.lower() for c in codes(question)]
        return [p for p in [*plan.passages, *plan.more] if (p.similarity or 0.0) >= floor
                or (named and all(c in f"{p.location} {p.title}".lower() for c in named))]

    def context(self, passages: Sequence[ScoredChunk]) -> list[ScoredChunk]:
        """The passages widened by their neighbours in the same section (small-to-big), deduplicated.

        Chunks are small for precise retrieval, but the line that answers (a synopsis, a syntax line, a default)
        is often in the next chunk of the same section. A passage whose chunk is already inside a better
        passage's window is folded into it. Citations keep pointing at the matched chunk's location.
        """
        if self.context_window < 1 or not passages:
            return list(passages)
        near: dict[int, list[Neighbour]] = {}
        for n in self.store.neighbours(chunk_ids=[p.chunk_id for p in passages], window=self.context_window):
            near.setdefault(n.anchor_id, []).append(n)
        taken: set[tuple[int, int]] = set()
        out = []
        for p in passages:
            if (p.document_id, p.ordinal) in taken:
                continue
            pieces = sorted([(n.ordinal, n.text) for n in near.get(p.chunk_id, [])
                             if (p.document_id, n.ordinal) not in taken] + [(p.ordinal, p.text)])
            text, kept = _widen(pieces, p.ordinal, self.context_chars)
            taken.update((p.document_id, o) for o in kept)
            out.append(replace(p, text=text, ordinal=kept[0], focus=p.text))
        return out

    def answer(
        self,
        question: str,
        *,
        scope: Scope,
        history: Sequence[Turn] = (),
        on_delta: Callable[[str], None] | None = None,
        no_answer_hint: str = "",
        mode: str = "hybrid",
    ) -> Answer:
        """Answer from the documents, streaming text to on_delta; ungrounded when they do not support one."""
        plan = self.plan(question, scope=scope, history=history, mode=mode)
        if not plan.allowed:
            unseen = unseen_words(question, plan.signals.unknown_words) if self.gate.refused_for_words(
                plan.signals) else []
            unnamed = unseen_words(question, plan.signals.unquoted_names) if self.gate.refused_for_names(
                plan.signals) else []
            return self._no_answer(no_answer_hint, on_delta, plan.passages, unseen, unnamed)
        # Only passages that clear the threshold that allowed the answer (or whose section is named after the
        # question's codes) are shown to the model.
        passages = self.context(self.quotable(question, plan))
        numbers = Renumberer(len(passages), [source_key(p) for p in passages])
        for piece in self.chat.stream_answer(question, passages, history):
            shown = numbers.feed(piece)
            if on_delta is not None and shown:
                on_delta(shown)
        rest = numbers.finish()
        if on_delta is not None and rest:
            on_delta(rest)
        raw = numbers.text.strip()
        # Deltas already streamed cannot be recalled: adapters must finish with answer.text, the cleaned text.
        order = numbers.order
        hosts = allowed_hosts(passages[i - 1].source for i in order)
        text = clean_answer(raw, hosts=hosts, secrets=[SYSTEM_CANARY])
        citations = citations_for(text, passages, order)
        if not citations:
            return Answer(text=(text + "\n\n" if text else "") + _hinted(NO_ANSWER, no_answer_hint), grounded=False)
        return Answer(text=text, citations=self._with_facts(citations), grounded=True)

    def _with_facts(self, citations: list[Citation]) -> list[Citation]:
        """Citations with the link that opens each source and, for old content, how old it is."""
        if self.sources is None:
            return citations
        facts = self.sources.facts(sorted({c.document_id for c in citations if c.document_id is not None}))
        now = datetime.now(UTC)
        out = []
        for c in citations:
            found = facts.get(c.document_id) if c.document_id is not None else None
            if found is not None:
                c = replace(c, link=found.link or c.link, aged=age_note(found.changed_at, now, self.stale_days),
                            unreachable=found.stale)
            out.append(c)
        return out

    def _no_answer(self, hint: str, on_delta: Callable[[str], None] | None, passages: Sequence[ScoredChunk],
                   unseen: Sequence[str] = (), unnamed: Sequence[str] = ()) -> Answer:
        related = _related(passages, floor=self.gate.min_similarity * self.related_ratio)
        text = NO_ANSWER
        if unseen:
            # Say why: a user who wrote "cap" for what the documents call "limit" can ask again in their words.
            text += f" They never mention {_either(unseen)}; try asking in the words they use."
        elif unnamed:
            # The documents use it somewhere (an example imports it), just not where this question led.
            text += f" The passages closest to your question never mention {_either(unnamed)}."
        text = _hinted(text, hint)
        if related:
            # Named, not cited: the user can look for themselves, and nothing is claimed from them.
            text += "\n\nPossibly related (not checked for an answer): " + "; ".join(c.title for c in related) + "."
        if on_delta is not None:
            on_delta(text)
        return Answer(text=text, citations=[], grounded=False, related=related)


@dataclass(frozen=True)
class Plan:
    """What retrieval found for a question and whether the gate lets Ragbot answer from it."""

    query: str
    passages: list[ScoredChunk]
    signals: Signals
    allowed: bool
    # Candidates just below the top k from the pages among them: more of a page retrieval already chose, where the
    # line that answers often is. Quoted from like the passages, but the gate reads the top k alone.
    more: list[ScoredChunk] = field(default_factory=list)


def age_note(changed_at: datetime | None, now: datetime, stale_days: int) -> str | None:
    """"last updated 14 months ago" for content unchanged for at least stale_days (0 turns it off); else None."""
    if changed_at is None or stale_days <= 0:
        return None
    days = (now - changed_at).days
    if days < stale_days:
        return None
    months = days * 12 // 365
    return f"last updated {months // 12} years ago" if months >= 24 else f"last updated {months} months ago"


def unseen_words(question: str, lexemes: Sequence[str]) -> list[str]:
    """The question's words as typed ("Pillow", "clobbering") for the stems the space never uses ("pillow",
    "clobber"): the typed word sharing the longest start with each stem, or the stem itself."""
    typed = re.findall(r"[^\W_][\w'.+#-]*[^\W_]|[^\W_]", question)
    out: list[str] = []
    for lexeme in lexemes:
        best, shared = lexeme, 2
        for word in typed:
            n = len(os.path.commonprefix([word.lower(), lexeme]))
            if n > shared and n >= min(len(lexeme), len(word)) - 1:
                best, shared = word, n
        if best not in out:
            out.append(best)
    return out


def _either(names: Sequence[str]) -> str:
    """“a”, “a” or “b”, “a”, “b” or “c”."""
    quoted = [f"\u201c{n}\u201d" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _hinted(message: str, hint: str) -> str:
    return f"{message} {hint}".strip()


def _widen(pieces: list[tuple[int, str]], anchor: int, budget: int) -> tuple[str, list[int]]:
    """Consecutive chunk texts joined without their overlap, cut to the budget around the anchor chunk."""
    # Keep the anchor; add the following chunk first (answers tend to follow their heading), then the one before.
    by = dict(pieces)
    keep = [anchor]
    used = len(by[anchor])
    for o in (anchor + 1, anchor - 1):
        if o in by and used + len(by[o]) <= budget:
            keep.append(o)
            used += len(by[o])
    keep.sort()
    run = [keep[0]]
    for o in keep[1:]:
        if o == run[-1] + 1:
            run.append(o)
        elif anchor in run:
            break
        else:
            run = [o]
    text = by[run[0]]
    for o in run[1:]:
        text = join_overlapping(text, by[o])
    return text, run


def same_page(candidates: Sequence[ScoredChunk], passages: Sequence[ScoredChunk], *, limit: int) -> list[ScoredChunk]:
    """Up to `limit` of the candidates, in their order, from documents that the passages come from.

    The page is usually right when the chunk is not (Python's manual: the right page among the first five for 94% of
    the questions, the chunk that holds the answer for 77%); the next candidates from another page are usually
    wrong, so only more of the chosen pages is added.
    """
    if limit <= 0:
        return []
    pages = {p.document_id for p in passages}
    return [p for p in candidates if p.document_id in pages][:limit]


def distinct_passages(found: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    """The passages without later copies of an earlier one's text (the same file added under two names).

    A copy would take a second place among the few passages an answer sees and be cited as a second source.
    """
    seen: set[str] = set()
    out = []
    for p in found:
        key = " ".join(p.text.split()).casefold()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def join_overlapping(a: str, b: str, *, longest: int = 200) -> str:
    """a then b, without the text that b repeats from a's end (the splitter's overlap)."""
    for size in range(min(longest, len(a), len(b)), 7, -1):
        if a.endswith(b[:size]):
            rest = b[size:]
            # Where the carried words are a whole line that ends a paragraph, the page's blank line is given back.
            line = a[a.rfind("\n") + 1:]
            if rest.startswith("\n") and not rest.startswith("\n\n") and len(line) <= size \
                    and carried_line_ends_paragraph(line, rest[1:]):
                rest = "\n" + rest
            return a + rest
    return a + "\n" + b


def _related(passages: Sequence[ScoredChunk], *, floor: float, limit: int = 3) -> list[Citation]:
    """The closest distinct documents, for "possibly related" under an "I don't know".

    Only passages that both searches found (close in meaning and sharing a word) are named: a list of
    unrelated titles under every "I don't know" would teach people to ignore it.
    """
    out: list[Citation] = []
    for p in sorted(passages, key=lambda q: -(q.similarity or 0.0)):
        if (p.similarity or 0.0) < floor or p.lexical_rank is None or any(c.source == p.source for c in out):
            continue
        out.append(Citation(n=len(out) + 1, title=p.title, source=p.source, location=p.location, snippet="",
                            score=p.similarity or 0.0, document_id=p.document_id))
        if len(out) == limit:
            break
    return out

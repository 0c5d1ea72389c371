"""The offline answerer: quotes the passage lines that answer the question, with citations."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from ragbot.domain import ScoredChunk, Turn
from ragbot.followups import topic_query
from ragbot.ports import Embedder
from ragbot.providers.extractive_units import (
    CODE,
    REPLY,
    Unit,
    identifiers,
    passage_units,
    salience,
    without_reply,
)
from ragbot.text import STOP_WORDS, codes, stem, terms, words

_ENDS_WITH_STOP = re.compile(r"([.!?:]+)([\"')\]]*)$")  # ":" too: "Run these from the bastion [1]:"
# Questions that want a number (a count, an amount, a time, a limit or a default): lines with digits answer them.
_WANTS_NUMBER = re.compile(
    r"^\s*(?:how\s+(?:many|much|long|often|old|far|big|large|soon|late|early)|when|what\s+time|until\s+when|by\s+when"
    r"|what(?:'s|\s+is|\s+are)\s+the\s+(?:limit|maximum|minimum|max|min|default|deadline|number|amount|size|cost"
    r"|price|rate|budget|age))\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_SOURCE_LINE = re.compile(r"^Source code:\s*\S+\.?$")
# A question that a "yes" or "no" answers: it opens with an auxiliary verb ("Can I ...?", "Does it ...?").
_YES_NO = re.compile(r"^\s*(?:can|could|do|does|did|is|are|was|were|may|might|must|should|shall|will|would|has|have"
                     r"|had|am)\b", re.IGNORECASE)
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,7}\b")
# "what is the GIL ...", "what does BF9K certification mean?": the term the question wants defined.
_WHAT_IS = re.compile(
    r"^\s*what(?:'s|\s+is|\s+are|\s+does)\s+(?:an?\s+|the\s+)?([^?,;]{1,60}?)(?:\s+mean)?\s*(?:\?|$|,|;|\s+and\b)",
    re.IGNORECASE,
)


class ExtractiveAnswerer:
    """A deterministic ChatModel without an LLM: quotes the lines that answer, citing each as [n].

    Each sentence of the passages is scored by how close it is to the question in meaning (the embedding model,
    when given), by the rare question words it holds, by whether it holds a command, function, option or setting
    the passages keep naming, by whether it defines the term a "what is" question asks about, and by whether it
    opens a section whose heading names what is distinctive in the question; the retriever's order is a prior. A
    line about another code of the family the question names (NWL-4471 when it asks about NWL-5190) is left out.
    The answer is the best sentences wherever they are (each at least second_ratio of the best and about the
    question), up to max_sentences within max_chars, in reading order within each passage.
    """

    name = "extractive"

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        max_sentences: int = 8,
        max_chars: int = 600,
        max_passages: int = 8,
        semantic_weight: float = 1.0,
        lexical_weight: float = 0.3,
        code_weight: float = 0.15,
        heading_weight: float = 0.1,
        number_weight: float = 0.15,
        rank_decay: float = 0.08,
        second_ratio: float = 0.4,
        semantic_pool: int = 12,
        salience_weight: float = 0.4,
        answer_after_question: float = 0.98,
        focus_bonus: float = 0.4,
        length_penalty: float = 0.1,
        related_similarity: float = 0.4,
        definition_weight: float = 0.3,
        lead_weight: float = 0.5,
        fill_gaps: bool = True,
        adjacent_bonus: float = 0.2,
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.max_chars = max_chars
        self.max_passages = max_passages
        self.semantic_weight = semantic_weight
        self.lexical_weight = lexical_weight
        self.code_weight = code_weight
        self.heading_weight = heading_weight
        self.number_weight = number_weight
        self.rank_decay = rank_decay
        self.second_ratio = second_ratio  # another passage's best joins when it scores this share of the best
        self.semantic_pool = semantic_pool  # sentences embedded per answer (the rest keep their cheap score)
        self.salience_weight = salience_weight
        self.answer_after_question = answer_after_question
        self.focus_bonus = focus_bonus
        self.length_penalty = length_penalty
        self.related_similarity = related_similarity  # a unit sharing no word with the question needs this
        self.definition_weight = definition_weight  # a line that defines the acronym or term the question names
        self.lead_weight = lead_weight  # the first line under a heading that names what is distinctive in the question
        # A line next to a quoted one of the same passage counts this much more: the quote reads as the page does.
        self.adjacent_bonus = adjacent_bonus
        self.fill_gaps = fill_gaps  # the one line between two chosen lines of a passage joins them

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        """Yield the chosen sentences one by one, each followed by its citation."""
        pieces = self.answer_sentences(question, passages)
        for piece, after in zip(pieces, pieces[1:] + [""], strict=True):
            # A code block stands on lines of its own; sentences run on as prose.
            yield piece + ("" if not after else "\n" if _is_block(piece) or _is_block(after) else " ")

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """The follow-up with the thread's topic words in front when it leans on earlier turns."""
        return topic_query(question, history)

    def answer_sentences(self, question: str, passages: Sequence[ScoredChunk]) -> list[str]:
        """The cited sentences of the answer, in reading order."""
        top = list(passages)[: self.max_passages]
        units = [u for i, p in enumerate(top) for u in passage_units(i, p)]
        if not units:
            return ["I could not find anything about that in the documents."]
        scores, related = self._scores(question, top, units)
        chosen = _closed_introductions(_replies_in_context(question, _answered(self._choose(units, scores, related))))
        return [_render(u, u.passage + 1, self.max_chars if len(chosen) == 1 else None) for u in chosen]

    def _scores(self, question: str, passages: list[ScoredChunk],
                units: list[Unit]) -> tuple[list[float], list[bool]]:
        """One score per unit: meaning, rare words, key terms and headings, discounted by the passage's rank; and
        whether the unit is about the question at all (it shares a word with it or is close in meaning).

        Meaning is the costly part (one embedding per sentence), so only the `semantic_pool` best units by the
        cheap signals get it; the others keep their cheap score.
        """
        wanted = terms(question)
        df: dict[str, int] = {}
        for u in units:
            for t in u.terms & wanted:
                df[t] = df.get(t, 0) + 1
        n = len(units)
        idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        total = sum(idf.values()) or 1.0
        headings = [terms(p.location.rsplit(">", 1)[-1]) & wanted for p in passages]
        # How much of what is distinctive in the question each passage's heading names ("NWL-4471" more than "NWL").
        heading_share = [sum(idf.get(t, 0.0) for t in h) / total for h in headings]
        question_words = {stem(w) for w in words(question)}
        wants_number = bool(_WANTS_NUMBER.match(question))
        defines = _definition_pattern(question)
        cheap = []
        for u in units:
            lexical = sum(idf.get(t, 0.0) for t in u.terms & wanted) / total
            key = 0.0
            if u.code:
                # A key term the question names (its word appears in an identifier) counts double.
                named = any(stem(w) in question_words for tok in CODE.findall(u.text) for w in words(tok))
                key = 2.0 if named else 1.0
            cheap.append(self.lexical_weight * lexical + self.code_weight * key
                         + self.heading_weight * bool(headings[u.passage])
                         + self.number_weight * (wants_number and bool(_DIGIT.search(u.text)))
                         + self.definition_weight * bool(defines and defines.search(u.text))
                         + self.lead_weight * u.lead * heading_share[u.passage])
        # Within a widened passage, the matched chunk is what retrieval vouched for; its neighbours are context.
        focus = [" ".join(p.focus.split()) for p in passages]
        prior = [(1 + self.focus_bonus * _in_focus(u.text, focus[u.passage])) / (1 + self.rank_decay * u.passage)
                 for u in units]
        pool = sorted(range(n), key=lambda i: -(cheap[i] + 0.3) * prior[i])[: self.semantic_pool]
        semantic = dict(zip(pool, self._semantic(question, [units[i] for i in pool]), strict=True))
        # Units outside the pool get a similarity of the pool's weaker members (its lower quartile): they were
        # judged less likely already. Not its lowest: a code fragment in the pool (0.02) would set that, and a good
        # sentence just outside the pool (one without the question's rare words) would count as unrelated in meaning.
        ranked_sims = sorted(semantic.values())
        floor = ranked_sims[len(ranked_sims) // 4] if ranked_sims else 0.0
        salient = salience(units)
        scores = [(self.semantic_weight * semantic.get(i, floor) + cheap[i]
                   + self.salience_weight * salient[i]) * prior[i] for i in range(n)]
        for i, u in enumerate(units[:-1]):
            # A question in a document (an FAQ entry) is not an answer; the sentence after it is.
            if u.text.endswith("?") and units[i + 1].passage == u.passage:
                scores[i + 1] = max(scores[i + 1], scores[i] * self.answer_after_question)
                scores[i] *= 0.5
        # A page's "Source code: Lib/threading.py" line is a link, not an answer, unless the question asks for source.
        if "sourc" not in wanted:
            for i, u in enumerate(units):
                if _SOURCE_LINE.match(u.text):
                    scores[i] = 0.0
        # A section's first line is about what its heading names, also when it does not repeat the words; a line
        # about another code of the family the question names (NWL-4471 when it asks about NWL-5190), or in a
        # section headed by one, is not.
        asked_codes = [c.lower() for c in codes(question)]
        related = [(bool(u.terms & wanted) or semantic.get(i, 0.0) >= self.related_similarity
                    or (u.lead and heading_share[u.passage] >= 0.5))
                   and not (asked_codes and _other_code(f"{passages[u.passage].location}\n{u.text}", asked_codes))
                   for i, u in enumerate(units)]
        return scores, related

    def _semantic(self, question: str, units: list[Unit]) -> list[float]:
        """Cosine similarity of each unit to the question, or zeros without an embedder."""
        if self.embedder is None or self.semantic_weight == 0 or not units:
            return [0.0] * len(units)
        vectors = self.embedder.embed_documents([u.text[:300] for u in units])
        q = self.embedder.embed_query(question)
        return [sum(a * b for a, b in zip(q, v, strict=True)) for v in vectors]

    def _choose(self, units: list[Unit], scores: list[float], related: list[bool]) -> list[Unit]:
        """The best units by score, wherever they are, until the budget; reading order within each passage.

        A unit that introduces what follows (it ends with ":") brings the next unit of its passage along, and a code
        block brings the line that introduces it.
        """
        order = sorted(range(len(units)), key=lambda i: (-scores[i], units[i].passage, units[i].position))
        best = order[0]
        if scores[best] <= 0:
            return [units[best]]
        # After the best unit, long ones (a whole example) must earn their share of the budget.
        weight = {i: scores[i] / (1 + self.length_penalty * _size(units[i]) / 100) for i in order}
        order = [best] + sorted(order[1:], key=lambda i: -weight[i])
        chosen: list[int] = []
        used = 0

        def fits(i: int) -> bool:
            return used + _size(units[i]) + 1 <= self.max_chars or not chosen

        def next_unit() -> Iterator[int]:
            """The units by weight, a line next to one already chosen in its passage counting adjacent_bonus more."""
            left = order[1:]
            yield best
            while left:
                near = {(units[c].passage, units[c].position + d) for c in chosen for d in (-1, 1)}
                k = max(range(len(left)), key=lambda j: weight[left[j]] * (
                    1 + self.adjacent_bonus * ((units[left[j]].passage, units[left[j]].position) in near)))
                yield left.pop(k)

        for i in next_unit():
            if len(chosen) >= self.max_sentences:
                break
            if scores[i] < self.second_ratio * scores[best] or i in chosen or not fits(i):
                continue  # (the order weighs length, so a weak unit does not end the search)
            if chosen and not related[i]:
                continue
            copied = [c for c in chosen if _copies(units[i], units[c])]
            if copied and not _completes(units[i], units[copied[0]]):
                continue  # chunks overlap, so the same sentence can come from two passages
            for c in copied:  # a signature alone, where another passage has its description too: the entry replaces it
                chosen.remove(c)
                used -= _size(units[c]) + 1
            chosen.append(i)
            used += _size(units[i]) + 1
            nxt, prev = i + 1, i - 1
            if (units[i].text.rstrip().endswith(":") and nxt < len(units) and units[nxt].passage == units[i].passage
                    and nxt not in chosen and fits(nxt)):
                chosen.append(nxt)
                used += _size(units[nxt]) + 1
            # And a code block brings the line that introduces it ("To run one by hand:").
            if (units[i].block is not None and prev >= 0 and units[prev].passage == units[i].passage
                    and units[prev].block is None and units[prev].text.rstrip().endswith(":")
                    and prev not in chosen and fits(prev)):
                chosen.append(prev)
                used += _size(units[prev]) + 1
            # The one line between two chosen lines of a passage joins them: the quote then reads as the page does
            # ("The default value is evaluated only once. This makes a difference when the default is a mutable
            # object ... For example, ..."), not as two sentences with the one that links them cut out.
            for gap in (i - 1, i + 1) if self.fill_gaps else ():
                if (0 < gap < len(units) - 1 and gap not in chosen and units[gap].block is None
                        and units[gap - 1].passage == units[gap + 1].passage == units[i].passage
                        and {gap - 1, gap + 1} <= set(chosen) and related[gap] and fits(gap)
                        and not any(_copies(units[gap], units[c]) for c in chosen)):
                    chosen.append(gap)
                    used += _size(units[gap]) + 1
        first: dict[int, int] = {}
        for rank, i in enumerate(chosen):
            first.setdefault(units[i].passage, rank)
        return [units[i] for i in sorted(chosen, key=lambda i: (first[units[i].passage], i))]


def _follows(a: Unit, b: Unit) -> bool:
    """Whether b comes right after a in their passage."""
    return a.passage == b.passage and b.position == a.position + 1


def _answered(chosen: list[Unit]) -> list[Unit]:
    """The chosen units without a document's own question ("How do I check if an object is an instance of a given
    class?") whose answer, the line after it, is not quoted: asked back at the user, it answers nothing."""
    kept = [u for k, u in enumerate(chosen)
            if u.block is not None or not u.text.rstrip().endswith("?")
            or (k + 1 < len(chosen) and _follows(u, chosen[k + 1]))]
    return kept or chosen


def _closed_introductions(chosen: list[Unit]) -> list[Unit]:
    """The chosen units, a line that introduces what follows ("Using the comma as a thousands separator:") ending in
    a full stop when what it introduces did not fit: a colon before the next source's line, or at the end, reads
    as if that line were what it announced."""
    out = []
    for k, u in enumerate(chosen):
        text = u.text.rstrip()
        if u.block is None and text.endswith(":") and not (k + 1 < len(chosen) and _follows(u, chosen[k + 1])):
            u = replace(u, text=text[:-1].rstrip() + ".")
        out.append(u)
    return out


def _replies_in_context(question: str, chosen: list[Unit]) -> list[Unit]:
    """The chosen units, with a reply that opens one ("Yes, ...") dropped unless it replies to the user's question.

    FAQ answers open with "Yes," or "No," to their own question, which the quote does not show; under the user's
    question the reply reads as theirs ("Can I appeal a denied permit?" — "Yes, extensions over 15 m² always require
    a permit"). It is kept when the user asked a yes/no question and the unit is from the best passage, or when the
    question it replies to is quoted right before it. Measured on the FAQ set's tune split: 55 of 80 quoted replies
    answered another question; with this rule 6 misleading replies are kept and 3 right ones dropped.
    """
    yes_no = bool(_YES_NO.match(question))
    out = []
    for k, u in enumerate(chosen):
        before = chosen[k - 1] if k else None
        own_question = before is not None and _follows(before, u) and before.text.endswith("?")
        keep = own_question or (yes_no and u.passage == 0)
        out.append(u if keep or not REPLY.match(u.text) else without_reply(u))
    return out


def _definition_pattern(question: str) -> re.Pattern[str] | None:
    """Lines that define what the question names: "The global interpreter lock (GIL) is", "A venv is".

    The names are the question's acronyms (GIL, PTO) and, after "what is/are", its last content word.
    """
    names = set(_ACRONYM.findall(question))
    m = _WHAT_IS.match(question)
    if m:
        last = [w for w in re.findall(r"[\w.]+", m.group(1)) if w.lower() not in STOP_WORDS]
        names.update(last[-1:])
    if not names:
        return None
    alt = "|".join(sorted(re.escape(n) for n in names))
    # (The term may carry its expansion: "ROT (Reparation, Ombyggnad, Tillbyggnad) is a tax reduction ...".)
    return re.compile(rf"\((?:{alt})\)|^(?:(?:an?|the)\s+)?(?:{alt})s?(?:\s*\([^)]{{1,120}}\))?\s+"
                      rf"(?:is|are|means|refers|stands)\b", re.IGNORECASE)


def _in_focus(sentence: str, focus: str) -> bool:
    """Whether a sentence belongs to the matched chunk (always, when the passage was not widened).

    A reference entry's signature and description, or a table row's cells, are quoted joined by " — ", which the
    chunk does not hold: their longest part (the description) is what is looked for. (The signature may be in the
    words carried over from the chunk before, which the matched chunk holds too.)
    """
    part = max(sentence.split(" \u2014 "), key=len)
    return not focus or " ".join(part.split())[:80] in focus


def _other_code(text: str, named: list[str]) -> bool:
    """Whether a line names codes of a family the question names, but none of the question's own."""
    if not named:
        return False
    found = [c.lower() for c in codes(text)]
    if any(n in c or c in n for c in found for n in named):
        return False  # its own code, or a name built on it ("base64.b64encode" for "base64")
    families = {_family(c) for c in named}
    return any(_family(c) in families for c in found)


def _family(code: str) -> str:
    """A code's leading letters: "nwl" for "nwl-5190"."""
    return re.match(r"[^\W\d_]*", code).group()  # type: ignore[union-attr]


def _size(unit: Unit) -> int:
    """What a unit costs of the answer's budget: a code block's alignment spaces are not text to read."""
    return len(unit.text) if unit.block is None else len(re.sub(r"[ \t]{2,}", " ", unit.text))


def _copies(a: Unit, b: Unit) -> bool:
    """Whether two units say the same thing: nearly the same words and the same names, or one is part of the other.

    Reference entries of one family share their words and differ in the name ("definition.__name__ — The name of
    the class, function, ..." and "definition.__qualname__ — The qualified name of the class, function, ..."); the
    name is what the question asked for, so those are not copies.
    """
    if _jaccard(a.terms, b.terms) >= 0.8 and identifiers(a.text) == identifiers(b.text):
        return True
    # A piece of the other: the same example cut short by a chunk boundary, from the passage that ends there.
    short, long = sorted((" ".join(a.text.split()), " ".join(b.text.split())), key=len)
    # Or its start: a signature alone ("os.path.getmtime(path)") where another passage has it with its description.
    return (len(short) >= 40 and short in long) or (len(short) >= 10 and long.startswith(short))


def _completes(unit: Unit, other: Unit) -> bool:
    """Whether a unit is a line already chosen with more after it: "os.path.getmtime(path) — Return the time ..." for
    "os.path.getmtime(path)", where the chunk boundary fell between a signature and its description."""
    return (unit.block is None and other.block is None and len(unit.text) > len(other.text)
            and unit.text.startswith(other.text.rstrip(".")))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two term sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def _clip(text: str, limit: int) -> str:
    """Text cut at a word boundary to at most `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _render(unit: Unit, n: int, limit: int | None) -> str:
    """A chosen unit as quoted: a sentence with its marker, or a fenced block with the marker after it."""
    if unit.block is None:
        return _cite(_clip(unit.text, limit) if limit else unit.text, n)
    code = unit.text
    if limit and len(code) > limit:
        kept = code[:limit].rsplit("\n", 1)[0] if "\n" in code[:limit] else _clip(code, limit)
        code = kept + "\n…"
    return f"```{unit.block}\n{code}\n``` [{n}]"


def _is_block(piece: str) -> bool:
    return piece.startswith("```")


def _cite(sentence: str, n: int) -> str:
    """The sentence with [n] before its final punctuation ("... leave [1].")."""
    m = _ENDS_WITH_STOP.search(sentence)
    if m and m.group(1) == "..." and m.group(2)[:1] in (")", "]"):
        return f"{sentence} [{n}]"  # code's elision ('"\n".join(wrap(text, ...))'): the marker inside would break it
    if m:
        return f"{sentence[: m.start()].rstrip()} [{n}]{m.group(1)}{m.group(2)}"
    if sentence.endswith("…"):
        return f"{sentence} [{n}]"
    # A list item ends in the comma or semicolon that joined it to the next one: "(if any), [1]." reads as a slip.
    return f"{sentence.rstrip().rstrip(',;').rstrip()} [{n}]."

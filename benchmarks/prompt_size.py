"""How big is the answer prompt? Sizes the context a local LLM needs (docs/local-llm.md).

Builds the real prompt (system prompt + sources + question, as ragbot.prompts does for every chat model) from
chunks of the sample handbook cut by the real splitter, and counts characters and WordPiece tokens (the local
embedder's tokenizer, a stand-in: Llama/Qwen BPE tokenizers give similar counts on English prose).

    .venv/bin/python benchmarks/prompt_size.py [--top-k 5] [--widen 1200]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from tokenizers import Tokenizer

from ragbot.domain import ScoredChunk, Section, Turn
from ragbot.ingestion.splitter import split_sections
from ragbot.prompts import MAX_HISTORY_TURNS, MAX_TURN_CHARS, build_messages, system_prompt

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "ragbot" / "providers" / "assets" / "tokenizer.json"


def chunks(widen: int) -> list[str]:
    """The sample handbook's text files cut as ingestion cuts them (400 characters by default), each widened with
    its neighbours up to `widen` characters, as RagService does before answering (small-to-big; 0: not widened)."""
    out = []
    for path in sorted((ROOT / "samples" / "handbook").glob("*.md")):
        cut = [c.text for c in split_sections([Section(path.read_text())])]
        for i, text in enumerate(cut):
            if widen:  # the chunk before and after, cut to the budget (overlap is not removed: a slight over-count)
                text = " ".join(cut[max(0, i - 1): i + 2])[:widen]
            out.append(text)
    return out


def measure(top_k: int, widen: int) -> None:
    tok = Tokenizer.from_file(str(TOKENIZER))
    tok.no_truncation()
    tok.no_padding()  # the embedder pads to 128; a prompt is counted as it is

    def tokens(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids)

    texts = sorted(chunks(widen), key=len)
    median_k = texts[len(texts) // 2 - top_k // 2:][:top_k]
    cases = {"median passages": median_k, "longest passages": texts[-top_k:]}
    question = "How many vacation days can I carry over into next year, and until when?"
    prose = " ".join(texts)  # history made of real handbook prose, so it tokenises like real answers
    typical_turns = [Turn("user", question), Turn("assistant", prose[:600])] * (MAX_HISTORY_TURNS // 2)
    longest_turns = [Turn("user", prose[:MAX_TURN_CHARS]), Turn("assistant", prose[-MAX_TURN_CHARS:])] * (
        MAX_HISTORY_TURNS // 2)
    print(f"{len(texts)} passages, median {statistics.median(map(len, texts)):.0f} chars; top_k={top_k}, "
          f"widened to {widen or 'no'} chars")
    print(f"system prompt: {len(system_prompt())} chars, {tokens(system_prompt())} tokens")
    for name, picked in cases.items():
        passages = [ScoredChunk(i, i, 0, t, "Section", "Title", "doc.md", 0.8) for i, t in enumerate(picked)]
        per = statistics.mean(tokens(t) for t in picked)
        for label, history in (("no history", []), ("5 typical turns", typical_turns),
                               ("10 longest turns", longest_turns)):
            msgs = build_messages(question, passages, history)
            text = system_prompt() + "".join(m["content"] for m in msgs)
            print(f"  {name:16} {label:17} {len(text):6} chars {tokens(text):5} tokens "
                  f"(a passage ~{per:.0f} tokens)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--widen", type=int, default=1200, help="RagService's context_chars; 0 for bare chunks")
    args = parser.parse_args()
    measure(args.top_k, args.widen)

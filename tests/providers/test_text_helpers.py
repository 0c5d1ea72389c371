"""Sentence splitting and content words in bot.text."""

from __future__ import annotations

from ragbot.text import content_words, split_sentences, stem, terms


def test_split_sentences_handles_abbreviations_bullets_and_headings() -> None:
    text = (
        "# Leave policy\nEmployees receive 25 days of paid leave. Ask first, e.g. your manager!\n"
        "Version 3.5 is out.\n\n- First bullet\n- Second bullet\n  wraps here."
    )
    assert split_sentences(text) == [
        "# Leave policy",
        "Employees receive 25 days of paid leave.",
        "Ask first, e.g. your manager!",
        "Version 3.5 is out.",
        "- First bullet",
        "- Second bullet wraps here.",
    ]


def test_hard_wrapped_lines_join_into_one_sentence() -> None:
    assert split_sentences("This sentence was\nwrapped by a PDF. Next one.") == [
        "This sentence was wrapped by a PDF.",
        "Next one.",
    ]


def test_stem_conflates_simple_inflections() -> None:
    assert stem("days") == stem("day")
    assert stem("vacations") == stem("vacation")
    assert stem("policies") == stem("policy")
    assert stem("approved") == stem("approve") == stem("approving")
    assert stem("leaves") == stem("leave")
    assert stem("running") == stem("run")
    assert stem("status") == "status"


def test_content_words_drop_stop_words() -> None:
    assert content_words("How many vacation days do I get?") == ["vacation", "days"]
    assert terms("How many vacation days do I get?") == {"vacation", "day"}

"""The "I don't know" gate's signals and rules (issue 14), on hand-built signals."""

from __future__ import annotations

from ragbot.answerability import Gate, Signals, signals
from ragbot.domain import QuestionTerms, ScoredChunk, TermStat

BIG = 5000


def passage(similarity: float, lexical_rank: int | None = 1) -> ScoredChunk:
    return ScoredChunk(1, 1, 0, "text", "", "Doc", "docs/a.md", 1.0, similarity=similarity,
                       lexical_rank=lexical_rank)


def stat(lexeme: str, *, in_space: bool, in_passages: bool = False, idf: float = 6.0) -> TermStat:
    return TermStat(lexeme, idf, in_space, in_passages)


def test_a_name_with_digits_is_unknown_but_numbers_and_compounds_are_not() -> None:
    terms = QuestionTerms([stat("psycopg2", in_space=False), stat("3.12", in_space=False),
                           stat("2024", in_space=False), stat("25th", in_space=False), stat("ci", in_space=False),
                           stat("last-modifi", in_space=False), stat("upper/lower", in_space=False),
                           stat("connect", in_space=True, in_passages=True)], space_chunks=BIG)
    s = signals([passage(0.5)], terms)
    assert s.unknown_words == ("psycopg2", "ci")
    assert round(s.unknown_share, 3) == round(12 / 48, 3)


def test_most_of_the_question_unseen_is_refused_in_a_space_of_any_size() -> None:
    gate = Gate()
    terms = QuestionTerms([stat("footbal", in_space=False), stat("stadium", in_space=False),
                           stat("helsingborg", in_space=True, in_passages=True)], space_chunks=300)
    s = signals([passage(0.5)], terms)
    assert s.unknown == 2 and s.unknown_share > 0.6 and not gate.allows(s)
    one = QuestionTerms([stat("footbal", in_space=False), stat("stadium", in_space=True, in_passages=True),
                         stat("helsingborg", in_space=True, in_passages=True)], space_chunks=300)
    assert gate.allows(signals([passage(0.5)], one))  # a small space: one paraphrased word is no proof
    assert gate.allows(signals([passage(0.65)], terms))  # very close in meaning: answered all the same


def test_a_passage_close_in_meaning_only_is_refused() -> None:
    gate = Gate()
    lone = Signals(0.45, 0.0, 0, False, BIG)  # no question word in the passages, keyword search found none
    assert not gate.allows(lone)
    assert gate.allows(Signals(0.45, 0.0, 0, True, BIG))  # keyword search agrees on a passage
    assert gate.allows(Signals(0.45, 0.3, 0, False, BIG))  # the passages hold some of the question
    assert not Gate(refuse_unsupported=True).allows(lone) and Gate(refuse_unsupported=False).allows(lone)


def test_just_below_the_floor_keyword_agreement_on_much_of_the_question_still_answers() -> None:
    gate = Gate()  # min_similarity 0.40, lexical_margin 0.025, lexical_coverage 0.5
    assert gate.allows(Signals(0.38, 0.6, 0, True, BIG)) and gate.floor(Signals(0.38, 0.6, 0, True, BIG)) == 0.375
    assert not gate.allows(Signals(0.38, 0.4, 0, True, BIG))  # the passages hold too little of the question
    assert not gate.allows(Signals(0.38, 0.6, 0, False, BIG))  # keyword search found none of them
    assert not gate.allows(Signals(0.37, 0.9, 0, True, BIG))  # too far below the floor
    assert not gate.allows(Signals(0.38, 0.6, 1, True, BIG))  # a word the space has never seen
    assert not Gate(lexical_margin=0.0).allows(Signals(0.38, 0.6, 0, True, BIG))


def test_far_below_the_floor_keyword_agreement_on_every_word_of_the_question_still_answers() -> None:
    # A directory's chunk embeds three records: "Who is the head of People?" is at 0.15 from the one that answers.
    gate = Gate()  # whole_question_share 0.25 of min_similarity 0.40
    whole = Signals(0.15, 1.0, 0, True, BIG)
    assert gate.allows(whole) and gate.floor(whole) == 0.1
    assert not gate.allows(Signals(0.15, 0.9, 0, True, BIG))  # a word of the question is in no passage
    assert not gate.allows(Signals(0.15, 1.0, 0, False, BIG))  # keyword search found none of the closest
    assert not gate.allows(Signals(0.08, 1.0, 0, True, BIG))  # unrelated in meaning altogether
    assert not gate.allows(Signals(0.15, 1.0, 0, True, BIG, unquoted_names=("hashlib",)))  # other tests still apply
    assert not Gate(whole_question_share=1.0).allows(whole)
    assert not Gate(min_similarity=0.8).allows(whole)  # a floor raised for another model raises this one too


def test_words_a_follow_up_borrows_from_earlier_turns_are_never_unknown() -> None:
    terms = QuestionTerms([stat("vacat", in_space=False), stat("employe", in_space=False),
                           stat("park", in_space=True, in_passages=True), stat("mine", in_space=False)],
                          space_chunks=BIG)
    assert signals([passage(0.5)], terms).unknown_words == ("vacat", "employe", "mine")
    own = signals([passage(0.5)], terms, asked={"park", "mine"})
    # Only the follow-up's own words can be unknown, and their share is of its own words' IDF.
    assert own.unknown_words == ("mine",) and own.unknown_share == 0.5


def test_words_about_the_conversation_are_never_unknown() -> None:
    # "could you elaborate?" asks about the answer, not about something the space must hold.
    follow = QuestionTerms([stat("could", in_space=False), stat("elabor", in_space=False),
                            stat("vacat", in_space=True, in_passages=True)], space_chunks=BIG)
    s = signals([passage(0.45)], follow, asked={"could", "elabor"})
    assert s.unknown_words == () and s.unknown_share == 0.0 and Gate().allows(s)
    named = QuestionTerms([stat("django", in_space=False), stat("explain", in_space=False)], space_chunks=BIG)
    assert signals([passage(0.45)], named).unknown_words == ("django",)


def test_a_rare_name_the_space_imports_but_no_passage_holds_refuses() -> None:
    def code(lexeme: str, *, idf: float = 6.0, in_passages: bool = False) -> TermStat:
        return TermStat(lexeme, idf, True, in_passages, code_name=True)

    gate = Gate()
    hashed = QuestionTerms([code("hashlib"), stat("hash", in_space=True, in_passages=True)], space_chunks=BIG)
    s = signals([passage(0.5)], hashed)
    assert s.unquoted_names == ("hashlib",) and not gate.allows(s)
    assert gate.allows(signals([passage(0.65)], hashed))  # very close in meaning: answered all the same
    # Common words ("file" in "file.read()") and names the passages hold do not count, nor a follow-up's topic.
    assert signals([passage(0.5)], QuestionTerms([code("file", idf=2.0)], space_chunks=BIG)).unquoted_names == ()
    assert signals([passage(0.5)], QuestionTerms([code("hashlib", in_passages=True)], space_chunks=BIG)
                   ).unquoted_names == ()
    assert signals([passage(0.5)], hashed, asked={"hash"}).unquoted_names == ()

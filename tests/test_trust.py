"""Answers a team can trust: citation numbers, the "I don't know" gate, small-to-big context and follow-ups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ragbot.answerability import Gate, Signals
from ragbot.domain import Scope, ScoredChunk, Turn
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.rag import NO_ANSWER, RagService, join_overlapping

LOCAL = Scope("local")


def add(svc, name: str, body: str) -> None:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=LOCAL, data=body.encode(), filename=name, source_uri=f"handbook/{name}",
                          max_bytes=10**6)
    ingest_document(svc.ingest, acc.document_id)


class ScriptedModel:
    """A chat model (the LLM's place) that streams a fixed reply in the given pieces."""

    name = "scripted"

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = list(pieces)
        self.seen: list[list[ScoredChunk]] = []

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        self.seen.append(list(passages))
        yield from self.pieces

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        return question


def rag_with(svc, chat, **kwargs) -> RagService:  # type: ignore[no-untyped-def]
    return RagService(store=svc.store, embedder=svc.embedder, chat=chat, min_similarity=0.05, **kwargs)


def thread_after(rag: RagService, question: str, *, cited: bool = True) -> list[Turn]:
    """A thread's history after the bot answered its first question (with the sources it cited)."""
    first = rag.answer(question, scope=LOCAL)
    sources = tuple(c.source for c in first.citations) if cited else ()
    return [Turn("user", question), Turn("assistant", first.text, sources)]


def three_docs(svc) -> None:  # type: ignore[no-untyped-def]
    add(svc, "leave.md", "# Leave\n\nEmployees get 25 vacation days per year.")
    add(svc, "expenses.md", "# Expenses\n\nVacation travel is not an expense; submit receipts within 30 days.")
    add(svc, "parking.md", "# Parking\n\nVacation days do not change your parking permit.")


def test_citations_are_numbered_in_order_of_first_appearance_while_streaming(svc) -> None:
    three_docs(svc)
    chat = ScriptedModel(["Third first [", "3]. Then one [1][3", "]. Code a[1] stays. Bogus [9]", "."])
    streamed: list[str] = []
    answer = rag_with(svc, chat).answer("vacation days", scope=LOCAL, on_delta=streamed.append)
    passages = chat.seen[0]
    assert answer.text == "Third first [1]. Then one [2][1]. Code a[1] stays. Bogus."
    assert "".join(streamed) == answer.text  # the streamed text already carries the final numbers
    assert [c.n for c in answer.citations] == [1, 2]
    assert [c.source for c in answer.citations] == [passages[2].source, passages[0].source]


def test_passages_of_one_section_share_one_citation_number(svc) -> None:
    # Far-apart chunks of one section are separate passages; a reader should see that source once, not twice.
    filler = "Requests go through the portal and your manager approves them within a week. " * 6
    add(svc, "leave.md", "# Leave\n\nEmployees get 25 vacation days per year.\n\n" + filler + "\n\n" + filler
        + "\n\nUnused vacation days carry over until March.\n\n# Sick days\n\nSick days need a note after "
        "three days of vacation-free absence.")
    chat = ScriptedModel(["Twenty-five [1]. Carry-over [2]. Sick [3]."])
    answer = rag_with(svc, chat, top_k=3, context_window=0).answer("vacation days", scope=LOCAL)
    locations = [p.location for p in chat.seen[0]]
    assert sorted(locations) == ["Leave", "Leave", "Sick days"]  # two passages of one section, one of another
    places = list(dict.fromkeys(locations))  # each place numbered once, in order of first citation
    shown = [f"[{places.index(loc) + 1}]" for loc in locations]
    assert answer.text == f"Twenty-five {shown[0]}. Carry-over {shown[1]}. Sick {shown[2]}."
    assert [(c.n, c.location) for c in answer.citations] == [(1, places[0]), (2, places[1])]


def test_the_same_file_under_two_names_takes_one_place_and_one_citation(svc) -> None:
    # "leave.md" and "leave (1).md": the copy must neither crowd another document out nor be cited as a source.
    body = "# Leave\n\nEmployees get 25 vacation days per year."
    add(svc, "leave.md", body)
    add(svc, "leave (1).md", body)
    add(svc, "parking.md", "# Parking\n\nVacation days do not change your parking permit.")
    chat = ScriptedModel(["Twenty-five [1]. Parking [2]."])
    answer = rag_with(svc, chat, top_k=2).answer("vacation days per year", scope=LOCAL)
    sources = [p.source for p in chat.seen[0]]
    assert len(sources) == 2 and "handbook/parking.md" in sources
    assert len({" ".join(p.text.split()) for p in chat.seen[0]}) == 2
    assert [c.source for c in answer.citations] == sources


def test_context_widens_a_passage_with_the_next_chunk_of_its_section(svc) -> None:
    # The question matches the section's opening chunk; the command that answers it is in the next chunk.
    intro = "Rotating the signing keys is needed every quarter, and after anyone leaves the security team. " * 3
    steps = "Run the command keyctl rotate --all --grace 7d from the bastion host; it keeps old keys for a week. "
    add(svc, "keys.md", "# Signing keys\n\n" + intro + "\n\n" + steps * 2 + "\n\n# Unrelated\n\nLunch is at noon.")
    chat = ScriptedModel(["See [1]."])
    answer = rag_with(svc, chat, top_k=1).answer("when are the signing keys rotated", scope=LOCAL)
    (passage,) = chat.seen[0]
    assert "keyctl rotate --all" in passage.text and "Rotating the signing keys" in passage.text
    assert "Lunch" not in passage.text  # neighbours stay inside the section
    assert passage.text.count("Rotating the signing keys is needed") == 3  # overlap between chunks not repeated
    assert answer.citations[0].location == "Signing keys"
    narrow = ScriptedModel(["See [1]."])
    rag_with(svc, narrow, top_k=1, context_window=0).answer("when are the signing keys rotated", scope=LOCAL)
    assert "keyctl" not in narrow.seen[0][0].text


def test_overlapping_chunks_join_without_repeating_the_overlap() -> None:
    assert join_overlapping("alpha beta gamma delta", "gamma delta epsilon") == "alpha beta gamma delta epsilon"
    assert join_overlapping("one two", "three four") == "one two\nthree four"
    # The carried words end in one line break where the page has a blank line: given back after a whole short line
    # that ends no sentence, so that it is not read as the start of the next one; not after a wrapped line's end.
    joined = join_overlapping("tempfile\n\nSource code: Lib/tempfile.py", "Source code: Lib/tempfile.py\nThis module "
                              "creates files.")
    assert joined == "tempfile\n\nSource code: Lib/tempfile.py\n\nThis module creates files."
    assert join_overlapping("Each name refers to\nthe binding of that name", "the binding of that name\nPython "
                            "resolves.") == "Each name refers to\nthe binding of that name\nPython resolves."


def test_a_question_sharing_words_but_naming_what_the_space_lacks_is_refused(svc) -> None:
    add(svc, "db.md", "# Database migrations\n\nRagbot applies its database migrations with ragbot db upgrade. "
                      "Migrations run automatically on first use.")
    chat = ScriptedModel(["Use ragbot db upgrade [1]."])
    # This space is one document; the rule that reads unseen words applies from unknown_min_chunks on.
    rag = rag_with(svc, chat, gate=Gate(min_similarity=0.05, unknown_min_chunks=1))
    answer = rag.answer("how do I squash django database migrations", scope=LOCAL)
    assert answer.grounded is False and chat.seen == []
    assert [c.source for c in answer.related] == ["handbook/db.md"]  # named as possibly related, not cited
    assert "Possibly related" in answer.text and "[1]" not in answer.text
    unknown = rag.plan("how do I squash django database migrations", scope=LOCAL).signals.unknown_words
    assert sorted(unknown) == ["django", "squash"]
    assert rag.answer("how are database migrations applied", scope=LOCAL).grounded
    assert rag.answer("when do migrations run in 2024?", scope=LOCAL).grounded  # numbers are the user's own
    small = rag_with(svc, ScriptedModel(["Use ragbot db upgrade [1]."]), gate=Gate(min_similarity=0.05))
    # In a small space one unseen word proves little (people paraphrase), but most of the question's weight
    # in words the space has never seen does.
    assert small.answer("are database migrations applied automatically with django", scope=LOCAL).grounded
    assert not small.answer("how do I squash django migrations", scope=LOCAL).grounded
    lenient = Gate(min_similarity=0.05, max_unknown_share=1.1)
    assert rag_with(svc, ScriptedModel(["x [1]."]), gate=lenient).answer(
        "how do I squash django migrations", scope=LOCAL).grounded


def test_a_question_naming_a_module_that_no_passage_names_is_refused(svc) -> None:
    # The documents use hashlib in one example, but the passage closest to the question is about the crypt module:
    # quoted, it would answer "with hashlib" from crypt.
    add(svc, "crypt.md", "# Password hashing\n\nThe crypt module can compute a SHA-256 password hash with a salt "
                         "for you. Compute the password hash with a salt and compare it with the stored hash.")
    add(svc, "downloads.md", "# Checking downloads\n\nCompare the digest of a download:\n\n    import hashlib\n"
                             "    digest = hashlib.md5(data).hexdigest()\n")
    question = "how do I compute a SHA-256 password hash with a salt using hashlib?"
    # (The fake embedder's similarities are high: sure_similarity, which answers regardless, is out of its reach.)
    rag = rag_with(svc, ScriptedModel(["Use crypt [1]."]), gate=Gate(min_similarity=0.05, sure_similarity=0.99),
                   top_k=1)
    plan = rag.plan(question, scope=LOCAL)
    assert [p.source for p in plan.passages] == ["handbook/crypt.md"]
    assert plan.signals.unquoted_names == ("hashlib",)
    refused = rag.answer(question, scope=LOCAL)
    assert not refused.grounded and "never mention \u201chashlib\u201d" in refused.text, refused.text
    # With the page that uses it among the passages, the question is answered.
    wide = rag_with(svc, ScriptedModel(["Use hashlib [1]."]), gate=Gate(min_similarity=0.05, sure_similarity=0.99),
                    top_k=2)
    assert wide.plan(question, scope=LOCAL).signals.unquoted_names == ()
    assert wide.answer(question, scope=LOCAL).grounded
    # A name the documents only mention in prose is no module of theirs: nothing to tell.
    add(svc, "notes.md", "# Notes\n\nSome teams like bcrypt better.")
    assert rag.plan("how do I hash a password with a salt using bcrypt?", scope=LOCAL).signals.unquoted_names == ()
    assert Gate(min_similarity=0.05, sure_similarity=0.99, refuse_unquoted_names=False).allows(plan.signals)


def test_the_gate_needs_more_than_one_cosine() -> None:
    gate = Gate(min_similarity=0.4, sure_similarity=0.62, min_coverage=0.45, disagreement_margin=0.05)
    big = 5000
    assert not gate.allows(Signals(0.37, 0.9, 0, True, big))  # below the floor and its lexical margin
    assert gate.allows(Signals(0.37, 1.0, 0, True, big))  # ... unless the passages hold every word of the question
    assert gate.allows(Signals(0.70, 0.0, 3, False, big))  # very close in meaning: answered
    assert not gate.allows(Signals(0.50, 0.2, 0, True, big))  # the passages hold little of what is distinctive
    assert not gate.allows(Signals(0.50, 0.9, 1, True, big))  # a rare word the space has never seen
    assert gate.allows(Signals(0.50, 0.9, 1, True, 80))  # ... unless the space is too small to tell
    assert gate.allows(Signals(0.50, 0.9, 0, True, big))
    assert not gate.allows(Signals(0.42, 0.9, 0, False, big)) and gate.allows(Signals(0.46, 0.9, 0, False, big))
    # The threshold that allowed the answer is the one passages must clear to be quoted.
    assert gate.floor(Signals(0.50, 0.9, 0, True, big)) == 0.4
    assert gate.floor(Signals(0.70, 0.0, 3, False, big)) == 0.62
    assert gate.floor(Signals(0.50, 0.2, 0, True, big)) is None


def test_follow_ups_keep_the_topic_and_the_documents_cited_before(svc) -> None:
    add(svc, "leave.md", "# Leave\n\nEmployees get 25 vacation days per year. Part-timers get vacation pro rata.")
    add(svc, "gym.md", "# Part-timers\n\nPart-timers get the gym subsidy. Part-timers book gym classes online.")
    rag = rag_with(svc, ScriptedModel(["Pro rata [1]."]))
    history = thread_after(rag, "how many vacation days do employees get")
    follow = rag.plan("what about part-timers?", scope=LOCAL, history=history)
    assert follow.passages[0].source == "handbook/leave.md"
    assert "vacation" in follow.query
    fresh = rag.plan("what about part-timers?", scope=LOCAL)
    assert fresh.passages[0].source == "handbook/gym.md"  # without the thread, the other document wins


def test_a_dropped_marker_leaves_no_space_before_the_stop_even_across_pieces() -> None:
    from ragbot.citations import Renumberer

    numbers = Renumberer(passages=2)
    for piece in ("Use the form ", "[9]. See also [2]."):
        numbers.feed(piece)
    numbers.finish()
    assert numbers.text == "Use the form. See also [1]." and numbers.order == [2]


def test_a_follow_up_is_not_refused_for_the_words_it_borrows_from_a_refused_question(svc) -> None:
    add(svc, "notes.md", "# Notes\n\nMy parking spot is number 42 on level two.")
    rag = rag_with(svc, ScriptedModel(["Spot 42 [1]."]))
    history = thread_after(rag, "How many vacation days do employees get?", cited=False)
    assert history[1].text.startswith(NO_ANSWER)  # nothing about vacation in this space: refused
    follow = rag.plan("Which parking spot is mine?", scope=LOCAL, history=history)
    assert "vacation" in follow.query  # retrieval still reads the thread's topic
    assert "vacat" not in follow.signals.unknown_words and follow.allowed


def test_a_follow_up_that_refers_back_is_answered_on_the_thread_s_topic(svc) -> None:
    add(svc, "leave.md", "# Leave\n\nEmployees get 25 vacation days per year.")
    add(svc, "news.md", "# News\n\nThe cafeteria menu changes every week.")
    rag = rag_with(svc, ScriptedModel(["25 [1]."]))
    history = thread_after(rag, "How many vacation days do employees get?")
    follow = rag.plan("and does this change it?", scope=LOCAL, history=history)
    assert "vacation" in follow.query and follow.signals.unknown_words == ()
    assert follow.allowed


def test_a_follow_up_that_adds_what_the_space_lacks_is_refused(svc) -> None:
    # The thread's topic words are known; what the follow-up adds must be known on its own, or the topic's
    # passages would answer a question they do not cover.
    add(svc, "leave.md", "# Leave\n\nParents get 16 weeks of fully paid parental leave, in up to three blocks.")
    rag = rag_with(svc, ScriptedModel(["16 weeks [1]."]))
    history = thread_after(rag, "How long is parental leave?")
    follow = rag.plan("is there a daycare subsidy as well?", scope=LOCAL, history=history)
    assert {"daycar", "subsidi"} <= set(follow.signals.unknown_words)
    assert not follow.allowed
    assert not rag.answer("is there a daycare subsidy as well?", scope=LOCAL, history=history).grounded


def test_a_refusal_for_words_the_documents_never_use_names_them(svc) -> None:
    add(svc, "leave.md", "# Leave\n\nParents get 16 weeks of fully paid parental leave, in up to three blocks.")
    rag = rag_with(svc, ScriptedModel(["16 weeks [1]."]))
    history = thread_after(rag, "How long is parental leave?")
    refused = rag.answer("is there a Daycare subsidy as well?", scope=LOCAL, history=history,
                         no_answer_hint="Add a document that covers it.")
    assert not refused.grounded
    # The words as typed, so that the user can ask again in the documents' own words; the hint still follows.
    said = refused.text.split("\n\n")[0]
    assert said.startswith(NO_ANSWER + " They never mention \u201c"), said
    assert "\u201cDaycare\u201d" in said and "\u201csubsidy\u201d" in said
    assert said.endswith("; try asking in the words they use. Add a document that covers it.")
    # Refused for being far from every passage, not for its words: nothing to name.
    far = rag_with(svc, ScriptedModel(["x [1]."]), gate=Gate(min_similarity=0.99)).answer(
        "How long is parental leave?", scope=LOCAL)
    assert not far.grounded and "never mention" not in far.text


def test_the_gate_says_when_unseen_words_decided() -> None:
    gate = Gate()
    close = Signals(top_similarity=0.5, coverage=0.5, unknown=1, agreement=True, space_chunks=5000,
                    unknown_words=("django",), unknown_share=0.3)
    assert not gate.allows(close) and gate.refused_for_words(close)
    far = Signals(top_similarity=0.2, coverage=0.5, unknown=1, agreement=True, space_chunks=5000,
                  unknown_words=("django",), unknown_share=0.3)
    assert not gate.refused_for_words(far)  # too far in meaning anyway: the words are not why


def test_a_number_in_brackets_from_a_document_is_quoted_not_taken_for_a_citation(svc) -> None:
    from ragbot.providers.extractive import ExtractiveAnswerer

    add(svc, "lists.md", "# Mutable defaults\n\nThe default list is created once. After the call to append(), the "
                         "content of the list has changed from [] to [10]. Use None as the default instead.")
    add(svc, "other.md", "# Other\n\nTuples are immutable.")
    answer = rag_with(svc, ExtractiveAnswerer()).answer("what did the list change to after the call to append?",
                                                        scope=LOCAL)
    # The document's "[10]" is content: renumbered to [1] or dropped as pointing nowhere, the fact would be lost.
    assert "changed from [] to `[10]` [1]." in answer.text, answer.text
    assert [c.source for c in answer.citations] == ["handbook/lists.md"]


def test_inline_code_brackets_are_not_markers_but_a_marker_after_code_is() -> None:
    from ragbot.citations import renumber

    assert renumber("It becomes `[2]` here [2].", 2) == ("It becomes `[2]` here [1].", [2])
    assert renumber("Call `sys.exit()`[2].", 2) == ("Call `sys.exit()`[1].", [2])
    assert renumber('The literal "[2]" is a list [2].', 2) == ('The literal "[2]" is a list [1].', [2])


RUNBOOK = """# On-call runbook

## Error codes

### NWL-4471: ledger replication lag

Raised when the ledger database replica falls more than 30 seconds behind the primary. Check the lag with
`nwctl ledger lag`. Never promote the replica during an NWL-4471 alert without a second engineer on the call.

### NWL-2208: webhook signature mismatch

Raised when more than 1% of incoming payment-provider webhooks fail signature checks in 5 minutes. The usual
cause is a rotated signing secret.

### NWL-5190: ingest disk nearly full

Raised when disk usage on any ingest node is above 90%. Run `nwctl ingest prune --older-than 7d` and check again.
"""


def test_a_question_about_a_code_is_answered_from_that_code_s_section(clean_db, settings) -> None:
    from ragbot.providers.extractive import ExtractiveAnswerer
    from ragbot.providers.local_embedder import LocalEmbedder
    from ragbot.wiring import build

    # The real model: it does not know codes, so "NWL-5190" is close in meaning to every error code's section.
    embedder = LocalEmbedder()
    svc = build(settings, embedder=embedder, chat=ExtractiveAnswerer(embedder=embedder))
    add(svc, "oncall-runbook.md", RUNBOOK)
    add(svc, "travel.md", "# Insurance\n\nEvery business trip is covered by the company travel insurance, policy "
                          "number NWL-TRV-2291.")
    # Retrieval puts the section that holds the code first, though three others are as close in meaning.
    assert svc.rag.retrieve("What is NWL-5190?", scope=LOCAL)[0].location.endswith("NWL-5190: ingest disk nearly full")
    answer = svc.rag.answer("What is NWL-5190?", scope=LOCAL)
    assert answer.grounded
    assert answer.text.startswith("Raised when disk usage on any ingest node is above 90% [1]."), answer.text
    assert "4471" not in answer.text and "2291" not in answer.text  # other codes of the family are other things
    # Nor is a line of a section headed by another code, though it shares a word with the question ("checks").
    command = svc.rag.answer("Which command checks the replica lag for NWL-4471?", scope=LOCAL).text
    assert "`nwctl ledger lag`" in command and "webhook" not in command, command


def test_a_passage_below_the_threshold_is_quoted_only_from_a_section_named_after_the_code(svc) -> None:
    from ragbot.rag import Plan

    def passage(n: int, text: str, location: str, similarity: float) -> ScoredChunk:
        return ScoredChunk(n, n, 0, text, location, "Runbook", f"docs/{n}.md", 1.0, similarity)

    close = passage(1, "Never promote the replica during an alert.", "Error codes > NWL-4471: lag", 0.47)
    named = passage(2, "Raised when disk usage is above 90%.", "Error codes > NWL-5190: disk nearly full", 0.35)
    in_passing = passage(3, "Checklist: disk alerts such as NWL-5190, backups.", "Release checklist", 0.18)
    plan = Plan("What is NWL-5190?", [close, named, in_passing],
                Signals(top_similarity=0.47, coverage=1.0, unknown=0, agreement=True), allowed=True)
    rag = rag_with(svc, ScriptedModel(["x [1]."]), gate=Gate(min_similarity=0.4))
    assert [p.chunk_id for p in rag.quotable("What is NWL-5190?", plan)] == [1, 2]
    assert [p.chunk_id for p in rag.quotable("What is the disk alert?", plan)] == [1]


def test_a_list_inside_a_code_block_is_not_taken_for_a_citation() -> None:
    from ragbot.citations import Renumberer

    numbers = Renumberer(passages=2)
    # The fence arrives split across pieces, as an LLM streams it.
    for piece in ("Use this [2]:\n``", "`py\nx = [1, 2]\nprint(x[1])\n`", "``\nSee [1]."):
        numbers.feed(piece)
    numbers.finish()
    assert numbers.text == "Use this [1]:\n```py\nx = [1, 2]\nprint(x[1])\n```\nSee [2]."
    assert numbers.order == [2, 1]


def test_the_answer_also_sees_more_of_the_pages_retrieval_chose(svc) -> None:
    # The right page is usually among the first passages when the chunk that answers is not: that chunk (here the
    # "Waiting" section, ranked third) is added from the next candidates; another page's chunk ranked there is not.
    add(svc, "tasks.md", "# Running tasks\n\nRun coroutine tasks concurrently: tasks run concurrently as tasks.\n\n"
                         "# Waiting\n\nTo wait for all of them, use gather.\n")
    add(svc, "threads.md", "# Threads\n\nThreads run tasks concurrently as well.\n")
    add(svc, "queues.md", "# Queues\n\nA queue hands coroutine tasks to workers.\n")
    question = "run coroutine tasks concurrently and wait until they finish"
    rag = rag_with(svc, ScriptedModel(["See [1]."]), top_k=2)
    ranked = [(p.source, p.location) for p in rag.retrieve(question, scope=LOCAL, k=4)]
    assert ranked[0] == ("handbook/tasks.md", "Running tasks") and ranked[1][0] == "handbook/threads.md"
    assert set(ranked[2:]) == {("handbook/tasks.md", "Waiting"), ("handbook/queues.md", "Queues")}
    chat = ScriptedModel(["See [1]."])
    rag_with(svc, chat, top_k=2).answer(question, scope=LOCAL)
    seen = [(p.source, p.location) for p in chat.seen[0]]
    assert ("handbook/tasks.md", "Waiting") in seen and ("handbook/queues.md", "Queues") not in seen
    plan = rag_with(svc, chat, top_k=2).plan(question, scope=LOCAL)
    assert [(p.source, p.location) for p in plan.passages] == ranked[:2]  # the gate reads the first two alone
    narrow = ScriptedModel(["See [1]."])
    rag_with(svc, narrow, top_k=2, page_extra=0).answer(question, scope=LOCAL)
    assert [(p.source, p.location) for p in narrow.seen[0]] == ranked[:2]


def test_the_page_extra_setting_reaches_the_answer_path(clean_db, settings, fake_embedder) -> None:
    from ragbot.providers.extractive import ExtractiveAnswerer
    from ragbot.wiring import build

    for extra, read in ((0, 4), (3, 7)):
        services = build(settings.model_copy(update={"top_k": 4, "page_extra": extra}), embedder=fake_embedder)
        assert services.rag.page_extra == extra and services.rag.top_k == 4
        assert isinstance(services.rag.chat, ExtractiveAnswerer) and services.rag.chat.max_passages == read
        services.engine.dispose()


def test_a_directory_record_answers_though_its_chunk_is_far_in_meaning(clean_db, settings) -> None:
    from pathlib import Path

    from ragbot.providers.extractive import ExtractiveAnswerer
    from ragbot.providers.local_embedder import LocalEmbedder
    from ragbot.wiring import build

    embedder = LocalEmbedder()
    svc = build(settings, embedder=embedder, chat=ExtractiveAnswerer(embedder=embedder))
    handbook = Path(__file__).resolve().parents[1] / "samples" / "handbook"
    for name in ("team-directory.csv", "benefits.html"):
        add(svc, name, (handbook / name).read_text())
    # Three records to a chunk: the one that answers is far from the question in meaning (about 0.15), but keyword
    # search finds it and it holds every word of the question.
    plan = svc.rag.plan("Who is the head of People?", scope=LOCAL)
    assert plan.signals.top_similarity < 0.3 and plan.signals.coverage == 1.0 and plan.signals.agreement
    answer = svc.rag.answer("Who is the head of People?", scope=LOCAL)
    assert answer.grounded and "Hannah de Vries" in answer.text, answer.text
    # A question naming what the directory lacks shares its other words, and still gets "I don't know".
    assert not svc.rag.answer("Who is the head of Marketing?", scope=LOCAL).grounded

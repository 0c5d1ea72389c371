"""`ragbot ask` and `ragbot chat`: questions from the terminal."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ragbot.cli.app import app, console, fail, services, settings
from ragbot.domain import Answer, Scope, Turn
from ragbot.storage.search import MODES

HINT = "Add a document that covers it with `ragbot ingest PATH`."
SpaceOpt = Annotated[str | None, typer.Option("--space", "-s", help="Space to search; default 'local'.")]
ChannelOpt = Annotated[str | None, typer.Option("--channel", "-c", help="Also search this channel's documents.")]


def print_sources(answer: Answer) -> None:
    """The numbered sources under an answer."""
    if not answer.citations:
        return
    console.print("\n[bold]Sources[/bold]")
    for c in answer.citations:
        where = f", {c.location}" if c.location else ""
        aged = f" ({c.aged})" if c.aged else ""
        aged += " (unreachable at its last re-sync)" if c.unreachable else ""
        console.print(f"  [{c.n}] {c.title}{where} — {c.url or c.source}{aged}", highlight=False, markup=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as one JSON object.")] = False,
    space: SpaceOpt = None,
    channel: ChannelOpt = None,
    mode: Annotated[str, typer.Option(help="Retrieval: hybrid, vector or lexical.")] = "hybrid",
) -> None:
    """Answer a question from the indexed documents, with citations."""
    if mode not in MODES:
        raise fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}.")
    svc = services()
    scope = Scope(space or settings().default_space, channel)
    if as_json:
        answer = svc.rag.answer(question, scope=scope, no_answer_hint=HINT, mode=mode)
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    answer = svc.rag.answer(question, scope=scope, no_answer_hint=HINT, mode=mode, on_delta=_write)
    print()
    print_sources(answer)


def _write(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


@app.command()
def chat(space: SpaceOpt = None, channel: ChannelOpt = None) -> None:
    """Interactive questions that keep the conversation as history (Ctrl-D or 'exit' to leave)."""
    svc = services()
    scope = Scope(space or settings().default_space, channel)
    history: list[Turn] = []
    console.print("Ask a question about your documents. Ctrl-D or 'exit' leaves.")
    while True:
        try:
            question = console.input("[bold cyan]you>[/bold cyan] ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if question.lower() in {"exit", "quit", ":q"}:
            return
        if not question:
            continue
        sys.stdout.write("ragbot> ")
        answer = svc.rag.answer(question, scope=scope, history=history, no_answer_hint=HINT, on_delta=_write)
        print()
        print_sources(answer)
        history += [Turn("user", question), Turn("assistant", answer.text, tuple(c.source for c in answer.citations))]
        history = history[-8:]  # recent turns are enough context and keep prompts small

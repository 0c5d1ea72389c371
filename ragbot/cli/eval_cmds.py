"""`ragbot eval`: measure retrieval and answer quality on a JSONL question set against the current index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ragbot.cli.app import app, console, fail, services, settings
from ragbot.domain import Scope
from ragbot.storage.search import MODES


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="JSONL lines: question, gold, must_mention, unanswerable.")],
    space: Annotated[str | None, typer.Option("--space", "-s", help="Space to search; default 'local'.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Also search this channel.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=10, help="Cut-off for hit@k.")] = 5,
    mode: Annotated[str, typer.Option(help="Retrieval: hybrid, vector or lexical.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as one JSON object.")] = False,
) -> None:
    """Score the questions of FILE against the indexed documents (ingests nothing)."""
    from ragbot.evaluation import evaluate, load_cases

    if mode not in MODES:
        raise fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}.")
    cases = load_cases(file)
    svc = services()
    report = evaluate(svc.rag, cases, scope=Scope(space or settings().default_space, channel), k=k, mode=mode)
    data = report.to_json()
    if as_json:
        print(json.dumps(data))
        return
    table = Table(title=f"{file.name}: {report.questions} questions ({report.answerable} answerable), {mode}, "
                        f"reranker {report.reranker}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in data.items():
        if key in ("mode", "reranker", "k", "questions", "answerable", "unanswerable"):
            continue
        if isinstance(value, dict):
            value = f"p50 {value['p50']:.1f} / p95 {value['p95']:.1f}"
        table.add_row(key, _fmt(value))
    console.print(table)

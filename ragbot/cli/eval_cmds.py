"""`ragbot eval`: measure retrieval and answer quality on a JSONL question set against the current index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ragbot.cli.app import app, console, fail, services, settings
from ragbot.domain import Scope
from ragbot.storage.search import MODES

if TYPE_CHECKING:  # the evaluation module loads numpy: only `ragbot eval` itself pays for it
    from ragbot.evaluation import CaseResult


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
    misses: list[dict[str, object]] = [{"question": r.case.question, "missing": _missing(r), "why": r.miss}
                                       for r in report.results if r.miss]
    if as_json:
        print(json.dumps({**data, "misses": misses}))
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
    if misses:
        _print_misses(misses)


def _missing(result: CaseResult) -> list[str]:
    """The must_mention terms the answer lacks (all of them when it refused)."""
    from ragbot.evaluation import mentions_all

    if not result.grounded:
        return list(result.case.must_mention)
    return [t for t in result.case.must_mention if not mentions_all(result.answer, [t])]


def _print_misses(misses: list[dict[str, object]], limit: int = 20) -> None:
    """Which answers lack their terms and where each was lost, so that a team knows what to fix."""
    table = Table(title=f"Answers without their must_mention terms ({len(misses)})")
    for column in ("question", "missing", "why"):
        table.add_column(column)
    for m in misses[:limit]:
        table.add_row(str(m["question"]), ", ".join(m["missing"]), str(m["why"]))  # type: ignore[arg-type]
    console.print(table)
    if len(misses) > limit:
        console.print(f"... and {len(misses) - limit} more (all of them with --json).")
    console.print("not retrieved: no passage the answer saw holds them (add or fix the document, or ask in its "
                  "words); not quoted: they were in the passages but not in the answer (an LLM answerer quotes "
                  "less rigidly); refused: the answer was \"I don't know\".")

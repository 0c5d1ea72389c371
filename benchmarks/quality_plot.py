"""Plot the quality/latency trade-off from quality.py's and retrieval.py's JSON figures into docs/.

    .venv/bin/python benchmarks/quality.py --out /tmp/ragbot-quality.json
    .venv/bin/python benchmarks/retrieval.py --ef-sweep 40,64,200 --json /tmp/ragbot-retrieval.json
    .venv/bin/python benchmarks/quality_plot.py [--quality ...] [--retrieval ...] [--png docs/quality_tradeoff.png]

Needs matplotlib (`.venv/bin/pip install matplotlib`; it is not a runtime dependency).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.gettempdir())
COLORS = {"faq": "tab:blue", "pydoc": "tab:orange"}


def label(row: dict) -> str:
    """A short name for a variant: the knob it changes and to what."""
    v = row["variant"]
    if row["knob"] in ("base", "mode"):
        return v["mode"] if row["knob"] == "mode" else "chosen default"
    if row["knob"] == "old default":
        return "old default"
    if row["knob"] == "chunk":
        return f"chunk {v['chunk'][0]}/{v['chunk'][1]} {v['mode']}"
    value = {"rrf_k": v["rrf_k"], "candidates": v["candidates"], "config": v["config"], "rank": v["rank"],
             "lex_weight": v["lex_weight"], "budget": v["budget"], "fusion": f"score {v['lex_weight']}"}
    return f"{row['knob']}={value.get(row['knob'], '?')}" + (f" ({v['mode']})" if v["mode"] != "hybrid" else "")


def _log_ms(axis, matplotlib) -> None:  # type: ignore[no-untyped-def]
    """A log-scale millisecond axis with plain-number ticks."""
    axis.set_xscale("log")
    axis.set_xticks([1, 2, 3, 5, 10, 20, 30, 50, 100])
    axis.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def main() -> None:
    """Draw the two panels and save the PNG."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", default=str(TMP / "ragbot-quality.json"))
    ap.add_argument("--retrieval", default=str(TMP / "ragbot-retrieval.json"))
    ap.add_argument("--png", default=str(ROOT / "docs" / "quality_tradeoff.png"))
    args = ap.parse_args()
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = json.loads(Path(args.quality).read_text())
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6.2))
    for name, color in COLORS.items():
        mine = [r for r in rows if r["set"] == name and not (r["knob"] == "chunk" and r["variant"]["mode"] != "hybrid")]
        xs = [r["metrics"]["retrieval_ms"]["p95"] for r in mine]
        ys = [r["metrics"]["ndcg@10"] for r in mine]
        left.scatter(xs, ys, s=22, color=color, alpha=0.6, label=f"{name}: one knob changed")
        for r, x, y in zip(mine, xs, ys, strict=True):
            tag = label(r)
            if tag in ("chosen default", "old default", "vector", "lexical"):
                left.scatter([x], [y], s=90, color=color, edgecolors="black", zorder=3)
                # Put some labels under their points so that neighbouring labels stay apart.
                below = tag in ("vector", "old default") or (name, tag) == ("faq", "chosen default")
                left.annotate(f"{name} {tag}", (x, y), textcoords="offset points", xytext=(6, -12 if below else 5),
                              fontsize=8)
            elif r["variant"]["config"] == "simple":
                left.annotate("'simple' config", (x, y), textcoords="offset points", xytext=(-40, 6), fontsize=7)
    _log_ms(left, matplotlib)
    left.set_xlabel("retrieval latency p95 (ms, log scale; query embedding excluded; FAQ 544 / pydoc 1,186 chunks)")
    left.set_ylabel("nDCG@10")
    left.set_title("Answer-source ranking quality vs latency, per setting")
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower right")

    bench = Path(args.retrieval)
    if bench.exists():
        figures = json.loads(bench.read_text())
        for scope, marker in (("space", "o"), ("channel", "s")):
            pts = sorted((r["ef_search"], r["p95"], r["recall"]) for r in figures["rows"]
                         if r["query"] == f"vector, {scope} filter")
            right.plot([p[1] for p in pts], [p[2] for p in pts], marker=marker, label=f"vector, {scope} filter")
            for ef, x, y in pts:
                right.annotate(f"ef_search={ef}", (x, y), textcoords="offset points", xytext=(5, -10), fontsize=8)
        for r in figures["rows"]:
            if r["query"].startswith("langchain"):
                right.scatter([r["p95"]], [r["recall"]], marker="x", color="red", s=60, label="langchain-postgres")
        right.axhline(0.95, color="gray", ls="--", lw=0.8)
        right.axvline(10, color="gray", ls=":", lw=0.8)
        for r in figures["rows"]:
            if r["query"].startswith("hybrid"):
                right.axvline(r["p95"], color="green", lw=0.8, alpha=0.6)
                where = (r["p95"], 0.952 + 0.004 * ("channel" in r["query"]))
                right.annotate(f"{r['query']}: p95 {r['p95']:.1f} ms", where, rotation=90, fontsize=7, color="green",
                               textcoords="offset points", xytext=(3, 0))
        _log_ms(right, matplotlib)
        right.set_xlabel("p95 latency (ms, log scale)")
        right.set_ylabel("recall@10 vs exact search")
        right.set_title(f"HNSW on {figures['n']:,} chunks: recall vs latency")
        right.grid(alpha=0.3)
        right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()

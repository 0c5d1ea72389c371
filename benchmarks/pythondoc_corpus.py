"""A fixed subset of the Python 3.11 documentation (HTML), for answer-quality evals on real docs nobody here wrote.

The pages come from Debian's `python3.11-doc` package (/usr/share/doc/python3.11/html; PSF licence). The subset
(`PAGES`) keeps the tutorial, most of the FAQ, a few HOWTOs and language-reference chapters, the library pages
developers ask about most and many small library pages as plausible distractors: 132 pages, about 7,900 chunks,
which took 11 CPU-minutes to ingest (18 minutes wall-clock on the shared 2-core machine).

    .venv/bin/python benchmarks/pythondoc_corpus.py --out /tmp/pythondoc   # install if needed, copy the subset
    .venv/bin/ragbot ingest /tmp/pythondoc                                 # sources end with e.g. library/re.html
    .venv/bin/python benchmarks/pythondoc_corpus.py --check                # validate samples/eval/*.jsonl
    .venv/bin/python benchmarks/pythondoc_corpus.py --stats                # pages, text size, chunk counts
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

PACKAGE = "python3.11-doc"
SYSTEM_HTML = Path("/usr/share/doc/python3.11/html")
CACHE_DIR = Path.home() / ".cache" / "ragbot" / PACKAGE
ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "samples" / "eval" / "pythondoc_questions.jsonl"
CONVERSATIONS = ROOT / "samples" / "eval" / "conversations.jsonl"
HANDBOOK = ROOT / "samples" / "handbook"

_TUTORIAL = (
    "appetite interpreter introduction controlflow datastructures modules inputoutput errors classes "
    "stdlib stdlib2 venv floatingpoint whatnow interactive"
)
_FAQ = "programming library general windows installed"
_HOWTO = "sorting annotations argparse"
_REFERENCE = "simple_stmts compound_stmts executionmodel"
_LIBRARY = (
    # what developers ask about most
    "functions builtins constants stdtypes string re os os.path pathlib shutil json csv datetime zoneinfo "
    "collections itertools functools logging argparse subprocess threading unittest sqlite3 venv "
    "asyncio asyncio-task asyncio-queue asyncio-sync asyncio-runner asyncio-exceptions asyncio-platforms "
    # smaller pages: neighbours and distractors
    "glob fnmatch tempfile textwrap copy pprint random secrets uuid heapq bisect dataclasses abc operator "
    "base64 gzip tomllib getpass shlex platform atexit timeit traceback queue concurrent.futures sched fractions "
    "webbrowser shelve fileinput filecmp keyword __main__ __future__ ensurepip array gc linecache unicodedata "
    "graphlib mimetypes html html.entities site numbers getopt copyreg colorsys pwd grp py_compile compileall "
    "syslog msvcrt winsound marshal pydoc devmode sys_path_init urllib urllib.error urllib.robotparser errno "
    "stat wave contextvars modulefinder netrc crypt imghdr quopri uu tabnanny pickletools chunk"
)
PAGES: list[str] = (
    [f"tutorial/{p}.html" for p in _TUTORIAL.split()]
    + [f"faq/{p}.html" for p in _FAQ.split()]
    + [f"howto/{p}.html" for p in _HOWTO.split()]
    + [f"reference/{p}.html" for p in _REFERENCE.split()]
    + [f"library/{p}.html" for p in _LIBRARY.split()]
)


def ensure_installed() -> Path:
    """The directory holding the Python 3.11 HTML docs; installs `python3.11-doc` first if it is missing.

    As root: `apt-get install -y python3.11-doc` (files land in /usr/share/doc/python3.11/html). Otherwise:
    `apt-get download` the .deb and `dpkg -x` it into ~/.cache/ragbot/python3.11-doc (no root needed).
    """
    cached = CACHE_DIR / SYSTEM_HTML.relative_to("/")
    for html in (SYSTEM_HTML, cached):
        if (html / PAGES[0]).is_file():
            return html
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", PACKAGE], check=True)
        return SYSTEM_HTML
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, check=True)
        deb = next(Path(tmp).glob(f"{PACKAGE}_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(CACHE_DIR)], check=True)
    if not (cached / PAGES[0]).is_file():
        raise RuntimeError(f"{PACKAGE} unpacked into {CACHE_DIR} but {cached / PAGES[0]} is missing")
    return cached


def build_corpus(dest: Path) -> Path:
    """Copy every page of PAGES into `dest`, keeping relative paths (dest/library/re.html); returns `dest`.

    Files already in `dest` that are not in PAGES are left alone; point it at an empty directory.
    """
    html = ensure_installed()
    for page in PAGES:
        target = dest / page
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(html / page, target)
    return dest


def manual_pages() -> list[str]:
    """Every page of the manual that has content (490): all pages in its subfolders; the top-level index,
    search and table-of-contents pages and the _static/_sources folders are left out."""
    html = ensure_installed()
    return sorted(
        str(p.relative_to(html)) for p in html.rglob("*.html")
        if p.parent != html and not p.relative_to(html).parts[0].startswith("_")
    )


def ingest_pages(count: int = 200, max_bytes: int = 45_000) -> list[str]:
    """The ingest benchmark's pages: the first 200 content pages by path of at most max_bytes each (about 5 MB of
    HTML; the cap keeps a run to minutes, as the biggest pages are 0.7 MB), or `count` of them evenly spread.
    """
    html = ensure_installed()
    full = [p for p in manual_pages() if (html / p).stat().st_size <= max_bytes][:200]
    step = max(1, len(full) // max(1, count))
    return full[::step][:count]


@cache
def page_text(page: str) -> str:
    """The main text of one page (Sphinx's `div.body`), whitespace collapsed: navigation, sidebar tables of contents
    and footers are left out, so that a term listed only in a page's table of contents does not count.

    Inline tags are joined without a space, as Ragbot's HTML loader does (`gzip.open`, not `gzip. open`).
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((ensure_installed() / page).read_bytes(), "html.parser")
    main = soup.select_one("div.body") or soup
    for tag in main(["script", "style"]):
        tag.decompose()
    return " ".join(main.get_text().split())


def check() -> list[str]:
    """Problems in the question and conversation files (empty when all is well).

    Every gold page must be in PAGES and every must_mention string must occur (ignoring case) in one of its gold
    pages; unanswerable lines have no gold; splits are 'tune' or 'test'; handbook gold names a handbook file.
    """
    problems: list[str] = []
    for n, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        where = f"{QUESTIONS.name}:{n}"
        if row.get("split") not in ("tune", "test"):
            problems.append(f"{where}: split {row.get('split')!r}")
        if row["unanswerable"]:
            if row["gold"] or row["must_mention"]:
                problems.append(f"{where}: unanswerable line with gold or must_mention")
            continue
        if not row["gold"] or not 1 <= len(row["must_mention"]) <= 2:
            problems.append(f"{where}: needs gold and 1-2 must_mention terms")
        missing = [g for g in row["gold"] if g not in PAGES]
        if missing:
            problems.append(f"{where}: gold not in PAGES: {missing}")
            continue
        for term in row["must_mention"]:
            if not any(term.lower() in page_text(g).lower() for g in row["gold"]):
                problems.append(f"{where}: {term!r} not found in {row['gold']}")
    handbook = {p.name for p in HANDBOOK.iterdir()}
    for n, line in enumerate(CONVERSATIONS.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        where = f"{CONVERSATIONS.name}:{n}"
        if row.get("split") not in ("tune", "test") or not 2 <= len(row["turns"]) <= 4 or not row["gold"]:
            problems.append(f"{where}: needs split, 2-4 turns and gold")
        known = PAGES if row["corpus"] == "pythondoc" else handbook if row["corpus"] == "handbook" else ()
        problems += [f"{where}: gold {g!r} not in the {row['corpus']} corpus" for g in row["gold"] if g not in known]
    return problems


def stats() -> dict:
    """Pages, characters of main text, a text-size chunk estimate (/ 400) and, when Ragbot is importable, the exact
    number of chunks its HTML loader and default splitter (400/40) make of the subset.

    Sphinx pages cut into many short sections, so the exact count is higher than the estimate.
    """
    chars = sum(len(page_text(p)) for p in PAGES)
    out: dict = {"pages": len(PAGES), "text_chars": chars, "chunks_estimate": round(chars / 400)}
    try:
        from ragbot.ingestion.loaders import load_bytes
        from ragbot.ingestion.splitter import split_sections
    except ImportError:
        return out
    html = ensure_installed()
    out["chunks_ragbot"] = sum(
        len(split_sections(load_bytes((html / p).read_bytes(), p, max_bytes=10**9).sections)) for p in PAGES
    )
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: --out DIR builds the corpus, --check validates the eval files, --stats sizes the subset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="copy the page subset into this directory")
    parser.add_argument("--check", action="store_true", help="validate the question and conversation files")
    parser.add_argument("--stats", action="store_true", help="print page count, text size and chunk counts")
    args = parser.parse_args(argv)
    if not (args.out or args.check or args.stats):
        parser.error("give --out DIR, --check and/or --stats")
    if args.out:
        print(f"{len(PAGES)} pages copied into {build_corpus(args.out)}")
    if args.stats:
        print(json.dumps(stats()))
    if args.check:
        problems = check()
        print("\n".join(problems) or "ok: every gold page is in PAGES and every must_mention term is on its page")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What `ragbot ingest` will read: named items as given, directories walked with unsupported files counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ragbot.ingestion.loaders import SUPPORTED_SUFFIXES, iter_files, not_regular


@dataclass
class Plan:
    """The items to ingest, what a walk left out and why, and the problems that fail the run."""

    items: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # suffix -> count, files a walk passed over
    problems: list[str] = field(default_factory=list)  # one line each; every one makes the run exit 1

    def skipped_line(self) -> str:
        """"skipped 4 files: .svg (3), .css (1)", or "" when a walk skipped nothing."""
        total = sum(self.skipped.values())
        if not total:
            return ""
        by_count = sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        kinds = ", ".join(f"{suffix} ({n})" for suffix, n in by_count)
        return f"skipped {total} file{'s' if total != 1 else ''} Ragbot cannot read: {kinds}"


def plan(items: list[str]) -> Plan:
    """Expand directories; a file named explicitly is kept whatever its type, so that its failure is reported."""
    out = Plan()
    for item in items:
        path = Path(item)
        if item.startswith(("http://", "https://")) or not path.exists():
            out.items.append(item)  # a URL, or a missing file reported on its own line while the others go on
        elif path.is_dir():
            _walk(path, out)
        elif path.is_file():
            out.items.append(item)
        else:
            out.problems.append(f"{item}: skipped, {not_regular(path)}; name a file or a directory instead.")
    return out


def _walk(directory: Path, out: Plan) -> None:
    skipped: Counter[str] = Counter()

    def note(path: Path, reason: str) -> None:
        skipped[reason.removeprefix("it is ").split(",")[0]] += 1  # "a FIFO"

    found = 0
    for path in iter_files(directory, on_skip=note):
        suffix = path.suffix.lower()
        if suffix in SUPPORTED_SUFFIXES:
            out.items.append(str(path))
            found += 1
        else:
            skipped[suffix or "no extension"] += 1
    out.skipped.update(skipped)
    if not found:
        what = "is empty" if not skipped else "holds no file Ragbot can read"
        out.problems.append(f"{directory}: the directory {what}; Ragbot reads {', '.join(SUPPORTED_SUFFIXES)}.")

"""Fuzzing load_bytes: whatever the bytes, only IngestError subclasses may escape."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragbot.domain import LoadedDocument
from ragbot.errors import IngestError
from ragbot.ingestion.loaders import SUPPORTED_SUFFIXES, load_bytes
from tests.ingestion.ingestion_factories import MAX, sample

FUZZ = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Prefixes that steer random bytes into each parser rather than the sniffer's "binary" exit.
PREFIXES = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"<html><body>", b"# Title\n", b"a,b\n", b"\xff\xfe"]
SEEDS = ["security-policy.pdf", "travel-policy.docx", "expenses.html", "leave.md", "offices.csv"]


def check(data: bytes, name: str) -> None:
    try:
        document = load_bytes(data, name, max_bytes=MAX)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(document, LoadedDocument)
    assert document.title and document.sections
    assert all(section.text.strip() and "\x00" not in section.text for section in document.sections)


@FUZZ
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=4096),
    suffix=st.sampled_from(SUPPORTED_SUFFIXES + (".bin", "")),
)
def test_random_bytes(prefix: bytes, body: bytes, suffix: str) -> None:
    check(prefix + body, f"fuzz{suffix}")


EDIT = st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.binary(min_size=1, max_size=8))


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(EDIT, min_size=1, max_size=6),
    cut=st.floats(min_value=0.05, max_value=1.0),
    suffix=st.sampled_from(SUPPORTED_SUFFIXES),
)
def test_mutated_sample_files(seed: str, edits: list[tuple[float, bytes]], cut: float, suffix: str) -> None:
    """Real files with a few bytes overwritten and maybe cut short reach deep into each parser."""
    data = bytearray(sample(seed))
    for where, patch in edits:
        at = int(where * len(data))
        data[at : at + len(patch)] = patch
    check(bytes(data[: max(1, int(cut * len(data)))]), f"mutant{suffix}")

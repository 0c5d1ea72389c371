"""Structure-aware fuzzing of each loader: only IngestError subclasses escape, and no input hangs a loader."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragbot.domain import LoadedDocument
from ragbot.errors import IngestError
from ragbot.ingestion.loaders import load_bytes
from tests.security import hostile as h

# Bounded for the suite; RAGBOT_FUZZ_EXAMPLES=5000 runs a deeper search by hand.
FUZZ = settings(max_examples=int(os.environ.get("RAGBOT_FUZZ_EXAMPLES", "40")), deadline=None, database=None,
                print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
EXAMPLE_SECONDS = 15.0  # far above any real example (< 0.5 s); only a hang gets near it


@pytest.fixture(scope="module")
def guard() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fuzz") as pool:
        yield pool


def check(pool: ThreadPoolExecutor, data: bytes, name: str) -> None:
    """Load in a worker thread so a hang fails the test instead of stalling the suite."""
    future = pool.submit(load_bytes, data, name, max_bytes=10 * h.MB)
    try:
        document = future.result(timeout=EXAMPLE_SECONDS)
    except FutureTimeout:
        pytest.fail(f"{name}: the loader ran past {EXAMPLE_SECONDS} s on a {len(data)}-byte input (a hang)")
    except IngestError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    assert isinstance(document, LoadedDocument) and document.title
    assert all(s.text.strip() and "\x00" not in s.text for s in document.sections)


def mutate(data: bytes, edits: list[tuple[float, bytes]], cut: float) -> bytes:
    """Overwrite a few spots and maybe cut the end off."""
    out = bytearray(data)
    for where, patch in edits:
        at = int(where * len(out))
        out[at : at + len(patch)] = patch
    return bytes(out[: max(1, int(cut * len(out)))])


EDITS = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=6)), max_size=5)
CUT = st.sampled_from([1.0, 1.0, 0.9, 0.5, 0.1])
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def soup(tokens: list[str]) -> st.SearchStrategy[str]:
    """Text built from format-specific tokens mixed with arbitrary characters."""
    return st.lists(st.one_of(st.sampled_from(tokens), st.text(max_size=12)), max_size=120).map("".join)


MARKDOWN = ["# ", "## ", "\n", "\n\n", "```", "~~~", "---\n", "===\n", "<!--", "-->", "- ", "1. ", "> ", "|", "\t",
            "\r\n", "\x00", "\ufeff", "#" * 7, "[a](b)", "![x](y)", "   ", "word "]
HTML = ["<div>", "</div>", "<p>", "<h1>", "</h1>", "<h3>", "<script>", "</script>", "<style>", "<!--", "-->",
        "<pre>", "</pre>", "<table><tr><td>", "</td><td>", "<br>", "<![CDATA[", "]]>", '<p style="display:none">',
        "<title>", "</title>", "&amp;", "&#0;", "&#x110000;", "<svg>", "<template>", "<", ">", "<?php ?>",
        "<!DOCTYPE html>", "<input type=hidden>", 'aria-hidden="true"', "<div " * 3]
CSV = [",", ";", "\t", "|", '"', '""', "\n", "\r\n", "\r", "\x00", "a", "b c", "\ufeff", "'", "x" * 50]
PDF_OPS = ["BT", "ET", "/F1 12 Tf", "72 712 Td", "(Hello) Tj", "[(A) -20 (B)] TJ", "T*", "q", "Q", "1 0 0 1 0 0 cm",
           "(unclosed", ")", "<4142> Tj", "/X1 Do", "0 0 m 10 10 l S", "'", '"', "BI /W 1 /H 1 ID \x00 EI",
           "99999999999", "-", "/", "[", "]", "<<", ">>", "%comment\n", "\\"]
DOCX_XML = [
    "<w:p>", "</w:p>", "<w:r>", "</w:r>", "<w:t>", "</w:t>", "text", "<w:tbl><w:tr><w:tc>", "</w:tc></w:tr></w:tbl>",
    '<w:rPr><w:sz w:val="0"/></w:rPr>', '<w:rPr><w:color w:val="FFFFFF"/></w:rPr>', '<w:pPr><w:pStyle w:val="x"/>',
    "</w:pPr>", "<w:hyperlink>", "</w:hyperlink>", '<w:color w:val="zz"/>', '<w:sz w:val="-5"/>', "&amp;", "<", "&",
]


@FUZZ
@given(body=soup(MARKDOWN), encoding=ENCODING, suffix=st.sampled_from([".md", ".markdown", ".txt"]))
def test_fuzz_text_and_markdown(guard: ThreadPoolExecutor, body: str, encoding: str, suffix: str) -> None:
    check(guard, encoded(body, encoding), f"fuzz{suffix}")


@FUZZ
@given(body=soup(HTML), depth=st.sampled_from([0, 0, 50, 5000]), encoding=ENCODING)
def test_fuzz_html(guard: ThreadPoolExecutor, body: str, depth: int, encoding: str) -> None:
    check(guard, encoded("<div>" * depth + body + "</div>" * (depth // 2), encoding), "fuzz.html")


@FUZZ
@given(body=soup(CSV), wide=st.sampled_from([0, 0, 3000]), encoding=ENCODING)
def test_fuzz_csv(guard: ThreadPoolExecutor, body: str, wide: int, encoding: str) -> None:
    header = ",".join(f"c{i}" for i in range(wide)) + "\n" if wide else ""
    check(guard, encoded(header + body, encoding), "fuzz.csv")


@FUZZ
@given(ops=st.lists(st.sampled_from(PDF_OPS), max_size=60), compress=st.booleans(), edits=EDITS, cut=CUT)
def test_fuzz_pdf(guard: ThreadPoolExecutor, ops: list[str], compress: bool, edits, cut: float) -> None:  # type: ignore[no-untyped-def]
    stream = " ".join(ops).encode("latin-1")
    data = h.pdf_with_stream(zlib.compress(stream), "/FlateDecode") if compress else h.pdf_with_stream(stream, "[]")
    check(guard, mutate(data, edits, cut), "fuzz.pdf")


@FUZZ
@given(xml=soup(DOCX_XML), edits=EDITS, cut=CUT, raw=st.booleans())
def test_fuzz_docx(guard: ThreadPoolExecutor, xml: str, edits, cut: float, raw: bool) -> None:  # type: ignore[no-untyped-def]
    original = h.document_xml()
    body = original.replace(b"<w:body>", b"<w:body>" + xml.encode(), 1)
    data = h.rezip(h.plain_docx(), {"word/document.xml": mutate(body, edits, cut) if raw else body})
    check(guard, data if raw else mutate(data, edits, cut), "fuzz.docx")


XLSX_XML = [
    '<row r="1">', '<row r="1048576">', '<row r="-3">', "</row>", '<c r="A1" t="inlineStr"><is><t>', "</t></is></c>",
    '<c r="XFD1"><v>', '<c r="B2" t="s"><v>99999</v></c>', '<c r="C3"><f>SUM(A1:A9)</f><v>', "</v></c>",
    '<c t="b"><v>1</v></c>', '<c t="d"><v>not a date</v></c>', '<c t="e"><v>#REF!</v></c>', "text", "&amp;", "<", "&",
]
PPTX_XML = [
    "<p:sp><p:txBody><a:bodyPr/><a:p><a:r><a:t>", "</a:t></a:r></a:p></p:txBody></p:sp>", "<p:grpSp>", "</p:grpSp>",
    "<a:tbl><a:tr><a:tc>", "</a:tc></a:tr></a:tbl>", "<p:graphicFrame>", "</p:graphicFrame>", "text", "&amp;", "<",
    "&", '<p:nvSpPr><p:cNvPr id="999999999999" name="x"/></p:nvSpPr>',
]


@FUZZ
@given(xml=soup(XLSX_XML), edits=EDITS, cut=CUT, raw=st.booleans())
def test_fuzz_xlsx(guard: ThreadPoolExecutor, xml: str, edits, cut: float, raw: bool) -> None:  # type: ignore[no-untyped-def]
    from tests.security import hostile_office as ho

    _fuzz_member(guard, ho.plain_xlsx(), "xl/worksheets/sheet1.xml", ho.sheet_xml(), b"<sheetData>", xml, edits, cut,
                 raw, "fuzz.xlsx")


@FUZZ
@given(xml=soup(PPTX_XML), edits=EDITS, cut=CUT, raw=st.booleans())
def test_fuzz_pptx(guard: ThreadPoolExecutor, xml: str, edits, cut: float, raw: bool) -> None:  # type: ignore[no-untyped-def]
    from tests.security import hostile_office as ho

    _fuzz_member(guard, ho.plain_pptx(), "ppt/slides/slide1.xml", ho.slide_xml(), b"<p:spTree>", xml, edits, cut,
                 raw, "fuzz.pptx")


def _fuzz_member(guard: ThreadPoolExecutor, plain: bytes, member: str, original: bytes, anchor: bytes, xml: str,
                 edits, cut: float, raw: bool, name: str) -> None:  # type: ignore[no-untyped-def]
    """Insert fuzzed XML after anchor in one member of a valid file, then mutate that member (raw) or the zip."""
    body = original.replace(anchor, anchor + xml.encode(), 1)
    data = h.rezip(plain, {member: mutate(body, edits, cut) if raw else body})
    check(guard, data if raw else mutate(data, edits, cut), name)

"""Hostile XLSX and PPTX files for the hostile-file tests: bombs, entity declarations, sprawling sheets."""

from __future__ import annotations

import io
import random
import zipfile
from functools import cache

import openpyxl
import pptx

from tests.security.hostile import BILLION_LAUGHS, MB, XXE, rezip

_SHEET = "xl/worksheets/sheet1.xml"


@cache
def plain_xlsx() -> bytes:
    """A small real workbook: a header and two rows."""
    book = openpyxl.Workbook()
    book.active.append(["Expense", "Limit"])
    book.active.append(["Meals", "40 euros per day"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@cache
def plain_pptx() -> bytes:
    """A small real presentation: one slide with a title and a line."""
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Travel"
    slide.placeholders[1].text = "Book trains two weeks ahead."
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _member(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def _with_prolog(data: bytes, member: str, prolog: bytes) -> bytes:
    xml = _member(data, member)
    end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return rezip(data, {member: xml[:end] + prolog + xml[end:]})


def xlsx_laughs() -> bytes:
    """Billion laughs in the first worksheet."""
    return _with_prolog(plain_xlsx(), _SHEET, BILLION_LAUGHS)


def pptx_xxe() -> bytes:
    """An external entity for /etc/passwd in the first slide."""
    return _with_prolog(plain_pptx(), "ppt/slides/slide1.xml", XXE)


@cache
def xlsx_ratio_bomb() -> bytes:
    """A worksheet padded to 60 MB of whitespace: over 100x its packed size."""
    xml = _member(plain_xlsx(), _SHEET)
    return rezip(plain_xlsx(), {_SHEET: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (60 * MB), 1)})


@cache
def pptx_ratio_bomb() -> bytes:
    """A slide padded to 60 MB of whitespace."""
    member = "ppt/slides/slide1.xml"
    xml = _member(plain_pptx(), member)
    return rezip(plain_pptx(), {member: xml.replace(b"<p:spTree>", b"<p:spTree>" + b" " * (60 * MB), 1)})


@cache
def xlsx_sprawl() -> bytes:
    """Declared A1:XFD1048576, with a cell in the last row and the last column: padding it all would never end."""
    xml = _member(plain_xlsx(), _SHEET)
    xml = xml.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far away</t></is></c></row>'
    return rezip(plain_xlsx(), {_SHEET: xml.replace(b"</sheetData>", far + b"</sheetData>")})


@cache
def xlsx_long(rows: int = 150_000) -> bytes:
    """A sheet of random words (so it packs like real data, not like a bomb) past the 100,000-cell cap."""
    rng = random.Random(7)
    words = [f"{rng.getrandbits(40):x}" for _ in range(4096)]
    body = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s %s %s %s</t></is></c></row>'
        % (r, r, *(rng.choice(words).encode() for _ in range(4))) for r in range(2, rows + 2)
    )
    xml = _member(plain_xlsx(), _SHEET).replace(b"</sheetData>", body + b"</sheetData>")
    return rezip(plain_xlsx(), {_SHEET: xml})


def sheet_xml() -> bytes:
    """The first worksheet's XML of the plain workbook."""
    return _member(plain_xlsx(), _SHEET)


def slide_xml() -> bytes:
    """The first slide's XML of the plain presentation."""
    return _member(plain_pptx(), "ppt/slides/slide1.xml")

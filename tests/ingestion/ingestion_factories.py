"""Builders of good and bad input files for the ingestion tests."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import docx
import pypdf
from docx.shared import Pt, RGBColor

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "handbook"
MAX = 50 * 1024 * 1024


def sample(name: str) -> bytes:
    """Bytes of a file in samples/handbook."""
    return (SAMPLES / name).read_bytes()


def docx_bytes(build) -> bytes:  # type: ignore[no-untyped-def]
    """A .docx made by calling build(document) on a fresh python-docx document."""
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with_hidden_text() -> bytes:
    """Visible text plus runs that are hidden, white or 1 pt."""

    def build(document) -> None:  # type: ignore[no-untyped-def]
        document.add_heading("Visible heading", level=1)
        paragraph = document.add_paragraph("Visible start. ")
        paragraph.add_run("HIDDEN-VANISH").font.hidden = True
        paragraph.add_run("HIDDEN-WHITE").font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        paragraph.add_run("HIDDEN-TINY").font.size = Pt(1)
        paragraph.add_run("Visible end.")
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "Cell one"
        table.cell(0, 1).text = "Cell two"

    return docx_bytes(build)


def rewrite_zip(data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with some members replaced and others added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for member, content in (add or {}).items():
            target.writestr(member, content)
    return out.getvalue()


def pdf_from_writer(writer: pypdf.PdfWriter) -> bytes:
    """Serialise a pypdf writer."""
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(user_password: str, owner_password: str) -> bytes:
    """The sample security policy, encrypted with RC4 (works without a crypto backend)."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(sample("security-policy.pdf"))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    return pdf_from_writer(writer)


def blank_pdf(pages: int = 2) -> bytes:
    """A PDF of empty pages, like a scan whose images carry no text layer."""
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return pdf_from_writer(writer)


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from object bodies numbered 1..n (1 must be the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def flate_bomb_pdf(expanded: int = 60_000_000) -> bytes:
    """One page whose content stream inflates from a few dozen KB to `expanded` bytes."""
    stream = zlib.compress(b"BT /F1 10 Tf 72 700 Td (boom) Tj ET\n" + b" " * expanded, 9)
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ])

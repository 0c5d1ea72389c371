"""Builders of hostile files: decompression bombs, entity attacks, oversized fields and lying extensions."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import cache

import docx

MB = 1024 * 1024


def deflate_zeros(total: int, piece: int = MB) -> bytes:
    """A zlib stream of `total` zero bytes, built without holding them all."""
    squeeze = zlib.compressobj(9)
    parts = [squeeze.compress(bytes(piece)) for _ in range(total // piece)]
    return b"".join([*parts, squeeze.flush()])


def pdf_with_stream(stream: bytes, filters: str) -> bytes:
    """A one-page PDF whose page content is `stream` with the given /Filter."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(stream), filters.encode()) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


@cache
def nested_flate_pdf_bomb() -> bytes:
    """About 1 KB of PDF whose page content inflates twice, to 120 MB of zeros."""
    return pdf_with_stream(zlib.compress(deflate_zeros(120 * MB), 9), "[/FlateDecode /FlateDecode]")


@cache
def text_flood_pdf() -> bytes:
    """About 30 KB of PDF whose page holds 9 MB of text operators (pypdf needs minutes to parse them)."""
    ops = b"BT /F1 12 Tf 72 712 Td " + b"(All work and no play makes a dull bot) Tj T* " * 200_000 + b"ET"
    return pdf_with_stream(zlib.compress(ops, 9), "/FlateDecode")


def text_pdf(line: str = "Meals are reimbursed up to 40 euros per day.") -> bytes:
    """A small, normal one-page PDF with a line of text."""
    ops = b"BT /F1 12 Tf 72 712 Td (%s) Tj ET" % line.encode("latin-1")
    return pdf_with_stream(zlib.compress(ops), "/FlateDecode")


@cache
def plain_docx() -> bytes:
    """A normal Word document."""
    document = docx.Document()
    document.add_heading("Travel policy", level=1)
    document.add_paragraph("Book trains for trips under four hours.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with members replaced or added."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def document_xml() -> bytes:
    return zipfile.ZipFile(io.BytesIO(plain_docx())).read("word/document.xml")


def docx_with_prolog(prolog: bytes, body_marker: bytes = b"") -> bytes:
    """The plain document with a DTD after its XML declaration (and maybe an entity reference in the text)."""
    xml = document_xml()
    end = xml.index(b"?>") + 2
    xml = xml[:end] + prolog + xml[end:]
    if body_marker:
        xml = xml.replace(b"Book trains", body_marker + b" Book trains", 1)
    return rezip(plain_docx(), {"word/document.xml": xml})


BILLION_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)
XXE = b'<!DOCTYPE doc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@cache
def docx_ratio_bomb() -> bytes:
    """A docx whose document.xml is padded to 60 MB of whitespace: over 100x its packed size."""
    xml = document_xml()
    padded = xml.replace(b"<w:body>", b"<w:body>" + b" " * (60 * MB), 1)
    return rezip(plain_docx(), {"word/document.xml": padded})


@cache
def docx_lying_sizes() -> bytes:
    """A docx whose directory claims document.xml is 4 KB while its stream inflates to 50 MB."""
    xml = document_xml()
    huge = xml.replace(b"<w:body>", b"<w:body>" + b" " * (50 * MB), 1)
    data = bytearray(rezip(plain_docx(), {"word/document.xml": huge}))
    name = b"word/document.xml"
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = data.find(signature)
        while at != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                struct.pack_into("<I", data, at + offset, 4096)
            at = data.find(signature, at + 4)
    return bytes(data)


def docx_xinclude() -> bytes:
    """A docx whose text asks for an XInclude of /etc/passwd (no DTD needed)."""
    xml = document_xml().replace(
        b"<w:body>",
        b'<w:body><w:p><w:r><w:t><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"'
        b' parse="text"/></w:t></w:r></w:p>',
        1,
    )
    return rezip(plain_docx(), {"word/document.xml": xml})


def csv_with_huge_field(size: int = 10 * MB) -> bytes:
    return b"name,notes\nalice," + b"x" * size + b"\n"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
ELF = b"\x7fELF\x02\x01\x01" + bytes(200)
GZIP = b"\x1f\x8b\x08\x00" + bytes(100)


def wide_csv(columns: int = 100_000, rows: int = 3) -> bytes:
    """About 1.8 MB: a header of 100,000 labels and three rows of short values (once 11,476 chunks to embed)."""
    header = ",".join(f"c{i}" for i in range(columns))
    return (header + "\n" + ("\n".join(",".join("v" for _ in range(columns)) for _ in range(rows)))).encode() + b"\n"


def one_line_csv(size: int = 37 * MB) -> bytes:
    """One 37 MB line of short cells: a header and nothing else."""
    return b"abcdefgh," * (size // 9) + b"z\n"


def long_csv(size: int = 37 * MB) -> bytes:
    """37 MB of short rows: past the extracted-text cap once each row is labelled."""
    row = b"person-0000000,team-00000000,office-000000\n"
    return b"name,team,office\n" + row * (size // len(row))

"""Bad inputs fail with the right IngestError and one readable line naming the file."""

from __future__ import annotations

import io
import zipfile

import pytest

from ragbot.errors import CorruptFile, EmptyDocument, FileTooLarge, IngestError, UnsupportedFile
from ragbot.ingestion.loaders import load_bytes, ziptools
from tests.ingestion.ingestion_factories import MAX, blank_pdf, encrypted_pdf, flate_bomb_pdf, rewrite_zip, sample


def reject(data: bytes, name: str, error: type[IngestError], *, max_bytes: int = MAX) -> str:
    """Load and expect error; return its message after checking it is one line naming the file."""
    with pytest.raises(error) as caught:
        load_bytes(data, name, max_bytes=max_bytes)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{name}: ")
    return message


def test_over_cap_is_checked_first() -> None:
    message = reject(b"x" * 2048, "huge.exe", FileTooLarge, max_bytes=1024)
    assert "limit" in message


@pytest.mark.parametrize("name", ["photo.png", "deck.key", "Makefile", "archive.zip"])
def test_unsupported_type_lists_supported_ones(name: str) -> None:
    message = reject(b"some content", name, UnsupportedFile)
    assert ".pdf" in message and ".docx" in message and ".md" in message


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "blank.md"])
@pytest.mark.parametrize("data", [b"", b"  \n\t \r\n"])
def test_empty_file(name: str, data: bytes) -> None:
    assert "empty" in reject(data, name, EmptyDocument)


def test_markdown_with_only_a_comment_is_empty() -> None:
    reject(b"<!-- nothing to see -->\n", "notes.md", EmptyDocument)


def test_corrupt_pdf() -> None:
    assert "PDF" in reject(b"%PDF-1.7\n" + bytes(range(256)) * 20, "broken.pdf", CorruptFile)


def test_truncated_pdf_header_only() -> None:
    reject(b"%PDF-1.4\n%%EOF\n", "stub.pdf", CorruptFile)


def test_encrypted_pdf_says_so() -> None:
    message = reject(encrypted_pdf("secret", "owner"), "locked.pdf", CorruptFile)
    assert "encrypted" in message and "unencrypted copy" in message


def test_pdf_with_only_an_owner_password_opens() -> None:
    document = load_bytes(encrypted_pdf("", "owner"), "restricted.pdf", max_bytes=MAX)
    assert "14 characters" in document.sections[0].text


def test_pdf_flate_bomb_is_stopped() -> None:
    assert "could be read" in reject(flate_bomb_pdf(), "bomb.pdf", CorruptFile)


def test_scanned_pdf_without_text() -> None:
    assert "scanned" in reject(blank_pdf(), "scan.pdf", EmptyDocument)


def test_docx_zip_bomb() -> None:
    bomb = rewrite_zip(sample("travel-policy.docx"), {}, {"word/media/filler.bin": bytes(60 * 1024 * 1024)})
    assert "zip bomb" in reject(bomb, "bomb.docx", CorruptFile)


def test_docx_over_absolute_cap(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ziptools, "MAX_UNCOMPRESSED", 10_000)
    assert "zip bomb" in reject(sample("travel-policy.docx"), "big.docx", CorruptFile)


def test_docx_with_too_many_parts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ziptools, "MAX_MEMBERS", 3)
    assert "too many" in reject(sample("travel-policy.docx"), "parts.docx", CorruptFile)


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
        b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_docx_with_doctype_or_entity(prolog: bytes) -> None:
    original = sample("travel-policy.docx")
    xml = zipfile.ZipFile(io.BytesIO(original)).read("word/document.xml")
    declaration_end = xml.index(b"?>") + 2
    poisoned = rewrite_zip(original, {"word/document.xml": xml[:declaration_end] + prolog + xml[declaration_end:]})
    assert "ENTITY" in reject(poisoned, "evil.docx", CorruptFile)


def test_docx_utf16_entity_is_caught() -> None:
    original = sample("travel-policy.docx")
    part = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'.encode("utf-16")
    poisoned = rewrite_zip(original, {}, {"customXml/item9.xml": part})
    reject(poisoned, "evil16.docx", CorruptFile)


def test_svg_doctype_in_media_is_allowed() -> None:
    svg = b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg/>'
    data = rewrite_zip(sample("travel-policy.docx"), {}, {"word/media/image1.svg": svg})
    assert load_bytes(data, "with-image.docx", max_bytes=MAX).sections


def test_docx_missing_document_part() -> None:
    data = rewrite_zip(sample("travel-policy.docx"), {"word/document.xml": b"<not-closed"})
    reject(data, "mangled.docx", CorruptFile)


def test_truncated_docx() -> None:
    data = sample("travel-policy.docx")
    reject(data[: len(data) // 2], "cut.docx", CorruptFile)


def test_csv_with_a_10_mb_field() -> None:
    data = b"name,notes\nalice," + b"x" * (10 * 1024 * 1024) + b"\n"
    message = reject(data, "huge-field.csv", CorruptFile)
    assert "line 2" in message and "1 MB" in message


def test_csv_with_unclosed_quote_over_the_limit() -> None:
    data = b'name,notes\nbob,"starts a quote\n' + b"more text,\n" * 200_000
    assert "unclosed quote" in reject(data, "quote.csv", CorruptFile)


def test_csv_header_only_is_empty() -> None:
    reject(b"name,team\n", "header.csv", EmptyDocument)


def test_csv_expansion_is_capped(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ragbot.ingestion.loaders import common

    monkeypatch.setattr(common, "MAX_TEXT_CHARS", 1000)
    rows = b"".join(b"%d,%d\n" % (i, i) for i in range(1000))
    message = reject(b"a very long column name,another long column name\n" + rows, "wide.csv", FileTooLarge)
    assert "split it" in message


def test_pdf_expansion_is_capped(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ragbot.ingestion.loaders import common

    monkeypatch.setattr(common, "MAX_TEXT_CHARS", 500)
    reject(sample("security-policy.pdf"), "long.pdf", FileTooLarge)


# A file whose extension lies is read by its content or refused clearly.


def test_pdf_named_txt_is_read_as_pdf() -> None:
    document = load_bytes(sample("security-policy.pdf"), "policy.txt", max_bytes=MAX)
    assert document.sections[0].location == "page 1"


def test_pdf_with_junk_before_the_header() -> None:
    data = b"junk\n" + sample("security-policy.pdf")
    assert load_bytes(data, "prefixed.pdf", max_bytes=MAX).sections[0].location == "page 1"


def test_docx_named_md_is_read_as_docx() -> None:
    document = load_bytes(sample("travel-policy.docx"), "travel.md", max_bytes=MAX)
    assert document.title == "Travel policy"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "Windows program"),
        (b"PK\x03\x04" + bytes(100), "ZIP archive"),
        (b"Just some notes, not a PDF at all.\n", "text"),
    ],
)
def test_non_pdf_named_pdf(data: bytes, what: str) -> None:
    message = reject(data, "report.pdf", CorruptFile)
    assert what in message and "not a valid PDF" in message


def test_text_named_docx() -> None:
    reject(b"hello there\n", "letter.docx", CorruptFile)


def test_old_word_doc_named_docx() -> None:
    message = reject(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "old.docx", UnsupportedFile)
    assert ".doc" in message and "save it as .docx" in message


@pytest.mark.parametrize("name", ["image.txt", "image.md", "image.html", "image.csv"])
def test_binary_named_as_text(name: str) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    assert "PNG image" in reject(png, name, UnsupportedFile)


def test_binary_without_nul_bytes_is_refused() -> None:
    junk = bytes(b for b in range(1, 32) if b not in (9, 10, 12, 13, 27)) * 50
    reject(junk, "junk.txt", UnsupportedFile)

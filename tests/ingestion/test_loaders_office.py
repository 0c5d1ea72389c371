"""XLSX and PPTX: real files built here are read sheet by sheet and slide by slide; hostile ones fail in one line."""

from __future__ import annotations

import io
import zipfile

import pytest

from ragbot.errors import CorruptFile, EmptyDocument, FileTooLarge, IngestError, UnsupportedFile
from ragbot.ingestion.loaders import common, load_bytes, spreadsheet
from tests.ingestion.ingestion_factories import MAX, rewrite_zip
from tests.ingestion.office_factories import onboarding_deck, pptx_bytes, price_list, xlsx_bytes

BILLION_LAUGHS = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
XXE = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def reject(data: bytes, name: str, error: type[IngestError]) -> str:
    """Load and expect error; its message is one line that names the file."""
    with pytest.raises(error) as caught:
        load_bytes(data, name, max_bytes=MAX)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{name}: ")
    return message


def with_prolog(data: bytes, member: str, prolog: bytes) -> bytes:
    xml = zipfile.ZipFile(io.BytesIO(data)).read(member)
    end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return rewrite_zip(data, {member: xml[:end] + prolog + xml[end:]})


def test_xlsx_rows_are_read_with_their_header_sheet_by_sheet() -> None:
    document = load_bytes(price_list(), "canteen.xlsx", max_bytes=MAX)
    assert document.title == "Canteen prices 2026"
    by_location = {s.location: s.text for s in document.sections}
    assert by_location["Prices, rows 2–5"].splitlines() == [
        "Item: Lentil soup; Price (EUR): 3.5; Vegan: yes",
        "Item: Espresso; Price (EUR): 1; Vegan: no",
        "Item: Tiramisu; Price (EUR): 4.25; Vegan: no",
    ]
    assert by_location["Opening hours, row 2"] == "Day: Monday; Opens: 08:00; Closes: 16:30"


def test_xlsx_formulas_are_never_evaluated_and_hidden_sheets_stay_out() -> None:
    text = "\n".join(s.text for s in load_bytes(price_list(), "canteen.xlsx", max_bytes=MAX).sections)
    assert "WEBSERVICE" not in text and "steal" not in text  # no formula text, no value: it was never computed
    assert "hidden-salary-figure" not in text and "Salaries" not in text


def test_xlsx_formula_shows_its_last_saved_value() -> None:
    # Excel saves each formula's result beside it; that cached value is what a reader of the sheet sees.
    data = xlsx_bytes(lambda book: (book.active.append(["Total"]), book.active.append([1])))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    cached = sheet.replace(b'<c r="A2" t="n"><v>1</v></c>', b'<c r="A2"><f>SUM(9,33)</f><v>42</v></c>')
    assert cached != sheet
    document = load_bytes(rewrite_zip(data, {"xl/worksheets/sheet1.xml": cached}), "total.xlsx", max_bytes=MAX)
    assert document.sections[0].text == "Total: 42"


def test_xlsx_with_a_huge_declared_size_reads_only_what_is_there() -> None:
    data = xlsx_bytes(lambda book: (book.active.append(["Name", "Team"]), book.active.append(["Ada", "Core"])))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    inflated = sheet.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert inflated != sheet
    document = load_bytes(rewrite_zip(data, {"xl/worksheets/sheet1.xml": inflated}), "big.xlsx", max_bytes=MAX)
    assert [s.text for s in document.sections] == ["Name: Ada; Team: Core"]


def test_xlsx_one_row_sheet_keeps_its_words() -> None:
    data = xlsx_bytes(lambda book: book.active.append(["Ada Lovelace", "Grace Hopper"]))
    assert "Grace Hopper" in load_bytes(data, "names.xlsx", max_bytes=MAX).sections[0].text


def test_empty_xlsx_is_empty() -> None:
    assert "no readable text" in reject(xlsx_bytes(lambda book: None), "blank.xlsx", EmptyDocument)


def test_xlsx_too_wide() -> None:
    data = xlsx_bytes(lambda book: book.active.append([f"c{i}" for i in range(spreadsheet.MAX_COLUMNS + 5)]))
    assert f"more than {spreadsheet.MAX_COLUMNS} columns" in reject(data, "wide.xlsx", FileTooLarge)


def test_xlsx_giant_cell() -> None:
    data = xlsx_bytes(lambda book: (book.active.append(["Note"]), book.active.append(["x" * 30_000])))
    assert "row 2" in reject(data, "cell.xlsx", FileTooLarge)


def test_xlsx_expansion_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_TEXT_CHARS", 1000)
    data = xlsx_bytes(lambda book: [book.active.append([f"name {i}", i]) for i in range(500)])
    assert "split it" in reject(data, "long.xlsx", FileTooLarge)


def test_xlsx_filled_cells_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_CELLS", 30)
    data = xlsx_bytes(lambda book: [book.active.append([f"name {i}", i]) for i in range(20)])
    assert "more than 30 filled cells" in reject(data, "cells.xlsx", FileTooLarge)


def test_xlsx_shared_string_table_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_SHARED_STRINGS_BYTES", 100)
    table = b'<?xml version="1.0"?><sst>' + b"<si><t>word</t></si>" * 20 + b"</sst>"
    data = rewrite_zip(price_list(), {}, {"xl/sharedStrings.xml": table})
    assert "text table" in reject(data, "strings.xlsx", FileTooLarge)


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"])
@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, XXE])
def test_xlsx_with_entity_declarations(member: str, prolog: bytes) -> None:
    assert "ENTITY" in reject(with_prolog(price_list(), member, prolog), "evil.xlsx", CorruptFile)


def test_xlsx_zip_bomb() -> None:
    bomb = rewrite_zip(price_list(), {}, {"xl/filler.bin": bytes(60 * 1024 * 1024)})
    assert "zip bomb" in reject(bomb, "bomb.xlsx", CorruptFile)


def test_truncated_and_mangled_xlsx() -> None:
    data = price_list()
    assert "Excel" in reject(data[: len(data) // 2], "cut.xlsx", CorruptFile)
    assert "Excel workbook" in reject(rewrite_zip(data, {"xl/workbook.xml": b"<not-closed"}), "bad.xlsx", CorruptFile)


def test_old_xls_named_xlsx_and_text_named_xlsx() -> None:
    old = reject(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "old.xlsx", UnsupportedFile)
    assert ".xls" in old and "save it as .xlsx" in old
    assert "not a valid Excel .xlsx" in reject(b"name,team\nAda,Core\n", "fake.xlsx", CorruptFile)


def test_pptx_slides_are_sections_with_title_text_tables_and_notes() -> None:
    document = load_bytes(onboarding_deck(), "onboarding.pptx", max_bytes=MAX)
    assert document.title == "Welcome aboard"
    by_location = {s.location: s.text for s in document.sections}
    assert list(by_location) == ["slide 1: Welcome aboard", "slide 2: Who to call", "slide 3: Holidays"]
    assert "front desk on day one" in by_location["slide 1: Welcome aboard"]
    assert "IT helpdesk | 4242" in by_location["slide 2: Who to call"].splitlines()
    assert "Grouped parking tip" in by_location["slide 2: Who to call"]
    assert by_location["slide 3: Holidays"].endswith("Notes: Remind them to book leave in the HR portal.")


def test_pptx_hidden_slide_stays_out() -> None:
    text = "\n".join(s.text for s in load_bytes(onboarding_deck(), "onboarding.pptx", max_bytes=MAX).sections)
    assert "secret-reorg-plan" not in text and "Draft reorganisation" not in text


def test_pptx_without_text_is_empty() -> None:
    data = pptx_bytes(lambda deck: deck.slides.add_slide(deck.slide_layouts[6]))
    reject(data, "blank.pptx", EmptyDocument)


@pytest.mark.parametrize("member", ["ppt/presentation.xml", "ppt/slides/slide1.xml"])
@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, XXE])
def test_pptx_with_entity_declarations(member: str, prolog: bytes) -> None:
    assert "ENTITY" in reject(with_prolog(onboarding_deck(), member, prolog), "evil.pptx", CorruptFile)


def test_pptx_zip_bomb_and_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = rewrite_zip(onboarding_deck(), {}, {"ppt/filler.bin": bytes(60 * 1024 * 1024)})
    assert "zip bomb" in reject(bomb, "bomb.pptx", CorruptFile)
    monkeypatch.setattr(common, "MAX_TEXT_CHARS", 50)
    reject(onboarding_deck(), "long.pptx", FileTooLarge)


def test_truncated_and_old_pptx() -> None:
    data = onboarding_deck()
    assert "PowerPoint" in reject(data[: len(data) // 2], "cut.pptx", CorruptFile)
    old = reject(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "old.pptx", UnsupportedFile)
    assert ".ppt" in old and "save it as .pptx" in old

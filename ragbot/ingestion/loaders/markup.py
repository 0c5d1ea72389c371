"""HTML loader: visible text only, sectioned at h1-h3."""

from __future__ import annotations

import codecs
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import PageElement, PreformattedString

from ragbot.domain import LoadedDocument, Section
from ragbot.ingestion.loaders.common import Outline, SectionBuilder, decode_text, one_line

# Never rendered as page text; <head> is skipped too (its <title> is read separately).
_INVISIBLE_TAGS = {"script", "style", "noscript", "template", "head", "iframe", "object", "embed", "svg", "canvas"}
_HEADINGS = {"h1", "h2", "h3"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "summary", "table", "tr", "ul", "caption",
}
_CELLS = {"td", "th"}
# Comments, doctypes, CDATA and processing instructions are never page text.
_SKIPPED_STRINGS = (PreformattedString,)
_HIDING_STYLE = re.compile(
    r"display:none|visibility:(?:hidden|collapse)|font-size:0(?:\.0*)?(?:px|pt|em|rem|%)?(?:;|!|$)"
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)  # "display:/**/none" still hides
_SPACES = re.compile(r"\s+")
# We always parse bytes of a page as HTML on purpose; bs4's "looks like a filename/XML" hints are noise.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)
_LINE_SPACES = re.compile(r"[^\S\n]+")
# Site chrome rather than page content: navigation bars, sidebars with the table of contents, and the "¶"
# permalink anchors that documentation generators (Sphinx, MkDocs) put after every heading.
_CHROME_ROLES = {"navigation", "search", "banner", "contentinfo"}
_CHROME_CLASSES = {"headerlink", "sphinxsidebar", "related", "toctree-wrapper", "md-sidebar", "md-header", "md-footer",
                   "footer", "site-footer", "mobile-nav"}
# A page's footer (copyright, licence, "last updated", "found a bug?") is the same on every page of a site: it
# was ~8% of the chunks of the Python manual, and every one of them went through the embedding model.
_CHROME_TAGS = {"nav", "footer"}
_NOTE_REF_CLASSES = {"footnote-reference", "footnote-ref"}
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
# In a <pre>, indentation and alignment are meaning (a loop body, a continuation line). They are carried through
# the page's whitespace folding as a character that is no whitespace, and made spaces again at the end.
_KEPT_SPACE = "\ue000"
_CODE_SPACES = re.compile(r"(?m)^[ \t]+(?=\S)|[ \t]{2,}(?=\S)")


@dataclass(frozen=True)
class _Heading:
    """An h1-h3 met during the walk."""

    level: int
    text: str


@dataclass
class _Frame:
    """An element being walked: its remaining children and what to emit when it ends."""

    children: Iterator[PageElement]
    closer: str = ""
    pre: bool = False


def load_html(data: bytes, name: str) -> LoadedDocument:
    """An HTML page: visible text, titled by <title> or the first h1, sectioned at h1-h3."""
    soup = BeautifulSoup(_decode(data), "html.parser")
    title = _title_tag(soup)
    builder, outline = SectionBuilder(), Outline()
    for piece in _walk(soup):
        if isinstance(piece, _Heading):
            title = title or (piece.text if piece.level == 1 else "")
            builder.heading(outline.enter(piece.level, piece.text), piece.text)
        else:
            builder.add(piece)
    sections = [_section(s) for s in builder.sections()]
    return LoadedDocument(one_line(title) or PurePath(name).stem, sections)


def _section(raw: Section) -> Section:
    """A section's text tidied, with the indentation kept in its code."""
    text = _tidy(raw.text)
    return Section(text.replace(_KEPT_SPACE, " "), raw.location, indented=_KEPT_SPACE in text)


def _decode(data: bytes) -> str:
    """Use the page's declared charset when it names a real codec and decodes; else the usual guesses."""
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode(codecs.lookup(declared.group(1).decode("ascii")).name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def _title_tag(soup: BeautifulSoup) -> str:
    tag = soup.find("title")
    return tag.get_text(" ", strip=True) if isinstance(tag, Tag) else ""


def _walk(root: Tag, *, headings: bool = True, pre: int = 0) -> Iterator[str | _Heading]:
    """Visible text in document order, with line breaks for blocks and markers for h1-h3.

    An explicit stack instead of recursion (deeply nested pages cannot overflow it) and no tree
    edits (bs4 edits cost time proportional to depth, which makes deep pages quadratic).
    """
    stack = [_Frame(iter(root.contents))]
    while stack:
        child = next(stack[-1].children, None)
        if child is None:
            frame = stack.pop()
            pre -= frame.pre
            yield frame.closer
        elif isinstance(child, Tag):
            if child.name in _INVISIBLE_TAGS or _is_hidden(child) or _is_chrome(child):
                continue
            if headings and child.name in _HEADINGS:
                yield _Heading(int(child.name[1]), " ".join(_text(child).replace(_KEPT_SPACE, " ").split()))
            elif child.name == "pre" and not pre:
                # Whole, so that its indentation is seen line by line (highlighting splits lines into spans).
                code = "".join(piece for piece in _walk(child, headings=False, pre=1) if isinstance(piece, str))
                yield "\n" + _CODE_SPACES.sub(lambda m: _KEPT_SPACE * len(m.group().expandtabs(4)), code) + "\n"
            elif child.name == "br":
                yield "\n"
            else:
                block = "\n" if child.name in _BLOCKS else ""
                closer = " | " if child.name in _CELLS else block
                stack.append(_Frame(iter(child.contents), closer, child.name == "pre"))
                pre += child.name == "pre"
                yield block
        elif isinstance(child, NavigableString) and not isinstance(child, _SKIPPED_STRINGS):
            yield str(child) if pre else _SPACES.sub(" ", child)


def _text(tag: Tag) -> str:
    """The visible text of one element, headings inside it included as plain text."""
    return "".join(piece for piece in _walk(tag, headings=False) if isinstance(piece, str))


def _is_hidden(tag: Tag) -> bool:
    """Hidden by attribute or inline style, so a reader never sees it and it cannot steer answers."""
    hidden = tag.get("hidden")
    if hidden is not None and str(hidden).lower() != "until-found":
        return True
    if str(tag.get("aria-hidden", "")).strip().lower() == "true":
        return True
    if tag.name == "input" and str(tag.get("type", "")).lower() == "hidden":
        return True
    style = _CSS_COMMENT.sub("", "".join(str(tag.get("style", "")).lower().split()))
    return bool(style) and _HIDING_STYLE.search(style) is not None


def _is_chrome(tag: Tag) -> bool:
    """Navigation, sidebars, footers, permalink anchors and footnote markers: noise in a passage."""
    role = str(tag.get("role", "")).lower()
    if tag.name in _CHROME_TAGS or role in _CHROME_ROLES:
        return True
    classes = {str(c) for c in tag.get("class") or []}
    # A footnote marker ("cased characters [4] converted", Sphinx, pandoc, Wikipedia) would be quoted as if it
    # were one of the answer's own citations.
    if role == "doc-noteref" or classes & _NOTE_REF_CLASSES or (tag.name == "sup" and "reference" in classes):
        return True
    return bool(classes & _CHROME_CLASSES)


def _tidy(text: str) -> str:
    """Trim each line and keep at most one blank line between paragraphs."""
    text = _LINE_SPACES.sub(" ", text)
    lines = "\n".join(line.strip(" |") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()

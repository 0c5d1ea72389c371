"""Small pure text helpers: sentence splitting and content words for overlap scoring."""

from __future__ import annotations

import re

_STOP_WORDS = """
    a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing done down during each either else ever every few for from further get gets
    got had has have having he her here hers herself him himself his how however i if in into is it its itself
    just let like many may me might more most much must my myself neither no nor not now of off on once only or
    other our ours ourselves out over own please same shall she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon us very via was we were what
    whatever when where whether which while who whom whose why will with within without would yes yet you your
    yours yourself yourselves s t d ll m re ve
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A sentence ends at . ! or ? (maybe followed by a closing quote or bracket) before whitespace.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
# Words that end in a period without ending a sentence.
_ABBREVIATION_LIST = "e.g i.e etc vs mr mrs ms dr prof no fig approx dept inc ltd co st jr sr"
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
# Words that end in a period before a number in references ("BBR ch. 5", "3 kap. 6 §", "sec. 4.2", "p. 12").
_BEFORE_NUMBER = frozenset({"ch", "chap", "kap", "art", "sec", "para", "vol", "nr", "p", "pp", "eq", "ref", "tab",
                            "cf"})
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u25aa\u2013]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
# A plain-text title over its paragraph ("Laptops", "Passwords and accounts"): a few words, no punctuation or digits.
_TITLE = re.compile(r"^[A-Z][A-Za-z'’&/ -]{0,40}$")
# "4.8.3.2. " before a numbered section's title (two levels at least: "1. Download the file" is a list's step).
_SECTION_NUMBER = re.compile(r"^\s*\d+\.(?:\d+\.)+\s+")
_LIST_NUMBER = re.compile(r"^\s*\d+\.\s+")
# A table row as the loaders write it ("Berlin | EUR 180", a Markdown "| Berlin | EUR 180 |") or a spreadsheet
# record ("Name: Ada; Team: Web"): one line, one fact.
_ROW = re.compile(r"\S \| \S|^\s*\|.*\S.*\|\s*$|^[^;:\n]{1,40}: [^;\n]+(?:; [^;:\n]{1,40}: [^;\n]*)+$")
# A grid table's rule under its header row ("|=====|=====|").
_GRID_HEADER_RULE = re.compile(r"^\s*\|?=+(?:[|+]=+)*\|?\s*$")
# A Markdown table's rule under its header ("|---|:---:|"): layout, not text.
_RULE_ROW = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def stem(word: str) -> str:
    """A light suffix-stripping stemmer, so that "days"~"day" and "approved"~"approve"."""
    w = word
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            # "running" -> "runn" -> "run"; keep "ll"/"ss"/"zz" as in "billed" -> "bill".
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1].isalpha():
                w = w[:-1]
            break
    # Drop a final "e" so "leave"/"leaves"/"leaving" and "approve"/"approved" meet.
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lowercased word tokens."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Lowercased words with stop words and one-letter tokens removed, unstemmed, in order."""
    return [w for w in words(text) if len(w) > 1 and w not in STOP_WORDS]


def terms(text: str) -> set[str]:
    """The set of stemmed content words of a text, for overlap scoring."""
    return {stem(w) for w in content_words(text)}


def _split_block(block: str) -> list[str]:
    """Split one paragraph into sentences, not after common abbreviations or initials."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(block):
        before = block[start : m.start()].rsplit(None, 1)
        last = before[-1].lower().rstrip(".") if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        if last in _BEFORE_NUMBER and block[m.end():m.end() + 1].isdigit():
            continue
        if block[m.end():m.end() + 1] == ".":
            continue  # no sentence starts with a dot: a list of literals ("3.14    10.    .001    1e100")
        if block[m.end():m.end() + 1].islower() and (
                block[m.start()] in "?!" or block[m.start() - 1] == " " or block[m.start() - 2:m.start() + 1] == "..."
                or (block[m.start()] == "." and last.isalpha() and last.islower() and len(last) <= 4)):
            # Before a lower-case word a mark is quoted ("Adding ? after the quantifier", "files starting with .
            # are hidden"), ends an ellipsis ("a op1 b and ... y opN z") or a short abbreviation nobody listed
            # ("org. number"). (Reference pages do start sentences in lower case: "class.__bases__", "len(d)".)
            continue
        out.append(block[start : m.end()].strip())
        start = m.end()
    tail = block[start:].strip()
    if tail:
        out.append(tail)
    return out


def is_table_row(line: str) -> bool:
    """Whether a line is a table row or a spreadsheet record rather than prose."""
    return bool(_ROW.search(line))


def table_cells(row: str) -> list[str]:
    """The cells of a table row, empty ones included ("| a |  | c |" -> ["a", "", "c"])."""
    s = row.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") else s
    return [c.strip() for c in f" {s} ".split(" | ")]


def _grid_rows(lines: list[str]) -> list[str]:
    """A plain-text grid table's rows, each wrapped over several lines with its cell walls aligned ("|" at the same
    columns), joined cell by cell into one line each; any other lines unchanged.

    Between its "+----+" borders (taken out before) one row of a reStructuredText grid table spans several lines;
    read line by line, "inserts *x* into *s* at the" and "index given by *i*" would be separate rows. A "|====|"
    line ends the header row. A Markdown table (a "|---|" rule under its header) has one line per row already.
    """
    if any(_RULE_ROW.match(line) for line in lines):
        return lines
    out: list[str] = []
    group: list[str] = []
    for line in [*lines, None]:
        if line is not None and not _GRID_HEADER_RULE.match(line):
            group.append(line)
            continue
        out.extend(_joined_row(group))
        group = []
    return out


def _joined_row(lines: list[str]) -> list[str]:
    """The lines of one grid-table row as one "| a | b |" line, or the lines unchanged when they are not one."""
    rows = [line for line in lines if line.strip()]
    if len(rows) < 2:
        return lines
    walls = [i for i, ch in enumerate(rows[0]) if ch == "|"]
    if (len(walls) < 2 or rows[0][: walls[0]].strip()
            or any(len(r) <= walls[-1] or any(r[i] != "|" for i in walls) or r[walls[-1] + 1:].strip() for r in rows)):
        return lines
    spans = list(zip(walls, walls[1:], strict=False))
    cells = [" ".join(r[a + 1: b].strip() for r in rows if r[a + 1: b].strip()) for a, b in spans]
    return ["| " + " | ".join(cells) + " |"]


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; blank lines, bullets and headings also start a new sentence, and a table row or
    a spreadsheet record is a sentence of its own (never joined to the next row, never cut at a period in a cell)."""
    blocks: list[tuple[str, bool]] = []  # (text, whether it is a row, kept whole)
    current: list[str] = []  # the lines of the sentence being read

    def flush() -> None:
        if current:
            blocks.append((" ".join(current), False))
            current.clear()

    paras = re.split(r"\n\s*\n", text)
    for i, para in enumerate(paras):
        lines = _grid_rows(para.splitlines())
        if len(lines) == 1 and i + 1 < len(paras) and _is_title(_SECTION_NUMBER.sub("", lines[0]), "", paras[i + 1]):
            # A title in a paragraph of its own ("4.8.3.2. Positional-Only Parameters", or words carried over from the
            # chunk before): a heading too, not a sentence to quote.
            flush()
            blocks.append(("# " + lines[0].strip(), True))
            continue
        for k, line in enumerate(lines):
            if _is_title(line, lines[k - 1] if k else "", lines[k + 1] if k + 1 < len(lines) else ""):
                # Plain-text files head a paragraph with its title on the line above it; run into the paragraph it
                # read "Laptops Every employee gets a laptop ...". A heading, as in Markdown.
                flush()
                blocks.append(("# " + line.strip(), True))
            elif _HEADING.match(line):
                flush()
                blocks.append((line.strip(), False))
            elif _RULE_ROW.match(line) or _GRID_HEADER_RULE.match(line):
                flush()
            elif _ROW.search(line):
                flush()
                blocks.append((line.strip(), True))
            elif _BULLET.match(line):
                flush()
                current.append(line.strip())
            elif line.strip():
                # A single newline inside a paragraph is usually a hard wrap (PDFs), not a break.
                current.append(line.strip())
        flush()
    sentences: list[str] = []
    for block, row in blocks:
        if row:
            sentences.append(block)
        else:
            sentences.extend(s for s in _split_block(block) if s)
    return sentences


# The words a chunk carries over from the one before are at most this long (the splitter's overlap).
CARRIED_CHARS = 40
# What a title or a label does not hold, and a line of code or of what it printed does ("ExceptionGroup('', ...)").
_CODE_MARKS = re.compile(r"[()\[\]{}=<>'\"`]")
# A whole statement of code: an assignment ("done, pending = await asyncio.wait(aws)") or a call ("print(x)"; what
# starts in upper case is more often an object's repr that an example printed: "Fraction(355, 113)").
_STATEMENT = re.compile(r"^(?:[\w.]+(?:\s*,\s*[\w.]+)*\s*=(?!=)|[a-z_][\w.]*\(.*\)$)")
# A line of prose: a few words that end a sentence or introduce what follows.
_PROSE_SENTENCE = re.compile(r"^[A-Za-z]\S*(?:\s+\S+){3,}[.:]$")


def carried_line_ends_paragraph(line: str, after: str) -> bool:
    """Whether a whole line carried over from the chunk before ends a paragraph, though one line break is all that
    parts it from what follows: the splitter ends the carried words in one line break where the page has a blank
    line. So it does when it is short, starts a line of its own as a title or a label does ("Source code:
    Lib/tempfile.py"), ends no sentence, and the text after it starts one ("This module creates ..."). Words that
    start in lower case are the end of a sentence the page wrapped; a line with brackets or quotes is code, or what
    it printed, and stays with its example, unless it is a statement that prose follows ("done, pending = await
    asyncio.wait(aws)" before "timeout (a float or int), if specified, can be used to ...")."""
    line = line.rstrip()
    if 0 < len(line) <= CARRIED_CHARS and _STATEMENT.match(line):
        return bool(_PROSE_SENTENCE.match(after.split("\n", 1)[0].rstrip()))
    return (0 < len(line) <= CARRIED_CHARS and line[:1].isupper() and not line.endswith((".", "!", "?", ":", ";", ","))
            and not _CODE_MARKS.search(line) and after[:1].isupper())


def _is_title(line: str, before: str, after: str) -> bool:
    """Whether a line is a paragraph's title: a few words without punctuation, after a finished sentence (or none:
    a chunk boundary keeps only one line break of the blank line) and before a line that starts one."""
    after = after.lstrip()
    numbered = _LIST_NUMBER.match(line)
    if numbered:
        # "4. Working in public" after a finished sentence is a numbered section's title; after a colon, or with
        # more steps to come, it is a list's step ("1. Download the file").
        line = line[numbered.end():]
        if not before.rstrip().endswith((".", "!", "?")):
            return False
    return (bool(_TITLE.match(line.strip())) and len(line.split()) <= 6 and after[:1].isupper()
            and not _ROW.search(after) and (not before.strip() or before.rstrip().endswith((".", "!", "?", ":"))))


# A footnote marker in running text: after a word, before the sentence goes on in lower case ("all cased characters
# [4] in the string"); after a sentence's full stop ("on the call stack.  [1]\n\nIf the evaluation"); or opening a
# sentence, where the sentence splitter leaves the marker of the one before. Plain-text pages keep them; shown to a
# reader or a model they look like citations.
_FOOTNOTE = re.compile(r"(?<=\w) \[\d{1,2}\](?= [a-z])|(?:(?<=[.!?])|(?<=[.!?][\"”’)])) {0,2}\[\d{1,2}\](?=\s|$)"
                       r"|^\[\d{1,2}\] +(?=[A-Z])")


def without_footnote_markers(text: str) -> str:
    """The text without footnote markers in or between its sentences."""
    return _FOOTNOTE.sub("", text)


# A code: a token that starts with a letter and holds a digit, maybe joined by - _ or . ("NWL-5190", "sha256",
# "psycopg2", "utf-8"); "10am" and "2024-05-01" are not codes.
_CODE = re.compile(r"(?<![\w.-])(?=[\w.-]*\d)[^\W\d_][\w.-]*[^\W_](?![\w-])")


def codes(text: str) -> list[str]:
    """The codes a question names: error codes, ticket and policy numbers, names with digits (at least 4
    characters, so "v2" and "s3" are left to the rest of the search)."""
    return list(dict.fromkeys(c for c in _CODE.findall(text) if len(c) >= 4))

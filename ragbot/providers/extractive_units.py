"""The extractive answerer's raw material: a passage cut into sentences and code lines, with their names."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, replace

from ragbot.domain import ScoredChunk
from ragbot.providers.extractive_entries import CALL, SIGNATURE, entries_apart, options_apart, with_descriptions
from ragbot.text import (
    STOP_WORDS,
    carried_line_ends_paragraph,
    is_table_row,
    split_sentences,
    table_cells,
    terms,
    without_footnote_markers,
)

# Identifiers, calls, dotted names, options and prompts: the lines that hold a command, function or setting.
CODE = re.compile(
    r"`[^`\n]+`|>>>|\$ \w|--?[a-z][\w-]+=?|\b[A-Za-z_]\w*\(|\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b|\b[a-z]+_[a-z_]+\b"
)
# A title line over a line of = * ~ ^ - or #, or a table's border line (+----+----+).
_UNDERLINED = re.compile(r"^[^\n]{1,80}(?<![.:])\n[ \t]*([=*~^#-])\1{2,}(?!\S)|^[ \t]*\+[-=+]{3,}[ \t]*$", re.MULTILINE)
_NOT_CODE = frozenset({"e.g", "i.e", "etc", "vs"})
# Sentences that speak to an assistant or a bot rather than to a reader: planted instructions, never quoted.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:instructions?|prompts?|rules|above|previous)\b"
    r"|\b(?:tell|inform|assure|convince)\s+(?:the\s+)?(?:users?|readers?|askers?|people|everyone|them)\b"
    r"|\byou\s+(?:must|should|shall|will|are\s+to|have\s+to|need\s+to)\s+(?:always\s+|now\s+|only\s+)?"
    r"(?:answer|respond|reply|say|state|claim|tell|pretend|act|output|print|include|mention)\b"
    r"|\b(?:as|if\s+you\s+are)\s+an?\s+(?:ai|assistant|language\s+model|llm|chat\s?bot|bot)\b"
    r"|\b(?:ai|assistants?|language\s+models?|llms?|chat\s?bots?|bots?)\s+(?:must|should|shall|will|reading\s+this)\b"
    r"|\bsystem\s+prompt\b|\bnew\s+instructions?\b|\bwhen\s+asked\s+about\b",
    re.IGNORECASE,
)


# A grid table row's continuation lines without their first line: the first cell is empty.
_ROW_REST = re.compile(r"^\|[ \t]+\|")
# What a whole sentence or statement never starts with.
_MID_STATEMENT = frozenset("=)]},;")
# A call inside a call's arguments: "asyncio.run(main())".
_NESTED_CALL = re.compile(r"\w\([^)]*\w\(")
# A line of prose right after an example ("The output string will not include ..."), not something it printed.
_PROSE_LINE = re.compile(r"^(?!Traceback )[A-Z][a-z]+(?:,? [a-z0-9(][\w’'().:*-]*){3,}.*[.:]$"
                         # or a sentence that goes on from the prose before the example and introduces the next one
                         # ("results in an UnboundLocalError:"): words only, ending in a colon.
                         r"|^[a-z]+(?: [A-Za-z][\w’']*){3,}:$")
# The first line of an interactive session: Python's prompt, or a shell's ("$ python -m json.tool").
_PROMPT = re.compile(r"^[ \t]*(?:>>> |\$ [\w./~-])", re.MULTILINE)  # plain-text pages indent their examples
# A prompt line that holds Python: a call, an assignment, an import or a statement, a bare name or an expression
# ("prefix + 'thon'") to show.
# A literal to show ('spam eggs', 2 ** 8, -1) too.
_PYTHON_PROMPT = re.compile(r">>> (?:.*[(=\[]|(?:import|from|for|if|with|def|class|print|raise|await|async)\b"
                            r"|(?:try|while\b.*)\s*:\s*$|[\w.]+\s*$|[\w.]+ (?:[-+*/%]|\*\*|//) \S"
                            r"|(?:[rbfu]?['\"]|-?\d).*(?:['\"\d]|#.*)$)")
# Header cells: short names without digits or grammar ("System", "Who grants access"), one per line.
_HEADER_CELL = re.compile(r"^(?:[^\d\n:=|]{1,40}\n)*[^\d\n:=|]{1,40}$")
# A line of Python source: a statement that starts with its keyword, a decorator, a comment, an assignment, a bare
# call or closing brackets. Prose never looks like this: its keywords are capitalised or end in no colon. A line
# that ends in a full stop is prose, unless the full stop is in its comment ("    # Create an Event object.").
_PY_LINE = re.compile(
    r"^(?![^#]*[^.]\.\s*$)\s*(?:import\s+[\w.]+|from\s+[\w.]+\s+import\b|(?:async\s+)?def\s+\w+\s*\(|class\s+\w+\s*[(:]"
    r"|(?:if|elif|while|with|for|except|async\s+with|async\s+for)\b.*:\s*(?:#.*)?$|(?:else|try|finally)\s*:"
    r"|(?:return|yield|raise|await|assert|del|global|nonlocal)\b|(?:pass|break|continue)\s*(?:#.*)?$"
    r"|@[\w.]+|#"
    r"|[\w.]+(?:\[[^\]]*\])?(?:\s*,\s*[\w.]+)*\s*(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)"
    r"|[\w.]+\(.*\)\s*(?:#.*)?$|[)\]}]+[,:]?\s*$)"
)
_EMPTY_PROMPT = re.compile(r"(?m)^>>>[ \t]*(?:\n|$)")
# What the citation renumberer would take for a marker: "[2]", "[1, 3]" not glued to a name ("items[1]").
_SOURCE_BRACKETS = re.compile(r"(?<![\w)\]`\"'])(\[\d{1,2}(?:\s*,\s*\d{1,2})*\])")
# A reply that opens an answer ("Yes, ...", "No. ...", "Not necessarily —"); "No building permit is needed" is none,
# and neither is "No. 5 bus" (the number).
REPLY = re.compile(r"^(?!no\.\s*\d)(?:yes|no|yep|nope|correct|exactly|absolutely"
                   r"|not\s+(?:necessarily|always|really|quite))"
                   r"\s*[,.;:!\u2014\u2013]+\s*(?=\S)", re.IGNORECASE)
# A production of a grammar in BNF ("slicing ::= primary "[" slice_list "]""), as the Python reference writes its
# syntax: quoted as code, not run into the prose around it.
_GRAMMAR = re.compile(r"^\s*[A-Za-z_][\w-]*\s+::=\s")
# A Markdown code fence line: ``` or ~~~, optionally with the block's language ("```bash").
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)[ \t]*([\w+#.-]*)[ \t]*$")


@dataclass(frozen=True)
class Unit:
    """A sentence (or code line, or fenced code block) of a passage, with what its score is made of."""

    passage: int
    position: int
    text: str
    terms: frozenset[str]
    code: bool
    block: str | None = None  # a fenced code block's language ("" for none): quoted whole, as a block
    lead: bool = False  # the first unit under the section's heading: what the section is about


def passage_units(index: int, passage: ScoredChunk) -> list[Unit]:
    """A passage's whole sentences and code lines, without its heading line, overlap fragment or instructions."""
    # An empty prompt ends an interactive session and shows nothing; where two chunks join it can appear twice,
    # and the sentence splitter ran it into the prose after it (">>> >>> Note that ...").
    text = _EMPTY_PROMPT.sub("", passage.text).lstrip()
    heading = passage.location.rsplit(">", 1)[-1].strip()
    # Loaders put a section's heading on its first line; as a "sentence" it would run into the next one.
    at_heading = bool(heading) and text.startswith(heading) and text[len(heading):len(heading) + 1] in ("\n", "")
    if at_heading:
        text = text[len(heading):]
    elif passage.ordinal > 0:
        text = _carried_over_apart(text)
    out: list[Unit] = []
    segments = [piece for seg in _segments(text, starts_inside=passage.ordinal > 0) for session in _sessions(*seg)
                for piece in _code_paragraphs(*session)]
    for k, (segment, language) in enumerate(segments):
        if language is not None:
            # A fenced block keeps its lines: commands run together on one line cannot be copied.
            for code in _definitions(_whole_lines(segment.strip("\n")).strip("\n"), language):
                ts = frozenset(terms(code))
                if ts and not _INSTRUCTION.search(code):
                    out.append(Unit(index, len(out), code, ts, True, language))
            continue
        mid = k == 0 and passage.ordinal > 0
        out.extend(_sentence_units(index, segment, len(out), drop_overlap=mid, mid_section=mid and not at_heading))
    if at_heading and out:
        out[0] = replace(out[0], lead=True)
    if out and out[-1].block is None:
        out[-1] = _cut_short(out[-1])
    if len(out) > 1 and out[-1].block is None and SIGNATURE.match(out[-1].text):
        out.pop()  # an entry's signature whose description the chunk boundary cut off says nothing on its own
    return out


def _cut_short(unit: Unit) -> Unit:
    """A passage's last sentence where the chunk boundary cut it ("... is about to be destroyed; the") back to its
    last whole clause, or marked as cut ("…"): quoted as it stands it would read as a whole sentence."""
    text = unit.text.rstrip()
    last = text.rsplit(None, 1)[-1]
    if not last.isalpha() or last.lower() not in STOP_WORDS or len(text.split()) <= 6:
        return unit  # it ends where a sentence can ("... returns the result", a row), or is a title ("Who to ask")
    clause = max(text.rfind("; "), text.rfind(", "))
    text = text[:clause] if clause >= 40 else text + " \u2026"
    return replace(unit, text=text, terms=frozenset(terms(text)))


def _carried_over_apart(text: str) -> str:
    """A chunk's text with the words carried over from the chunk before set apart as a paragraph where they end
    one ("Source code: Lib/tempfile.py" before "This module creates temporary files ..."); run into the chunk's
    first sentence they would read as part of it."""
    end = text.find("\n")
    if end > 0 and carried_line_ends_paragraph(text[:end], text[end + 1:]):
        return f"{text[:end]}\n\n{text[end + 1:]}"
    return text


def without_reply(unit: Unit) -> Unit:
    """The unit without the reply that opens it ("Yes, extensions over 15 m² need a permit." → "Extensions over 15 m²
    need a permit."), when there is one and something is left."""
    m = REPLY.match(unit.text) if unit.block is None else None
    if m is None:
        return unit
    rest = unit.text[m.end():]
    if len(terms(rest)) < 2:
        return unit
    text = rest[:1].upper() + rest[1:]
    return replace(unit, text=text, terms=frozenset(terms(text)))


def _sentence_units(index: int, text: str, start: int, *, drop_overlap: bool, mid_section: bool) -> list[Unit]:
    """The whole sentences and code lines of prose (no fenced blocks)."""
    # Plain-text headings underlined with ==== or **** (reStructuredText, pydoc) and table borders are not prose.
    text = _UNDERLINED.sub("\n\n", text)
    sentences = split_sentences(entries_apart(options_apart(text)))
    # A chunk after the first starts with overlap carried from its predecessor, usually mid-sentence.
    # A signature there is whole ("unicodedata.name(chr[, default])" before its description): a piece cut from one
    # would not close its brackets.
    if sentences and drop_overlap and sentences[0][:1].islower() and not SIGNATURE.match(sentences[0]):
        sentences = sentences[1:]
    out: list[Unit] = []
    joined = with_descriptions(_labelled_rows(sentences, header_unknown=mid_section))
    for k, raw in enumerate(joined):
        sentence = _quoted_brackets(_strip_marker(raw))
        ts = frozenset(terms(sentence))
        if sentence.startswith("#") or len(ts) < 2 or _INSTRUCTION.search(sentence) or _broken(sentence):
            continue  # headings and fragments make poor answers; planted instructions are never repeated
        code = any(tok.lower().rstrip(".") not in _NOT_CODE for tok in CODE.findall(sentence))
        # A call between two steps that introduce it ("we can do this:", "json.dump(x, f)", "To decode it ...:")
        # is the example a step shows: quoted as code, not as a sentence.
        example = (0 < k < len(joined) - 1 and bool(CALL.match(sentence)) and joined[k - 1].endswith(":")
                   and joined[k + 1].endswith(":"))
        out.append(Unit(index, start + len(out), sentence, ts, code, "python" if example else None))
    return out


# Where a module's source starts its next top-level definition: a blank line, then "def", "class" or a decorator.
_NEXT_DEFINITION = re.compile(r"\n[ \t]*\n(?=(?:async[ \t]+)?def[ \t]|class[ \t]|@)")
# A block longer than this cannot be quoted whole in an answer (600 characters): it is quoted definition by definition.
_LONG_BLOCK = 500


def _definitions(code: str, language: str) -> list[str]:
    """A long Python block as its top-level definitions, each quotable on its own; any other block whole.

    A page of recipes (itertools' "def grouper(...)", "def batched(...)", ...) reaches us as one block; quoted whole
    it is clipped after its first definitions, and the one a question names never makes it into the answer.
    """
    if language != "python" or len(code) <= _LONG_BLOCK:
        return [code]
    return [piece.strip("\n") for piece in _NEXT_DEFINITION.split(code) if piece.strip()]


def _labelled_rows(sentences: list[str], *, header_unknown: bool) -> list[str]:
    """Sentences with each table row spelled out by its header ("System: PagerDuty; Who grants access: Platform
    team"), the way spreadsheet rows are indexed; the header row itself is then no answer of its own.

    Quoted alone, "PagerDuty | Platform team | Before your first on-call shift" does not say which column is which.
    A run of rows whose first row looks like a header (short cells, no digits) and whose rows all have its number of
    cells is labelled; `header_unknown`: the text starts mid-document, so a first row may be a data row.
    """
    out: list[str] = []
    i = 0
    while i < len(sentences):
        j = i
        while j < len(sentences) and " | " in sentences[j] and is_table_row(sentences[j]):
            j += 1
        if j == i:
            out.append(sentences[i])
            i += 1
            continue
        run, header = sentences[i:j], table_cells(sentences[i])
        if (len(run) >= 2 and not (header_unknown and i == 0) and _HEADER_CELL.match("\n".join(header))
                and all(len(table_cells(row)) == len(header) for row in run[1:])):
            out.extend("; ".join(f"{h}: {v}" for h, v in zip(header, table_cells(row), strict=True) if v)
                       for row in run[1:])
        else:
            # Without a header the cells still read better apart than walled in: '"s.insert(i, x)" — inserts x
            # into s at the index given by i' rather than '| "s.insert(i, x)" | inserts x into s ... |  |'.
            # The rest of a row wrapped over lines whose first line is in the chunk before (its first cell is
            # empty) is left as it is, for the sentence filter to drop.
            out.extend(row if _ROW_REST.match(row) else " \u2014 ".join(c for c in table_cells(row) if c) or row
                       for row in run)
        i = j
    return out


def _segments(text: str, *, starts_inside: bool) -> list[tuple[str, str | None]]:
    """Prose and fenced code blocks in reading order: (text, None) or (code, language).

    A chunk cut from the middle of a block starts inside it (its first fence closes one), and a chunk can end
    before a block's closing fence; both halves are still code.
    """
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if _FENCE.match(line)]
    first = _FENCE.match(lines[fences[0]]) if fences else None
    inside = (starts_inside and len(fences) % 2 == 1 and first is not None and not first.group(1)
              and any(line.strip() for line in lines[: fences[0]]))
    segments: list[tuple[str, str | None]] = []
    language: str | None = "" if inside else None
    buf: list[str] = []
    for line in lines:
        fence = _FENCE.match(line)
        if fence is None:
            buf.append(line)
            continue
        if buf:
            segments.append(("\n".join(buf), language))
        buf = []
        language = None if language is not None else fence.group(1)
    if buf:
        segments.append(("\n".join(buf), language))
    return [(s, lang) for s, lang in segments if s.strip()]


def _sessions(text: str, language: str | None) -> list[tuple[str, str | None]]:
    """Prose with its interactive sessions (">>> call" or "$ command" and what it prints) cut out as code blocks.

    Pages put examples in <pre>, which reach us as plain lines; run into the prose by the sentence splitter they
    read as ">>> from datetime import date >>> date(2002, 12, 4).ctime() 'Wed Dec 4...' The output ...".
    """
    if language is not None or not _PROMPT.search(text):
        return [(text, language)]
    out: list[tuple[str, str | None]] = []
    prose: list[str] = []
    exchange: list[str] = []

    def flush() -> None:
        if exchange:
            if exchange[0].lstrip().startswith("$ "):
                kind: str | None = "console"
            else:
                # ">>> " also starts the lines of a thrice-quoted e-mail; only Python stays a code block.
                kind = "pycon" if any(_PYTHON_PROMPT.match(line.lstrip()) for line in exchange) else None
            session = "\n".join(exchange)
            out.append((textwrap.dedent(_first_line_indented(session)) if kind else session, kind))
            exchange.clear()

    for line in text.split("\n"):
        if _PROMPT.match(line):
            if exchange and exchange[0].lstrip()[:2] != line.lstrip()[:2]:
                flush()  # a Python session right after a shell one, or the other way round
            if prose:
                out.append(("\n".join(prose), None))
                prose.clear()
            exchange.append(line)
        elif exchange and line.strip() and (not _PROSE_LINE.match(line.lstrip()) or _prints(exchange)):
            # A continuation ("... "), the printed result or the next call; a sentence right after a call that
            # prints ("This is the first line of the file.") is what it printed.
            exchange.append(line)
        else:
            flush()
            prose.append(line)
    flush()
    if prose:
        out.append(("\n".join(prose), None))
    return [(t, lang) for t, lang in out if t.strip()]


def _prints(exchange: list[str]) -> bool:
    """Whether the next line is the first thing a print shows: right after ">>> print(...)", or after the "..."
    that runs a block holding a print. Only that first line: a sentence after the output is prose again (where a
    chunk starts, one line break may be all that parts them)."""
    last = exchange[-1].strip()
    if last.startswith(">>> "):
        return last[4:].startswith("print(")
    return last == "..." and any("print(" in line for line in exchange)


def _code_paragraphs(text: str, language: str | None) -> list[tuple[str, str | None]]:
    """Prose with its Python source cut out as code blocks.

    HTML pages put source in <pre>, which reaches us as plain lines; the sentence splitter ran them together
    ("import gzip with gzip.open(...) as f: file_content = f.read()"), which cannot be copied. Two or more
    statement lines in a row are source, and so is a paragraph of one statement unless it is a reference entry's
    signature, which stays prose to be joined to its description. Source paragraphs next to each other are one
    block. A grammar's productions ("name ::= ...", with their indented continuation lines) are code too.
    """
    if language is not None:
        return [(text, language)]
    out: list[tuple[str, str | None]] = []

    def add(piece: str, code: bool) -> None:
        # Comments alone are not source: "# Time off" is a Markdown heading.
        code = code and any(not line.lstrip().startswith("#") for line in piece.split("\n"))
        kind = _source_language(piece) if code else None
        piece = _aligned(piece) if code else piece
        if out and out[-1][1] == kind:
            out[-1] = (out[-1][0] + "\n\n" + piece, kind)
        else:
            out.append((piece, kind))

    for para in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = [line for line in para.split("\n") if line.strip()]
        if len(lines) == 1:
            line = lines[0]
            # A call that passes a call ("asyncio.run(main())") after source is the example's last line, not a
            # reference entry's signature: signatures name their parameters.
            runs = bool(out and out[-1][1] is not None and _NESTED_CALL.search(line))
            add(line, bool(_PY_LINE.match(line)) and (runs or not SIGNATURE.match(line.strip()))
                or bool(_GRAMMAR.match(line)))
            continue
        run: list[tuple[str, bool]] = []
        depth = 0  # brackets left open by the source lines so far
        grammar = False  # the source run is a grammar's productions
        opener: int | None = None  # the indentation of the run's last line that opens a body ("def f(x):")
        for line, nxt in zip(lines, [*lines[1:], ""], strict=True):
            code = bool(_PY_LINE.match(line))
            in_run = bool(run and run[-1][1])
            if _GRAMMAR.match(line) or (grammar and in_run and line[:1].isspace()):
                code = grammar = True  # a production, or the indented rest of one
            elif depth > 0 and in_run:
                code = True  # inside the brackets a statement opened: its items ('("C++", 1985),') are source
            elif in_run and opener is not None and _indent(line) > opener:
                code = True  # the body of the "def" or "for" above: its docstring ('    "Collect data ..."') too
            elif code and _opens_body(line, nxt):
                pass  # "def grouper(iterable, n):" over its indented body is source, whatever the body's first line
            elif code and not _PY_LINE.match(nxt) and (not in_run or (SIGNATURE.match(line) and nxt[:1].isupper())):
                # A lone statement-like line inside prose ("return value is ...") is prose, and a reference entry's
                # signature before its description ends the example above it. An indented call is the last line
                # of a block ("    print(line)" before "After the statement is executed, ..."), not a signature.
                code = False
            depth = max(0, depth + _bracket_change(line)) if code and not grammar else 0
            grammar = grammar and code
            if not code:
                opener = None
            elif _opens_body(line, nxt):
                opener = _indent(line)
            if run and code != run[-1][1]:
                add("\n".join(x for x, _ in run), run[-1][1])
                run = []
            run.append((line, code))
        if run:
            add("\n".join(x for x, _ in run), run[-1][1])
    # Plain-text pages indent their source; a block is dedented whole, so that its paragraphs (a blank line inside
    # a function) keep their depth relative to each other.
    return [(textwrap.dedent(_first_line_indented(t)) if lang is not None else t, lang) for t, lang in out
            if t.strip()]


def _indent(line: str) -> int:
    """How many spaces a line is indented by."""
    return len(line) - len(line.lstrip(" "))


def _opens_body(line: str, nxt: str) -> bool:
    """Whether a source line opens a body ("def f(x):", "for k in d:") that the next line, indented deeper, starts."""
    return line.split("#", 1)[0].rstrip().endswith(":") and bool(nxt.strip()) and _indent(nxt) > _indent(line)


def _first_line_indented(code: str) -> str:
    """An example whose first line lost the page's indentation (a chunk or a sentence starts there) with it given
    back, so that taking the common indentation off leaves the lines where they were relative to each other.

    The others tell how deep it was: as deep as the session's other prompts, one level (4 spaces) above its body
    when it opens one (it ends in ":"), else as deep as the shallowest of them.
    """
    lines = code.split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    if (not rest or lines[0][:1].isspace() or not all(line[:1].isspace() for line in rest)
            or _GRAMMAR.match(lines[0])):
        return code  # (a production's continuation lines are indented under it on purpose)
    depth = [len(line) - len(line.lstrip(" ")) for line in rest]
    prompts = [d for d, line in zip(depth, rest, strict=True) if line.lstrip().startswith((">>>", "..."))]
    if lines[0].startswith(">>>") and prompts:
        indent = min(prompts)
    elif lines[0].split("#", 1)[0].rstrip().endswith(":"):
        indent = max(0, min(depth) - 4)
    else:
        indent = min(depth)
    return " " * indent + code


def _aligned(code: str) -> str:
    """A grammar block whose first production lost its indentation (it followed prose on the page) with the other
    productions moved back under it."""
    lines = code.split("\n")
    rest = [line for line in lines[1:] if _GRAMMAR.match(line)]
    if not rest or not _GRAMMAR.match(lines[0]) or lines[0][:1].isspace():
        return code
    k = min(len(line) - len(line.lstrip(" ")) for line in rest)
    return "\n".join([lines[0], *(line[k:] if line[:k].isspace() else line.lstrip(" ") for line in lines[1:])])


_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def _bracket_change(line: str) -> int:
    """Brackets a line of source opens minus those it closes, outside its string literals."""
    bare = _STRING.sub("", line).split("#", 1)[0]
    return sum(bare.count(c) for c in "([{") - sum(bare.count(c) for c in ")]}")


def _whole_lines(code: str) -> str:
    """A block without the leading lines that close brackets it never opened: a chunk cut inside a statement
    ('action="store_true")' before the next statement)."""
    lines = code.split("\n")
    depth = 0
    for i, line in enumerate(lines):
        depth += _bracket_change(line)
        if depth >= 0:
            return "\n".join(lines[i:]) if i else code
        depth = 0  # restart after the broken line
    return ""


def _source_language(code: str) -> str:
    """"python" for Python source (the loader dropped its indentation, so an IndentationError is fine), else ""."""
    try:
        ast.parse(textwrap.dedent(code))
    except IndentationError:
        return "python"
    except (SyntaxError, ValueError):
        return ""
    return "python"


def _broken(sentence: str) -> bool:
    """A piece of a code example cut by the sentence splitter or the chunker: brackets that do not close, an
    opening "...", or a start in the middle of a statement ("= infile self.outfile = outfile"); or the rest of a
    table row wrapped over lines whose start is in the chunk before (its first cell is empty: "|      | the
    number is |")."""
    return (sentence.startswith("...") or sentence.count("(") != sentence.count(")")
            or sentence.count("[") != sentence.count("]") or sentence[:1] in _MID_STATEMENT
            or bool(_ROW_REST.match(sentence)))


def identifiers(text: str) -> set[str]:
    """The names a line mentions: calls, dotted names and options, lower-cased, with their last dotted part."""
    out = set()
    for tok in CODE.findall(text):
        name = tok.strip("`$ >(=").lower()
        if not name or name in _NOT_CODE:
            continue
        out.add(name)
        out.add(name.rsplit(".", 1)[-1])
    return out


def salience(units: list[Unit]) -> list[float]:
    """How much each unit holds the names that the best passages keep coming back to (0..1).

    A name mentioned in several passages, or in the top ones, is usually what the question is about
    (`shutil.rmtree` in its definition, its example and a how-to).
    """
    weight: dict[str, float] = {}
    seen: set[tuple[str, int]] = set()
    for u in units:
        for name in identifiers(u.text):
            if (name, u.passage) in seen:
                continue  # a name repeated within one passage (a file the whole section is about) counts once
            seen.add((name, u.passage))
            weight[name] = weight.get(name, 0.0) + 1.0 / (1 + u.passage)
    if not weight:
        return [0.0] * len(units)
    top = max(weight.values())
    return [max((weight[name] for name in identifiers(u.text)), default=0.0) / top for u in units]


def _quoted_brackets(sentence: str) -> str:
    """A number in brackets from the document as inline code ("changed from [] to `[10]`"), so that it is never
    taken for one of the answer's citations (renumbered to another source, or dropped with the fact it held); a
    footnote marker inside a sentence ("all cased characters [4] in the string") is dropped."""
    return _SOURCE_BRACKETS.sub(r"`\1`", without_footnote_markers(sentence))


def _strip_marker(text: str) -> str:
    """A sentence without a leading bullet marker."""
    return re.sub(r"^\s*(?:[-*\u2022\u25aa\u2013]|\d{1,3}[.)])\s+", "", text).strip()

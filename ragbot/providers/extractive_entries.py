"""Reference entries for the offline answerer: a signature, an attribute's name or a command's option, quoted
with the sentence that describes it ("os.path.getmtime(path) \u2014 Return the time of last modification ...")."""

from __future__ import annotations

import re

# A dotted name or a call, with what may precede it in a reference ("class", "coroutine", ...).
_NAME_OR_CALL = (
    r"(?:(?:class|exception|coroutine|awaitable|async|classmethod|staticmethod|abstractmethod|method|attribute"
    r"|property|function|data)\s+)*[A-Za-z_]\w*(?:(?:\.\w+)*\(.*\)(?:\s*->\s*[\w.\[\], ]+)?|(?:\.\w+)+)$"
)
# A reference entry's signature on a line of its own: "class collections.deque([iterable[, maxlen]])", "re.IGNORECASE".
# Not a call with a literal for an argument ("print('Main program waited until background was done.')"): a signature
# names its parameters, and quotes or digits come only after "=" as defaults.
SIGNATURE = re.compile(r"^(?!.*[(,]\s*(?:[bBrRfFuU]{0,2}['\"]|\d))" + _NAME_OR_CALL)
# A call on a line of its own, with literals or without: "json.dump(x, f)", "print('done')".
CALL = re.compile("^" + _NAME_OR_CALL)
# An attribute's or setting's name on a line of its own ("st_file_attributes", "funny_files"): a reference entry
# too. Only names with an underscore: "Note" or "Example" on their own line are labels, not entries.
_BARE_NAME = re.compile(r"^[A-Za-z]\w*_\w+$")
# A command-line option on a line of its own ("--json-lines", "-o FILE, --output FILE"): an entry of a command's
# reference, described by the paragraph after it.
_OPTION_NAME = re.compile(r"^-{1,2}[A-Za-z][\w-]*(?:[ =][A-Z<\[][\w<>\[\]|.-]*)?"
                          r"(?:,[ \t]*-{1,2}[A-Za-z][\w-]*(?:[ =][A-Z<\[][\w<>\[\]|.-]*)?)*$")
# A command's option in its help text: "  --clear               Delete the contents of ...", "  -h, --help  show this
# help message", "  --prompt PROMPT  Provides ..." (the description may start on the next line instead).
# (A letter after the dashes: "-5   Freezer" in a column of temperatures is no option.)
_OPTION = re.compile(r"^([ \t]*)(-{1,2}[A-Za-z][\w-]*(?:[ =][A-Z<\[][\w<>\[\]|.-]*)?"
                     r"(?:,[ \t]*-{1,2}[A-Za-z][\w-]*(?:[ =][A-Z<\[][\w<>\[\]|.-]*)?)*)(?:[ \t]{2,}(\S.*))?$")


def options_apart(text: str) -> str:
    """Prose with a command's option list (its --help text) as one paragraph per option: "--clear — Delete the
    contents of the environment directory if it already exists, before environment creation."

    Help texts align the descriptions in a column and wrap them under it; the sentence splitter ran the whole list
    into one sentence ("--without-pip Skips installing ... --prompt PROMPT Provides ...").
    """
    lines = text.split("\n")
    out: list[str] = []
    k = 0
    while k < len(lines):
        m = _OPTION.match(lines[k])
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        indent = len(m.group(1)) if m else 0
        deeper = bool(nxt.strip()) and len(nxt) - len(nxt.lstrip()) > indent + 2
        if m is None or not (m.group(3) or deeper):
            out.append(lines[k])
            k += 1
            continue
        description = [m.group(3)] if m.group(3) else []
        k += 1
        # The wrapped rest of the description, indented under its column.
        while k < len(lines) and lines[k].strip() and len(lines[k]) - len(lines[k].lstrip()) > indent + 2:
            description.append(lines[k].strip())
            k += 1
        out.extend(["", f"{m.group(2)} \u2014 {' '.join(description)}", ""])
    return "\n".join(out)


def entries_apart(text: str) -> str:
    """Prose with each reference entry's signature on a line of its own made a paragraph of its own.

    Sphinx pages put the signature and its description in separate paragraphs, but where a chunk starts (the words
    carried over end in one line break) or in plain-text references one line break is all that parts them; the
    sentence splitter then ran them into one sentence: "str.strip([chars]) Return a copy of the string ...", or
    "It defines the following functions: unicodedata.lookup(name)". Apart, they are joined as entries are.
    """
    lines = text.split("\n")
    out: list[str] = []
    for k, line in enumerate(lines):
        before = lines[k - 1].rstrip() if k else ""
        after = lines[k + 1] if k + 1 < len(lines) else ""
        entry = not line[:1].isspace() and _entry_name(line.rstrip())
        if entry and before.endswith((".", ":", "!", "?")):
            out.append("")  # (a wrapped line of prose that happens to be a name goes on from an unfinished one)
        out.append(line)
        if entry and after[:1].isupper() and not SIGNATURE.match(after.rstrip()):
            out.append("")
    return "\n".join(out)


def _entry_name(line: str) -> bool:
    """Whether a line is what a reference entry describes: a signature, an attribute's name or a command's option."""
    return bool(SIGNATURE.match(line) or _BARE_NAME.match(line) or _OPTION_NAME.match(line))


def with_descriptions(sentences: list[str]) -> list[str]:
    """Sentences with each reference entry's signature joined to the sentence that describes it.

    Reference pages put "os.path.getmtime(path)" and "Return the time of last modification of path." in separate
    paragraphs; quoted alone, the signature says nothing and the description does not say what it describes.
    """
    out: list[str] = []
    i = 0
    while i < len(sentences):
        s = sentences[i]
        nxt = sentences[i + 1] if i + 1 < len(sentences) else ""
        # A walkthrough is not a reference: "we can do this:", "json.dump(x, f)", "To decode the object again ...:"
        # are an example between two steps that each introduce one, not an entry and its description.
        walkthrough = bool(out) and out[-1].rstrip().endswith(":") and nxt.rstrip().endswith(":")
        if _entry_name(s) and nxt[:1].isupper() and not SIGNATURE.match(nxt) and not walkthrough:
            out.append(f"{s} \u2014 {nxt}")
            i += 2
        else:
            out.append(s)
            i += 1
    return out

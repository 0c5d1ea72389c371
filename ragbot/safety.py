"""Answer post-processing (pure): foreign links and images dropped, mass mentions neutralised, prompt leaks redacted."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

ZWSP = "\u200b"  # a zero-width space after "@" is the usual way to show a mention without pinging anyone
LEAK_MESSAGE = "I can't share that. Ask me about what the documents say instead."

# Bounded repetitions keep every pattern linear on hostile model output.
# The URL may hold one level of balanced parentheses, as Wikipedia links do.
_MD_LINK = re.compile(
    r"(!?)\[([^\[\]\n]{0,500})\]\(\s*<?((?:[^()<>\s]|\([^()<>\s]{0,200}\)){0,2000})>?"
    r"(?:\s+(?:\"[^\"\n]{0,300}\"|'[^'\n]{0,300}'))?\s*\)"
)
# Fallback for destinations a strict parser rejects (spaces, quotes, stray parentheses): up to the first ")".
_MD_LOOSE = re.compile(r"(!?)\[([^\[\]\n]{0,500})\]\(([^)\n]{0,2000})\)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]{1,200}\]:[ \t]*<?(\S{1,2000}?)>?(?:[ \t]+.*)?$", re.MULTILINE)
# Slack's <url|text> and the <url> autolink of Markdown and Discord.
_ANGLE_LINK = re.compile(
    r"<((?:https?|ftp|mailto|javascript|data|file):[^<>|\s]{0,2000})(?:\|([^<>\n]{0,500}))?>", re.I
)
_BARE_URL = re.compile(r"(?<![\w`])(?:https?|ftp)://[^\s<>`\"'()\[\]]{1,2000}", re.I)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)
_AUTHORITY = re.compile(r"^https?://([^/?#\s]*)", re.I)

_BROADCAST = re.compile(r"@(?=(?:everyone|here|channel)\b)", re.I)
# Slack special mentions (<!here>, <!channel|channel>, <!subteam^ID>) and Slack/Discord user and role mentions.
_SLACK_SPECIAL = re.compile(r"<!(everyone|here|channel|subteam\^[^>|\s]{0,50})(?:\|([^>\n]{0,100}))?>", re.I)
_ID_MENTION = re.compile(r"<@([!&]?[A-Za-z0-9]{1,40})>")


def host_of(url: str) -> str | None:
    """The lower-case host of an http(s) URL; None for other schemes or an authority with credentials or tricks."""
    m = _AUTHORITY.match(url.strip())
    if m is None:
        return None
    authority = m.group(1)
    # "a@b" and "a\\b" are read differently by different URL parsers: such a link is never trusted.
    if not authority or "@" in authority or "\\" in authority:
        return None
    host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
    return host.strip("[]").rstrip(".").lower() or None


def allowed_hosts(urls: Iterable[str | None]) -> frozenset[str]:
    """The hosts of the given source URLs (non-URL sources such as uploaded files add nothing)."""
    return frozenset(h for h in (host_of(u) for u in urls if u) if h)


def _trusted(url: str, hosts: frozenset[str]) -> bool:
    host = host_of(url)
    return host is not None and host in hosts


def _outside_code(text: str, fix: Callable[[str], str]) -> str:
    """Apply fix to the text between code spans and fences; chat clients never link inside code."""
    out, pos = [], 0
    for m in _CODE.finditer(text):
        out.append(fix(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fix(text[pos:]))
    return "".join(out)


def strip_foreign_links(text: str, hosts: frozenset[str]) -> str:
    """Drop links and images to hosts outside the allowlist, keeping their text; bare foreign URLs become code."""

    def md(m: re.Match[str]) -> str:
        destination = (m.group(3).split() or [""])[0].strip("<>")
        return m.group(0) if _trusted(destination, hosts) else m.group(2)

    def angle(m: re.Match[str]) -> str:
        if _trusted(m.group(1), hosts):
            return m.group(0)
        return m.group(2) if m.group(2) else f"`{m.group(1)}`"

    def ref(m: re.Match[str]) -> str:
        return m.group(0) if _trusted(m.group(1), hosts) else ""

    def bare(m: re.Match[str]) -> str:
        url = m.group(0).rstrip(".,;:!?")
        if _trusted(url, hosts):
            return m.group(0)
        # As code, Slack and Discord neither link nor unfurl it, so no request reaches the host.
        return f"`{url}`{m.group(0)[len(url):]}"

    def fix(part: str) -> str:
        for _ in range(5):  # an image inside a link's text needs a second pass
            before = part
            part = _MD_LOOSE.sub(md, _MD_LINK.sub(md, part))
            part = _ANGLE_LINK.sub(angle, _REF_DEF.sub(ref, part))
            if part == before:
                break
        return part

    return _outside_code(_outside_code(text, fix), lambda part: _BARE_URL.sub(bare, part))


def neutralise_mentions(text: str) -> str:
    """Make @everyone/@here/@channel, Slack's <!here>-style and <@id> mentions print without notifying anyone."""
    text = _SLACK_SPECIAL.sub(lambda m: "@" + ZWSP + (m.group(2) or m.group(1).split("^", 1)[0]), text)
    text = _ID_MENTION.sub(lambda m: "<@" + ZWSP + m.group(1) + ">", text)
    return _BROADCAST.sub("@" + ZWSP, text)


def _squash(text: str) -> str:
    """Letters and digits only, case-folded: spacing, punctuation or zero-width tricks cannot hide a secret."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def leaks(text: str, secrets: Iterable[str]) -> bool:
    """Whether text contains any of the secrets, however it was spaced or punctuated."""
    squashed = _squash(text)
    return any(len(s) >= 8 and s in squashed for s in map(_squash, secrets))


def clean_answer(text: str, *, hosts: Iterable[str] = (), secrets: Iterable[str] = ()) -> str:
    """The answer as it may be shown: redacted when it leaks a secret, else foreign links and mentions defused."""
    if leaks(text, secrets):
        return LEAK_MESSAGE
    return neutralise_mentions(strip_foreign_links(text, frozenset(h.lower() for h in hosts)))

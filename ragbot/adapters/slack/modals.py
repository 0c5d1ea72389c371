"""Modal views: the upload form and the optional "what was wrong?" form, and reading their submissions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ragbot.adapters.slack.formatting import plain, section
from ragbot.ingestion.loaders import SUPPORTED_SUFFIXES

UPLOAD_VIEW = "ragbot_upload"
FEEDBACK_VIEW = "ragbot_feedback"
MAX_FILES = 10


@dataclass(frozen=True)
class UploadForm:
    """What a submitted upload modal asks for."""

    channel: str
    file_ids: list[str]
    url: str | None
    workspace_wide: bool
    crawl: bool = False


def _option(value: str, label: str) -> dict[str, Any]:
    return {"value": value, "text": plain(label)}


def upload_modal(*, channel: str, file_ids: list[str] | None = None, is_dm: bool = False) -> dict[str, Any]:
    """The upload form: files (several) and a link, or files already sent in a DM; then the scope choice."""
    blocks: list[dict[str, Any]] = []
    if file_ids:
        count = f"the {len(file_ids)} files" if len(file_ids) > 1 else "the file"
        blocks.append(section(f"Adding {count} you sent me."))
    else:
        filetypes = sorted({s.lstrip(".") for s in SUPPORTED_SUFFIXES})
        blocks.append({"type": "input", "block_id": "files", "optional": True, "label": plain("Files"),
                       "element": {"type": "file_input", "action_id": "files", "max_files": MAX_FILES,
                                   "filetypes": filetypes}})
        blocks.append({"type": "input", "block_id": "url", "optional": True, "label": plain("Or a link to a page"),
                       "element": {"type": "url_text_input", "action_id": "url"}})
        blocks.append(crawl_block())
    here = _option("channel", "Only this conversation" if is_dm else "Only this channel")
    blocks.append({"type": "input", "block_id": "scope", "label": plain("Who gets answers from it?"),
                   "element": {"type": "radio_buttons", "action_id": "scope", "initial_option": here,
                               "options": [here, _option("workspace", "The whole workspace")]}})
    meta = {"channel": channel, "files": file_ids or []}
    return {"type": "modal", "callback_id": UPLOAD_VIEW, "title": plain("Add to knowledge base"),
            "submit": plain("Add"), "close": plain("Cancel"), "private_metadata": json.dumps(meta), "blocks": blocks}


def read_upload(view: dict[str, Any]) -> UploadForm:
    """The files, link and scope of a submitted upload modal."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view.get("state", {}).get("values", {})
    files = values.get("files", {}).get("files", {}).get("files") or []
    file_ids = list(meta.get("files") or []) + [f["id"] for f in files if f.get("id")]
    url = (values.get("url", {}).get("url", {}).get("value") or "").strip() or None
    chosen = (values.get("scope", {}).get("scope", {}).get("selected_option") or {}).get("value", "channel")
    crawl = bool(values.get("crawl", {}).get("crawl", {}).get("selected_options"))
    return UploadForm(channel=meta.get("channel", ""), file_ids=file_ids, url=url, workspace_wide=chosen == "workspace",
                      crawl=crawl)


def crawl_block() -> dict[str, Any]:
    """The "crawl the whole site" checkbox under the link field."""
    label = "Crawl the whole site: every page under this link (docs/crawl.md)"
    return {"type": "input", "block_id": "crawl", "optional": True, "label": plain("Whole site"),
            "element": {"type": "checkboxes", "action_id": "crawl", "options": [_option("crawl", label)]}}


def feedback_modal(*, question_id: int) -> dict[str, Any]:
    """The optional 'what was wrong?' form opened by 👎 (closing it still counts the vote)."""
    return {
        "type": "modal", "callback_id": FEEDBACK_VIEW, "title": plain("What was wrong?"), "submit": plain("Send"),
        "close": plain("Skip"), "notify_on_close": True, "private_metadata": json.dumps({"qid": question_id}),
        "blocks": [
            section("Thanks, your 👎 is recorded. Telling us what was wrong helps fix the documents (optional)."),
            {"type": "input", "block_id": "comment", "optional": True, "label": plain("What was wrong?"),
             "element": {"type": "plain_text_input", "action_id": "comment", "multiline": True, "max_length": 2000}},
        ],
    }


def read_feedback(view: dict[str, Any]) -> tuple[int, str | None]:
    """(question id, comment or None) from a submitted or closed feedback modal."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view.get("state", {}).get("values", {})
    comment = (values.get("comment", {}).get("comment", {}).get("value") or "").strip() or None
    return int(meta["qid"]), comment

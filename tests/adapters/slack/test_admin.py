"""/ragbot-admin: only admins; reindex enqueues; destructive actions ask for confirmation."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.adapters.slack.conftest import HANDBOOK


def _button(h, response: dict, action_id: str, user: str) -> None:  # type: ignore[no-untyped-def]
    button = [e for b in response["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == action_id][0]
    h.interaction({"type": "block_actions", "user": {"id": user}, "channel": {"id": "C1"},
                   "response_url": f"{h.fake.root}/response/confirm", "actions": [button]})


def test_non_admin_is_refused_privately(make_slack) -> None:
    h = make_slack(run_queue=False)
    h.fake.add_user("U1", is_admin=False)
    h.ingest("leave.md", HANDBOOK)
    assert h.command("/ragbot-admin", "reindex all", user="U1")[0] == 200
    reply = h.fake.wait_for(h.responses)[0]
    assert "for workspace admins" in reply["text"] and reply["response_type"] == "ephemeral"
    assert h.fake.api_calls("users.info")[0].body["user"] == "U1"
    assert h.queue.enqueued == []


def test_admin_reindex_enqueues_and_reindex_all_asks_first(make_slack) -> None:
    h = make_slack(run_queue=False)
    h.fake.add_user("UADMIN", is_admin=True)
    doc = h.ingest("leave.md", HANDBOOK)
    other = h.ingest("expenses.md", "# Expenses\n\nReceipts within 30 days.")

    h.command("/ragbot-admin", "reindex leave.md", user="UADMIN")
    assert "Queued *Leave policy*" in h.fake.wait_for(h.responses)[0]["text"]
    assert h.queue.enqueued == [("ragbot.ingest_document", {"document_id": doc})]

    h.command("/ragbot-admin", "reindex all", user="UADMIN")
    confirm = h.fake.wait_for(lambda: h.responses()[1:])[0]
    assert len(h.queue.enqueued) == 1  # nothing happens before the confirmation
    _button(h, confirm, "ragbot_admin_confirm", "UADMIN")
    h.fake.wait_for(lambda: len(h.queue.enqueued) == 3)
    assert {kw["document_id"] for _, kw in h.queue.enqueued[1:]} == {doc, other}
    # The confirmation is replaced after the documents are queued; wait for that response too.
    replaced = h.fake.wait_for(lambda: [r for r in h.responses()[2:] if r.get("replace_original")])
    assert replaced[-1]["replace_original"] is True


def test_allowlisted_user_deletes_after_confirming_and_unknown_subcommands_get_help(make_slack) -> None:
    h = make_slack(run_queue=False, admin_users=["UALLOWED"])
    doc = h.ingest("leave.md", HANDBOOK)
    h.command("/ragbot-admin", f"delete {doc}", user="UALLOWED")
    confirm = h.fake.wait_for(h.responses)[0]
    assert "Delete *Leave policy*" in json.dumps(confirm["blocks"])
    _button(h, confirm, "ragbot_admin_confirm", "UALLOWED")
    h.fake.wait_for(lambda: "Deleted" in h.responses()[-1].get("text", ""))
    with h.services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 0
    assert not h.fake.api_calls("users.info")  # the allowlist needs no lookup

    h.command("/ragbot-admin", "frobnicate", user="UALLOWED")
    assert "`reindex DOC`" in h.fake.wait_for(lambda: h.responses()[2:])[0]["text"]

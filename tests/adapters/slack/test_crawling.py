"""A whole site from the Slack upload form: one status message with the crawl's counts; admins list and forget it."""

from __future__ import annotations

import json

from sqlalchemy import text

from ragbot.crawl import sync
from tests.crawl.site import DocSite


def _submit(h, url: str | None, crawl: bool) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    assert h.command("/ragbot-upload", channel="C1")[0] == 200
    view = h.fake.wait_for(lambda: h.fake.api_calls("views.open"))[-1].body["view"]
    crawl_box = [b for b in view["blocks"] if b.get("block_id") == "crawl"][0]
    assert crawl_box["element"]["type"] == "checkboxes"
    chosen = crawl_box["element"]["options"] if crawl else []
    return h.interaction({"type": "view_submission", "user": {"id": "U1", "team_id": "T1"}, "view": {
        "id": "V1", "type": "modal", "callback_id": "ragbot_upload", "private_metadata": view["private_metadata"],
        "state": {"values": {
            "files": {"files": {"type": "file_input", "files": []}},
            "url": {"url": {"type": "url_text_input", "value": url}},
            "crawl": {"crawl": {"type": "checkboxes", "selected_options": chosen}},
            "scope": {"scope": {"type": "radio_buttons", "selected_option": {"value": "channel"}}},
        }},
    }})


def _button(h, response: dict, user: str) -> None:  # type: ignore[no-untyped-def]
    button = [e for b in response["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "ragbot_admin_confirm"][0]
    h.interaction({"type": "block_actions", "user": {"id": user}, "channel": {"id": "C1"},
                   "response_url": f"{h.fake.root}/response/confirm", "actions": [button]})


def test_crawl_from_the_upload_form_shows_one_status_message_with_counts(make_slack, site: DocSite) -> None:
    h = make_slack(allow_private_urls=True, crawl_delay_ms=0)
    assert _submit(h, f"{site.base}/docs/", crawl=True)[0] == 200
    sent = h.fake.wait_for(lambda: [kw for name, kw in h.queue.enqueued if name == sync.CRAWL_TASK])
    status = h.fake.wait_for(lambda: h.fake.messages.get("C1"))[0]
    assert "crawl queued" in status["text"]

    h.services.sites.crawl_site(sent[0]["site_id"], quiet=sent[0]["quiet"])  # what the worker's task runs
    # Pages went to the (inline) workers by task name; their finishing edits the one site message.
    final = h.fake.wait_for(lambda: [m["text"] for m in h.fake.messages["C1"] if "Ask away" in (m["text"] or "")])
    assert len(h.fake.messages["C1"]) == 1  # one message for the whole crawl, never one per page
    with h.services.engine.connect() as conn:
        ready = conn.execute(text("SELECT count(*) FROM documents WHERE status = 'ready' AND site_id IS NOT NULL"
                                  " AND channel = 'C1' AND uploader = 'slack:U1'")).scalar()
    assert f"0 queued · {ready} fetched · {ready} ready · 1 failed" in final[0] and "link trap" in final[0]
    edits = [c.body["text"] for c in h.fake.api_calls("chat.update") if c.body["ts"] == status["ts"]]
    assert any("crawling" in e for e in edits)


def test_crawl_without_a_link_is_refused_in_the_modal(make_slack) -> None:
    h = make_slack()
    status, body = _submit(h, None, crawl=True)
    assert status == 200 and json.loads(body)["errors"] == {"url": "Paste the link of the site to crawl."}


def test_admins_list_resync_and_forget_a_site(make_slack, site: DocSite) -> None:
    h = make_slack(allow_private_urls=True, crawl_delay_ms=0, run_queue=False)
    h.fake.add_user("UADMIN", is_admin=True)
    _submit(h, f"{site.base}/docs/", crawl=True)
    site_id = h.fake.wait_for(lambda: [kw for name, kw in h.queue.enqueued if name == sync.CRAWL_TASK])[0]["site_id"]
    h.services.sites.crawl_site(site_id)

    h.command("/ragbot-admin", "sites", user="UADMIN")
    listing = json.dumps(h.fake.wait_for(h.responses)[0]["blocks"])
    assert f"{site.base}/docs/" in listing and "queued" in listing
    h.command("/ragbot-admin", "resync-site 404", user="UADMIN")
    assert "No site matches '404'" in h.fake.wait_for(lambda: h.responses()[1:])[0]["text"]
    h.command("/ragbot-admin", f"resync-site {site_id}", user="UADMIN")
    assert "crawl queued" in h.fake.wait_for(lambda: h.responses()[2:])[0]["text"]
    assert [kw for name, kw in h.queue.enqueued if name == sync.CRAWL_TASK][-1] == {"site_id": site_id, "quiet": False}

    h.command("/ragbot-admin", f"forget-site <{site.base}/docs/>", user="UADMIN")
    confirm = h.fake.wait_for(lambda: h.responses()[3:])[0]
    assert "Forget site" in json.dumps(confirm["blocks"])
    _button(h, confirm, "UADMIN")
    h.fake.wait_for(lambda: "Forgot" in h.responses()[-1].get("text", ""))
    with h.services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM sites")).scalar() == 0

"""A Slack setting that names an unknown user or group stops `serve` with one line naming the setting."""

from __future__ import annotations

import threading

import pytest

from ragbot.adapters.slack.app import serve
from ragbot.errors import RagbotError


def test_an_unknown_admin_id_stops_serve_naming_the_setting(make_slack) -> None:
    h = make_slack(admin_users=["UADMIN", "slack:UTYPO"], slack_port=0)
    h.fake.strict_users = True
    h.fake.add_user("UADMIN", is_admin=True)
    with pytest.raises(RagbotError, match="RAGBOT_ADMIN_USERS names slack:UTYPO, which is not a user"):
        serve(h.services, port=0, stop=threading.Event())


def test_an_unknown_uploader_group_stops_serve(make_slack) -> None:
    h = make_slack(uploader_group="SNOPE", slack_port=0)
    with pytest.raises(RagbotError, match="RAGBOT_UPLOADER_GROUP names SNOPE"):
        serve(h.services, port=0, stop=threading.Event())


def test_known_ids_pass_and_discord_ids_are_left_to_discord(make_slack) -> None:
    from ragbot.adapters.slack.client import make_web_client
    from ragbot.adapters.slack.startup import check_named_ids

    h = make_slack(admin_users=["UADMIN", "discord:4242"], uploader_group="SWRITERS")
    h.fake.strict_users = True
    h.fake.add_user("UADMIN", is_admin=True)
    h.fake.usergroups["SWRITERS"] = ["UADMIN"]
    check_named_ids(make_web_client(h.services.settings), h.services.settings)
    assert [c.body["user"] for c in h.fake.api_calls("users.info")] == ["UADMIN"]

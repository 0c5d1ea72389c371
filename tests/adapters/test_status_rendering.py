"""Status data rendered by each adapter: every state, sent by the real updaters to the fake Slack and Discord."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ragbot.adapters.discord import status as discord_status
from ragbot.adapters.discord.status import DiscordStatusUpdater
from ragbot.adapters.discord.trail import trail_ref
from ragbot.adapters.slack import status as slack_status
from ragbot.adapters.slack.status import SlackStatusUpdater
from ragbot.adapters.slack.trail import STYLE
from ragbot.chat.status import SiteCounts, StaleNotice, Status
from ragbot.chat.status_words import plain, status_line
from ragbot.config import Settings
from tests.fakes.discord_server import ADMIN_ID, BOT_USER, CHANNEL_ID, FakeDiscord
from tests.fakes.slack_server import FakeSlack

URL = "https://docs.example.com/"
COUNTS = SiteCounts(queued=2, fetched=5, ready=3, failed=1, skipped=4)
NUMBERS = "2 queued · 5 fetched · 3 ready · 1 failed · 4 skipped"
# (status, what Slack shows); Discord shows the same words with the title in ** instead of *.
STATES = [
    (Status.upload("Guide", "downloading"), "⬇️ *Guide*: downloading…"),
    (Status.upload("Guide", "queued"), "⏳ *Guide*: queued for indexing."),
    (Status.upload("Guide", "queued", 0, "3 ahead of it."), "⏳ *Guide*: queued for indexing. 3 ahead of it."),
    (Status.upload("Guide", "waiting", 0, "no worker has picked it up yet."),
     "⏳ *Guide*: still queued: no worker has picked it up yet."),
    (Status.upload("Guide", "processing", 40, "embedding"), "⚙️ *Guide*: processing 40%… embedding"),
    (Status.upload("Guide", "ready", 100, "3 chunks"), "✅ *Guide*: ready (3 chunks). Ask away!"),
    (Status.upload("Guide", "ready", 100, "3 chunks", indexed_as="Deploys"),
     "✅ *Guide*: ready as “Deploys” (3 chunks). Ask away!"),
    (Status.upload("Guide", "failed", 0, "The file is empty."), "❌ *Guide*: failed. The file is empty."),
    (Status("site", URL, "queued", counts=SiteCounts()),
     f"🕸️ *{URL}*: crawl queued. 0 queued · 0 fetched · 0 ready · 0 failed · 0 skipped"),
    (Status("site", URL, "processing", counts=COUNTS, crawling=True), f"🕸️ *{URL}*: crawling… {NUMBERS}"),
    (Status("site", URL, "processing", counts=COUNTS), f"⚙️ *{URL}*: indexing the pages… {NUMBERS}."),
    (Status("site", URL, "ready", message="stopped at its page budget of 3", counts=COUNTS),
     f"✅ *{URL}*: done. Ask away! {NUMBERS}. The crawl stopped at its page budget of 3."),
    (Status("site", URL, "failed", message="could not start: 404.", counts=COUNTS),
     f"❌ *{URL}*: the crawl failed. could not start: 404. {NUMBERS}"),
]


def _discord(slack_text: str, title: str) -> str:
    return slack_text.replace(f"*{title}*", f"**{title}**", 1)


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[tuple[Settings, FakeSlack, FakeDiscord]]:
    """Both fake platforms, and settings whose tokens and base URLs point at them."""
    slack, discord_fake = FakeSlack().start(), FakeDiscord().start()
    settings = Settings(data_dir=tmp_path, slack_bot_token=slack.token, slack_base_url=slack.base_url,
                        discord_token="test-token", discord_api_base_url=discord_fake.base_url)
    yield settings, slack, discord_fake
    slack.stop()
    discord_fake.stop()


@pytest.mark.parametrize(("status", "slack_text"), STATES, ids=[f"{s.kind}-{s.state}-{i}" for i, (s, _) in
                                                                  enumerate(STATES)])
def test_each_state_reads_the_same_on_slack_and_discord_in_each_platforms_markup(
        fakes, status: Status, slack_text: str) -> None:  # type: ignore[no-untyped-def]
    settings, slack, discord_fake = fakes
    slack.add_message("C1", "1700000000.000100", "UBOT", "placeholder")
    SlackStatusUpdater(settings).update({"platform": "slack", "channel": "C1", "ts": "1700000000.000100"}, status)
    assert slack.messages["C1"][0]["text"] == slack_text

    message = discord_fake._store(CHANNEL_ID, "placeholder", BOT_USER)
    DiscordStatusUpdater(settings).update(discord_status.chat_ref(CHANNEL_ID, int(message["id"])), status)
    assert discord_fake.messages[int(message["id"])]["content"] == _discord(slack_text, status.title)
    # The terminal (the CLI's crawl line) gets the same words with no markup at all.
    assert status_line(status, plain) == slack_text.replace(f"*{status.title}*", status.title, 1)


def test_titles_are_escaped_for_each_platform_and_messages_are_shown_as_written() -> None:
    status = Status.upload("my_notes *v2* <draft> & co.md", "failed", 0, "Is `ragbot worker` running?")
    assert discord_status.render.status(status) == (
        r"❌ **my\_notes \*v2\* <draft> & co.md**: failed. Is `ragbot worker` running?")
    assert slack_status.render.status(status) == (
        "❌ *my_notes *v2* &lt;draft&gt; &amp; co.md*: failed. Is `ragbot worker` running?")


def test_the_stale_notice_is_a_direct_message_in_each_platforms_markup(fakes) -> None:  # type: ignore[no-untyped-def]
    settings, slack, discord_fake = fakes
    notice = StaleNotice("Runbook_v2", "https://wiki.example.com/runbook", "the server answered 410.", hidden=True)
    words = ("could not be fetched on its last re-sync: the server answered 410. Ragbot no longer cites it until a "
             "re-sync succeeds. Fix the page or its address, or ask an admin to delete the document.")
    SlackStatusUpdater(settings).tell("U7", notice)
    source = "(https://wiki.example.com/runbook)"
    assert slack.messages["DU7"][0]["text"] == f"⚠️ Your document *Runbook_v2* {source} {words}"
    DiscordStatusUpdater(settings).tell(str(ADMIN_ID), notice)
    dm = discord_fake.channel_log(discord_fake.dm_channels[ADMIN_ID])
    assert [m["content"] for m in dm] == [
        rf"⚠️ Your document **Runbook\_v2** {source} {words}"]
    warned = StaleNotice("Runbook", "wiki", "gone.", hidden=False)
    assert "Ragbot still cites it, marked as unreachable until a re-sync" in slack_status.render.stale(warned)


def test_trails_decide_by_state_and_reply_with_the_failure_in_each_platforms_markup(fakes) -> None:  # type: ignore[no-untyped-def]
    settings, slack, discord_fake = fakes
    slack_ref = {"platform": "slack", "channel": "C1", "ts": "1700000000.000100", "style": STYLE}
    shared = discord_fake._store(CHANNEL_ID, "here is the file", BOT_USER)
    discord_ref = trail_ref(CHANNEL_ID, int(shared["id"]), 1)
    for state in ("queued", "processing"):  # progress never shows on a trail
        SlackStatusUpdater(settings).update(slack_ref, Status.upload("a_b.pdf", state, 50))
        DiscordStatusUpdater(settings).update(discord_ref, Status.upload("a_b.pdf", state, 50))
    assert not slack.api_calls("reactions.add") and not slack.api_calls("chat.postMessage")
    assert not discord_fake.reactions.get(int(shared["id"]))

    failed = Status.upload("a_b.pdf", "failed", 0, "The file is empty.")
    SlackStatusUpdater(settings).update(slack_ref, failed)
    DiscordStatusUpdater(settings).update(discord_ref, failed)
    assert slack.reactions[("C1", "1700000000.000100")] == ["x"]
    assert slack.api_calls("chat.postMessage")[0].body["text"] == "❌ *a_b.pdf*: failed. The file is empty."
    assert discord_fake.reactions[int(shared["id"])] == ["❌"]
    reply = discord_fake.channel_log(CHANNEL_ID)[-1]
    assert reply["content"] == r"❌ **a\_b.pdf**: failed. The file is empty."

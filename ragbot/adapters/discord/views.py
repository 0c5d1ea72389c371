"""Buttons: 👍/👎 feedback that survives restarts (the question id lives in the custom_id) and confirmations."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext

_log = logging.getLogger(__name__)
COG_NAME = "Ragbot"


def _cog(interaction: discord.Interaction) -> RagbotContext | None:
    client: Any = interaction.client
    return client.get_cog(COG_NAME) if hasattr(client, "get_cog") else None


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ragbot:vote:(?P<vote>up|down):(?P<qid>\d+)"):
    """A 👍 or 👎 on one stored answer; registered with add_dynamic_items so old messages keep working."""

    def __init__(self, vote: str, question_id: int) -> None:
        emoji, style = ("👍", discord.ButtonStyle.success) if vote == "up" else ("👎", discord.ButtonStyle.secondary)
        super().__init__(discord.ui.Button(emoji=emoji, style=style, custom_id=f"ragbot:vote:{vote}:{question_id}"))
        self.vote = vote
        self.question_id = question_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
                             ) -> FeedbackButton:
        """Rebuild the button from a clicked custom_id (also after a restart)."""
        return cls(match["vote"], int(match["qid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Store the vote; a 👎 asks what was wrong."""
        cog = _cog(interaction)
        if cog is None:
            await interaction.response.send_message("Ragbot is not loaded right now.", ephemeral=True)
            return
        await cog.record_vote(interaction, self.question_id, 1 if self.vote == "up" else -1)


def feedback_view(question_id: int) -> discord.ui.View:
    """The 👍/👎 row under an answer."""
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton("up", question_id))
    view.add_item(FeedbackButton("down", question_id))
    return view


class CommentModal(discord.ui.Modal, title="What was wrong with this answer?"):
    """Optional free text attached to a 👎."""

    comment: discord.ui.TextInput = discord.ui.TextInput(
        label="What was wrong or missing? (optional)", style=discord.TextStyle.paragraph, required=False,
        max_length=1000,
    )

    def __init__(self, on_submit: Callable[[discord.Interaction, str], Awaitable[None]]) -> None:
        super().__init__(timeout=600)
        self._on_submit = on_submit

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        """Hand the comment to the cog."""
        await self._on_submit(interaction, self.comment.value or "")


class ConfirmView(discord.ui.View):
    """Confirm / Cancel before a destructive admin action; only the admin who asked may press them."""

    def __init__(self, *, user_id: int, label: str, action: Callable[[], Awaitable[str]], timeout: float = 120) -> None:
        super().__init__(timeout=timeout)
        self.user_id = user_id
        self.action = action
        self.message: discord.InteractionMessage | None = None
        self.confirm.label = label

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the requesting admin decides."""
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("Only the admin who asked can confirm this.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Run the action and show its outcome in place of the question."""
        self.stop()
        await interaction.response.edit_message(content="Working on it…", view=None)
        try:
            outcome = await self.action()
        except Exception as exc:  # the admin must hear about a failure, not see "Working on it…" forever
            _log.exception("admin action failed")
            outcome = f"❌ That didn't work: {exc}"
        await interaction.edit_original_response(content=outcome)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Leave everything as it is."""
        self.stop()
        await interaction.response.edit_message(content="Cancelled; nothing was changed.", view=None)

    async def on_timeout(self) -> None:
        """Say that nothing happened when nobody pressed a button."""
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content="Timed out; nothing was changed.", view=None)

"""RagbotCog: /ask, /upload, /admin, 👍/👎 and the listeners for mentions, thread follow-ups and DMs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from ragbot.adapters.discord import administering, asking, governing, saving, sites, uploading, watching
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.adapters.discord.views import COG_NAME, CommentModal, FeedbackButton
from ragbot.chat.service import TROUBLE
from ragbot.chat.usecases import UseCases
from ragbot.config import Settings

_log = logging.getLogger(__name__)
T = TypeVar("T")
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)


class RagbotCog(commands.Cog, name=COG_NAME):
    """Ragbot's Discord surface; the same Cog serves the standalone bot and a host bot's extension."""

    admin = app_commands.Group(
        name="admin", description="Manage Ragbot's documents for this server.",
        default_permissions=ADMIN_PERMISSIONS, guild_only=True,
    )

    def __init__(self, bot: commands.Bot, uses: UseCases, settings: Settings, *, workers: int = 16) -> None:
        self.bot = bot
        self.uses = uses
        self.chat = uses.chat  # the most used of them, by every handler
        self.settings = settings
        # Both must agree: the setting asks for the privileged intent, the (host) bot must actually have it.
        self.reads_content = self.settings.discord_message_content and bot.intents.message_content
        # The core is synchronous (SQLAlchemy, embedding); its own pool keeps the host's default executor free.
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ragbot-discord")
        self._tasks: set[asyncio.Task[Any]] = set()
        self.release: Callable[[], None] | None = None  # set by the extension when it built the services itself

    async def cog_load(self) -> None:
        """Re-register the 👍/👎 buttons (answers from before a restart keep working); add Save to Ragbot."""
        self.bot.add_dynamic_items(FeedbackButton)
        self.save_menu = saving.context_menu(self)  # "Save to Ragbot" on a message
        self.bot.tree.add_command(self.save_menu)

    async def cog_unload(self) -> None:
        """Stop listening for the buttons and release the worker threads."""
        self.bot.remove_dynamic_items(FeedbackButton)
        self.bot.tree.remove_command(self.save_menu.name, type=self.save_menu.type)
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run blocking core code in the Cog's threads."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(fn, *args, **kwargs))

    def background(self, coro: Any) -> None:
        """Start a task that outlives the handler (kept referenced until it ends)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)  # keep a reference so the task is not garbage-collected mid-flight
        task.add_done_callback(self._tasks.discard)

    # Asking

    @app_commands.command(name="ask", description="Ask a question; the answer cites your team's documents.")
    @app_commands.describe(question="What do you want to know?")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1500]) -> None:
        """/ask question."""
        await asking.ask_command(self, interaction, question)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Mentions, follow-ups in the bot's threads and DMs."""
        try:
            await watching.on_message(self, message)  # attachments: ingested in watched channels, offered in threads
            await asking.on_message(self, message)
        except Exception:
            _log.exception("failed to handle message %s", message.id)
            with contextlib.suppress(discord.HTTPException):
                await message.channel.send(TROUBLE, allowed_mentions=NO_PINGS)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message's shared files are forgotten."""
        await watching.on_message_delete(self, payload)

    # Uploading

    @app_commands.command(name="upload", description="Add documents to the knowledge base Ragbot answers from.")
    @app_commands.describe(
        file="A document (PDF, Word, Excel, PowerPoint, Markdown, HTML, text, CSV…)", file2="Another document",
        file3="Another document", url="A web page to index", scope="Who can get answers from it (default: server)",
        crawl="Crawl the whole site under the url: every page under its folder (default: only that page)",
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def upload(
        self, interaction: discord.Interaction, file: discord.Attachment | None = None,
        file2: discord.Attachment | None = None, file3: discord.Attachment | None = None, url: str | None = None,
        scope: Literal["server", "channel"] = "server", crawl: bool = False,
    ) -> None:
        """/upload file [file2 file3] [url] [scope: channel|server] [crawl]."""
        files = [f for f in (file, file2, file3) if f is not None]
        await uploading.upload_command(self, interaction, files, url, scope, crawl=crawl)

    # Administering

    @admin.command(name="docs", description="List this server's documents and their state.")
    @app_commands.describe(failed="Only the documents that failed, with the reason")
    async def admin_docs(self, interaction: discord.Interaction, failed: bool = False) -> None:
        """/admin docs [failed]."""
        if await administering.require_admin(self, interaction):
            await administering.docs(self, interaction, failed)

    @admin.command(name="audit", description="Who added, replaced, deleted, reindexed or gave away which document.")
    async def admin_audit(self, interaction: discord.Interaction) -> None:
        """/admin audit."""
        if await administering.require_admin(self, interaction):
            await governing.audit(self, interaction)

    @admin.command(name="owner", description="Give a document to a member, who may then replace or delete it.")
    @app_commands.describe(document="Document id, title or source", user="The new owner")
    async def admin_owner(self, interaction: discord.Interaction, document: str, user: discord.User) -> None:
        """/admin owner document user."""
        if await administering.require_admin(self, interaction):
            await governing.owner(self, interaction, document, user)

    @admin.command(name="stats", description="Documents, chunks and questions in numbers.")
    async def admin_stats(self, interaction: discord.Interaction) -> None:
        """/admin stats."""
        if await administering.require_admin(self, interaction):
            await administering.stats(self, interaction)

    @admin.command(name="gaps", description="Recent questions the documents could not answer.")
    async def admin_gaps(self, interaction: discord.Interaction) -> None:
        """/admin gaps."""
        if await administering.require_admin(self, interaction):
            await administering.gaps(self, interaction)

    @admin.command(name="feedback", description="Recent 👎 with the question, answer, comment and cited documents.")
    async def admin_feedback(self, interaction: discord.Interaction) -> None:
        """/admin feedback."""
        if await administering.require_admin(self, interaction):
            await administering.feedback(self, interaction)

    @admin.command(name="delete", description="Delete a document (asks for confirmation).")
    @app_commands.describe(document="Document id, title or source")
    async def admin_delete(self, interaction: discord.Interaction, document: str) -> None:
        """/admin delete document."""
        if await administering.require_admin(self, interaction):
            await administering.delete(self, interaction, document)

    @admin.command(name="reindex", description="Re-embed one document, or all of them (asks for confirmation).")
    @app_commands.describe(document="Document id, title or source; leave empty for all documents")
    async def admin_reindex(self, interaction: discord.Interaction, document: str | None = None) -> None:
        """/admin reindex [document]."""
        if await administering.require_admin(self, interaction):
            await administering.reindex(self, interaction, document)

    @admin.command(name="sites", description="List crawled sites with their pages and how the last crawl ended.")
    async def admin_sites(self, interaction: discord.Interaction) -> None:
        """/admin sites."""
        if await administering.require_admin(self, interaction):
            await sites.list_sites(self, interaction)

    @admin.command(name="resync-site", description="Crawl a site again now; unchanged pages cost nothing.")
    @app_commands.describe(site="Site id or root URL (see /admin sites)")
    async def admin_resync_site(self, interaction: discord.Interaction, site: str) -> None:
        """/admin resync-site site."""
        if await administering.require_admin(self, interaction):
            await sites.resync_site(self, interaction, site)

    @admin.command(name="forget-site", description="Delete a crawled site and all its pages (asks for confirmation).")
    @app_commands.describe(site="Site id or root URL (see /admin sites)")
    async def admin_forget_site(self, interaction: discord.Interaction, site: str) -> None:
        """/admin forget-site site."""
        if await administering.require_admin(self, interaction):
            await sites.forget_site(self, interaction, site)

    @admin.command(name="watch", description="Add files shared in this channel (and its threads) from now on.")
    @app_commands.describe(scope="Who gets answers from them (server: public channels only; default: channel)")
    async def admin_watch(self, interaction: discord.Interaction,
                          scope: Literal["channel", "server"] = "channel") -> None:
        """/admin watch [scope]."""
        if await administering.require_admin(self, interaction):
            await watching.watch_command(self, interaction, scope)

    @admin.command(name="unwatch", description="Stop adding the files shared in this channel.")
    async def admin_unwatch(self, interaction: discord.Interaction) -> None:
        """/admin unwatch."""
        if await administering.require_admin(self, interaction):
            await watching.unwatch_command(self, interaction)

    @admin.command(name="watching", description="List the channels whose shared files are added.")
    async def admin_watching(self, interaction: discord.Interaction) -> None:
        """/admin watching."""
        if await administering.require_admin(self, interaction):
            await watching.watching_command(self, interaction)

    @admin_delete.autocomplete("document")
    @admin_owner.autocomplete("document")
    @admin_reindex.autocomplete("document")
    async def _documents(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await administering.autocomplete_documents(self, interaction, current)

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        """Any failure still answers the user (privately)."""
        _log.error("command %s failed", interaction.command and interaction.command.qualified_name,
                   exc_info=error)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(TROUBLE, ephemeral=True)
            else:
                await interaction.response.send_message(TROUBLE, ephemeral=True)
        except discord.HTTPException:
            pass

    # Feedback

    async def record_vote(self, interaction: discord.Interaction, question_id: int, vote: int) -> None:
        """Store a 👍/👎 in the shared feedback table; a 👎 asks what was wrong and tells the cited uploaders."""
        try:
            await self.run(self.chat.vote, question_id=question_id, user=str(interaction.user.id), vote=vote)
        except Exception:
            _log.exception("could not store a vote")
            await interaction.response.send_message("Sorry, I couldn't save your vote; please try again.",
                                                    ephemeral=True)
            return
        if vote > 0:
            await interaction.response.send_message("Thanks for the feedback! 👍", ephemeral=True)
            return
        await interaction.response.send_modal(CommentModal(partial(self._comment, question_id)))
        if self.settings.notify_uploaders_on_downvote:
            self.background(self._tell_uploaders(question_id, interaction.user.id))

    async def _comment(self, question_id: int, interaction: discord.Interaction, comment: str) -> None:
        try:
            await self.run(self.chat.vote, question_id=question_id, user=str(interaction.user.id), vote=-1,
                           comment=comment.strip() or None)
        except Exception:
            _log.exception("could not store a feedback comment")
        await interaction.response.send_message("Thanks, noted. This helps us fix the documents. 🙏", ephemeral=True)

    async def _tell_uploaders(self, question_id: int, voter_id: int) -> None:
        """DM the Discord uploaders of the cited documents so they can fix them."""
        try:
            uploaders = await self.run(self.chat.uploaders_of_cited, question_id)
            row = await self.run(self.chat.question, question_id)
        except Exception:
            _log.exception("could not look up the uploaders of question %s", question_id)
            return
        question = getattr(row, "question", "") if row is not None else ""
        for uploader, title in uploaders:
            if not uploader.startswith("discord:") or not uploader[8:].isdigit() or int(uploader[8:]) == voter_id:
                continue
            try:
                user = await self.bot.fetch_user(int(uploader[8:]))
                await user.send(f"👎 Someone found an answer that cited your document **{title}** unhelpful.\n"
                                f"Question: “{question[:300]}”. Maybe the document needs an update?",
                                allowed_mentions=NO_PINGS)
            except discord.HTTPException:
                _log.info("could not DM uploader %s", uploader)

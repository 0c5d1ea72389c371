"""The use cases a chat adapter offers, handed over in one value by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from ragbot.admin import Admin
from ragbot.chat.service import ChatService
from ragbot.crawl.sync import Sites
from ragbot.watch import Watches


@dataclass(frozen=True)
class UseCases:
    """Answering and uploads (chat), index administration, crawled sites and watched channels."""

    chat: ChatService
    admin: Admin
    sites: Sites
    watches: Watches

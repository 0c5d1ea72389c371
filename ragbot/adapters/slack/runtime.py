"""State shared by Ragbot's Slack listeners: use cases, the work pool, thread memory and the admin check."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.chat.policy import upload_refusal
from ragbot.chat.usecases import UseCases
from ragbot.config import Settings

_log = logging.getLogger(__name__)
ADMIN_CACHE_SECONDS = 300.0


class ThreadMemory:
    """Which threads the bot has answered in: known ones for good, unknown ones re-checked after a while."""

    def __init__(self, capacity: int = 20_000, negative_ttl: float = 120.0) -> None:
        self.capacity = capacity
        self.negative_ttl = negative_ttl
        self._seen: OrderedDict[tuple[str, str], float | None] = OrderedDict()  # None = answered
        self._lock = threading.Lock()

    def remember(self, channel: str, thread_ts: str) -> None:
        """Record that the bot answered in this thread."""
        self._put((channel, thread_ts), None)

    def forget_negative(self, channel: str, thread_ts: str) -> None:
        """Record that the bot has not answered here (re-checked after negative_ttl)."""
        self._put((channel, thread_ts), time.monotonic() + self.negative_ttl)

    def known(self, channel: str, thread_ts: str) -> bool | None:
        """True answered, False not answered (recently checked), None unknown."""
        with self._lock:
            key = (channel, thread_ts)
            if key not in self._seen:
                return None
            expiry = self._seen[key]
            if expiry is None:
                self._seen.move_to_end(key)
                return True
            if expiry < time.monotonic():
                del self._seen[key]
                return None
            return False

    def _put(self, key: tuple[str, str], value: float | None) -> None:
        with self._lock:
            if self._seen.get(key, 0.0) is None and value is not None:
                return  # an answered thread stays answered
            self._seen[key] = value
            self._seen.move_to_end(key)
            while len(self._seen) > self.capacity:
                self._seen.popitem(last=False)


class Budget:
    """A token bucket shared by all answers: in-progress edits are skipped when it is empty."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


class SlackRagbot:
    """What every Ragbot listener needs; one per registered app."""

    def __init__(self, uses: UseCases, settings: Settings, *, pool: ThreadPoolExecutor | None = None) -> None:
        self.settings = settings
        self.uses = uses
        self.chat = uses.chat  # the most used of them, by every listener
        self.pool = pool or ThreadPoolExecutor(max_workers=max(1, self.settings.slack_answer_threads),
                                               thread_name_prefix="ragbot-slack")
        self.threads = ThreadMemory()
        # chat.update is Tier 3 (about 50/min per workspace): progress edits share this budget so that
        # final answers are not the ones that get rate limited.
        self.progress_edits = Budget(rate=1.0, burst=5.0)
        self._admins: dict[tuple[str, str], tuple[bool, str | None, float]] = {}
        self._groups: dict[str, tuple[set[str], float]] = {}  # uploader group members, cached like admins
        self._notified: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    @staticmethod
    def space(team_id: str | None) -> str:
        """The Ragbot space of a Slack workspace."""
        return f"slack:{team_id or 'unknown'}"

    def submit(self, fn: Callable[..., Any], *args: Any, on_error: Callable[[str], Any] | None = None,
               **kwargs: Any) -> Future[Any]:
        """Run slow work off the listener thread; a failure is logged and, if given, told to the user."""
        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                _log.exception("Slack background work failed: %s", getattr(fn, "__name__", fn))
                if on_error is not None:
                    try:
                        on_error("Sorry, something went wrong on my side. Please try again; if it keeps happening, "
                                 "tell an admin.")
                    except Exception:
                        _log.warning("could not tell the user about a failure", exc_info=True)
                return None

        return self.pool.submit(run)

    def is_admin(self, client: WebClient, team: str | None, user: str) -> bool:
        """Workspace admins and owners (users.info), plus the configured allowlist."""
        if user in {u.removeprefix("slack:") for u in self.settings.admin_users}:
            return True
        return self.profile(client, team, user)[0]

    def profile(self, client: WebClient, team: str | None, user: str) -> tuple[bool, str | None]:
        """(is admin, display name) of a user, from users.info (cached) and the configured allowlist."""
        allow = {u.removeprefix("slack:") for u in self.settings.admin_users}
        key = (team or "", user)
        with self._lock:
            cached = self._admins.get(key)
        if cached and cached[2] > time.monotonic():
            return cached[0] or user in allow, cached[1]
        try:
            info = client.users_info(user=user)["user"]
        except SlackApiError as exc:
            _log.warning("users.info failed for %s: %s", user, exc.response.get("error"))
            return user in allow, None
        verdict = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or info.get("name")
        with self._lock:
            self._admins[key] = (verdict, name or None, time.monotonic() + ADMIN_CACHE_SECONDS)
        return verdict or user in allow, name or None

    def known_name(self, team: str | None, user: str) -> str | None:
        """A display name users.info already gave (no API call: allowlisted admins are never looked up)."""
        with self._lock:
            cached = self._admins.get((team or "", user))
        return cached[1] if cached else None

    def upload_refusal(self, client: WebClient, team: str | None, user: str) -> str | None:
        """None when this user may add documents (RAGBOT_UPLOADERS); else why not, for them alone to see."""
        s = self.settings
        if s.uploaders == "everyone":
            return None
        group = s.uploader_group
        return upload_refusal(s, is_admin=self.is_admin(client, team, user),
                              in_uploader_group=bool(group) and user in self._group_members(client, group or ""),
                              group_label=f"members of <!subteam^{group}>" if group else "")

    def _group_members(self, client: WebClient, group: str) -> set[str]:
        with self._lock:
            cached = self._groups.get(group)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        try:
            members = set(client.usergroups_users_list(usergroup=group).get("users") or [])
        except SlackApiError as exc:
            _log.warning("usergroups.users.list failed for %s: %s", group, exc.response.get("error"))
            return set()
        with self._lock:
            self._groups[group] = (members, time.monotonic() + ADMIN_CACHE_SECONDS)
        return members

    def first_notice(self, question_id: int, user: str) -> bool:
        """True once per (answer, voter): uploaders hear about a downvote only once."""
        with self._lock:
            if (question_id, user) in self._notified:
                return False
            self._notified.add((question_id, user))
            return True

    def close(self) -> None:
        """Stop taking work; running answers finish."""
        self.pool.shutdown(wait=False, cancel_futures=False)

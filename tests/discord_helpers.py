"""Drive the real bot offline: real CommandTree, real views, real cogs; only Discord's network
is replaced.

Interactions are built from gateway-shaped payloads and fed to `ConnectionState.
parse_interaction_create`, exactly as the gateway would; what the bot sends back goes
through discord.py's own webhook and HTTP code down to the two places that would touch the
network: `AsyncWebhookAdapter.request` (interaction responses, follow-ups, edits) and
`HTTPClient.request` / `get_from_cdn` (channel messages, threads, attachments). Both record
every call, so tests can assert on the exact JSON Discord would receive, and both fail as
aiohttp does once the bot's HTTP session is closed (RuntimeError "Session is closed").
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

APP_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
GUILD_ID = 900_000_000_000_000_003
CHANNEL_ID = 900_000_000_000_000_004
OTHER_GUILD_ID = 900_000_000_000_000_005  # a second server the bot is in, with its own channel
OTHER_CHANNEL_ID = 900_000_000_000_000_006
CHANNELS = {GUILD_ID: CHANNEL_ID, OTHER_GUILD_ID: OTHER_CHANNEL_ID}
ADMIN_ID = 800_000_000_000_000_001
MEMBER_ID = 800_000_000_000_000_002
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
TIMESTAMP = "2026-01-01T00:00:00+00:00"

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


def user_payload(user_id: int, name: str = "someone", bot: bool = False) -> dict:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
    }


def message_payload(
    *,
    content: str = "",
    embeds: list | None = None,
    components: list | None = None,
    author_id: int = BOT_ID,
    channel_id: int = CHANNEL_ID,
    flags: int = 0,
    mentions: list[dict] | None = None,
    message_id: int | None = None,
    guild_id: int | None = GUILD_ID,
) -> dict:
    payload = {
        "id": str(message_id or snowflake()),
        "channel_id": str(channel_id),
        "type": 0,
        "content": content,
        "embeds": embeds or [],
        "components": components or [],
        "author": user_payload(
            author_id, "attribot" if author_id == BOT_ID else "asker", bot=author_id == BOT_ID
        ),
        "attachments": [],
        "mentions": mentions or [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": flags,
    }
    if guild_id:
        payload["guild_id"] = str(guild_id)
    return payload


def thread_payload(
    thread_id: int, guild_id: int, parent_id: int, owner_id: int, name: str = "thread"
) -> dict:
    """A public thread as Discord describes it (in THREAD_CREATE, or creating one)."""
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "name": name,
        "owner_id": str(owner_id),
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": TIMESTAMP,
            "locked": False,
        },
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
    }


def channel_payload(dm: bool = False, guild_id: int = GUILD_ID) -> dict:
    """A server's test channel as Discord sends it (type 1 is a DM)."""
    return {
        "id": str(CHANNELS[guild_id]),
        "type": 1 if dm else 0,
        "name": "general",
        "position": 0,
        "guild_id": str(guild_id),
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


@dataclass
class Call:
    method: str
    path: str  # the route template, e.g. /webhooks/{webhook_id}/{webhook_token}
    url: str
    payload: dict | None

    @property
    def message(self) -> dict | None:
        """The message part of the payload (interaction callbacks nest it under data)."""
        if self.payload is None:
            return None
        if "/callback" in self.path:
            return self.payload.get("data")
        return self.payload

    @property
    def embeds(self) -> list[dict]:
        return (self.message or {}).get("embeds") or []

    @property
    def content(self) -> str:
        return (self.message or {}).get("content") or ""

    @property
    def ephemeral(self) -> bool:
        return bool(((self.message or {}).get("flags") or 0) & 64)

    @property
    def custom_ids(self) -> list[str]:
        ids = []
        for row in (self.message or {}).get("components") or []:
            for comp in row.get("components", []):
                if "custom_id" in comp:
                    ids.append(comp["custom_id"])
        return ids

    def carries_message(self) -> bool:
        """True for calls that post or edit visible text (where mentions could ping)."""
        if self.method not in ("POST", "PATCH") or self.payload is None:
            return False
        if "/callback" in self.path:
            return self.payload.get("type") in (4, 7)  # message / update message
        return "threads" not in self.path and "typing" not in self.path


@dataclass
class FakeDiscord:
    """Stands in for Discord's HTTP API: records calls, answers with plausible payloads."""

    calls: list[Call] = field(default_factory=list)
    cdn: dict[str, bytes] = field(default_factory=dict)
    cdn_fetches: list[str] = field(default_factory=list)
    thread_fails: bool = False
    session_closed: bool = False  # as after the bot's HTTP session was closed
    threads: list[dict] = field(default_factory=list)  # threads the bot created
    # told of each thread the bot creates, as the gateway's THREAD_CREATE tells the client
    on_thread: Any = None

    def refuse_if_closed(self, session: Any = None) -> None:
        """What aiohttp raises for a request on a closed session."""
        if self.session_closed or getattr(session, "closed", False):
            raise RuntimeError("Session is closed")

    def record(self, method: str, path: str, url: str, payload: dict | None) -> Call:
        call = Call(method, path, url, payload)
        self.calls.append(call)
        return call

    def reply_for(self, call: Call) -> Any:
        if call.method == "DELETE" or "typing" in call.path:
            return None
        if call.path == "/users/@me":  # login
            return user_payload(BOT_ID, "attribot", bot=True)
        if call.path == "/oauth2/applications/@me":  # login: the application's info
            return application_payload()
        if "/callback" in call.path:
            return {"interaction": {"id": str(snowflake()), "type": 2}}
        if call.path.endswith("/threads"):
            if self.thread_fails:
                raise discord.Forbidden(_FakeResponse(403), "Missing Permissions")
            parent = int(call.url.split("/channels/")[1].split("/")[0])
            guild = next(g for g, c in CHANNELS.items() if c == parent)
            name = (call.payload or {}).get("name", "thread")
            thread = thread_payload(snowflake(), guild, parent, BOT_ID, name)
            self.threads.append(thread)
            if self.on_thread is not None:
                self.on_thread(thread)
            return thread
        body = call.message or {}
        return message_payload(
            content=body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            flags=body.get("flags") or 0,
        )

    # views of what was sent
    def messages(self) -> list[Call]:
        return [c for c in self.calls if c.carries_message()]

    def last_message(self) -> Call:
        sent = self.messages()
        assert sent, f"nothing was sent: {[(c.method, c.path) for c in self.calls]}"
        return sent[-1]

    def defers(self) -> list[Call]:
        return [
            c
            for c in self.calls
            if "/callback" in c.path and c.payload and c.payload.get("type") in (5, 6)
        ]


class _FakeResponse:
    def __init__(self, status: int):
        self.status = status
        self.reason = "Forbidden"


class FakeWebhookAdapter(AsyncWebhookAdapter):
    def __init__(self, fake: FakeDiscord):
        super().__init__()
        self.fake = fake

    async def request(self, route, session=None, *, payload=None, multipart=None, **kwargs):
        self.fake.refuse_if_closed(session)
        if multipart:  # files: the JSON part travels as "payload_json"
            payload = json.loads(multipart[0]["value"])
        call = self.fake.record(route.method, route.path, route.url, payload)
        return self.fake.reply_for(call)


def install_fake_http(bot: discord.Client, fake: FakeDiscord) -> None:
    """Replace the bot's REST client at its network boundary."""

    async def request(route, *, files=None, form=None, **kwargs):
        fake.refuse_if_closed(getattr(bot.http, "_HTTPClient__session", None))
        payload = kwargs.get("json")
        if form:
            payload = json.loads(next(f["value"] for f in form if f["name"] == "payload_json"))
        call = fake.record(route.method, route.path, route.url, payload)
        return fake.reply_for(call)

    async def get_from_cdn(url: str) -> bytes:
        fake.cdn_fetches.append(url)
        return fake.cdn[url]

    bot.http.request = request  # type: ignore[method-assign]
    bot.http.get_from_cdn = get_from_cdn  # type: ignore[method-assign]


class Harness:
    """One bot, set up as `login` would (minus the network), and ways to talk to it."""

    def __init__(self, bot: discord.Client):
        self.bot = bot
        self.fake = FakeDiscord()
        self.adapter = FakeWebhookAdapter(self.fake)
        install_fake_http(bot, self.fake)
        self.fake.on_thread = self._thread_created

    def _thread_created(self, thread: dict) -> None:
        """THREAD_CREATE, which Discord sends the bot for a thread it starts."""
        self.bot._connection.parse_thread_create({**thread, "newly_created": True})

    def thread_by(self, owner_id: int, guild_id: int = GUILD_ID) -> int:
        """Someone (not the bot) starts a thread in a server's channel; its id."""
        thread = thread_payload(snowflake(), guild_id, CHANNELS[guild_id], owner_id, "chat")
        self.bot._connection.parse_thread_create({**thread, "newly_created": True})
        return int(thread["id"])

    async def start(self) -> Harness:
        await self.bot._async_setup_hook()  # binds the loop, as login() does
        await self.bot.setup_hook()
        self.populate()
        return self

    def populate(self) -> None:
        """What the gateway's READY and GUILD_CREATE would tell: who the bot is, one server
        with one text channel."""
        state = self.bot._connection
        state.user = discord.ClientUser(state=state, data=user_payload(BOT_ID, "attribot", True))
        state.application_id = APP_ID
        for guild_id, name in ((GUILD_ID, "newsroom"), (OTHER_GUILD_ID, "book club")):
            guild = discord.Guild(
                data={"id": str(guild_id), "name": name, "owner_id": str(ADMIN_ID)}, state=state
            )
            state._add_guild(guild)
            channel = discord.TextChannel(
                state=state, guild=guild, data=channel_payload(guild_id=guild_id)
            )
            guild._add_channel(channel)
        self.guild = state._get_guild(GUILD_ID)
        self.channel = self.guild.get_channel(CHANNEL_ID)

    async def settle(self) -> None:
        """Wait until every task the bot started (command invokers, views) has finished."""
        me = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
            if not pending:
                return
            await asyncio.wait(pending, timeout=max(0.01, deadline - loop.time()))
        raise AssertionError(f"bot tasks did not settle: {pending}")

    # -- interactions -------------------------------------------------------------------------
    def _interaction(
        self,
        kind: int,
        data: dict,
        *,
        user_id: int,
        permissions: int,
        guild: bool = True,
        message: dict | None = None,
        guild_id: int = GUILD_ID,
    ) -> dict:
        payload: dict[str, Any] = {
            "id": str(snowflake()),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"token-{snowflake()}",
            "version": 1,
            "data": data,
            "attachment_size_limit": 25 * 1024 * 1024,
            "app_permissions": str(SEND_MESSAGES),
            "locale": "en-US",
            "entitlements": [],
            "channel": channel_payload(dm=not guild, guild_id=guild_id),
        }
        user = user_payload(user_id, "admin" if user_id == ADMIN_ID else "member")
        if guild:
            payload["guild_id"] = str(guild_id)
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": TIMESTAMP,
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions),
            }
        else:
            payload["user"] = user
            payload["channel"] = {"id": str(CHANNEL_ID), "type": 1, "recipients": [user]}
        if message is not None:
            payload["message"] = message
        return payload

    def command_data(self, name: str, options: dict[str, Any], focused: str | None = None) -> dict:
        command = self.bot.tree.get_command(name)
        assert command is not None, name
        spec = {o["name"]: o for o in command.to_dict(self.bot.tree).get("options", [])}
        data: dict[str, Any] = {"id": str(snowflake()), "name": name, "type": 1, "options": []}
        resolved: dict[str, Any] = {}
        for key, value in options.items():
            option = {"name": key, "type": spec[key]["type"], "value": value}
            if spec[key]["type"] == 11:  # attachment: the value is an id into `resolved`
                resolved.setdefault("attachments", {})[value["id"]] = value
                option["value"] = value["id"]
            if key == focused:
                option["focused"] = True
            data["options"].append(option)
        if resolved:
            data["resolved"] = resolved
        return data

    async def command(
        self,
        name: str,
        *,
        user_id: int = MEMBER_ID,
        permissions: int = SEND_MESSAGES,
        guild: bool = True,
        guild_id: int = GUILD_ID,
        **options: Any,
    ) -> list[Call]:
        """Invoke a slash command the way the gateway delivers it (in server `guild_id`, or
        with `guild=False` in a DM); the calls it caused."""
        payload = self._interaction(
            2,
            self.command_data(name, options),
            user_id=user_id,
            permissions=permissions,
            guild=guild,
            guild_id=guild_id,
        )
        return await self._dispatch(payload)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        *,
        guild: bool = True,
        guild_id: int = GUILD_ID,
        **options: Any,
    ) -> list[dict]:
        payload = self._interaction(
            4,
            self.command_data(name, options, focused=focused),
            user_id=MEMBER_ID,
            permissions=SEND_MESSAGES,
            guild=guild,
            guild_id=guild_id,
        )
        calls = await self._dispatch(payload)
        (call,) = [c for c in calls if "/callback" in c.path]
        assert call.payload["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
        return call.payload["data"]["choices"]

    async def click(
        self,
        custom_id: str,
        message: dict,
        *,
        user_id: int = MEMBER_ID,
        guild: bool = True,
        guild_id: int = GUILD_ID,
    ) -> list[Call]:
        """Click a button on a message the bot sent (its components as Discord stored them)."""
        payload = self._interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            user_id=user_id,
            permissions=SEND_MESSAGES,
            message=message,
            guild=guild,
            guild_id=guild_id,
        )
        return await self._dispatch(payload)

    async def _dispatch(self, payload: dict) -> list[Call]:
        start = len(self.fake.calls)
        self.deliver(payload)
        await self.settle()
        return self.fake.calls[start:]

    def deliver(self, payload: dict) -> None:
        """Hand an interaction to the bot as the gateway does (INTERACTION_CREATE), without
        waiting for what it starts."""
        async_context.set(self.adapter)  # tasks created below inherit the fake network
        self.bot._connection.parse_interaction_create(payload)

    def ask_payload(self, question: str, *, user_id: int = MEMBER_ID, **options: Any) -> dict:
        """An /ask interaction as the gateway delivers it."""
        data = self.command_data("ask", {"question": question, **options})
        return self._interaction(2, data, user_id=user_id, permissions=SEND_MESSAGES)

    def calls_for(self, payload: dict) -> list[Call]:
        """What the bot sent in answer to one interaction (its token is in every URL)."""
        return [c for c in self.fake.calls if payload["token"] in c.url]

    # -- channel messages ---------------------------------------------------------------------
    async def post(self, content: str, **where: Any) -> list[Call]:
        """A member posts in a server's channel, or in a thread, optionally as a reply
        (MESSAGE_CREATE from the gateway; `where`: as `deliver_message` takes it)."""
        start = len(self.fake.calls)
        self.deliver_message(content, **where)
        await self.settle()
        return self.fake.calls[start:]

    def deliver_message(
        self,
        content: str,
        *,
        mention_bot: bool = True,
        guild_id: int = GUILD_ID,
        channel_id: int | None = None,
        reply_to: dict | None = None,
    ) -> dict:
        """Hand a member's message to the bot without waiting for what it starts; its payload.
        `mention_bot` puts the bot in the message's mentions (with or without "<@id>" in
        the text); a reply to the bot's message has it there anyway, as Discord's default
        reply ping does."""
        replied_bot = reply_to is not None and reply_to["author"]["id"] == str(BOT_ID)
        mentions = [user_payload(BOT_ID, "attribot", True)] if mention_bot or replied_bot else []
        payload = message_payload(
            content=content,
            author_id=MEMBER_ID,
            mentions=mentions,
            channel_id=channel_id or CHANNELS[guild_id],
            guild_id=guild_id,
        )
        payload["member"] = {"roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False}
        if reply_to is not None:
            payload["type"] = 19  # REPLY
            payload["message_reference"] = {
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                "guild_id": str(guild_id),
            }
            payload["referenced_message"] = reply_to
        self.bot._connection.parse_message_create(payload)
        return payload

    def thread_ids(self) -> list[int]:
        """The threads the bot has created, oldest first."""
        return [int(t["id"]) for t in self.fake.threads]


def application_payload() -> dict:
    return {
        "id": str(APP_ID),
        "name": "attribot",
        "description": "",
        "icon": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": user_payload(ADMIN_ID, "admin"),
        "verify_key": "0" * 64,
        "flags": 0,
    }


def as_stored_message(call: Call, flags: int | None = None) -> dict:
    """The message Discord would store (and hand back on a click) for a call that sent one,
    in the channel (or thread) it was sent to."""
    body = call.message or {}
    channel = call.url.split("/channels/")[1].split("/")[0] if "/channels/" in call.url else None
    return message_payload(
        content=body.get("content") or "",
        embeds=body.get("embeds"),
        components=body.get("components"),
        flags=body.get("flags") or 0 if flags is None else flags,
        channel_id=int(channel) if channel else CHANNEL_ID,
    )


def attachment_payload(filename: str, data: bytes, size: int | None = None) -> dict:
    attachment_id = str(snowflake())
    return {
        "id": attachment_id,
        "filename": filename,
        "size": len(data) if size is None else size,
        "url": f"https://cdn.discordapp.com/attachments/1/{attachment_id}/{filename}",
        "proxy_url": f"https://media.discordapp.net/attachments/1/{attachment_id}/{filename}",
        "content_type": "text/plain",
    }


def embed_total(embed: dict) -> int:
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += len((embed.get("author") or {}).get("name", ""))
    for f in embed.get("fields", []):
        total += len(f["name"]) + len(f["value"])
    return total


def assert_within_discord_limits(call: Call) -> None:
    """Every documented message/embed limit, checked on the JSON that would be sent."""
    body = call.message or {}
    assert len(body.get("content") or "") <= 2000
    embeds = body.get("embeds") or []
    assert len(embeds) <= 10
    assert sum(embed_total(e) for e in embeds) <= 6000
    for e in embeds:
        assert len(e.get("title", "")) <= 256
        assert len(e.get("description", "")) <= 4096
        assert len((e.get("footer") or {}).get("text", "")) <= 2048
        assert len((e.get("author") or {}).get("name", "")) <= 256
        assert len(e.get("fields", [])) <= 25
        for f in e.get("fields", []):
            assert 0 < len(f["name"]) <= 256
            assert 0 < len(f["value"]) <= 1024
    for custom_id in call.custom_ids:
        assert len(custom_id) <= 100


def assert_pings_nobody(calls: list[Call]) -> None:
    """Every call that carries a message says: parse no mentions, ping no replied user."""
    sent = [c for c in calls if c.carries_message()]
    assert sent, "no message was sent"
    for call in sent:
        mentions = (call.message or {}).get("allowed_mentions")
        assert mentions is not None, f"{call.method} {call.path} has no allowed_mentions"
        assert mentions.get("parse") == [], mentions
        assert not mentions.get("users") and not mentions.get("roles"), mentions
        assert not mentions.get("replied_user", False), mentions

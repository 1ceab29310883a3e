"""Which collections a Discord server, or a direct message, may see, and where its uploads go.

A leaf module: cogs, views and the application all take these from here.

- A server's uploads (`/ingest`) go to its own collection, "guild:<server id>", which no
  other server reads (unless the operator maps one to it in ATTRIBOT_GUILD_COLLECTIONS).
- A server reads its own collection plus ATTRIBOT_SHARED_COLLECTIONS (default: "default",
  where `attribot ingest` puts documents), or plus its own list in
  ATTRIBOT_GUILD_COLLECTIONS.
- A direct message has no server: it reads the shared collections only.
"""

from __future__ import annotations

from bot.settings import Settings
from retrieval.scope import Scope

DIRECT = "dm"  # where an answer was given, for one outside any server


def guild_collection(guild_id: int) -> str:
    """The collection a server's uploads go to."""
    return f"guild:{guild_id}"


def scope_for(settings: Settings, guild_id: int | None) -> Scope:
    """What a question asked in `guild_id` (None: a direct message) may see."""
    if guild_id is None:
        return Scope.of(settings.shared_collections)
    reads = settings.guild_collections.get(guild_id, settings.shared_collections)
    return Scope.of([guild_collection(guild_id), *reads])


def place_of(guild_id: int | None) -> str:
    """Where an answer was given: its buttons act only there."""
    return DIRECT if guild_id is None else guild_collection(guild_id)


def scope_labels(scope: Scope, guild_id: int | None) -> list[str]:
    """The scope's collections in a user's words: "this server's uploads" for its own."""
    own = guild_collection(guild_id) if guild_id is not None else None
    return [
        "this server's uploads" if name == own else name
        for name in sorted(scope.names, key=lambda n: (n != own, n))
    ]

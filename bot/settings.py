"""Settings from the environment or a `.env` file; `.env.example` documents each one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.backend import VECTOR_BACKENDS, BackendSettings
from retrieval.embedder import BACKENDS
from retrieval.scope import DEFAULT_COLLECTION, check_collection


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # SecretStr: the token never shows in a repr, a log line or a traceback.
    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")
    discord_guild_id: int | None = Field(default=None, alias="DISCORD_GUILD_ID")
    index: Path = Field(default=Path("data/index"), alias="ATTRIBOT_INDEX")
    model: str | None = Field(default=None, alias="ATTRIBOT_MODEL")
    log_level: str = Field(default="INFO", alias="ATTRIBOT_LOG_LEVEL")
    max_file_mb: float = Field(default=20.0, alias="ATTRIBOT_MAX_FILE_MB")
    max_question_chars: int = Field(default=500, alias="ATTRIBOT_MAX_QUESTION_CHARS")
    cooldown_seconds: float = Field(default=5.0, alias="ATTRIBOT_COOLDOWN_SECONDS")
    mention_reply: str = Field(default="thread", alias="ATTRIBOT_MENTION_REPLY")  # thread | reply
    # Ask Discord for the Message Content intent (privileged: turn it on in the developer
    # portal first, or the bot cannot connect), so a follow-up in a thread the bot started
    # needs no @mention. Without it Discord sends the bot only the text of messages that
    # mention it.
    message_content: bool = Field(default=False, alias="ATTRIBOT_MESSAGE_CONTENT")
    workers: int = Field(default=2, alias="ATTRIBOT_WORKERS")
    # On SIGTERM/SIGINT, how long the answers in flight may take to finish before the bot
    # stops anyway (their askers are then told to ask again).
    drain_seconds: float = Field(default=10.0, ge=0, alias="ATTRIBOT_DRAIN_SECONDS")
    # How long an answer's buttons (More, 👍/👎) keep working; older answers are pruned.
    answer_days: float = Field(default=30.0, gt=0, alias="ATTRIBOT_ANSWER_DAYS")
    # None: whatever the index was built with (exact "torch" for a new one); "int8" is 1.4-1.5x
    # faster to embed on CPU at -0.002 Recall@5; with pip install 'attribot[onnx]', "onnx" is
    # 1.4x with the same vectors and "onnx-int8" 2.8x at -0.001 (bench/perf.py --backends-only,
    # bench/retrieval_eval.py --backend).
    embed_backend: str | None = Field(default=None, alias="ATTRIBOT_EMBED_BACKEND")
    # None: whatever the index was built with (FAISS for a new one); "milvus" keeps the
    # vectors and the BM25 index in Milvus (pip install 'attribot[milvus]'): at
    # ATTRIBOT_MILVUS_URI, a server (http(s)://) or a Milvus Lite path (*.db; default: in the
    # index folder), with ATTRIBOT_MILVUS_TOKEN ("user:password" or an API key; a secret).
    vector_backend: str | None = Field(default=None, alias="ATTRIBOT_VECTOR_BACKEND")
    milvus_uri: str | None = Field(default=None, alias="ATTRIBOT_MILVUS_URI")
    milvus_token: SecretStr | None = Field(default=None, alias="ATTRIBOT_MILVUS_TOKEN")
    # Collections every Discord server reads besides its own uploads ("guild:<id>"), and all
    # that direct messages read: comma-separated. The default collection is where
    # `attribot ingest` puts documents without --collection, so an existing one-corpus bot
    # keeps answering from it everywhere. Empty: each server sees only its own uploads.
    shared_collections: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(DEFAULT_COLLECTION,), alias="ATTRIBOT_SHARED_COLLECTIONS"
    )
    # Per server, the collections it reads instead of the shared ones (its own uploads
    # always): JSON, {"<server id>": ["name", ...]}.
    guild_collections: Annotated[dict[int, tuple[str, ...]], NoDecode] = Field(
        default_factory=dict, alias="ATTRIBOT_GUILD_COLLECTIONS"
    )

    @field_validator("discord_token", "milvus_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value):
        return value or None

    @field_validator("discord_guild_id", "model", "milvus_uri", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value in ("", None) else value

    @field_validator("embed_backend", mode="before")
    @classmethod
    def _backend(cls, value):
        if value in ("", None):
            return None
        if value not in BACKENDS:
            raise ValueError(f"must be one of {', '.join(BACKENDS)}")
        return value

    @field_validator("vector_backend", mode="before")
    @classmethod
    def _vector_backend(cls, value):
        if value in ("", None):
            return None
        if value not in VECTOR_BACKENDS:
            raise ValueError(f"must be one of {', '.join(VECTOR_BACKENDS)}")
        return value

    @field_validator("shared_collections", mode="before")
    @classmethod
    def _shared(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return tuple(check_collection(name) for name in value)

    @field_validator("guild_collections", mode="before")
    @classmethod
    def _per_guild(cls, value):
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError(
                    'must be JSON like {"123456789012345678": ["default", "archive"]}'
                ) from None
        if not isinstance(value, dict) or not all(
            str(guild).isdigit() and isinstance(names, list | tuple)
            for guild, names in value.items()
        ):
            raise ValueError("must map server ids (numbers) to lists of collection names")
        return {
            int(guild): tuple(check_collection(name) for name in names)
            for guild, names in value.items()
        }

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("mention_reply")
    @classmethod
    def _mention_reply(cls, value: str) -> str:
        if value not in {"thread", "reply"}:
            raise ValueError("must be 'thread' or 'reply'")
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def token(self) -> str | None:
        return self.discord_token.get_secret_value() if self.discord_token else None

    @property
    def search(self) -> BackendSettings:
        """Which search backend a new index uses, and where Milvus is."""
        token = self.milvus_token.get_secret_value() if self.milvus_token else None
        return BackendSettings(self.vector_backend, self.milvus_uri, token)

    @property
    def secrets(self) -> list[str]:
        """What no log line may show (bot/logs.py redacts them)."""
        return [s.get_secret_value() for s in (self.discord_token, self.milvus_token) if s]

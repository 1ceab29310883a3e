"""Logging set-up: one line per event on stderr, libraries kept quiet, secrets never shown."""

from __future__ import annotations

import logging
import os
import re

_NOISY = (
    "sentence_transformers",
    "faiss",
    "transformers",
    "httpx",
    "urllib3",
    "bm25s",
    "pymilvus",
    "milvus_lite",
    "grpc",
)
# Discord bot tokens: three dot-separated base64 parts. Redacted from any log record.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TOKEN.sub("[token]", message)
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "[token]")
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        # A traceback can carry the token too (an exception message, a URL, a local repr).
        # Render it once here, redacted, and drop exc_info so that no later handler (e.g.
        # discord.py's, which re-renders tracebacks itself) can print the raw one.
        if record.exc_info:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True

    def _clean(self, text: str) -> str:
        text = _TOKEN.sub("[token]", text)
        for secret in self.secrets:
            text = text.replace(secret, "[token]")
        return text


class DropVoiceWarnings(logging.Filter):
    """Attribot never joins voice channels: discord.py's "voice will NOT be supported"
    warnings at every start only worry people."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def quiet_libraries() -> None:
    logging.getLogger("discord.client").addFilter(DropVoiceWarnings())
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def setup_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    quiet_libraries()
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    handler.addFilter(RedactSecrets(secrets))
    # Some libraries (bm25s) set their own loggers to DEBUG on import; the handler's level
    # keeps them at the level asked for.
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

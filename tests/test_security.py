"""Security properties: replies never ping, admin commands are checked on our side, the token
never leaves the environment, uploads cannot escape their folder, and nothing loads user
files with code-executing deserialisers.

The bot runs with its real CommandTree, cogs and views over a real index; only Discord's
network is replaced (tests/discord_helpers.py).
"""

from __future__ import annotations

import ast
import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import create_bot
from bot.service import AttribotService
from bot.settings import Settings
from retrieval.ingest import ingest_paths
from tests.conftest import bot_settings
from tests.discord_helpers import (
    ADMIN_ID,
    BOT_ID,
    MANAGE_GUILD,
    MEMBER_ID,
    SEND_MESSAGES,
    Harness,
    as_stored_message,
    assert_pings_nobody,
    attachment_payload,
)

ROOT = Path(__file__).resolve().parents[1]
ATTRIBOT = Path(sys.executable).with_name("attribot")
# Shaped like a real bot token (so the pattern-based redaction would catch it too) ...
SHAPED_TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GabcDE.abcdefghijklmnopqrstuvwxyz0123456"
# ... and one that is not: only the exact-secret redaction can hide this one.
ODD_TOKEN = "fake-token-Zq8wL3pXv9"

PINGY = (
    "Harbour notice board\n\n"
    "A notice for @everyone and @here: the ferry to Kestrel Island is cancelled, said "
    'harbour master <@123456789012345678>. "Tell <@!123456> and the <@&987654> crew," '
    "she said.\n\n"
    "Ferry passengers were asked to read <#555555> for updates from the harbour office.\n"
)


@pytest.fixture()
def pingy_service(index_copy, tmp_path):
    """The sample index plus an article full of mentions."""
    doc = tmp_path / "notice.txt"
    doc.write_text(PINGY)
    svc = AttribotService(index_copy)
    summary = ingest_paths(svc.index, [doc])
    assert summary.documents_added == 1
    yield svc
    svc.index.close()


@pytest.fixture()
async def pingy(pingy_service, tmp_path):
    bot = create_bot(
        bot_settings(pingy_service.index.folder),
        pingy_service,
        answers_path=tmp_path / "answers.sqlite3",
    )
    h = await Harness(bot).start()
    yield h
    await h.bot.close()


# -- nobody gets pinged -------------------------------------------------------------------------
async def test_answers_quoting_mentions_ping_nobody(pingy):
    calls = await pingy.command("ask", question="Is the ferry to Kestrel Island cancelled?")
    assert_pings_nobody(calls)
    text = str([c.embeds for c in calls])
    assert "@everyone" in text  # the text is shown as written; it just pings no one
    calls += await pingy.command("quotes", speaker="harbour", topic="ferry crew")
    calls += await pingy.post(f"<@{BOT_ID}> who said tell the crew?")
    calls += await pingy.command("ask", question="@everyone ferry <@123456789012345678>")
    calls += await pingy.command("speakers")
    calls += await pingy.command("stats")
    assert_pings_nobody(calls)
    # Buttons on an answer (more, source, feedback) send or edit messages too.
    answer = next(c for c in calls if c.custom_ids and "/callback" not in c.path)
    for custom_id in answer.custom_ids:
        clicked = await pingy.click(custom_id, as_stored_message(answer), user_id=ADMIN_ID)
        sent = [c for c in clicked if c.carries_message()]
        if sent:
            assert_pings_nobody(clicked)
    # /source of every passage of the notice
    ids = [
        r[0]
        for r in pingy.bot._service.index.store.db.execute(
            "SELECT p.id FROM paragraphs p JOIN documents d ON d.id=p.document_id "
            "WHERE d.path LIKE '%notice.txt'"
        )
    ]
    for pid in ids:
        assert_pings_nobody(await pingy.command("source", id=pid))


async def test_errors_echoing_user_text_ping_nobody(pingy):
    """An error can quote what the user typed ("No speaker matching @everyone")."""
    calls = await pingy.command("ask", question="ferry", speaker="@everyone <@&987654>")
    assert_pings_nobody(calls)
    calls = await pingy.command("ask", question="\u200b @here \u200f" * 1000)
    assert_pings_nobody(calls)


def test_bot_default_allowed_mentions_is_none(service):
    bot = create_bot(bot_settings(service.index.folder), service)
    mentions = bot.allowed_mentions
    assert mentions is not None
    payload = mentions.to_dict()
    # Discord reads a missing replied_user as false once allowed_mentions is given
    assert payload["parse"] == [] and not payload.get("replied_user", False)
    assert not payload.get("users") and not payload.get("roles")


SEND_METHODS = {"send", "reply", "send_message", "edit_original_response", "edit_message", "edit"}


def test_every_send_in_the_bot_passes_allowed_mentions():
    """A static net under the dynamic tests: any call that sends or edits a message in bot/
    says `allowed_mentions=` explicitly (the client default is a second line of defence)."""
    missing = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SEND_METHODS
                and not any(k.arg == "allowed_mentions" for k in node.keywords)
                and not any(k.arg is None for k in node.keywords)  # **kwargs carrying it
            ):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}(...)")
    assert not missing, "sends without allowed_mentions:\n" + "\n".join(missing)


# -- admin commands ------------------------------------------------------------------------------
@pytest.mark.parametrize("permissions", [0, SEND_MESSAGES, SEND_MESSAGES | (1 << 13)])
@pytest.mark.parametrize("command", ["ingest", "reindex"])
async def test_admin_commands_refused_server_side(pingy, command, permissions):
    """Even when a server re-grants the command to everyone (Discord would deliver it),
    the bot checks Manage Server itself and changes nothing."""
    store = pingy.bot._service.index.store
    before = (store.generation, store.counts())
    options = {}
    if command == "ingest":
        data = b"Sneaky article. The mayor said nothing."
        options["file"] = attachment_payload("sneaky.txt", data)
        pingy.fake.cdn[options["file"]["url"]] = data
    calls = await pingy.command(command, user_id=MEMBER_ID, permissions=permissions, **options)
    sent = [c for c in calls if c.carries_message()]
    assert len(sent) == 1 and sent[0].ephemeral
    assert "Only server managers" in sent[0].content
    assert not pingy.fake.cdn_fetches
    assert (store.generation, store.counts()) == before


@pytest.mark.parametrize(
    ("filename", "saved_as"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        (".env.txt", "env.txt"),
        ("a\x00b.txt", "a_b.txt"),
    ],
)
async def test_upload_names_cannot_escape_the_upload_folder(
    pingy, tmp_path, monkeypatch, filename, saved_as
):
    folder = tmp_path / "upload"
    monkeypatch.setattr(
        "bot.cogs.admin.tempfile.mkdtemp", lambda **kw: str(folder.mkdir() or folder)
    )
    written: list[Path] = []
    real_write = Path.write_bytes

    def write_bytes(self, data):
        written.append(self)
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    data = b"Ferry news. The ferry runs again on Monday, the harbour office said."
    attachment = attachment_payload(filename, data)
    pingy.fake.cdn[attachment["url"]] = data
    calls = await pingy.command(
        "ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, file=attachment
    )
    assert_pings_nobody(calls)
    assert [p.name for p in written] == [saved_as]
    assert all(p.resolve().parent == folder.resolve() for p in written)
    assert not folder.exists()  # removed after ingesting


async def test_upload_over_the_limit_is_refused_before_and_after_download(
    pingy, monkeypatch, tmp_path
):
    # declared too big: refused without downloading
    big = attachment_payload("big.txt", b"", size=21 * 1024 * 1024)
    calls = await pingy.command("ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, file=big)
    assert "the limit is 20.0 MB" in calls[-1].content and calls[-1].ephemeral
    assert not pingy.fake.cdn_fetches
    # declared small but actually big (a lying client): refused after download, nothing kept
    store = pingy.bot._service.index.store
    generation = store.generation
    pingy.bot.settings.max_file_mb = 0.001
    data = b"x " * 4000
    liar = attachment_payload("liar.txt", data, size=10)
    pingy.fake.cdn[liar["url"]] = data
    calls = await pingy.command("ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, file=liar)
    assert_pings_nobody(calls)
    assert any("larger than" in c.content for c in calls if c.carries_message())
    assert store.generation == generation


# -- the token -------------------------------------------------------------------------------------
def test_settings_never_show_the_token(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", ODD_TOKEN)
    settings = Settings(_env_file=None)
    assert settings.token == ODD_TOKEN
    assert ODD_TOKEN not in repr(settings) and ODD_TOKEN not in str(settings.model_dump())


def test_token_comes_only_from_environment_or_dotenv():
    """No command takes the token as an option (it would land in shell history and `ps`)."""
    from bot.cli import cli

    for name, command in cli.commands.items():
        for param in command.params:
            names = " ".join(param.opts + param.secondary_opts).lower()
            assert "token" not in names, f"attribot {name} {names}"
    fields = {f.alias for f in Settings.model_fields.values() if f.alias}
    assert "DISCORD_TOKEN" in fields


def test_dotenv_token_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={ODD_TOKEN}\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().token == ODD_TOKEN


@pytest.mark.parametrize("token", [SHAPED_TOKEN, ODD_TOKEN])
def test_token_never_logged_by_cli_startup_paths(built_index, tmp_path, token):
    """`attribot run` (bot start-up: login fails offline) and `attribot sync`, at DEBUG:
    the token appears in no output, and the failure is one line, not a traceback."""
    env = dict(os.environ, DISCORD_TOKEN=token, ATTRIBOT_LOG_LEVEL="DEBUG")
    env["ATTRIBOT_INDEX"] = str(built_index)
    for args in (["run"], ["sync"], ["stats"]):
        proc = subprocess.run(
            [str(ATTRIBOT), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        output = proc.stdout + proc.stderr
        assert token not in output, f"attribot {args[0]} leaked the token"
        assert "Traceback" not in output
        if args[0] != "stats":
            assert proc.returncode == 1  # no network here: login fails, cleanly
            assert proc.stderr.strip().splitlines()[-1].startswith("error: ")


@pytest.fixture()
def restore_logging():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]


async def test_token_never_logged_by_the_bot_in_process(pingy, monkeypatch, restore_logging):
    """Logging set up as the CLI does, plus discord.py's own handler after ours (which
    re-renders tracebacks itself: the harder case), at DEBUG; then
    commands, an unexpected failure (its traceback is logged) and a library log line that
    contains the token itself."""
    import discord

    from bot.logs import setup_logging

    monkeypatch.setenv("DISCORD_TOKEN", ODD_TOKEN)
    settings = Settings(_env_file=None, index=pingy.bot.settings.index, cooldown_seconds=0)
    setup_logging("DEBUG", secrets=[settings.token])
    ours = io.StringIO()
    logging.getLogger().handlers[0].setStream(ours)
    theirs = io.StringIO()
    discord.utils.setup_logging(handler=logging.StreamHandler(theirs), level=logging.DEBUG)
    pingy.bot.settings = settings

    def boom(*args):
        raise RuntimeError(f"upstream said: bad auth {ODD_TOKEN}")

    monkeypatch.setattr(pingy.bot._service, "ask", boom)
    calls = await pingy.command("ask", question="ferry")
    assert "Sorry" in calls[-1].content
    logging.getLogger("discord.http").debug("header Authorization: Bot %s", ODD_TOKEN)
    try:
        raise ConnectionError(f"login {ODD_TOKEN}")
    except ConnectionError:
        logging.getLogger("attribot").debug("unexpected error", exc_info=True)
    for err in (ours.getvalue(), theirs.getvalue()):
        assert "upstream said" in err and "Traceback" in err  # the logs did happen
        assert ODD_TOKEN not in err
    assert ODD_TOKEN not in str([c.payload for c in calls])


def test_redaction_covers_exception_text():
    """A traceback whose message holds the token is redacted too, not just the log line."""
    from bot.logs import RedactSecrets

    handler = logging.Handler()
    handler.addFilter(RedactSecrets([ODD_TOKEN]))
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        raise RuntimeError(f"login with {ODD_TOKEN} failed")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    handler.filter(record)
    assert ODD_TOKEN not in handler.format(record)


def test_dotenv_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in [line.strip() for line in ignored]
    proc = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, check=False
    )
    assert proc.returncode == 0, ".env is not ignored by git"
    tracked = subprocess.run(
        ["git", "ls-files", ".env", "*.env"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert not tracked.strip(), f"tracked env files: {tracked}"


# -- no code-executing loads -----------------------------------------------------------------------
DANGEROUS = [
    (re.compile(r"\bimport\s+pickle\b|\bpickle\.load|\bcPickle\b|\bdill\b"), "pickle"),
    (re.compile(r"\btorch\.load\s*\("), "torch.load"),
    (re.compile(r"(?<![\w.])eval\s*\("), "eval("),
    (re.compile(r"(?<![\w.])exec\s*\("), "exec("),
    (re.compile(r"allow_pickle\s*=\s*True"), "allow_pickle=True"),
    (re.compile(r"\byaml\.load\s*\((?![^)]*SafeLoader)"), "yaml.load without SafeLoader"),
    (re.compile(r"\bjoblib\.load\b|\bmarshal\.loads?\b|\bshelve\.open\b"), "joblib/marshal/shelve"),
    (re.compile(r"\bshell\s*=\s*True\b"), "shell=True"),
]


def test_no_code_executing_loads_in_the_source_tree():
    """Nothing outside tests may deserialise with pickle or evaluate strings: index folders and
    uploads are user-suppliable, and a pickle in one would run code on load."""
    found = []
    for folder in ("corpus", "retrieval", "bot", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                code = line.split("#", 1)[0]
                for pattern, what in DANGEROUS:
                    if pattern.search(code):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
    assert not found, "\n".join(found)


def test_numpy_loads_of_index_files_refuse_pickles(index_copy, tmp_path):
    """np.load's default (allow_pickle=False) is what protects the keyword index files."""
    import numpy as np

    evil = tmp_path / "ids.npy"
    np.save(evil, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        np.load(evil)


def test_cli_never_prints_a_traceback_even_for_unexpected_errors(monkeypatch, tmp_path):
    from bot import cli as cli_module

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli_module, "_service", broken)
    result = CliRunner().invoke(cli_module.cli, ["stats", "--index", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip() == (
        "error: unexpected ZeroDivisionError: boom (run with ATTRIBOT_LOG_LEVEL=DEBUG for details)"
    )


@pytest.mark.parametrize("user", [MEMBER_ID, ADMIN_ID])
async def test_private_answers_stay_private(pingy, user):
    calls = await pingy.command("ask", question="ferry cancelled", private=True, user_id=user)
    sent = [c for c in calls if c.carries_message()]
    assert sent and all(c.ephemeral for c in sent)


def test_run_bot_logs_once_through_the_redacting_handler(monkeypatch, restore_logging, tmp_path):
    """The bot's start-up leaves exactly one root handler, and it redacts the token."""
    from bot import app
    from bot.logs import RedactSecrets

    async def offline(*args):
        logging.getLogger("discord.client").info("logging in using static token %s", ODD_TOKEN)

    monkeypatch.setattr(app, "_run", offline)
    monkeypatch.setenv("DISCORD_TOKEN", ODD_TOKEN)
    app.run_bot(Settings(_env_file=None, index=tmp_path))
    handlers = logging.getLogger().handlers
    assert len(handlers) == 1, handlers
    assert any(isinstance(f, RedactSecrets) for f in handlers[0].filters)

"""The bot's answers in a terminal: read questions line by line until end of input.

A line is a question, or one of the bot's commands written the same way:
`/quotes NAME [| TOPIC]`, `/speakers [FILTER]`, `/source ID`, `/stats`, `/new`, `/help`.
Questions make a conversation, as in a thread the bot started on Discord: a follow-up ("what
else did he say?") is read with the last turns (bot.conversation), and a line above the
answer says which; `/new` starts afresh.
"""

from __future__ import annotations

import logging
from typing import TextIO

from bot.conversation import Conversation
from bot.render import NO_ANSWER, display_quote, no_passage, plural, render_answer, render_hit
from bot.service import AttribotService, BadQuestion

log = logging.getLogger(__name__)

HELP = """Type a question, or:
  /quotes NAME [| TOPIC]   what a speaker said
  /speakers [FILTER]       speakers with roles and quote counts
  /source ID               a passage in its article context
  /stats                   corpus size
  /new                     a new conversation: follow-ups forget the questions before
  /help                    this text
A question can follow up the last ones: "what else did he say?", "and about the fares?",
"who else commented?"."""
NEW_CONVERSATION = "New conversation: the next question starts from nothing."


def answer_line(
    service: AttribotService, line: str, conversation: Conversation | None = None
) -> str:
    """The reply to one line, as the bot would show it. With a `conversation`, a question
    is read with its last turns and added to them (a line in parentheses first says which
    context was used), and `/new` clears it; without one, every question stands alone."""
    line = line.strip()
    if not line.startswith("/"):
        if conversation is None:
            return render_answer(service.ask(line))
        return converse(service, line, conversation)
    command, _, rest = line[1:].partition(" ")
    rest = rest.strip()
    if command == "help":
        return HELP
    if command == "new":
        if conversation is not None:
            conversation.clear()
        return NEW_CONVERSATION
    if command == "stats":
        return "\n".join(f"{k}: {v}" for k, v in service.stats().to_json().items())
    if command == "speakers":
        speakers = service.speakers(rest or None)
        if not speakers:
            return "No speakers match." if rest else "No speakers yet."
        return "\n".join(
            f"{s.name}"
            + (f" ({'; '.join(s.roles)})" if s.roles else "")
            + f" — {plural(s.quote_count, 'quote')}"
            for s in speakers
        )
    if command == "quotes":
        name, _, topic = rest.partition("|")
        info = service.speaker(name)  # UnknownSpeaker: "error: no speaker called …"
        hits = service.quotes(info, topic.strip() or None)
        if not hits:
            return NO_ANSWER
        lines = [f"What {speaker_label_for(info)} said:"]
        for hit in hits:
            for attr in hit.attributions:
                if attr.speaker and attr.speaker.lower() == info.name.lower():
                    lines.append(
                        f"  “{display_quote(attr.quote)}” ({hit.title}, id {hit.paragraph_id})"
                    )
        return "\n".join(lines)
    if command == "source":
        if not rest.isdigit():
            return "Usage: /source ID (the id shown after each passage)"
        hits = service.source(int(rest))
        if not hits:
            return no_passage(rest)
        return "\n\n".join(render_hit(h, h.paragraph_index + 1) for h in hits)
    return f"Unknown command /{command}. {HELP}"


def converse(service: AttribotService, line: str, conversation: Conversation) -> str:
    """A question of the conversation: the context used (if any), then the answer."""
    reply = service.converse(line, conversation)
    conversation.add(reply.turn)
    empty = reply.followup.nothing()
    text = empty if empty and not reply.answer.hits else render_answer(reply.answer)
    return f"({reply.note})\n{text}" if reply.note else text


def speaker_label_for(info) -> str:
    return f"{info.name}, {info.roles[0]}" if info.roles else info.name


def chat(service: AttribotService, inp: TextIO, out: TextIO, interactive: bool = False) -> int:
    """Answer every line of `inp` as one conversation; returns how many lines failed."""
    failures = 0
    conversation = Conversation()
    if interactive:
        out.write("Ask a question about the corpus (/help for commands, Ctrl-D to quit).\n> ")
        out.flush()
    for line in inp:
        if line.strip():
            try:
                reply = answer_line(service, line, conversation)
            except BadQuestion as exc:
                reply, failures = f"error: {exc}", failures + 1
            out.write(reply + "\n\n")
        if interactive:
            out.write("> ")
        out.flush()
    return failures

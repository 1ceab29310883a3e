"""The bot's answers in a terminal: read questions line by line until end of input.

A line is a question, or one of the bot's commands written the same way:
`/quotes NAME [| TOPIC]`, `/speakers [FILTER]`, `/source ID`, `/stats`, `/help`.
"""

from __future__ import annotations

import logging
from typing import TextIO

from bot.render import NO_ANSWER, display_quote, no_passage, plural, render_answer, render_hit
from bot.service import AttribotService, BadQuestion

log = logging.getLogger(__name__)

HELP = """Type a question, or:
  /quotes NAME [| TOPIC]   what a speaker said
  /speakers [FILTER]       speakers with roles and quote counts
  /source ID               a passage in its article context
  /stats                   corpus size
  /help                    this text"""


def answer_line(service: AttribotService, line: str) -> str:
    """The reply to one line, as the bot would show it."""
    line = line.strip()
    if not line.startswith("/"):
        return render_answer(service.ask(line))
    command, _, rest = line[1:].partition(" ")
    rest = rest.strip()
    if command == "help":
        return HELP
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


def speaker_label_for(info) -> str:
    return f"{info.name}, {info.roles[0]}" if info.roles else info.name


def chat(service: AttribotService, inp: TextIO, out: TextIO, interactive: bool = False) -> int:
    """Answer every line of `inp`; returns how many lines failed."""
    failures = 0
    if interactive:
        out.write("Ask a question about the corpus (/help for commands, Ctrl-D to quit).\n> ")
        out.flush()
    for line in inp:
        if line.strip():
            try:
                reply = answer_line(service, line)
            except BadQuestion as exc:
                reply, failures = f"error: {exc}", failures + 1
            out.write(reply + "\n\n")
        if interactive:
            out.write("> ")
        out.flush()
    return failures

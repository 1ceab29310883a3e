"""Reading follow-ups (bot.conversation) and keeping a thread's turns in the answer log:
tables of phrasings, each with what it must be read as. No model: runs in the fast suite."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from bot.answer_log import AnswerLog
from bot.conversation import (
    MAX_TURNS,
    Conversation,
    Kind,
    Turn,
    looks_like_question,
    read_followup,
)

OKAFOR = "Dana Okafor"
LINDQVIST = "Tomas Lindqvist"
BRIDGE = Turn(
    question="What did Dana Okafor say about the bridge?",
    asked="What did Dana Okafor say about the bridge?",
    speaker=OKAFOR,
    topic="the bridge",
    shown=(6, 7, 1),
)
MINISTER = Turn(  # an answer about nobody a question could name
    question="What did the minister say about ticket prices?",
    asked="What did the minister say about ticket prices?",
    speaker=None,
    topic="ticket prices",
    shown=(25, 26),
)


def after(*turns: Turn) -> Conversation:
    conversation = Conversation()
    for turn in turns:
        conversation.add(turn)
    return conversation


# -- a pronoun: the last answer's person, named in the question -----------------------------
@pytest.mark.parametrize(
    ("line", "read_as"),
    [
        ("why did she resign?", "why did Dana Okafor resign?"),
        ("What did he say about the budget?", "What did Dana Okafor say about the budget?"),
        (
            "Does she think the repairs are overdue?",
            "Does Dana Okafor think the repairs are overdue?",
        ),
        ("Did they mention the cost?", "Did Dana Okafor mention the cost?"),
        ("what is her view on the ferry?", "what is Dana Okafor's view on the ferry?"),
        ("How did his team react?", "How did Dana Okafor's team react?"),
        (
            "What did the council ask her about the lanes?",
            "What did the council ask Dana Okafor about the lanes?",
        ),
        ("when did she say that?", "when did Dana Okafor say that?"),
        ("Is he still in charge of the works?", "Is Dana Okafor still in charge of the works?"),
    ],
)
def test_a_pronoun_is_the_last_answers_person(line, read_as):
    follow = read_followup(line, after(BRIDGE))
    assert (follow.kind, follow.question, follow.person) == (Kind.PRONOUN, read_as, OKAFOR)
    assert not follow.exclude and not follow.speaker_only  # a new question about them
    assert follow.note() == (
        "About Dana Okafor, continuing from “What did Dana Okafor say about the bridge?”"
    )


# -- "else" / "more" about a person: only their passages, none shown again --------------------
@pytest.mark.parametrize(
    ("line", "named", "person", "topic"),
    [
        ("what else did he say?", (), OKAFOR, "the bridge"),
        ("Did she say anything else?", (), OKAFOR, "the bridge"),
        ("anything more from her?", (), OKAFOR, "the bridge"),
        ("What other things did they say?", (), OKAFOR, "the bridge"),
        ("Give me more quotes from him", (), OKAFOR, "the bridge"),
        ("what else did she say about the buses?", (), OKAFOR, "the buses"),
        ("What else did Lindqvist say?", (LINDQVIST,), LINDQVIST, "the bridge"),
    ],
)
def test_else_about_a_person_keeps_to_their_passages_not_shown_yet(line, named, person, topic):
    follow = read_followup(line, after(BRIDGE), named)
    assert follow.kind is Kind.MORE and follow.speaker_only
    assert (follow.person, follow.topic) == (person, topic)
    assert follow.question == f"What did {person} say about {topic}?"
    assert follow.exclude == {6, 7, 1}
    assert follow.note().startswith(f"About {person}, continuing from “")
    assert follow.note().endswith("passages not shown yet")


@pytest.mark.parametrize(
    "line", ["more", "tell me more", "any more?", "what else?", "Anything else?", "more please"]
)
def test_more_repeats_the_last_question_without_what_was_shown(line):
    for last in (BRIDGE, MINISTER):
        follow = read_followup(line, after(last))
        assert follow.kind is Kind.MORE and not follow.speaker_only
        assert (follow.question, follow.exclude) == (last.asked, set(last.shown))
        assert follow.note() == f"Continuing from “{last.question}”: passages not shown yet"


def test_more_after_what_else_about_a_person_stays_with_them():
    first = read_followup("what else did she say?", after(BRIDGE))
    second = read_followup("more", after(BRIDGE, first.turn("what else did she say?", OKAFOR, [4])))
    assert (second.kind, second.person, second.speaker_only) == (Kind.MORE, OKAFOR, True)
    assert second.exclude == {6, 7, 1, 4}  # what every kept turn showed


# -- "and about X": the same person (or question) on a new topic ----------------------------
@pytest.mark.parametrize(
    ("line", "topic"),
    [
        ("and about the navy?", "the navy"),
        ("What about the ferry?", "the ferry"),
        ("how about the fares", "the fares"),
        ("And the budget?", "the budget"),
        ("also on the cyclists?", "the cyclists"),
        ("ok, what about the night trains?", "the night trains"),
        ("and regarding the grant?", "the grant"),
    ],
)
def test_and_about_x_asks_the_same_person_about_x(line, topic):
    follow = read_followup(line, after(BRIDGE))
    assert (follow.kind, follow.person, follow.topic) == (Kind.TOPIC, OKAFOR, topic)
    assert follow.question == f"What did Dana Okafor say about {topic}?"
    assert follow.note().startswith(f"About Dana Okafor, on “{topic}”, continuing from")
    # after an answer about nobody in particular, the last question's frame takes X
    follow = read_followup(line, after(MINISTER))
    assert follow.question == f"What did the minister say about {topic}?"
    assert follow.note().startswith(f"Now on “{topic}”")


def test_what_about_a_person_asks_them_about_the_same_topic():
    follow = read_followup("what about Lindqvist?", after(BRIDGE), [LINDQVIST])
    assert (follow.kind, follow.person) == (Kind.TOPIC, LINDQVIST)
    assert follow.question == "What did Tomas Lindqvist say about the bridge?"


def test_and_followed_by_a_question_is_that_question():
    follow = read_followup("and what did she say about the lanes?", after(BRIDGE))
    assert follow.kind is Kind.PRONOUN
    assert follow.question == "and what did Dana Okafor say about the lanes?"


# -- "who else": the same topic, other speakers ----------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "who else commented?",
        "Did anyone else comment?",
        "what did others say?",
        "What did other officials say?",
        "anybody else?",
        "Who else said that?",
        "what did the others think?",
    ],
)
def test_who_else_asks_the_same_topic_of_other_speakers(line):
    follow = read_followup(line, after(BRIDGE))
    assert follow.kind is Kind.OTHERS and follow.other_than == (OKAFOR,)
    assert follow.question == "What did people say about the bridge?"
    assert follow.topic == "the bridge" and not follow.speaker_only
    assert follow.note() == (
        "Speakers other than Dana Okafor on “the bridge”, continuing from "
        "“What did Dana Okafor say about the bridge?”"
    )


def test_who_else_again_leaves_out_everyone_answered_so_far():
    first = read_followup("who else commented?", after(BRIDGE))
    turn = first.turn("who else commented?", "Priya Raman", [8])
    second = read_followup("who else?", after(BRIDGE, turn))
    assert second.other_than == (OKAFOR, "Priya Raman")
    assert second.question == "What did people say about the bridge?"


def test_who_else_on_a_topic_of_its_own_and_besides_someone_named():
    follow = read_followup("who else commented on the fares?", after(BRIDGE))
    assert (follow.question, follow.other_than) == (
        "What did people say about the fares?",
        (OKAFOR,),
    )
    follow = read_followup("who else besides Lindqvist spoke?", after(BRIDGE), [LINDQVIST])
    assert follow.other_than == (OKAFOR, LINDQVIST)


# -- new questions stay new -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("When will the ferry run more often?", ()),
        ("Is the bridge more expensive now?", ()),
        ("Who said waiting another winter is not an option?", ()),
        ("What did Tomas Lindqvist say about the bridge?", (LINDQVIST,)),
        ("Did Lindqvist meet her?", (LINDQVIST,)),  # a name given: no pronoun guessed
        ("When will the bridge reopen?", ()),
        ("Which other countries were affected by the frost?", ()),
    ],
)
def test_a_question_of_its_own_is_read_without_context(line, named):
    follow = read_followup(line, after(BRIDGE), named)
    assert (follow.kind, follow.question, follow.note()) == (Kind.FRESH, line, None)
    assert not follow.exclude and not follow.other_than and not follow.dangling


@pytest.mark.parametrize(
    "line",
    ["what else did he say?", "who else commented?", "why did she resign?", "and about the navy?"],
)
def test_without_an_earlier_answer_a_follow_up_is_a_new_question_that_says_so(line):
    follow = read_followup(line, Conversation())
    assert (follow.kind, follow.question, follow.note()) == (Kind.FRESH, line, None)
    assert follow.dangling == (line != "and about the navy?")
    if follow.dangling:
        assert "can't tell whom or what it refers to" in follow.nothing()


def test_a_pronoun_after_an_answer_about_nobody_in_particular_is_not_guessed():
    follow = read_followup("why did he resign?", after(MINISTER))
    assert (follow.kind, follow.question) == (Kind.FRESH, "why did he resign?")


# -- which messages in the bot's thread are put to it -----------------------------------------
@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("what else did he say?", True),
        ("and about the navy", True),
        ("more", True),
        ("tell me more", True),
        ("who else commented", True),
        ("Did she mention the fares", True),
        ("so he resigned?", True),
        ("thanks, that's what I needed!", False),
        ("ok", False),
        ("great, thanks", False),
        ("lol", False),
        ("", False),
        ("I think he's wrong about that.", False),
        ("nice one 👍", False),
    ],
)
def test_in_the_bots_thread_only_questions_are_put_to_it(text, asks):
    assert looks_like_question(text) is asks


# -- the context kept per thread: bounded, pruned like the answers ----------------------------
def turn(n: int) -> Turn:
    return Turn(f"question {n}?", f"question {n}?", OKAFOR, "the bridge", (n, n + 100))


def test_a_conversation_keeps_only_its_last_turns():
    conversation = after(*(turn(n) for n in range(MAX_TURNS + 3)))
    assert [t.question for t in conversation.turns] == [
        f"question {n}?" for n in range(3, MAX_TURNS + 3)
    ]
    assert conversation.shown == {n for i in range(3, MAX_TURNS + 3) for n in (i, i + 100)}
    conversation.clear()
    assert conversation.last is None and not conversation.shown


def test_turns_round_trip_through_json():
    original = Turn("who else?", "What did people say?", "Priya Raman", "x", (1, 2), True, ("A",))
    assert Turn.from_json(json.loads(json.dumps(original.to_json()))) == original


def test_the_answer_log_keeps_a_threads_last_turns_where_it_was_started(tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite3")
    assert log.conversation("111", "guild:1") is None  # not a thread the bot started
    for n in range(MAX_TURNS + 2):
        log.add_turn("111", "guild:1", turn(n))
    log.add_turn("222", "guild:1", turn(50))
    kept = log.conversation("111", "guild:1")
    assert [t.question for t in kept.turns] == [f"question {n}?" for n in range(2, MAX_TURNS + 2)]
    assert log.conversation("111", "guild:2") is None  # another server's thread: nothing
    log.close()
    reopened = AnswerLog(tmp_path / "answers.sqlite3")  # a restart keeps it
    assert reopened.conversation("222", "guild:1").last == turn(50)
    reopened.close()


def test_conversations_are_pruned_by_age_and_by_count(tmp_path):
    path = tmp_path / "answers.sqlite3"
    log = AnswerLog(path, max_age_days=1, max_conversations=3)
    for thread in range(5):
        log.add_turn(str(thread), "dm", turn(thread))
    # thread 0 has been quiet for two days: gone at once, and pruned
    db = sqlite3.connect(path)
    db.execute("UPDATE conversations SET updated=? WHERE thread='0'", (time.time() - 2 * 86400,))
    db.commit()
    assert log.conversation("0", "dm") is None
    removed = log.prune()
    assert removed == 2  # thread 0 by age, then thread 1, the quietest beyond three
    left = {r[0] for r in db.execute("SELECT thread FROM conversations")}
    assert left == {"2", "3", "4"}
    # a quiet thread's old turns are not picked up again when it speaks: it starts afresh
    db.execute("UPDATE conversations SET updated=? WHERE thread='2'", (time.time() - 2 * 86400,))
    db.commit()
    assert log.add_turn("2", "dm", turn(9)).turns == [turn(9)]
    db.close()
    log.close()


def test_an_answer_log_from_before_conversations_opens_and_gains_them(tmp_path):
    path = tmp_path / "answers.sqlite3"
    AnswerLog(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE conversations")  # as a log written before follow-ups
    db.commit()
    db.close()
    log = AnswerLog(path)
    log.add_turn("7", "dm", turn(1))
    assert log.conversation("7", "dm").last == turn(1)
    log.close()

"""The edge, fed with sync responses parsed by matrix-nio, and a fake client that records sends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from nio import AsyncClient, SyncResponse

from bot.events import EventHandler, InvitePolicy, RoomDirectory, strip_reply_fallback
from bot.matrix import transaction_id
from commands import build_registry
from commands.context import BotStatus, NetworkInfo
from commands.dispatcher import AccessPolicy, Dispatcher
from knowledge.register.model import Kind
from knowledge.register.service import RegisterService
from knowledge.storage import BotStateRepository, RegisterRepository
from knowledge.values import Scope
from tests.fakes import FakeClock, FakeMatrixClient, server_error
from tests.wiring import make_services

BOT = "@lotse:example.org"
ANNA = "@anna:example.org"
ROOM = "!hf:example.org"


class Timeline:
    """Builds sync responses the way a homeserver would send them."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.n = 0

    def event(self, type_: str, content: dict, sender: str = ANNA, state_key: str | None = None, ago_s: float = 0) -> dict:
        self.n += 1
        ev = {
            "type": type_, "content": content, "sender": sender, "event_id": f"$ev{self.n}",
            "origin_server_ts": self.clock.ms() - int(ago_s * 1000), "unsigned": {},
        }
        if state_key is not None:
            ev["state_key"] = state_key
        return ev

    def text(self, body: str, sender: str = ANNA, ago_s: float = 0, **extra) -> dict:
        return self.event("m.room.message", {"msgtype": "m.text", "body": body, **extra}, sender, ago_s=ago_s)

    def room_state(self, members=(ANNA, BOT), power=None) -> list[dict]:
        state = [
            self.event("m.room.create", {"creator": ANNA, "room_version": "10"}, ANNA, ""),
            self.event("m.room.power_levels", {"users": power or {ANNA: 100}, "users_default": 0}, ANNA, ""),
        ]
        state += [self.event("m.room.member", {"membership": "join"}, m, m) for m in members]
        return state

    def batch(self, joins: dict[str, list[dict]] | None = None, state: list[dict] | None = None,
              invites: dict[str, list[dict]] | None = None, leaves: list[str] = ()) -> SyncResponse:
        self.n += 1
        data = {
            "next_batch": f"s{self.n}",
            "rooms": {
                "join": {
                    room: {"timeline": {"events": events, "limited": False, "prev_batch": "p"},
                           "state": {"events": state or []}, "ephemeral": {"events": []},
                           "account_data": {"events": []}, "summary": {}}
                    for room, events in (joins or {}).items()
                },
                "invite": {room: {"invite_state": {"events": evs}} for room, evs in (invites or {}).items()},
                "leave": {room: {"timeline": {"events": []}, "state": {"events": []}} for room in leaves},
            },
            "to_device": {"events": []}, "presence": {"events": []}, "account_data": {"events": []},
            "device_lists": {"changed": [], "left": []}, "device_one_time_keys_count": {},
        }
        return SyncResponse.from_dict(data)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def timeline(clock):
    return Timeline(clock)


@pytest.fixture
async def edge(sqlite_db, clock):
    client = FakeMatrixClient(user_id=BOT)
    client.nio = AsyncClient("http://127.0.0.1:9", BOT)  # never connects: only keeps room state

    async def status():
        return BotStatus("t", clock(), 1, "SQLite", None)

    knowledge = RegisterService(RegisterRepository(sqlite_db))
    holder = {}
    registry = build_registry()
    services = make_services(sqlite_db, registry, status=status, register=knowledge,
                             network=NetworkInfo(handlungsfelder={"hf-gesundheit": {"de": "Gesundheit", "en": "Health"}}),
                             scopes_of=lambda user: holder["handler"].scopes_of(user))
    dispatcher = Dispatcher(registry, services, prefix="!", default_lang="de", access=AccessPolicy(), clock=clock)
    handler = EventHandler(
        client, BotStateRepository(sqlite_db), dispatcher, RoomDirectory(handlungsfelder={ROOM: "hf-gesundheit"}),
        InvitePolicy(frozenset({"example.org"}), frozenset({"@partner:partner.example"})),
        clock, timedelta(minutes=15), "de", knowledge,
    )
    holder["handler"] = handler

    async def feed(response: SyncResponse, first_start: bool = False):
        await client.nio.receive_response(response)
        await handler.on_sync(response, first_start)

    handler.feed = feed
    handler.fake = client
    yield handler
    await client.nio.close()


async def join_room(edge, timeline, first_start=False):
    """The bot is in ROOM; the greeting that follows is cleared from the record."""
    await edge.feed(timeline.batch({ROOM: [timeline.event("m.room.member", {"membership": "join"}, BOT, BOT)]},
                                   state=timeline.room_state()), first_start)
    edge.fake.sent.clear()


def replies(edge):
    return [s for s in edge.fake.notices() if "m.relates_to" in s.content]


async def test_a_command_gets_one_notice_in_reply_with_an_event_derived_txn_id(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    command = timeline.text("!ping")
    await edge.feed(timeline.batch({ROOM: [command]}))
    [sent] = replies(edge)
    assert sent.content["msgtype"] == "m.notice"
    assert sent.content["body"] == "Pong! Ich bin da und höre zu."
    assert sent.content["formatted_body"] == "<p>Pong! Ich bin da und höre zu.</p>"
    assert sent.content["m.relates_to"] == {"m.in_reply_to": {"event_id": command["event_id"]}}
    assert sent.content["m.mentions"] == {"user_ids": [ANNA]}
    assert sent.txn_id == transaction_id(command["event_id"], "reply")


async def test_the_same_batch_delivered_twice_is_answered_once(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    batch = timeline.batch({ROOM: [timeline.text("!ping"), timeline.text("!status")]})
    await edge.feed(batch)
    await edge.feed(batch)
    assert len(replies(edge)) == 2


async def test_a_crash_between_send_and_record_produces_no_second_reply(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    command = timeline.text("!ping")
    original = edge.state.mark_handled

    async def crash(*args):
        raise RuntimeError("power cut")

    edge.state.mark_handled = crash
    with pytest.raises(RuntimeError):
        await edge.feed(timeline.batch({ROOM: [command]}))
    edge.state.mark_handled = original
    await edge.feed(timeline.batch({ROOM: [command]}))  # the retry re-sends with the same txn id
    assert len(replies(edge)) == 1
    assert await edge.state.is_handled(command["event_id"])


async def test_own_messages_notices_edits_and_plain_chat_are_ignored(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    await edge.feed(timeline.batch({ROOM: [
        timeline.text("!ping", sender=BOT),
        timeline.event("m.room.message", {"msgtype": "m.notice", "body": "!ping"}, "@otherbot:example.org"),
        timeline.text("* !ping", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"},
                                     "m.new_content": {"msgtype": "m.text", "body": "!ping"}}),
        timeline.text("Hallo zusammen"),
    ]}))
    assert edge.fake.sent == []


async def test_messages_from_before_the_join_are_history(edge, timeline, clock):
    old = timeline.text("!hilfe", ago_s=60)
    join = timeline.event("m.room.member", {"membership": "join"}, BOT, BOT)
    clock.advance(seconds=1)
    fresh = timeline.text("!ping")
    await edge.feed(timeline.batch({ROOM: [old, join, fresh]}, state=timeline.room_state()))
    bodies = [s.content["body"] for s in replies(edge)]
    assert bodies == ["Pong! Ich bin da und höre zu."]


async def test_the_first_start_records_history_but_acts_on_nothing(edge, timeline, clock):
    await edge.feed(timeline.batch({ROOM: [timeline.text("!ping")]}, state=timeline.room_state()), first_start=True)
    assert replies(edge) == []


async def test_commands_older_than_the_catch_up_window_are_ignored_after_downtime(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(hours=2)
    stale = timeline.text("!ping", ago_s=20 * 60)
    recent = timeline.text("!status", ago_s=10 * 60)
    await edge.feed(timeline.batch({ROOM: [stale, recent]}))
    [sent] = replies(edge)
    assert sent.content["m.relates_to"]["m.in_reply_to"]["event_id"] == recent["event_id"]


async def test_the_join_notice_is_posted_once_per_room(edge, timeline):
    join = timeline.event("m.room.member", {"membership": "join"}, BOT, BOT)
    await edge.feed(timeline.batch({ROOM: [join]}, state=timeline.room_state()))
    await edge.feed(timeline.batch({ROOM: []}))
    [greeting] = edge.fake.notices()
    assert "Hallo, ich bin Lotse" in greeting.content["body"]
    assert "!hilfe" in greeting.content["body"] and "!datenschutz" in greeting.content["body"]
    assert greeting.content["m.mentions"] == {}


async def test_invites_from_allowed_servers_and_users_are_accepted_others_refused(edge, timeline):
    def invite(sender):
        return [timeline.event("m.room.member", {"membership": "invite"}, sender, BOT)]

    await edge.feed(timeline.batch(invites={
        "!ok:example.org": invite("@anna:example.org"),
        "!partner:partner.example": invite("@partner:partner.example"),
        "!evil:elsewhere.example": invite("@mallory:elsewhere.example"),
    }))
    assert sorted(edge.fake.joined) == ["!ok:example.org", "!partner:partner.example"]
    assert edge.fake.left == ["!evil:elsewhere.example"]


async def test_a_transient_send_failure_leaves_the_event_unhandled_for_the_retry(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    command = timeline.text("!ping")
    edge.fake.fail_next_send = server_error()
    with pytest.raises(Exception):
        await edge.feed(timeline.batch({ROOM: [command]}))
    assert not await edge.state.is_handled(command["event_id"])
    await edge.feed(timeline.batch({ROOM: [command]}))
    assert len(replies(edge)) == 1


async def test_power_levels_and_room_role_from_room_state_reach_the_dispatcher(edge, timeline, clock):
    await edge.feed(timeline.batch({ROOM: [timeline.event("m.room.member", {"membership": "join"}, BOT, BOT)]},
                                   state=timeline.room_state(power={ANNA: 50})))
    seen = []
    original = edge.dispatcher.dispatch

    async def spy(incoming):
        seen.append(incoming)
        return await original(incoming)

    edge.dispatcher.dispatch = spy
    clock.advance(seconds=5)
    await edge.feed(timeline.batch({ROOM: [timeline.text("!ping"), timeline.text("!ping", sender="@ben:example.org")]}))
    assert [(i.sender, i.power_level) for i in seen] == [(ANNA, 50), ("@ben:example.org", 0)]
    assert seen[0].room.handlungsfeld == "hf-gesundheit" and not seen[0].room.is_direct
    assert edge.dispatcher.access.permission(seen[0]).name == "COORDINATOR"


def test_the_reply_fallback_is_stripped_from_a_command():
    body = "> <@ben:example.org> Wir machen das so.\n> zweite Zeile\n\n!beschluss"
    assert strip_reply_fallback(body) == "!beschluss"
    assert strip_reply_fallback("!ping") == "!ping"


async def test_a_reply_with_a_recording_command_records_the_quoted_message(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    original = timeline.text("Wir übersetzen die Checkliste.", sender="@ben:example.org")
    edge.fake.events[original["event_id"]] = ("@ben:example.org", original["content"])
    command = timeline.text(
        "> <@ben:example.org> Wir übersetzen die Checkliste.\n\n!beschluss",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": original["event_id"]}}},
    )
    await edge.feed(timeline.batch({ROOM: [original, command]}))
    [reply] = replies(edge)
    assert reply.content["body"].startswith("Beschluss B-1 ist festgehalten: „Wir übersetzen die Checkliste.“")
    reactions = [s for s in edge.fake.sent if s.event_type == "m.reaction"]
    assert reactions[0].content["m.relates_to"] == {"rel_type": "m.annotation", "event_id": command["event_id"], "key": "✅"}
    entry = await edge.knowledge.get(Kind.DECISION, 1)
    assert entry.author == "@ben:example.org" and entry.source_event_id == original["event_id"]

    # The source is edited: the entry keeps its text and notes the change.
    edit = timeline.text("* Wir übersetzen alles.", sender="@ben:example.org", **{
        "m.relates_to": {"rel_type": "m.replace", "event_id": original["event_id"]},
        "m.new_content": {"msgtype": "m.text", "body": "Wir übersetzen alles."}})
    await edge.feed(timeline.batch({ROOM: [edit]}))
    entry = await edge.knowledge.get(Kind.DECISION, 1)
    assert entry.text == "Wir übersetzen die Checkliste." and entry.source_changed

    # The source is deleted: coordinators are asked, once, whether to keep the entry.
    edge.fake.sent.clear()
    redaction = timeline.event("m.room.redaction", {"redacts": original["event_id"]}, "@ben:example.org")
    redaction["redacts"] = original["event_id"]
    await edge.feed(timeline.batch({ROOM: [redaction]}))
    await edge.feed(timeline.batch({ROOM: [redaction]}))
    [question] = edge.fake.notices()
    assert question.content["body"].startswith("Die Nachricht, aus der B-1 stammt, wurde gelöscht.")
    assert "!zurückziehen B-1" in question.content["body"]
    entry = await edge.knowledge.get(Kind.DECISION, 1, history=True)
    assert entry.permalink is None and [r.action for r in entry.history][-1] == "source_redacted"


async def test_scopes_follow_room_membership(edge, timeline):
    await join_room(edge, timeline)
    assert edge.scopes_of(ANNA) == frozenset({Scope.handlungsfeld("hf-gesundheit")})
    assert edge.scopes_of("@stranger:example.org") == frozenset()


async def test_leaving_the_last_network_room_tells_the_coordinators_once(edge, timeline, clock):
    departures = []

    async def on_departure(user_id, key):
        departures.append((user_id, key))

    edge.on_departure = on_departure
    await edge.feed(timeline.batch({ROOM: [timeline.event("m.room.member", {"membership": "join"}, BOT, BOT)]},
                                   state=timeline.room_state(members=(ANNA, BOT, "@ben:example.org"))))
    clock.advance(seconds=5)
    leave = timeline.event("m.room.member", {"membership": "leave"}, "@ben:example.org", "@ben:example.org")
    await edge.feed(timeline.batch({ROOM: [leave]}))
    await edge.feed(timeline.batch({ROOM: [leave]}))  # replayed: handled once
    assert departures == [("@ben:example.org", f"departure:{leave['event_id']}")]


async def test_events_a_limited_sync_left_out_are_fetched_and_handled_in_order(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    older = [timeline.text(f"!notiz früher {i}") for i in range(5)]
    newest = timeline.text("!notiz zuletzt")
    from nio import Event as NioEvent

    edge.fake.history = [NioEvent.parse_event(e) for e in reversed(older)]  # newest first, as /messages returns
    batch = timeline.batch({ROOM: [newest]})
    batch.rooms.join[ROOM].timeline.limited = True
    batch.rooms.join[ROOM].timeline.prev_batch = "start"
    await edge.feed(batch)
    bodies = [s.content["body"].split(":")[0] for s in replies(edge)]
    assert bodies == [f"Notiz N-{i} ist festgehalten" for i in range(1, 7)]
    texts = [(await edge.knowledge.get(Kind.NOTE, i)).text for i in range(1, 7)]
    assert texts == [f"früher {i}" for i in range(5)] + ["zuletzt"]


async def test_no_log_line_contains_a_message_text(edge, timeline, clock, caplog):
    import logging

    from bot.__main__ import configure_logging

    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    secret = "Vertraulich-Klientin-Musterfrau-4711"
    await edge.feed(timeline.batch({ROOM: [timeline.text(f"!notiz {secret}"), timeline.text(f"!kaputt {secret}"),
                                           timeline.text(f"Hallo {secret}")]}))
    assert replies(edge)  # the commands were handled
    assert secret not in caplog.text


async def test_replies_are_remembered_as_naming_the_person_for_later_redaction(edge, timeline, clock):
    await join_room(edge, timeline)
    clock.advance(seconds=5)
    await edge.feed(timeline.batch({ROOM: [timeline.text("!ping"), timeline.text("!ping", sender="@ben:example.org")]}))
    assert await edge.state.mentions_of(ANNA) == [(ROOM, "$sent1")]
    assert await edge.state.mentions_of("@ben:example.org") == [(ROOM, "$sent2")]

"""The nio wrapper: errors raise, rate limits are retried after the server's retry_after_ms."""
from __future__ import annotations

import socket

import aiohttp
import pytest
from nio import ErrorResponse, RoomSendResponse

from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError, notice_content, transaction_id


@pytest.fixture
def client(tmp_path):
    return MatrixClient("http://127.0.0.1:9", "@lotse:example.org", "Lotse", tmp_path)


def limited(ms: int) -> ErrorResponse:
    return ErrorResponse("Too Many Requests", "M_LIMIT_EXCEEDED", retry_after_ms=ms)


async def test_rate_limits_are_retried_after_the_given_time(client, monkeypatch):
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr("bot.matrix.asyncio.sleep", fake_sleep)
    answers = [limited(1500), limited(250), RoomSendResponse("$ok", "!r:x")]

    async def request():
        return answers.pop(0)

    resp = await client._call("send", request)
    assert resp.event_id == "$ok"
    assert slept == [1.5, 0.25]


async def test_an_error_response_raises_with_its_code(client):
    async def request():
        return ErrorResponse("You are not allowed", "M_FORBIDDEN")

    with pytest.raises(MatrixError) as caught:
        await client._call("send", request)
    assert caught.value.errcode == "M_FORBIDDEN"


async def test_an_unreachable_homeserver_raises_homeserver_unavailable(client):
    async def request():
        raise aiohttp.ClientConnectionError("refused")

    with pytest.raises(HomeserverUnavailable):
        await client._call("sync", request)


def test_transaction_ids_are_stable_per_event_and_purpose():
    assert transaction_id("$a", "reply") == transaction_id("$a", "reply")
    assert transaction_id("$a", "reply") != transaction_id("$a", "reaction")
    assert transaction_id("$a", "reply") != transaction_id("$b", "reply")


def test_notices_mention_only_the_person_replied_to():
    content = notice_content("b", "<p>b</p>", in_reply_to="$e", mention="@anna:x")
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {"user_ids": ["@anna:x"]}
    assert notice_content("b", "<p>b</p>")["m.mentions"] == {}


def test_the_fast_tier_guard_refuses_network_connections():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(AssertionError, match="network connection"):
        s.connect(("127.0.0.1", 9))

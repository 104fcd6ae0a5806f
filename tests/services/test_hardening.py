"""Issue 9 with real workers on PostgreSQL + Redis: a worker that loses Redis says so and refuses,
presence that expires after SIGKILL, one rate limit across workers, and a flood from one socket
that does not slow the other players of its worker.

Each docstring names the mutation (the code as it was before issue 9) that turns the test red.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie

import pytest
from channels.db import database_sync_to_async

from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise

from .conftest import seat, session_cookie
from .live import Player, Server, close_all
from .test_faults import own_redis  # noqa: F401  (a Redis this test may kill)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def owner_cookie(exercise: Exercise) -> str:
    """A signed-in session of the facilitator who owns ``exercise``."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.create_user("olga", password="olga-password-1", is_staff=True)
    Exercise.objects.filter(pk=exercise.pk).update(owner=user)
    return session_cookie(
        **{
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )


def http(server: Server, path: str, *, cookie: str = "", data: dict | None = None, headers: dict | None = None):
    """(status, body, set-cookies) of one request to a worker; errors are answers too."""
    head = {"Host": f"127.0.0.1:{server.port}", **(headers or {})}
    if cookie:
        head["Cookie"] = cookie
    body = None
    if data is not None:
        body = "&".join(f"{k}={urllib.parse.quote(str(v))}" for k, v in data.items()).encode()
        head["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=body, headers=head)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode(), response.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get_all("Set-Cookie") or []


def post_command(server: Server, code: str, session: str, **fields: str) -> tuple[int, str]:
    """A player's form post, with the CSRF token a page load gives (as htmx sends it)."""
    _, _, cookies = http(server, f"/x/{code}/", cookie=f"sessionid={session}")
    jar = SimpleCookie()
    for line in cookies:
        jar.load(line)
    token = jar["csrftoken"].value
    status, body, _ = http(
        server,
        f"/x/{code}/do/",
        cookie=f"sessionid={session}; csrftoken={token}",
        data=fields,
        headers={"X-CSRFToken": token, "HX-Request": "true", "Origin": f"http://127.0.0.1:{server.port}"},
    )
    return status, body


def count(exercise_id: int, kind: str = "message_sent") -> int:
    return Event.objects.filter(exercise_id=exercise_id, type=kind).count()


# --------------------------------------------------------------------------- item 9: Redis unreachable


@pytest.mark.asyncio
async def test_it_refuses_commands_and_says_not_ready_while_redis_is_down(mini, workers, own_redis) -> None:  # noqa: F811
    """Mutation: no ``health.layer_ok()`` gate (as before): the post answers 200 and is stored,
    players on other workers never see it, and the worker logs a traceback a second."""
    exercise = await database_sync_to_async(services.create_exercise)(scenario=mini, title="Redis down")
    (pid, cookie) = await database_sync_to_async(seat)(exercise, "President", "president")
    await database_sync_to_async(services.execute)(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())
    (server,) = workers(1, REDIS_URL=own_redis.url)
    player = await Player(server, exercise.code, cookie, name="president").connect()
    try:
        status, body = await asyncio.to_thread(
            post_command, server, exercise.code, cookie, type="send_message", channel="cabinet", text="while-up"
        )
        assert status == 200, body
        ready = json.loads((await asyncio.to_thread(http, server, "/readyz"))[1])
        assert ready["ok"] and ready["channel_layer"]["ok"]

        own_redis.kill()
        await asyncio.sleep(1.2)  # the worker's one-second answer cache expires
        before = await database_sync_to_async(count)(exercise.pk)
        status, body = await asyncio.to_thread(
            post_command, server, exercise.code, cookie, type="send_message", channel="cabinet", text="while-down"
        )
        assert status == 503, (status, body)
        assert "lost its connection to the other servers" in body
        await player.send(
            {"type": "send_message", "channel": "cabinet", "text": "ws-while-down", "cid": "abcdef0123456789"}
        )
        assert await player.wait_for(
            lambda p: any("ws-while-down" not in f and 'data-status="retry"' in f for f in p.frames), 10
        )
        assert await database_sync_to_async(count)(exercise.pk) == before, "a command was stored while Redis was down"
        status, body, _ = await asyncio.to_thread(http, server, "/readyz")
        ready = json.loads(body)
        assert status == 503 and ready["database"]["ok"] and not ready["channel_layer"]["ok"]
        assert ready["channel_layer"]["ms"] >= 0 and ready["channel_layer"]["error"]
        assert (await asyncio.to_thread(http, server, "/healthz"))[0] == 200  # alive: restart would not help
        await asyncio.sleep(3)  # three seconds of outage: the old code logged three tracebacks

        own_redis.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status, _ = await asyncio.to_thread(
                post_command, server, exercise.code, cookie, type="send_message", channel="cabinet", text="back-up"
            )
            if status == 200:
                break
            await asyncio.sleep(0.5)
        assert status == 200, "the worker did not accept commands again after Redis came back"
    finally:
        await close_all([player])
    texts = await database_sync_to_async(
        lambda: [e.payload["text"] for e in Event.objects.filter(exercise=exercise, type="message_sent")]
    )()
    assert "while-down" not in texts and "ws-while-down" not in texts and texts[-1] == "back-up"
    output = server.output()
    assert output.count("Traceback") <= 1, output[-3000:]


# --------------------------------------------------------------------------- item 7: presence after SIGKILL


@pytest.mark.asyncio
async def test_it_shows_a_player_away_after_their_worker_is_killed(mini, workers) -> None:
    """Mutation: ``presence_of`` = ``connections > 0`` (as before): the player of the killed
    worker stays "connected" on the console for ever."""
    exercise = await database_sync_to_async(services.create_exercise)(scenario=mini, title="Presence")
    pid, cookie = await database_sync_to_async(seat)(exercise, "Lost", "president")
    facilitator = await database_sync_to_async(owner_cookie)(exercise)
    a, b = workers(2, CT_HEARTBEAT_SECONDS="0.5", CT_PRESENCE_TTL="2")
    player = await Player(a, exercise.code, cookie, name="president@A").connect()
    console = f"/x/{exercise.code}/console/"
    connected = f'id="presence-{pid}" class="presence presence-connected"'
    away = f'id="presence-{pid}" class="presence presence-away"'
    try:
        await asyncio.sleep(1.5)
        assert connected in (await asyncio.to_thread(http, b, console, cookie=f"sessionid={facilitator}"))[1]
        a.kill()  # SIGKILL: no disconnect handler runs, the connection counter stays at 1
        await player.closed()
        deadline = time.monotonic() + 10
        page = ""
        while time.monotonic() < deadline:
            page = (await asyncio.to_thread(http, b, console, cookie=f"sessionid={facilitator}"))[1]
            if away in page:
                break
            await asyncio.sleep(0.5)
        assert away in page, "the player of a killed worker still shows as connected"
        assert "seen" in page.split(away, 1)[1][:200]  # "last seen … ago"
        assert await database_sync_to_async(lambda: exercise.participants.get(pk=pid).connections)() == 1
    finally:
        await close_all([player])


# --------------------------------------------------------------------------- item 4: one limit across workers


@pytest.mark.asyncio
async def test_it_holds_a_participants_rate_across_two_workers(mini, workers) -> None:
    """Mutation: ``throttle.allow_shared`` always True (a bucket per process only): about twice
    the limit is stored."""
    exercise = await database_sync_to_async(services.create_exercise)(scenario=mini, title="Two buckets")
    _, cookie = await database_sync_to_async(seat)(exercise, "Flood", "adviser")
    await database_sync_to_async(services.execute)(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())
    a, b = workers(2, CT_RATE_LIMIT_PER_10S="10")
    tabs = [await Player(a, exercise.code, cookie).connect(), await Player(b, exercise.code, cookie).connect()]
    try:
        for n in range(20):
            for tab in tabs:
                await tab.send({"type": "send_message", "channel": "cabinet", "text": f"t{n}"})
        await asyncio.sleep(2)
    finally:
        await close_all(tabs)
    stored = await database_sync_to_async(count)(exercise.pk)
    assert 10 <= stored <= 12, stored  # 10 a window; a window edge may let one or two more through


# --------------------------------------------------------------------------- item 4: a flood does not slow the others


async def latencies(senders: list[Player], receivers: list[Player], label: str, n: int, every: float) -> list[float]:
    """Send ``n`` messages round-robin; for each, the time until every other calm player has it."""
    out: list[float] = []
    for i in range(n):
        sender = senders[i % len(senders)]
        token = f"{label}-{i:03d}-{time.monotonic_ns()}"
        started = time.perf_counter()
        await sender.send({"type": "send_message", "channel": "cabinet", "text": token})
        for receiver in receivers:
            if receiver is sender:
                continue
            ok = await receiver.wait_for(lambda p, t=token: bool(p.frames_with(t)), timeout=10)
            assert ok, f"{receiver.name} never got {token}"
            out.append(time.perf_counter() - started)
        await asyncio.sleep(every)
    return out


@pytest.mark.asyncio
async def test_it_keeps_other_players_fast_while_one_socket_floods(mini, workers) -> None:
    """1,000 frames a second from one socket; the median latency of the others stays within 2x the
    baseline measured in the same test, same worker, just before.

    Mutation: ``consumers.TOAST_EVERY = 0`` (a toast for every refused frame, as before): the worker
    spends its loop answering the flood; measured here 99 ms -> 251 ms (red), against 73 ms -> 111 ms
    with one notice a second (the issue's probe saw 35 ms -> 231 ms)."""
    exercise = await database_sync_to_async(services.create_exercise)(scenario=mini, title="Flood")
    seats = {
        r: await database_sync_to_async(seat)(exercise, r.title(), r)
        for r in ("adviser", "president", "defence", "foreign")
    }
    await database_sync_to_async(services.execute)(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())
    (server,) = workers(1)
    flooder = await Player(server, exercise.code, seats["adviser"][1], name="flooder").connect()
    calm = [
        await Player(server, exercise.code, seats[r][1], name=r).connect() for r in ("president", "defence", "foreign")
    ]
    stop = asyncio.Event()
    sent = 0

    async def flood() -> None:
        """1,000 frames a second, paced by the clock (a late tick sends what it owes), bounded."""
        nonlocal sent
        frame = json.dumps({"type": "send_message", "channel": "cabinet", "text": "flood"})
        began = time.monotonic()
        while not stop.is_set() and time.monotonic() - began < 12:  # at most 12 s, 12,000 frames
            owed = int((time.monotonic() - began) * 1000) - sent
            for _ in range(max(0, owed)):
                await flooder.conn.send(frame)
            sent += max(0, owed)
            await asyncio.sleep(0.005)

    try:
        await latencies(calm, calm, "warm", 4, 0.3)
        baseline = await latencies(calm, calm, "base", 12, 0.35)
        flood_began = time.monotonic()
        task = asyncio.ensure_future(flood())
        await asyncio.sleep(1.0)  # the flood is at full rate before we measure
        started, sent_before = time.monotonic(), sent
        flooded = await latencies(calm, calm, "flood", 12, 0.35)
        rate = (sent - sent_before) / (time.monotonic() - started)
        stop.set()
        await task
        flood_seconds = time.monotonic() - flood_began
    finally:
        stop.set()
        await close_all([flooder, *calm])
    base, under = statistics.median(baseline), statistics.median(flooded)
    print(f"flood: {rate:.0f} frames/s; median latency {base * 1000:.1f} ms -> {under * 1000:.1f} ms")
    assert rate >= 900, f"the flood reached only {rate:.0f} frames/s"
    assert under <= 2 * base, f"median latency {base * 1000:.1f} ms -> {under * 1000:.1f} ms under the flood"
    stored = await database_sync_to_async(
        lambda: Event.objects.filter(exercise=exercise, type="message_sent", payload__text="flood").count()
    )()
    assert stored <= 30 + 3 * flood_seconds + 2, (stored, flood_seconds)  # the burst, then 3 a second

"""SQLite's one writer, shared by the threads of a process: a request waiting for its turn
goes before waiting worker batches, and each waiter is woken as soon as the turn is free."""

from __future__ import annotations

import threading
import time

import pytest

from herald.kit import writer
from herald.kit.writer import WriterTurn, urgent_writes
from support import RunningHerald


def _wait_in_turn(turn: WriterTurn, urgent: bool, order: list[str], name: str) -> None:
    urgent_writes.set(urgent)
    assert turn.acquire(timeout=5)
    order.append(name)
    turn.release()


def test_a_waiting_request_writes_before_waiting_background_work() -> None:
    turn = WriterTurn()
    order: list[str] = []
    assert turn.acquire(timeout=1)  # a worker batch is writing
    waiters = [
        threading.Thread(target=_wait_in_turn, args=(turn, False, order, "batch")),
        threading.Thread(target=_wait_in_turn, args=(turn, True, order, "request")),
    ]
    for waiter in waiters:
        waiter.start()
        time.sleep(0.05)  # the batch queued first
    turn.release()
    for waiter in waiters:
        waiter.join(5)
    assert order == ["request", "batch"]


def test_the_same_thread_may_open_a_write_inside_its_own() -> None:
    turn = WriterTurn()
    assert turn.acquire(timeout=1) and turn.acquire(timeout=1)
    turn.release()
    taken: list[bool] = []
    blocked = threading.Thread(target=lambda: taken.append(turn.acquire(timeout=0.1)))
    blocked.start()
    blocked.join(1)
    assert taken == [False]  # still held once
    turn.release()
    assert turn.acquire(timeout=0.1)


def test_an_api_request_writes_as_urgent_and_a_worker_loop_does_not(
    herald: RunningHerald, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    original = writer.WriterTurn.acquire

    def spying(self: WriterTurn, timeout: float) -> bool:
        seen.append(urgent_writes.get())
        return original(self, timeout)

    if herald.container.db.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite has a writer turn: PostgreSQL has many writers")
    monkeypatch.setattr(writer.WriterTurn, "acquire", spying)
    tenant = herald.tenant()
    seen.clear()
    assert herald.batch(tenant, ["+244923000001", "+244923000002"]).status_code == 202
    assert True in seen  # the POST's own transaction
    assert urgent_writes.get() is False  # outside a request


def test_many_threads_of_both_kinds_each_get_their_turns_one_at_a_time() -> None:
    turn = WriterTurn()
    count = [0]

    def work(urgent: bool) -> None:
        urgent_writes.set(urgent)
        for _ in range(200):
            assert turn.acquire(timeout=10)
            seen = count[0]
            time.sleep(0)  # let another thread run inside the turn, if the turn let it in
            count[0] = seen + 1
            turn.release()

    threads = [threading.Thread(target=work, args=(n % 2 == 0,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert count[0] == 1600  # no write lost to a second writer, no waiter left asleep

"""The concurrency gate alone: first come first served, a bounded queue, a bounded wait."""

from __future__ import annotations

import asyncio

import pytest

from stream_chat_local.concurrency import Concurrency, Stopping, Throttled


def test_waiters_are_served_in_order_as_slots_free_up() -> None:
    async def scenario() -> list[str]:
        gate = Concurrency(limit=1, max_waiting=3, wait_s=5)
        order: list[str] = []
        await gate.acquire()

        async def one(name: str) -> None:
            await gate.acquire()
            order.append(name)
            gate.release()

        waiters = [asyncio.create_task(one(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0.01)
        assert gate.waiting == 3
        gate.release()
        await asyncio.gather(*waiters)
        assert (gate.busy, gate.waiting) == (0, 0)
        return order

    assert asyncio.run(scenario()) == ["a", "b", "c"]


def test_a_full_queue_throttles_at_once_and_a_long_wait_throttles_later() -> None:
    async def scenario() -> None:
        # "At once" and "after the wait" stay apart on a busy machine: 1 s of wait, 0.5 s bound.
        gate = Concurrency(limit=1, max_waiting=1, wait_s=1.0)
        await gate.acquire()
        waiting = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(Throttled):
            await gate.acquire()
        assert loop.time() - started < 0.5
        with pytest.raises(Throttled):
            await waiting
        assert (gate.busy, gate.waiting) == (1, 0)
        gate.release()
        await gate.acquire()  # the slot is whole again

    asyncio.run(scenario())


def test_stop_refuses_the_waiting_and_the_new() -> None:
    async def scenario() -> None:
        gate = Concurrency(limit=1, max_waiting=4, wait_s=5)
        await gate.acquire()
        waiting = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0.01)
        gate.stop()
        with pytest.raises(Stopping):
            await waiting
        with pytest.raises(Stopping):
            await gate.acquire()

    asyncio.run(scenario())


def test_a_waiter_cancelled_after_being_handed_a_slot_passes_it_on() -> None:
    async def scenario() -> None:
        gate = Concurrency(limit=1, max_waiting=4, wait_s=5)
        await gate.acquire()
        first = asyncio.create_task(gate.acquire())
        second = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0.01)
        gate.release()  # hands the slot to the first waiter...
        first.cancel()  # ...which leaves before it could run
        await asyncio.sleep(0.01)
        await asyncio.wait_for(second, 1)  # so the second one gets it
        assert gate.busy == 1

    asyncio.run(scenario())

"""Continuous micro-batching of concurrent async requests into blocking batch calls on a worker thread.

Why: Inspect runs samples concurrently and each calls the model on its own; a CPU/GPU model is
several times faster on a batch than on one prompt at a time. One worker drains the queue: while a
batch runs, new requests pile up and form the next batch, so batches grow to `max_batch` by
themselves under load. Requests only share a batch when their key (decoding settings, or
"scoring") is equal.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Hashable


class MicroBatcher:
    def __init__(self, run_batch: Callable[[Hashable, list[Any]], list[Any]], max_batch: int = 32, wait_s: float = 0.05):
        self._run_batch = run_batch
        self.max_batch = max_batch
        self.wait_s = wait_s
        self._pending: list[tuple[Hashable, Any, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None
        self.batch_sizes: list[int] = []

    async def submit(self, key: Hashable, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._pending.append((key, item, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(self.wait_s)  # let the first wave of concurrent requests arrive
        while self._pending:
            key = self._pending[0][0]
            batch = [p for p in self._pending if p[0] == key][: self.max_batch]
            taken = {id(p) for p in batch}
            self._pending = [p for p in self._pending if id(p) not in taken]
            await self._execute(key, batch)

    async def _execute(self, key: Hashable, batch: list[tuple[Hashable, Any, asyncio.Future]]) -> None:
        items = [item for _, item, _ in batch]
        try:
            results = await asyncio.to_thread(self._run_batch, key, items)
            self.batch_sizes.append(len(items))
        except Exception as ex:  # noqa: BLE001 - every waiter must learn of the failure
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(ex)
            return
        for (_, _, future), result in zip(batch, results):
            if not future.done():
                future.set_result(result)

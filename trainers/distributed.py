"""Running a recipe under `accelerate launch` (several GPUs, or several CPU processes): who does what.

Why: every rank runs the same pipeline. Training steps must run on all ranks together (DDP), but
data stages (teacher pairs, critic feedback) and writes (checkpoints, manifests, timings) must
happen once. Data stages run on the main process first while the others wait; the others then
find the outputs current (by fingerprint) and read them. With one process all of this is a no-op.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _state():
    """The process group as the Trainer will see it: on a CPU-only machine accelerate forms a gloo
    group only when asked for the CPU (TrainingArguments(use_cpu=True) does the same)."""
    from accelerate import PartialState

    from benchmark.models.device import default_device

    return PartialState(cpu=default_device() == "cpu")


def is_main_process() -> bool:
    return _state().is_main_process


def num_processes() -> int:
    return _state().num_processes


@contextlib.contextmanager
def main_process_first() -> Iterator[None]:
    """The main process runs the block, then the others do (and, by fingerprints, skip the work)."""
    with _state().main_process_first():
        yield


def wait_for_everyone() -> None:
    _state().wait_for_everyone()


def on_main_process_first(stage: F) -> F:
    """A data stage as a method: run under main_process_first (the others then find its outputs current)."""

    @functools.wraps(stage)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with main_process_first():
            return stage(*args, **kwargs)

    return wrapper  # type: ignore[return-value]

"""Files: the board's folder lock, the one atomic write (bytes, text, JSON, JSON Lines), JSON Lines reading,
repository-relative paths, and where results go."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

LOCK_NAME = ".leaderboard.lock"  # lives in the log folder (ignored by git), beside what it guards


@contextlib.contextmanager
def locked(folder: Path, name: str = LOCK_NAME):
    """The one inter-process lock: exclusive fcntl lock on folder/name while the block runs (a board rebuild,
    an embedded model's assembly or conversion)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """The one atomic file write: temp file in the same folder, fsync, rename. Readers see the old file
    or the new one, never half; a crash leaves no partial result."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be read by anyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(data: Any, path: Path, **dumps: Any) -> Path:
    """Pretty JSON (indent 2, trailing newline), atomically; `dumps`: more json.dumps options."""
    return atomic_write_text(Path(path), json.dumps(data, indent=2, **dumps) + "\n")


def write_jsonl(rows: Iterable[Any], path: Path) -> Path:
    """One JSON object per line (UTF-8 kept as is), atomically."""
    return atomic_write_text(Path(path), "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = Path("results")  # relative: commands write under the folder they run in (the repository root)
LOG_DIR = RESULTS_DIR / "logs"  # the board's Inspect logs, one folder per submission


def repo_relative(path: str | Path) -> str:
    """A path as stored results write it: relative to the repository when inside it, else its name only
    (results never hold the machine's folders)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else resolved.name


def jsonl_objects(path: Path, error: type[Exception], expected: str, where: str = "{path}:{number}",
                  fix: str = "write one JSON object per line") -> Iterator[tuple[str, dict]]:
    """(where, object) for each non-blank line of a JSON Lines file; a line that is not a JSON object
    raises `error` naming the file, the line (`where`) and the fix. `expected`: what an object holds."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        here = where.format(path=path, name=Path(path).name, number=number)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as ex:
            raise error(f"{here}: not valid JSON ({ex.msg}); {fix}") from None
        if not isinstance(row, dict):
            raise error(f"{here}: expected a JSON object with {expected}")
        yield here, row

"""Labels in SQLite: one row per answer, so nothing is overwritten and the history stays.

An annotator's current answer for a pair is their newest row that is not retracted; answering the
same pair again retracts the previous row (kept), and undo retracts the newest one. Every write is
one transaction (`BEGIN IMMEDIATE`, WAL journal), so a crash or a closed tab loses at most the answer
being given, and two annotators writing at once both land. A pair's `key` is a hash of its content
(input, a, b), so the same pair met in several logs (a row rescored by another judge) is labeled
once, and labels find their pair again in any log.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.board.files import RESULTS_DIR
from benchmark.errors import HumorBenchError

DEFAULT_DB = RESULTS_DIR / "annotations" / "labels.sqlite3"
FUNNIER = ("a", "b", "tie", "skip")
FAITHFUL = ("a", "b", "tie")
SCHEMA = """
CREATE TABLE IF NOT EXISTS pairs (
    key TEXT PRIMARY KEY, pair_id TEXT NOT NULL, input TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
    origin TEXT NOT NULL, added INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    annotator TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES pairs(key),
    first TEXT NOT NULL CHECK (first IN ('a', 'b')),
    funnier TEXT NOT NULL CHECK (funnier IN ('a', 'b', 'tie', 'skip')),
    more_faithful TEXT CHECK (more_faithful IN ('a', 'b', 'tie')),
    labeled_at REAL NOT NULL,
    retracted_at REAL
);
CREATE INDEX IF NOT EXISTS labels_current ON labels (annotator, key) WHERE retracted_at IS NULL;
"""


class AnnotateError(HumorBenchError):
    """Input the labeling app cannot use; the message names the file and the fix."""


@dataclass(frozen=True)
class Pair:
    """Two texts for one input. For log pairs `a` is the student's output and `b` the reference."""

    pair_id: str
    input: str
    a: str
    b: str
    origin: dict = field(default_factory=dict, compare=False)  # where it came from; never shown on the page

    @property
    def key(self) -> str:
        return pair_key(self.input, self.a, self.b)


def pair_key(input_text: str, a: str, b: str) -> str:
    return hashlib.sha256("\x1f".join((input_text, a, b)).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Label:
    annotator: str
    key: str
    first: str  # the side shown as paraphrase 1
    funnier: str
    more_faithful: str | None
    labeled_at: float


class LabelStore:
    """A labels database file; each call opens its own connection (safe across the server's threads)."""

    def __init__(self, path: str | Path = DEFAULT_DB):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as db:
                db.executescript(SCHEMA)
        except sqlite3.DatabaseError as ex:
            raise AnnotateError(f"'{self.path}' is not a labels database ({ex}); pass another --db path") from None

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            if not write:
                yield db
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def add_pairs(self, pairs: Iterable[Pair]) -> int:
        """Insert pairs not yet known (by content key); returns how many were new."""
        with self._connect(write=True) as db:
            start = db.execute("SELECT COALESCE(MAX(added), -1) + 1 FROM pairs").fetchone()[0]
            new = 0
            for pair in pairs:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO pairs (key, pair_id, input, a, b, origin, added) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (pair.key, pair.pair_id, pair.input, pair.a, pair.b, json.dumps(pair.origin, sort_keys=True), start + new),
                )
                new += cursor.rowcount
        return new

    def pair(self, key: str) -> Pair:
        with self._connect() as db:
            row = db.execute("SELECT pair_id, input, a, b, origin FROM pairs WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise AnnotateError(f"unknown pair '{key}'; reload the page")
        return Pair(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def pairs(self) -> list[Pair]:
        """Every pair in the order it was added."""
        with self._connect() as db:
            rows = db.execute("SELECT pair_id, input, a, b, origin FROM pairs ORDER BY added").fetchall()
        return [Pair(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def record(self, annotator: str, key: str, first: str, funnier: str, more_faithful: str | None,
               now: float | None = None) -> Label:
        """Store one answer (replacing, and keeping, this annotator's previous answer for the pair)."""
        if first not in ("a", "b") or funnier not in FUNNIER or (more_faithful is not None and more_faithful not in FAITHFUL):
            raise AnnotateError(f"bad answer first={first!r} funnier={funnier!r} more_faithful={more_faithful!r}; "
                                f"funnier is one of {FUNNIER}, more_faithful one of {FAITHFUL} or empty")
        if not annotator.strip():
            raise AnnotateError("no annotator name; open the page as /?annotator=<your name>")
        now = time.time() if now is None else now
        with self._connect(write=True) as db:
            if db.execute("SELECT 1 FROM pairs WHERE key = ?", (key,)).fetchone() is None:
                raise AnnotateError(f"unknown pair '{key}'; reload the page")
            db.execute("UPDATE labels SET retracted_at = ? WHERE annotator = ? AND key = ? AND retracted_at IS NULL",
                       (now, annotator, key))
            db.execute("INSERT INTO labels (annotator, key, first, funnier, more_faithful, labeled_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (annotator, key, first, funnier, more_faithful, now))
        return Label(annotator, key, first, funnier, more_faithful, now)

    def undo(self, annotator: str, keys: Iterable[str] | None = None) -> str | None:
        """Retract this annotator's newest current answer (among `keys`); returns its pair key."""
        allowed = None if keys is None else set(keys)
        with self._connect(write=True) as db:
            rows = db.execute("SELECT id, key FROM labels WHERE annotator = ? AND retracted_at IS NULL ORDER BY id DESC",
                              (annotator,)).fetchall()
            for label_id, key in rows:
                if allowed is None or key in allowed:
                    db.execute("UPDATE labels SET retracted_at = ? WHERE id = ?", (time.time(), label_id))
                    return key
        return None

    def current(self, annotator: str | None = None) -> list[Label]:
        """Current answers (skips included), oldest first."""
        rows = self._labels("annotator, key, first, funnier, more_faithful, labeled_at", annotator, current=True)
        return [Label(*row) for row in rows]

    def history(self, annotator: str | None = None) -> list[tuple]:
        """Every answer ever given, retracted ones included: (annotator, key, funnier, labeled_at, retracted_at)."""
        return self._labels("annotator, key, funnier, labeled_at, retracted_at", annotator, current=False)

    def _labels(self, columns: str, annotator: str | None, current: bool) -> list[tuple]:
        where = ["retracted_at IS NULL"] if current else []
        if annotator is not None:
            where.append("annotator = ?")
        query = f"SELECT {columns} FROM labels" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        with self._connect() as db:
            return db.execute(query, () if annotator is None else (annotator,)).fetchall()


def read_labels(path: str | Path = DEFAULT_DB) -> list[Label]:
    """Current labels of a database, or none when it does not exist (reading never creates one)."""
    return LabelStore(path).current() if Path(path).is_file() else []

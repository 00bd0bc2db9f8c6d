"""The project's one error type: every error of ours names the input and the fix.

`benchmark/cli.py` turns any `HumorBenchError` into one line on stderr and exit code 2; anything else is a bug and keeps its traceback. It is a ValueError, so pure functions that reject
an argument raise it too.
"""

from __future__ import annotations


class HumorBenchError(ValueError):
    """Bad input or a failed step the user can fix; the message says what to do."""


class MissingInputError(HumorBenchError, FileNotFoundError):
    """A file or folder the command needs is not there."""


class StepFailedError(HumorBenchError, RuntimeError):
    """An outside step (a subprocess, a download, an evaluation) did not finish; rerun after the fix named."""

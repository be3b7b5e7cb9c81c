"""Exceptions of the pse_sim package (raised by the C++ core through pse_sim._core)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario: where and what, as `pse-sim validate` prints it.

    file: file name ("<string>"/the given name for text, "--set key=value" for an override);
    line, column: 1-based, 0 when unknown; key: dotted parameter key ("" for syntax errors);
    message: what is wrong; text: the CLI's one-line form "file:line:column: key 'k': message".
    """
    file: str
    line: int
    column: int
    key: str
    message: str
    text: str

    def __str__(self) -> str:
        return self.text


class InputError(ValueError):
    """Bad scenario input. `.problems` lists every problem found (a list of Problem), the same
    list `pse-sim validate` / `pse-sim run` print (one per line, after "error: ")."""

    def __init__(self, message: str, problems=()):
        self.problems = [p if isinstance(p, Problem) else Problem(*p) for p in problems]
        super().__init__("\n".join(p.text for p in self.problems) or message)


class RunStopped(RuntimeError):
    """A run was stopped before all replications finished (progress callback returned False,
    or the time limit passed). `.results` holds the partial Results (unfinished runs are NaN)."""

    def __init__(self, message: str, results=None):
        super().__init__(message)
        self.results = results

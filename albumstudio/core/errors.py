"""Errors meant for people: the message is one sentence that says what went wrong and what to do.

A failure travels as a :class:`Problem`: the sentence plus an action the person can take
("choose another file", "open the model manager"). The window shows it through one notifier;
the CLI prints the sentence and exits with code 2 (1 for a bug, whose traceback goes to the log).
"""

from __future__ import annotations

from dataclasses import dataclass

# what the person can do about a problem; the window turns each into a button
ACTION_NONE = ""
ACTION_CHOOSE_FILE = "choose-file"
ACTION_CHOOSE_PICTURE = "choose-picture"
ACTION_OPEN_MODELS = "open-models"
ACTION_FREE_MEMORY = "free-memory"
ACTION_SHOW_LOG = "show-log"
ACTION_CHANGE_SETTINGS = "change-settings"
ACTION_LABELS = {
    ACTION_NONE: "",
    ACTION_CHOOSE_FILE: "Choose another track…",
    ACTION_CHOOSE_PICTURE: "Choose another picture…",
    ACTION_OPEN_MODELS: "Models…",
    ACTION_FREE_MEMORY: "",
    ACTION_SHOW_LOG: "Show the log",
    ACTION_CHANGE_SETTINGS: "",
}


class UserFacingError(Exception):
    """An error whose message is shown to the user as it is (in the window and on the CLI)."""

    action = ACTION_NONE

    def __init__(self, message: str, action: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if action is not None:
            self.action = action

    def __str__(self) -> str:
        return self.message


class InputError(UserFacingError):
    """The user's file or argument cannot be used."""


class ModelMissingError(InputError):
    """A model the request needs is not on this computer (or its files are damaged)."""

    action = ACTION_OPEN_MODELS


class CancelledError(Exception):
    """A job noticed its cancel flag and stopped early."""


@dataclass(frozen=True)
class Problem:
    """A failure a person can act on: one sentence, an action, and where the details are."""

    message: str
    action: str = ACTION_NONE
    log_path: str = ""  # set for unexpected errors: the traceback is in this file

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, "")

    @classmethod
    def from_exception(cls, exc: BaseException, doing: str, log_path: str = "") -> Problem:
        """The problem for ``exc`` raised while ``doing`` (e.g. "making the cover")."""
        if isinstance(exc, UserFacingError):
            return cls(exc.message, exc.action)
        if isinstance(exc, MemoryError):
            return cls(f"Ran out of memory while {doing}; close other programs and try again.",
                       ACTION_FREE_MEMORY)
        where = f" The details are in {log_path}." if log_path else ""
        return cls(f"Something went wrong while {doing} ({type(exc).__name__}: {exc}).{where}",
                   ACTION_SHOW_LOG if log_path else ACTION_NONE, log_path)

    def __str__(self) -> str:
        return self.message


def with_action(problem: Problem | str, action: str) -> Problem:
    """``problem`` with ``action`` unless it already has one."""
    if not isinstance(problem, Problem):
        problem = Problem(str(problem))
    return problem if problem.action else Problem(problem.message, action, problem.log_path)

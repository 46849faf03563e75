"""Errors meant for people: the message is one sentence that says what went wrong and what to do."""


class UserFacingError(Exception):
    """An error whose message is shown to the user as it is (in the window and on the CLI)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(UserFacingError):
    """The user's file or argument cannot be used."""


class CancelledError(Exception):
    """A job noticed its cancel flag and stopped early."""

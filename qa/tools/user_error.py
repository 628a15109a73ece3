"""The error every `qa` command reports to the user as one line, with an exit code."""

from __future__ import annotations


class UserError(Exception):
    """An error for the user: printed as one line, with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code

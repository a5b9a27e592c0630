"""How an answer ended: one word per ending, from the answer's record to the dashboard's alarms.

The error endings are derived from the error registry (``stream_chat.errors``) by the class of
the error that ended the answer, so a new error code lands in an ending without a list to keep:

    StreamTimeout subclasses   their own code: ``first_token_timeout``, ``stall_timeout``,
                               ``deadline``
    ProviderError subclasses   ``provider_error``
    ShuttingDown               ``shutdown``: the environment stopped, not a fault of the answer
    anything else              ``internal_error``

An answer whose body was closed before ``done`` (the runtime could not deliver it) is an
``internal_error`` too. ``answer_lost`` is no ending: only the resume function sends it, about an
answer that ended (or died) in another function, and a resume settles nothing. The error alarm
counts the endings whose ``alarms`` is true.
"""

from __future__ import annotations

from enum import StrEnum

from stream_chat.errors import ERROR_CODES, ProviderError, ShuttingDown, StreamTimeout


class Ending(StrEnum):
    COMPLETED = "completed"
    MAX_TOKENS = "max_tokens"
    CANCELLED = "cancelled"
    FIRST_TOKEN_TIMEOUT = "first_token_timeout"  # noqa: S105  (a name, not a secret)
    STALL_TIMEOUT = "stall_timeout"
    DEADLINE = "deadline"
    PROVIDER_ERROR = "provider_error"
    SHUTDOWN = "shutdown"
    INTERNAL_ERROR = "internal_error"

    @property
    def alarms(self) -> bool:
        """Whether the ending counts in the error alarm: a failure an operator should look at."""
        return self not in _NOT_ALARMING

    @classmethod
    def of_error(cls, code: str) -> Ending:
        """The ending of an answer that an error with this registry code ended."""
        error = ERROR_CODES.get(code)
        if error is None:
            return cls.INTERNAL_ERROR
        if issubclass(error, StreamTimeout):
            return cls(error.code)
        if issubclass(error, ProviderError):
            return cls.PROVIDER_ERROR
        if issubclass(error, ShuttingDown):
            return cls.SHUTDOWN
        return cls.INTERNAL_ERROR

    @classmethod
    def of_stop(cls, stop_reason: str) -> Ending:
        """The ending of an answer the provider finished with ``stop_reason``."""
        return cls.MAX_TOKENS if stop_reason == "max_tokens" else cls.COMPLETED


_NOT_ALARMING = frozenset({Ending.COMPLETED, Ending.MAX_TOKENS, Ending.CANCELLED, Ending.SHUTDOWN})
ALARMING: tuple[Ending, ...] = tuple(ending for ending in Ending if ending.alarms)

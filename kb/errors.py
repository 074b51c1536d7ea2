"""The exceptions the knowledge base raises, in one hierarchy, each with its statuses.

    KBError                      anything the project itself reports          HTTP 500, exit 1
    ├── InputError               input that cannot be used at all             HTTP 400, exit 2
    │   ├── HostileXMLError      a DOCTYPE with entities, an external entity, an expansion bomb
    │   ├── NotPubMedError       well-formed, but not PubMed XML or MEDLINE text
    │   ├── NotAuthorizedError   no token, or the wrong one, for a job        HTTP 403, exit 2
    │   ├── TooLargeError        a request body or form past its limit        HTTP 413, exit 2
    │   └── TooSlowError         a request body that stopped coming           HTTP 408, exit 2
    ├── RecordError              one record in a batch is broken; the others go on
    ├── EutilsError              E-utilities failed after retries             HTTP 502, exit 1
    │   ├── RateLimitedError     429s outlasted the retries
    │   └── IncompleteResponseError  an answer empty or cut short (the client retries it)
    ├── StoreError               the store refused or failed an operation     HTTP 503, exit 1
    │   └── ReadOnlyError        an update sent where only reads are allowed  HTTP 400, exit 2
    ├── QueryError               a named query or its parameters are invalid  HTTP 400, exit 2
    │   ├── ParameterError       one parameter value is refused (names the parameter)
    │   ├── NotAcceptableError   no format the client accepts can carry it    HTTP 406, exit 2
    │   └── QueryTimeoutError    the query ran past the time limit            HTTP 503, exit 1
    └── LockedError              another process holds the refresh lock or the store
                                                                              HTTP 409, exit 3

Each class carries its HTTP status, problem title and kind (the API's problem details) and
its exit status (the CLI's): the API, the CLI and the server hand-off all read them here.
Every message says what went wrong and where, in one line a person can act on.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK, EXIT_PARTIAL, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3


class KBError(Exception):
    """Base class of every error the knowledge base reports on purpose."""

    http_status: ClassVar[int] = 500
    title: ClassVar[str] = "Knowledge base error"
    kind: ClassVar[str] = "internal"
    exit_status: ClassVar[int] = EXIT_PARTIAL


class InputError(KBError):
    """Input that cannot be used at all: unreadable, not PubMed, or hostile."""

    http_status = 400
    title = "Unusable input"
    kind = "invalid-input"
    exit_status = EXIT_INPUT


class HostileXMLError(InputError):
    """XML that declares entities, refers to external resources, or expands without bound."""


class NotPubMedError(InputError):
    """Input that parses but is not PubMed XML or MEDLINE text."""


class NotAuthorizedError(InputError):
    """A job asked for without the admin token, or with the wrong one."""

    http_status = 403
    title = "Not authorized"
    kind = "not-authorized"


class NotFoundError(InputError):
    """Something named that is not there: an article, or an assertion of one, to curate."""

    http_status = 404
    title = "Not found"
    kind = "not-found"


class TooLargeError(InputError):
    """A request body past the size limit, or a form with too many fields."""

    http_status = 413
    title = "Request too large"
    kind = "too-large"


class TooSlowError(InputError):
    """A request body that stopped coming."""

    http_status = 408
    title = "Request too slow"
    kind = "too-slow"


class RecordError(KBError):
    """One broken record inside an otherwise usable batch."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class EutilsError(KBError):
    """E-utilities failed after retries, or answered with an error document."""

    http_status = 502
    title = "E-utilities failed"
    kind = "eutils"


class RateLimitedError(EutilsError):
    """NCBI kept answering 429 after every retry."""


class IncompleteResponseError(EutilsError):
    """An answer that was empty or cut short, and may be whole next time."""


class StoreError(KBError):
    """The store refused or failed an operation."""

    http_status = 503
    title = "Store unavailable"
    kind = "store-unavailable"


class ReadOnlyError(StoreError):
    """An update was sent to a read-only endpoint."""

    http_status = 400
    title = "Updates are refused"
    kind = "read-only"
    exit_status = EXIT_INPUT


class QueryError(KBError):
    """A named query, its header or its parameters are invalid."""

    http_status = 400
    title = "Invalid query"
    kind = "invalid-query"
    exit_status = EXIT_INPUT


class ParameterError(QueryError):
    """One parameter value is refused."""

    title = "Invalid parameter"
    kind = "invalid-parameter"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"parameter {name!r}: {reason}")
        self.name = name
        self.reason = reason


class NotAcceptableError(QueryError):
    """No format the client accepts can carry this kind of answer."""

    http_status = 406
    title = "Not acceptable"
    kind = "not-acceptable"


class QueryTimeoutError(QueryError):
    """The query ran past the time limit; its answer was abandoned."""

    http_status = 503
    title = "Query time limit reached"
    kind = "query-timeout"
    exit_status = EXIT_PARTIAL


class LockedError(KBError):
    """Another process holds the lock."""

    http_status = 409
    title = "Already running"
    kind = "locked"
    exit_status = EXIT_LOCKED


#: The error an HTTP status from the server stands for, for the clients of its admin API.
_BY_STATUS: dict[int, type[KBError]] = {
    400: InputError,
    401: NotAuthorizedError,
    403: NotAuthorizedError,
    404: NotFoundError,
    409: LockedError,
    502: EutilsError,
    503: StoreError,
}


def error_for_status(status: int) -> type[KBError]:
    """Return the error class an HTTP status of the server's problem answers stands for.

    >>> error_for_status(409).__name__
    'LockedError'
    """
    return _BY_STATUS.get(status, KBError)

"""The exceptions the knowledge base raises, in one hierarchy.

    KBError                      anything the project itself reports
    ├── InputError               input that cannot be used at all (exit status 2)
    │   ├── HostileXMLError      a DOCTYPE with entities, an external entity, an expansion bomb
    │   └── NotPubMedError       well-formed, but not PubMed XML or MEDLINE text
    ├── RecordError              one record in a batch is broken; the others go on
    ├── EutilsError              E-utilities failed after retries, or answered with an error
    │   ├── RateLimitedError     429s outlasted the retries
    │   └── IncompleteResponseError  an answer empty or cut short (the client retries it)
    ├── StoreError               the store refused or failed an operation
    │   └── ReadOnlyError        an update sent where only reads are allowed
    ├── QueryError               a named query or its parameters are invalid
    │   ├── ParameterError       one parameter value is refused (names the parameter)
    │   ├── NotAcceptableError   no format the client accepts can carry the answer
    │   └── QueryTimeoutError    the query ran past the time limit
    ├── ValidationError          SHACL validation found violations
    └── LockedError              another process holds the refresh lock or the store

Every message says what went wrong and where, in one line a person can act on.
"""

from __future__ import annotations


class KBError(Exception):
    """Base class of every error the knowledge base reports on purpose."""


class InputError(KBError):
    """Input that cannot be used at all: unreadable, not PubMed, or hostile."""


class HostileXMLError(InputError):
    """XML that declares entities, refers to external resources, or expands without bound."""


class NotPubMedError(InputError):
    """Input that parses but is not PubMed XML or MEDLINE text."""


class RecordError(KBError):
    """One broken record inside an otherwise usable batch."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class EutilsError(KBError):
    """E-utilities failed after retries, or answered with an error document."""


class RateLimitedError(EutilsError):
    """NCBI kept answering 429 after every retry."""


class IncompleteResponseError(EutilsError):
    """An answer that was empty or cut short, and may be whole next time."""


class StoreError(KBError):
    """The store refused or failed an operation."""


class ReadOnlyError(StoreError):
    """An update was sent to a read-only endpoint."""


class QueryError(KBError):
    """A named query, its header or its parameters are invalid."""


class ParameterError(QueryError):
    """One parameter value is refused."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"parameter {name!r}: {reason}")
        self.name = name
        self.reason = reason


class NotAcceptableError(QueryError):
    """No format the client accepts can carry this kind of answer."""


class QueryTimeoutError(QueryError):
    """The query ran past the time limit; its answer was abandoned."""


class ValidationError(KBError):
    """SHACL validation found violations."""


class LockedError(KBError):
    """Another process holds the lock."""

"""The XML prologue (declaration, comments, DOCTYPE) checked before any parser sees it.

PubMed files declare a DOCTYPE with a public id and an http(s) DTD address; that is accepted
and never fetched. An internal subset that declares an ENTITY (expansion bombs, external
entities) or a DTD named by a non-HTTP address is refused with HostileXMLError.
"""

from __future__ import annotations

import codecs
import re

from ingest.streams import READ_ERRORS, Prefixed, Readable, read_head
from kb.errors import HostileXMLError, InputError, NotPubMedError

PROLOGUE_LIMIT = 1 << 20  # bytes read to find the root start tag; more than this is hostile
_CHUNK = 1 << 16

_NAME = re.compile(r"<([A-Za-z_:][^\s/>]*)")
_DOCTYPE = re.compile(
    r"<!DOCTYPE\s+(?P<name>[^\s\[>]+)"
    r"(?:\s+(?:PUBLIC\s+(?:\"[^\"]*\"|'[^']*')\s*|SYSTEM\s+)(?:\"(?P<s1>[^\"]*)\"|'(?P<s2>[^']*)'))?"
    r"\s*(?P<rest>[\[>])",
)
_SUBSET_TOKEN = re.compile(
    r"\"[^\"]*\"|'[^']*'|<!--.*?-->|<!ENTITY\b|\]|[^\"'<\]]+|<(?![!]--)", re.S
)
_SUBSET_END = re.compile(r"\s*>")
_SAFE_SYSTEM_ID = re.compile(r"^(?:https?://[^\s]+|[A-Za-z0-9._-]+)$")


class _Incomplete(Exception):
    """The prologue continues beyond the bytes read so far."""


def _decode_head(head: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            return decoder.decode(head[len(bom) :])
    # Any ASCII-compatible encoding shows its markup as Latin-1 does.
    return head.decode("latin-1")


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _check_doctype(text: str, pos: int, name: str) -> int:
    """Refuse entity declarations and non-HTTP external ids; return the end of the DOCTYPE."""
    found = _DOCTYPE.match(text, pos)
    if found is None:
        if text.find(">", pos) < 0:
            raise _Incomplete
        raise NotPubMedError(f"{name}: line {_line(text, pos)}: malformed DOCTYPE")
    system_id = found.group("s1") or found.group("s2")
    if system_id is not None and not _SAFE_SYSTEM_ID.match(system_id):
        raise HostileXMLError(
            f"{name}: line {_line(text, pos)}: DOCTYPE refers to {system_id!r}; "
            "only an http(s) DTD address is accepted (and it is never fetched)"
        )
    if found.group("rest") == ">":
        return found.end()
    cursor = found.end()
    while True:
        token = _SUBSET_TOKEN.match(text, cursor)
        if token is None:
            raise _Incomplete
        if token.group() == "<!ENTITY":
            raise HostileXMLError(
                f"{name}: line {_line(text, cursor)}: the DOCTYPE declares an ENTITY "
                "(entity expansion and external entities are refused)"
            )
        cursor = token.end()
        if token.group() == "]":
            close = _SUBSET_END.match(text, cursor)
            if close is not None:
                return close.end()
            if not text[cursor:].strip():
                raise _Incomplete
            raise NotPubMedError(f"{name}: line {_line(text, cursor)}: malformed DOCTYPE")


def _root_of(text: str, name: str) -> str:
    """Return the root element's name after checking the prologue, or raise."""
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= len(text):
            raise _Incomplete
        for opener, closer in (("<?", "?>"), ("<!--", "-->")):
            if text.startswith(opener, pos):
                end = text.find(closer, pos)
                if end < 0:
                    raise _Incomplete
                pos = end + len(closer)
                break
        else:
            if text.startswith("<!DOCTYPE", pos):
                pos = _check_doctype(text, pos, name)
                continue
            if len(text) - pos < 9 and "<!DOCTYPE".startswith(text[pos:]):
                raise _Incomplete
            found = _NAME.match(text, pos)
            if found is None:
                raise NotPubMedError(f"{name}: line {_line(text, pos)}: not XML")
            return found.group(1)


def check_prologue(head: bytes, name: str, complete: bool = False) -> str | None:
    """Check the bytes before the root element and return the root's name.

    Return None when ``head`` ends before the root start tag (read more and call again),
    unless ``complete`` says nothing more will come.

    Raises:
        HostileXMLError: the DOCTYPE declares an ENTITY, or names a non-HTTP external DTD.
        NotPubMedError: the bytes are not XML.
    """
    text = _decode_head(head)
    try:
        return _root_of(text, name)
    except _Incomplete:
        if complete:
            if not text.strip():
                raise NotPubMedError(f"{name}: empty file") from None
            raise NotPubMedError(f"{name}: the XML prologue never reaches an element") from None
        if len(head) >= PROLOGUE_LIMIT:
            raise HostileXMLError(
                f"{name}: no root element within the first {PROLOGUE_LIMIT} bytes"
            ) from None
        return None


def read_prologue(stream: Readable, name: str) -> tuple[Prefixed, str]:
    """Check the XML prologue of a stream and return (the whole stream again, root name).

    Raises:
        HostileXMLError: the DOCTYPE declares entities or names a non-HTTP external DTD.
        NotPubMedError: the bytes are not XML.
        InputError: the stream breaks (a corrupt gzip member, a read error).
    """
    head = b""
    try:
        while True:
            chunk = read_head(stream, _CHUNK)
            head += chunk
            root = check_prologue(head, name, complete=not chunk)
            if root is not None:
                return Prefixed(head, stream), root
    except READ_ERRORS as exc:
        raise InputError(f"{name}: cannot read: {exc}") from exc

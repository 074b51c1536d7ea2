"""Hostile XML is refused before anything is fetched or expanded; PubMed DTDs are not fetched."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.files import iter_file_records
from ingest.prologue import PROLOGUE_LIMIT
from ingest.pubmed_xml import iter_records
from kb.errors import HostileXMLError
from kb.models import Article

RECORD = (
    '<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">42</PMID>'
    "<Article><ArticleTitle>Title &amp; more{extra}</ArticleTitle></Article></MedlineCitation>"
    "</PubmedArticle>"
)


class Recorder:
    """A loopback HTTP server that answers everything with a DTD and logs each request."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                body = b'<!ENTITY leak "LEAKED-FROM-HTTP">'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def doc(doctype: str, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<PubmedArticleSet>\n'
        f"{RECORD.format(extra=extra)}\n</PubmedArticleSet>\n"
    ).encode()


def read(data: bytes, name: str = "hostile.xml") -> list[object]:
    return list(iter_records(io.BytesIO(data), name=name))


BILLION_LAUGHS = """<!DOCTYPE PubmedArticleSet [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>"""


def test_an_entity_expansion_bomb_is_refused_naming_file_and_line() -> None:
    with pytest.raises(HostileXMLError, match=r"bomb\.xml: line 3: the DOCTYPE declares an ENTITY"):
        read(doc(BILLION_LAUGHS, extra="&lol9;"), name="bomb.xml")


def test_an_external_file_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    hostile = tmp_path / "xxe.xml"
    doctype = f'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    hostile.write_bytes(doc(doctype, extra="&xxe;"))
    with pytest.raises(HostileXMLError, match=r"xxe\.xml: line 2") as caught:
        list(iter_file_records(hostile))
    assert "TOP-SECRET-CONTENT" not in str(caught.value)


def test_an_external_http_entity_is_refused_and_never_requested(recorder: Recorder) -> None:
    doctype = f'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "{recorder.url}/leak">]>'
    with pytest.raises(HostileXMLError):
        read(doc(doctype, extra="&xxe;"))
    assert recorder.paths == []


def test_an_external_parameter_entity_is_refused_and_never_requested(recorder: Recorder) -> None:
    doctype = f'<!DOCTYPE PubmedArticleSet [<!ENTITY % dtd SYSTEM "{recorder.url}/p.dtd"> %dtd;]>'
    with pytest.raises(HostileXMLError):
        read(doc(doctype, extra="&leak;"))
    assert recorder.paths == []


def test_a_doctype_naming_a_local_file_as_its_dtd_is_refused() -> None:
    with pytest.raises(HostileXMLError, match="/etc/passwd"):
        read(doc('<!DOCTYPE PubmedArticleSet SYSTEM "file:///etc/passwd">'))


def test_pubmeds_http_doctype_is_accepted_without_any_request(recorder: Recorder) -> None:
    # The real DOCTYPE shape, pointing at a server we watch: the DTD must not be fetched.
    doctype = (
        '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
        f'"{recorder.url}/pubmed_190101.dtd">'
    )
    records = read(doc(doctype))
    assert [r.title for r in records if isinstance(r, Article)] == ["Title & more"]
    assert recorder.paths == []


def test_an_entity_hidden_behind_a_quoted_bracket_is_still_found() -> None:
    doctype = (
        '<!DOCTYPE PubmedArticleSet [<!ATTLIST PMID note CDATA "]>"> '
        '<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    )
    with pytest.raises(HostileXMLError):
        read(doc(doctype, extra="&xxe;"))


def test_an_internal_subset_without_entities_is_accepted() -> None:
    doctype = '<!DOCTYPE PubmedArticleSet [<!ATTLIST PMID Version CDATA "1"> <!-- ]> -->]>'
    assert [r.pmid for r in read(doc(doctype)) if isinstance(r, Article)] == ["42"]


def test_a_utf16_document_is_checked_like_any_other() -> None:
    data = (
        doc('<!DOCTYPE PubmedArticleSet [<!ENTITY x "y">]>')
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )
    with pytest.raises(HostileXMLError):
        read(data.encode("utf-16"))


def test_a_prologue_longer_than_the_limit_is_refused() -> None:
    padding = "<!-- " + "x" * PROLOGUE_LIMIT + " -->"
    with pytest.raises(HostileXMLError, match="no root element"):
        read(doc(padding))


def test_an_undeclared_entity_in_the_body_is_never_resolved(recorder: Recorder) -> None:
    # No DOCTYPE entity at all: the reference cannot pull anything in.
    records = read(doc(f'<!DOCTYPE PubmedArticleSet SYSTEM "{recorder.url}/x.dtd">', "&leak;"))
    assert all("LEAKED" not in str(r) for r in records)
    assert recorder.paths == []

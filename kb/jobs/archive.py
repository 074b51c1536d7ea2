"""The record archive: every article written to the store, kept to re-read without network.

``kb reextract`` runs a new extractor over stored articles from here. The archive holds the
record as read (the ``Article`` model as JSON, gzipped), not the raw XML: the pipeline sees
records from PubMed XML, MEDLINE text and E-utilities alike, and the model is what the
extractor and the mapping read (``content_hash`` survives the round trip). A record is
archived before its graph is written, so the store never holds an article the archive lacks.
"""

from __future__ import annotations

from pathlib import Path

from ingest.cache import ResponseCache
from kb.models import Article


class RecordArchive(ResponseCache):
    """Records by PMID under one folder (``records/353/11474353.json.gz``), written atomically.

    The response cache's atomic gzip writer serves here too; files fan out by the last three
    digits of the PMID, which spread evenly where leading digits do not.
    """

    def path(self, key: str) -> Path:
        """Where the record of a PMID lives."""
        return self.root / key[-3:].rjust(3, "0") / f"{key}.json.gz"

    def write(self, article: Article) -> Path:
        """Archive a record, replacing the one kept for its PMID."""
        return self.put(article.pmid, article.model_dump_json().encode("utf-8"))

    def read(self, pmid: str) -> Article | None:
        """The archived record of a PMID, or None when none was archived."""
        data = self.get(pmid)
        return None if data is None else Article.model_validate_json(data)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json.gz"))

"""The package's own data: ontology, named queries, bundled sample, measured quality.

They ship inside the package (``kb/ontology`` and ``kb/queries`` are links to the folders at
the top of the checkout, which the wheel carries as package data), so an installed package
finds them wherever it lives. A missing file is a one-line ``KBError``, never a traceback
or an empty lexicon.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kb.errors import KBError

SAMPLE = "tc-spine-sample.xml"


def _folder(package: str, name: str, pattern: str) -> Path:
    folder = Path(str(resources.files(package) / name))
    if not folder.is_dir() or not any(folder.glob(pattern)):
        raise KBError(
            f"the package's data folder {folder} is missing or holds no {pattern}: "
            "reinstall tc-spine-kb (pip install .)"
        )
    return folder


def data_file(folder: Path, name: str) -> Path:
    """Return the file ``name`` of a data folder; a ``KBError`` names it when it is missing."""
    path = folder / name
    if not path.is_file():
        raise KBError(f"the package's data file {path} is missing: reinstall tc-spine-kb")
    return path


def ontology_dir() -> Path:
    """Return the folder of the ontology files (``ontology/`` of the checkout)."""
    return _folder("kb", "ontology", "*.ttl")


def queries_dir() -> Path:
    """Return the folder of the named queries (``queries/`` of the checkout)."""
    return _folder("kb", "queries", "*.rq")


def sample_path() -> Path:
    """Return the bundled sample corpus that ``kb ingest --sample`` reads."""
    return data_file(_folder("ingest", "sample", "*.xml"), SAMPLE)


def extraction_quality_path() -> Path:
    """Return the extractor's measured quality (``kb/extraction/quality.json``)."""
    return data_file(_folder("kb", "extraction", "*.json"), "quality.json")

"""Throughput and memory of iter_records against a bare lxml iterparse pass over the same file.

Writes a synthetic PubMed XML file shaped like a baseline file (records modelled on the
structure of real 2020-2025 PubMed records), then runs each reader in its own process and
reports records per second, peak RSS, and how much the peak grew during the second half of
the run (flat memory: close to zero).

    python bench/ingest.py                  # 200,000 articles
    python bench/ingest.py --articles 20000 # a quick run
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "calcinosis",
    "tumoral",
    "spine",
    "cervical",
    "lumbar",
    "thoracic",
    "mass",
    "calcified",
    "facet",
    "joint",
    "patient",
    "dialysis",
    "renal",
    "failure",
    "phosphate",
    "hyperphosphatemia",
    "lesion",
    "soft",
    "tissue",
    "periarticular",
    "imaging",
    "computed",
    "tomography",
    "magnetic",
    "resonance",
    "signal",
    "hypointense",
    "enhancement",
    "surgery",
    "resection",
    "decompression",
    "recurrence",
    "outcome",
    "symptom",
    "pain",
    "weakness",
    "myelopathy",
    "radiculopathy",
    "the",
    "of",
    "and",
    "in",
    "with",
    "a",
    "was",
    "were",
    "is",
    "to",
    "for",
    "on",
    "by",
    "at",
    "from",
    "an",
    "as",
    "this",
    "that",
    "which",
    "after",
]
SURNAMES = [
    "Smith",
    "Tanaka",
    "Müller",
    "García",
    "Rossi",
    "Kim",
    "Nguyen",
    "Dubois",
    "Kowalski",
    "Silva",
    "Chen",
    "Ivanova",
]
FORENAMES = [
    "Anna",
    "Ben",
    "Chloé",
    "Daniel",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Luis",
]
MESH = [
    ("D002114", "Calcinosis"),
    ("D013131", "Spine"),
    ("D002574", "Cervical Vertebrae"),
    ("D008159", "Lumbar Vertebrae"),
    ("D006801", "Humans"),
    ("D005260", "Female"),
    ("D008297", "Male"),
    ("D008875", "Middle Aged"),
    ("D014057", "Tomography, X-Ray Computed"),
    ("D008279", "Magnetic Resonance Imaging"),
    ("D006435", "Renal Dialysis"),
    ("D007676", "Kidney Failure, Chronic"),
]
QUALIFIERS = [("Q000000981", "diagnostic imaging"), ("Q000601", "surgery"), ("Q000209", "etiology")]
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."


def _author(rng: random.Random, number: int) -> str:
    last, fore = rng.choice(SURNAMES), rng.choice(FORENAMES)
    orcid = (
        f'<Identifier Source="ORCID">0000-000{number % 10}-{rng.randrange(10**4):04d}-'
        f"{rng.randrange(10**4):04d}</Identifier>"
        if number % 3 == 0
        else ""
    )
    return (
        f'<Author ValidYN="Y"><LastName>{last}</LastName><ForeName>{fore}</ForeName>'
        f"<Initials>{fore[0]}</Initials>{orcid}<AffiliationInfo><Affiliation>Department of "
        f"{escape(_sentence(rng, 6))} University {number}, City, Country.</Affiliation>"
        "</AffiliationInfo></Author>"
    )


def _record(rng: random.Random, pmid: int) -> str:
    sections = "".join(
        f'<AbstractText Label="{label}" NlmCategory="{label}">'
        + " ".join(_sentence(rng, rng.randint(12, 28)) for _ in range(rng.randint(2, 4)))
        + "</AbstractText>"
        for label in ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
    )
    authors = "".join(_author(rng, n) for n in range(rng.randint(3, 9)))
    mesh = "".join(
        f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="{"Y" if n == 0 else "N"}">'
        f"{name}</DescriptorName>"
        + "".join(
            f'<QualifierName UI="{q_ui}" MajorTopicYN="N">{q_name}</QualifierName>'
            for q_ui, q_name in rng.sample(QUALIFIERS, rng.randint(0, 2))
        )
        + "</MeshHeading>"
        for n, (ui, name) in enumerate(rng.sample(MESH, rng.randint(5, 12)))
    )
    references = "".join(
        f"<Reference><Citation>{escape(_sentence(rng, 14))} J Spine. 2001;4:1-9.</Citation>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{rng.randrange(10**7)}</ArticleId>'
        "</ArticleIdList></Reference>"
        for _ in range(rng.randint(5, 25))
    )
    year = rng.randint(1990, 2025)
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="Automated">'
        f'<PMID Version="1">{pmid}</PMID><DateCompleted><Year>{year}</Year><Month>05</Month>'
        f'<Day>17</Day></DateCompleted><Article PubModel="Print-Electronic"><Journal>'
        f'<ISSN IssnType="Electronic">1234-5678</ISSN><JournalIssue CitedMedium="Internet">'
        f"<Volume>{rng.randint(1, 60)}</Volume><Issue>{rng.randint(1, 12)}</Issue><PubDate>"
        f"<Year>{year}</Year><Month>Jun</Month></PubDate></JournalIssue><Title>Journal of "
        f"spine imaging</Title><ISOAbbreviation>J Spine Imaging</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{escape(_sentence(rng, rng.randint(8, 18)))}</ArticleTitle>"
        f"<Pagination><MedlinePgn>{rng.randint(1, 900)}-9</MedlinePgn></Pagination>"
        f'<ELocationID EIdType="doi" ValidYN="Y">10.1000/spine.{pmid}</ELocationID>'
        f'<Abstract>{sections}</Abstract><AuthorList CompleteYN="Y">{authors}</AuthorList>'
        f"<Language>eng</Language><PublicationTypeList>"
        f'<PublicationType UI="D016428">Journal Article</PublicationType>'
        f'<PublicationType UI="D002363">Case Reports</PublicationType></PublicationTypeList>'
        f"</Article><MedlineJournalInfo><Country>United States</Country><MedlineTA>J Spine "
        f"Imaging</MedlineTA><NlmUniqueID>101000000</NlmUniqueID></MedlineJournalInfo>"
        f"<CitationSubset>IM</CitationSubset><MeshHeadingList>{mesh}</MeshHeadingList>"
        f'<KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">{rng.choice(WORDS)}</Keyword>'
        f'<Keyword MajorTopicYN="N">{rng.choice(WORDS)}</Keyword></KeywordList>'
        f'</MedlineCitation><PubmedData><History><PubMedPubDate PubStatus="received"><Year>'
        f"{year}</Year><Month>1</Month><Day>4</Day></PubMedPubDate><PubMedPubDate "
        f'PubStatus="pubmed"><Year>{year}</Year><Month>6</Month><Day>2</Day><Hour>6</Hour>'
        f"<Minute>0</Minute></PubMedPubDate></History><PublicationStatus>ppublish"
        f'</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f'<ArticleId IdType="doi">10.1000/spine.{pmid}</ArticleId></ArticleIdList>'
        f"<ReferenceList>{references}</ReferenceList></PubmedData></PubmedArticle>\n"
    )


def write_corpus(path: Path, articles: int, seed: int = 20250101) -> None:
    """Write a synthetic PubmedArticleSet of ``articles`` records."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?>\n{DOCTYPE}\n<PubmedArticleSet>\n')
        for number in range(articles):
            out.write(_record(rng, 30_000_000 + number))
        out.write("</PubmedArticleSet>\n")


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare(path: Path) -> int:
    from lxml import etree

    count = 0
    events = etree.iterparse(
        str(path), events=("end",), tag="PubmedArticle", load_dtd=False, no_network=True
    )
    for _, element in events:
        count += 1
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def _records(path: Path) -> int:
    from ingest.pubmed_xml import iter_records
    from kb.models import Article

    return sum(isinstance(record, Article) for record in iter_records(path))


def worker(kind: str, path: Path) -> None:
    """Run one reader and print its figures as JSON (called in a fresh process)."""
    reader = _bare if kind == "bare" else _records
    if kind == "records":
        import ingest.pubmed_xml  # noqa: F401 - import before the clock and the RSS baseline
    before = _maxrss_mib()
    start = time.perf_counter()
    count = reader(path)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {"count": count, "seconds": seconds, "rss_start": before, "rss_peak": _maxrss_mib()}
        )
    )


def _run(kind: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main() -> None:
    """Generate the corpus, run both readers, print the figures and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]))
        return
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as folder:
        path = Path(folder) / "synthetic.xml"
        start = time.perf_counter()
        write_corpus(path, args.articles)
        size = path.stat().st_size / 2**20
        print(
            f"corpus: {args.articles:,} articles, {size:,.0f} MiB, "
            f"written in {time.perf_counter() - start:.1f} s"
        )
        results = {kind: _run(kind, path) for kind in ("bare", "records")}
    for kind, label in (("bare", "bare iterparse + clear"), ("records", "iter_records -> Article")):
        figures = results[kind]
        assert figures["count"] == args.articles, figures
        rate = figures["count"] / figures["seconds"]
        print(
            f"{label:26} {rate:10,.0f} articles/s  {figures['seconds']:7.1f} s  "
            f"peak RSS {figures['rss_peak']:6.0f} MiB  "
            f"(+{figures['rss_peak'] - figures['rss_start']:.0f} MiB over its start)"
        )
    ratio = results["records"]["seconds"] / results["bare"]["seconds"]
    print(f"iter_records takes {ratio:.2f}x the time of the bare pass (goal: within 2x)")


if __name__ == "__main__":
    # Run as a script, bench/ comes first on sys.path and this file would shadow the package.
    sys.path.insert(0, str(ROOT))
    main()

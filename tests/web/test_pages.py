"""The flows a researcher walks, in a real Chromium against the real site.

Each test asserts on what the page shows, checked against the store through the named
queries (the SPARQL path, not the case index the pages use); the ``web`` fixture fails any
test whose page reached for another host.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kb.query.named import read_queries
from kb.query.registry import Page, Registry
from kb.store import OxigraphStore
from tests.web.conftest import Watched

TC = "https://w3id.org/tckb/ontology#"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Playwright's own


@pytest.fixture(scope="module")
def registry(site_store: OxigraphStore) -> Registry:
    """Named queries over the site's store, to say what the pages should show."""
    return Registry(site_store, read_queries())


def asked(page: Any) -> dict[str, list[str]]:
    """The page's URL parameters."""
    return parse_qs(urlsplit(page.url).query)


def test_the_home_page_says_what_is_held_and_finds_a_concept(
    web: Watched, registry: Registry
) -> None:
    web.open("/")
    page = web.page
    counts = registry.run("counts", {}).rows[0]
    assert page.locator("#count-articles").inner_text() == str(counts["articles"])
    assert page.locator("#count-cases").inner_text() == str(registry.run("cases", {}).total)
    assert "tc-rules/" in page.get_by_role("region", name="How well it reads").inner_text()
    page.get_by_label("Search concepts, PMIDs, authors, titles").fill("gadolinium")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search\?q=gadolinium"))
    page.get_by_role("link", name="enhancement after gadolinium").click()
    page.wait_for_url(re.compile(r"/concepts/finding/contrast-enhancement$"))
    assert (
        page.get_by_role("heading", level=1).inner_text().startswith("enhancement after gadolinium")
    )
    evidence = registry.run("concept-evidence", {"concept": "finding/contrast-enhancement"})
    absent_rows = [r for r in evidence.rows if r["polarity"] == "absent"]
    shown = page.locator("#counts ~ table tbody tr", has_text="absent")
    assert shown.count() == len(absent_rows) > 0


def test_faceting_the_cases_to_a_region_and_a_finding_not_seen(
    web: Watched, registry: Registry
) -> None:
    web.open("/cases")
    page = web.page
    facet = page.locator("#facet-place")
    facet.get_by_role("link", name="cervical spine").click()
    page.wait_for_url(re.compile(r"region=region%2Fcervical"))
    row = page.locator("#facet-findings li", has_text="enhancement after gadolinium")
    row.get_by_role("link", name=re.compile(r"^enhancement after gadolinium: not seen")).click()
    page.wait_for_url(re.compile(r"absent=finding%2Fcontrast-enhancement"))
    assert asked(page) == {
        "region": ["region/cervical"],
        "absent": ["finding/contrast-enhancement"],
    }
    expected = registry.run(
        "cases",
        {"region": "region/cervical", "absent": ["finding/contrast-enhancement"]},
        Page(100),
    )
    assert page.locator("#case-total").inner_text().startswith(f"{expected.total} ")
    rows = page.locator("table.cases tbody tr")
    assert rows.count() == len(expected.rows) > 0
    shown = [rows.nth(i).locator("td").first.inner_text().split()[0] for i in range(rows.count())]
    assert shown == [r["case"] for r in expected.rows]
    for i in range(rows.count()):
        assert "not enhancement after gadolinium" in rows.nth(i).inner_text().replace("\n", " ")
    # The facet's count said how many the click would keep.
    chosen = page.locator("#facet-findings a[aria-current=true]")
    assert chosen.locator(".count").inner_text() == str(expected.total)
    # The data twin is exactly what is on screen.
    csv_link = page.get_by_role("link", name="CSV")
    twin = page.request.get(web.base + csv_link.get_attribute("href"))
    body = twin.text().splitlines()
    assert [line.split(",")[0] for line in body[1:]] == shown


def test_a_case_leads_to_its_article_with_the_sentence_marked(
    web: Watched, registry: Registry
) -> None:
    web.open("/cases?absent=finding%2Fcontrast-enhancement")
    page = web.page
    first = page.locator("table.cases tbody tr").first
    pmid = first.get_by_role("link", name=re.compile(r"^PMID ")).inner_text().split()[1]
    first.get_by_role("link", name=re.compile(r"^PMID ")).click()
    page.wait_for_url(re.compile(rf"/articles/{pmid}$"))
    evidence = registry.run("article-evidence", {"pmid": pmid}).rows
    negated = next(r for r in evidence if r["concept"] == "finding/contrast-enhancement"
                   and r["polarity"] == "absent")  # fmt: skip
    mention = negated["sentence"][negated["start"] : negated["end"]]
    mark = page.locator(".abstract .m.absent", has_text=mention).first
    assert mark.is_visible()
    note = mark.locator(".note")
    assert not note.is_visible()
    mark.focus()  # keyboard or hover shows what was read there
    assert note.is_visible()
    assert "enhancement after gadolinium" in note.inner_text()
    assert "absent" in note.inner_text()
    # The case is listed with a link back to its record.
    assert page.locator("#its-cases").is_visible()


def test_the_cases_like_my_patient_form_ranks_and_keeps_its_answer_in_the_url(
    web: Watched, site_store: OxigraphStore
) -> None:
    web.open("/cases/like")
    page = web.page
    page.get_by_role("group", name="low signal on T2-weighted MRI").get_by_label(
        "seen", exact=True
    ).check()
    gad = page.get_by_role("group", name="enhancement after gadolinium")
    gad.get_by_label("not seen", exact=True).check()
    page.get_by_label("C2", exact=True).check()
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Find similar cases").click()
    page.wait_for_url(re.compile(r"present=finding%2Ft2-hypointense"))
    assert asked(page) == {
        "present": ["finding/t2-hypointense"],
        "absent": ["finding/contrast-enhancement"],
        "level": ["C2"],
        "sex": ["female"],
    }
    from kb.cases.similar import Patient, build_index

    index = build_index(Registry(site_store, read_queries()))
    patient = Patient(present=frozenset({"finding/t2-hypointense"}),
                      absent=frozenset({"finding/contrast-enhancement"}),
                      levels=frozenset({"C2"}), sex="female")  # fmt: skip
    best = index.like(patient, 50)
    rows = page.locator("table.ranked tbody tr")
    assert rows.count() == len(best) > 0
    top = rows.first.locator("td").nth(1).inner_text().split()[0]
    assert top == best[0].case.case
    # The URL is the patient: opened again, the same answer.
    again = page.url
    page.goto(again)
    assert page.locator("table.ranked tbody tr").first.inner_text() == rows.first.inner_text()
    assert (
        page.get_by_role("group", name="enhancement after gadolinium")
        .get_by_label("not seen")
        .is_checked()
    )


def test_a_named_query_is_a_form_with_a_chart_of_its_counts(
    web: Watched, registry: Registry
) -> None:
    web.open("/queries")
    page = web.page
    page.get_by_role("link", name="misdiagnoses", exact=True).click()
    page.wait_for_url(re.compile(r"/queries/misdiagnoses$"))
    answer = registry.run("misdiagnoses", {}, Page(100))
    labels = {str(r["label"]) for r in answer.rows}
    chart = page.locator("figure.chart svg[role=img]")
    assert chart.locator("rect").count() == min(len(labels), 25) > 0
    assert page.locator("section table tbody tr").count() == len(answer.rows)
    # Asked through its form: the parameter's allowed values are the choices.
    web.open("/queries/imaging-findings")
    page.get_by_label("scope", exact=True).select_option("background")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_url(re.compile(r"scope=background"))
    narrowed = registry.run("imaging-findings", {"scope": "background"}, Page(100))
    assert page.locator("section table tbody tr").count() == max(len(narrowed.rows), 1)
    web.open("/queries/timeline")
    assert page.locator("figure.chart svg polyline").count() == 1


def test_the_sparql_editor_runs_a_query_and_shows_the_table(web: Watched) -> None:
    web.open("/sparql")
    page = web.page
    editor = page.locator("#yasgui .CodeMirror")
    editor.wait_for()
    assert not page.locator("#sparql-form").is_visible()  # the editor took the form's place
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?label WHERE "
        "{ <https://w3id.org/tckb/concept/region/lumbar> skos:prefLabel ?label }"
    )
    page.evaluate(
        "q => document.querySelector('#yasgui .CodeMirror').CodeMirror.setValue(q)", query
    )
    page.locator("#yasgui .yasqe_queryButton").click()
    cell = page.locator("#yasgui .yasr table td", has_text="lumbar spine")
    cell.first.wait_for()
    assert "/sparql?query=" in page.url  # the address follows the query: shareable
    # Opened from that address, with no script at all, the server's table has labels.
    context = web.page.context.browser.new_context(java_script_enabled=False)
    bare = context.new_page()
    bare.goto(page.url)
    assert "lumbar spine" in bare.locator("table.sparql-answer").inner_text()
    context.close()


def test_the_editor_completes_from_our_vocabulary_only(web: Watched) -> None:
    web.open("/sparql")
    page = web.page
    page.locator("#yasgui .CodeMirror").wait_for()
    asked_for: list[str] = []
    page.on("request", lambda r: asked_for.append(r.url))
    page.evaluate("() => document.querySelector('#yasgui .CodeMirror').CodeMirror.setValue('')")
    page.locator("#yasgui .CodeMirror textarea").focus()
    page.keyboard.type("PREFIX tc: <https://w3id.org/tckb/ontology#>\nSELECT * WHERE { ?x a tc:Ca")
    page.keyboard.press("Control+Space")
    hint = page.locator(".CodeMirror-hints li", has_text="Case")
    hint.first.wait_for()
    assert any("/sparql/terms?type=class" in url for url in asked_for)


def test_the_api_documentation_renders_offline(web: Watched) -> None:
    web.open("/docs")
    page = web.page
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock-summary-path", has_text="/cases/like").count() >= 1


def test_a_retracted_article_says_so_first(web: Watched) -> None:
    import pyoxigraph as ox

    from kb.settings import get_settings
    from kb.web import create_site
    from tests.support.graphs import cases_store
    from tests.support.server import serve

    pmid = "95000015"
    store = cases_store()  # a site of its own: the session's store is not written to
    graph = ox.NamedNode("https://w3id.org/tckb/graph/test-retraction")
    with serve(create_site(store, read_queries(), get_settings())) as url:
        web.base = url
        web.open(f"/articles/{pmid}")
        assert web.page.get_by_role("alert").count() == 0
        article = ox.NamedNode(f"https://w3id.org/tckb/id/article/{pmid}")
        true = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
        store.add_quads([ox.Quad(article, ox.NamedNode(TC + "retracted"), true, graph)])
        web.open(f"/articles/{pmid}")
        alert = web.page.get_by_role("alert")
        assert alert.inner_text().startswith("Retracted.")
        assert web.page.get_by_role("heading", level=1).is_visible()


@pytest.mark.parametrize("width", [1366, 390])
def test_pages_fit_a_laptop_and_a_phone(web: Watched, width: int) -> None:
    web.page.set_viewport_size({"width": width, "height": 900})
    for path in ("/", "/cases", "/articles/95000015", "/cases/like", "/queries/levels"):
        web.open(path)
        overflow = web.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} is {overflow}px wider than a {width}px screen"


def test_the_case_browser_works_from_the_keyboard(web: Watched) -> None:
    web.open("/cases")
    page = web.page
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    link = page.locator("#facet-place a", has_text="lumbar spine")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"region=region%2Flumbar"))


PAGES = ["/", "/search?q=cyst", "/cases", "/cases?region=region%2Fcervical&sort=-age",
         "/cases/like?present=finding%2Ft2-hypointense", "/articles/95000015",
         "/concepts/finding/t2-hypointense", "/queries", "/queries/misdiagnoses", "/sparql",
         "/docs"]  # fmt: skip
# Pages whose scripts draw after load: checked once drawn, so their widgets are checked too.
DRAWN = {"/sparql": "#yasgui .CodeMirror", "/docs": "#swagger .opblock"}


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(web: Watched, path: str) -> None:
    web.open(path)
    page = web.page
    if path in DRAWN:
        page.locator(DRAWN[path]).first.wait_for()
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")  # same origin: the CSP allows
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)

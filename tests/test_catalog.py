"""The named-query catalog: every .rq parses, is documented, runs alike on every engine; typed
parameters; the CLI (`alskg queries`, `alskg query -n`); the published SHACL examples."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.plugins.sparql import prepareQuery

from alskg.cli import main
from alskg.curation.namespaces import SCHEMA, SH, graph_iri, prefixes
from alskg.query.catalog import PARAM_TYPES, NamedQuery, Parameter, ParameterError, load_catalog
from alskg.query.engines.base import DatasetSpec, Engine, QueryOutcome
from alskg.query.examples import examples_graph, published_text, query_iri
from alskg.query.sparqltext import masked, query_form

QUERIES = load_catalog()
ID = "https://w3id.org/alskg/id/"
OBO = "http://purl.obolibrary.org/obo/"


def by_name(name: str) -> NamedQuery:
    """Return a query of the catalog by name."""
    return next(q for q in QUERIES if q.name == name)


def example_values(query: NamedQuery) -> dict[str, str]:
    """Return each parameter's example value."""
    return {p.name: p.example for p in query.params if p.example is not None}


def run(engine: Engine, query: NamedQuery, raw: dict[str, str] | None = None) -> QueryOutcome:
    """Run a named query with raw parameter values on an engine."""
    return engine.run(query.text, DatasetSpec(), bindings=query.bindings(raw or {}), timeout=30)


def column(outcome: QueryOutcome, name: str) -> set[str]:
    """Return the string values of one result column."""
    index = outcome.variables.index(name)
    return {str(row[index]) for row in outcome.rows if row[index] is not None}


# --- every query file -------------------------------------------------------------------------

def test_the_catalog_is_large_and_names_are_unique() -> None:
    names = [q.name for q in QUERIES]
    assert len(QUERIES) >= 15
    assert len(names) == len(set(names))
    assert "prefixes" not in names  # reserved for the examples' sh:prefixes node
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", n) for n in names)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_parses_with_the_declared_prefixes(query: NamedQuery) -> None:
    prepareQuery(query.text, initNs=prefixes())
    assert query_form(query.text) in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_is_documented_and_its_parameters_are_typed(query: NamedQuery) -> None:
    assert query.summary, f"{query.path.name}: missing '#+ summary:'"
    assert query.tags, f"{query.path.name}: missing '#+ tags:'"
    for param in query.params:
        assert param.type in PARAM_TYPES
        assert f"?{param.variable}" in query.text, f"{param.name} is never used"
        for value in (param.default, param.example):
            if value is not None:
                param.bind(value)


@pytest.mark.parametrize("query", [q for q in QUERIES if q.params
                                   and query_form(q.text) == "SELECT"], ids=lambda q: q.name)
def test_select_parameters_are_projected(query: NamedQuery) -> None:
    """Oxigraph substitutes only variables of the top-level projection (others fail or leak)."""
    text = masked(query.text)
    head = re.search(r"\bSELECT\b(.*?)(\bWHERE\b|\{)", text, re.S | re.I)
    assert head is not None
    projection = head.group(1)
    for param in query.params:
        assert "*" in projection or re.search(rf"\?{param.variable}\b", projection), (
            f"{query.path.name}: parameter {param.name!r} must appear in the SELECT projection "
            f"as ?{param.variable} (Oxigraph binds only projected variables)")


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_runs_alike_on_both_engines(query: NamedQuery, engines: dict[str, Engine]) -> None:
    """Each query answers something with its defaults and with its examples, the same on both
    engines (with the defaults, test_engines_differential compares the whole answers)."""
    assert not _empty(run(engines["oxigraph"], query)), f"{query.name}: empty answer"
    raw = example_values(query)
    if not raw:
        return
    answers = {}
    for name, engine in engines.items():
        outcome = run(engine, query, raw)
        answers[name] = (outcome.form, outcome.variables, outcome.boolean,
                         len(outcome.rows), len(outcome.triples))
        assert not _empty(outcome), f"{query.name} {raw}: empty answer on {name}"
    assert answers["oxigraph"] == answers["rdflib"], raw


def _empty(outcome: QueryOutcome) -> bool:
    return outcome.boolean is None and not outcome.rows and not outcome.triples


# --- what the added queries answer ------------------------------------------------------------

def test_claims_by_status(engines: dict[str, Engine]) -> None:
    outcome = run(engines["oxigraph"], by_name("claims-by-status"), {"status": "status:supported"})
    assert {ID + "claim/msc-therapy-safety", ID + "claim/msc-therapy-feasibility"} <= column(
        outcome, "claim")
    assert ID + "claim/msc-therapy-effectiveness" not in column(outcome, "claim")
    outcome = run(engines["oxigraph"], by_name("claims-by-status"),
                  {"status": "status:established", "aspect": "aspect:survival"})
    assert column(outcome, "intervention") == {ID + "intervention/riluzole"}


def test_evidence_for_an_intervention(engines: dict[str, Engine]) -> None:
    outcome = run(engines["oxigraph"], by_name("evidence-for-intervention"),
                  {"intervention": "intervention:riluzole"})
    assert column(outcome, "statusLabel") >= {"established", "not shown"}
    assert ID + "study/riluzole-pivotal-trial-1994" in column(outcome, "evidence")


def test_studies_by_route_design_and_year(engines: dict[str, Engine]) -> None:
    ox = engines["oxigraph"]
    assert column(run(ox, by_name("studies-by-route"), {"route": "route:intraspinal"}),
                  "study") == {ID + "study/deda-2009", ID + "study/blanquer-2012",
                               ID + "study/mazzini-2010"}
    assert ID + "study/edaravone-phase-3-2017" in column(
        run(ox, by_name("studies-by-design"), {"design": "design:phase-3"}), "study")
    years = column(run(ox, by_name("studies-by-year"), {"from": "2010", "to": "2012"}), "year")
    assert years and all(2010 <= int(y) <= 2012 for y in years)


def test_interventions_by_cell_type_and_tissue(engines: dict[str, Engine]) -> None:
    ox = engines["oxigraph"]
    assert ID + "intervention/msc-therapy" in column(
        run(ox, by_name("interventions-by-cell-type"), {"cell": "CL:0000134"}), "intervention")
    for tissue in ("UBERON:0002371", "anatomy:bone-marrow"):
        assert ID + "intervention/bone-marrow-stem-cell-therapy" in column(
            run(ox, by_name("interventions-by-source-tissue"), {"tissue": tissue}),
            "intervention")


def test_symptoms_by_stage(engines: dict[str, Engine]) -> None:
    outcome = run(engines["oxigraph"], by_name("symptoms-by-stage"),
                  {"stage": "qualifier:late-stage"})
    assert column(outcome, "phenotype") == {ID + "phenotype/dysphagia",
                                            ID + "phenotype/breathing-difficulty"}


def test_inferred_about_an_entity_reads_only_the_inferred_graph(
        engines: dict[str, Engine]) -> None:
    outcome = run(engines["oxigraph"], by_name("inferred-about-entity"))
    objects = column(outcome, "object")
    assert "https://w3id.org/alskg/vocab#InvestigationalIntervention" in objects
    assert "https://w3id.org/alskg/vocab#MesenchymalStemCellTherapy" not in objects  # asserted


def test_mappings_and_lookup_by_external_id(engines: dict[str, Engine]) -> None:
    ox = engines["oxigraph"]
    sources = column(run(ox, by_name("external-mappings")), "source")
    assert {"MONDO", "HP", "CL", "CHEBI"} <= sources
    assert column(run(ox, by_name("entity-by-external-id"), {"id": "MONDO:0004976"}),
                  "entity") == {ID + "disease/als"}
    assert column(run(ox, by_name("entity-by-external-id"), {"id": "CHEBI:8863"}),
                  "entity") == {ID + "intervention/riluzole"}


def test_dates_integers_and_asks(engines: dict[str, Engine]) -> None:
    ox = engines["oxigraph"]
    assert run(ox, by_name("claims-since-date"), {"since": "2000-01-01"}).rows
    assert not run(ox, by_name("claims-since-date"), {"since": "2099-01-01"}).rows
    investigational = by_name("is-investigational")
    assert run(ox, investigational, {"intervention": "intervention:msc-therapy"}).boolean is True
    assert run(ox, investigational, {"intervention": "intervention:riluzole"}).boolean is False


def test_entity_description_is_a_graph(engines: dict[str, Engine]) -> None:
    outcome = run(engines["rdflib"], by_name("entity-description"))
    subjects = {str(s) for s, _, _ in outcome.triples}
    assert ID + "intervention/riluzole" in subjects


# --- parameter typing -------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("iri", "https://w3id.org/alskg/id/intervention/riluzole",
     URIRef(ID + "intervention/riluzole")),
    ("iri", "urn:example:x", URIRef("urn:example:x")),
    ("curie", "HP:0003484", URIRef(OBO + "HP_0003484")),
    ("curie", "intervention:msc-therapy", URIRef(ID + "intervention/msc-therapy")),
    ("string", '"} ; DROP ALL ; SELECT * {', Literal('"} ; DROP ALL ; SELECT * {')),
    ("string", "> } UNION { ?s ?p ?o", Literal("> } UNION { ?s ?p ?o")),
    ("integer", "2010", Literal(2010, datatype=XSD.integer)),
    ("integer", "-3", Literal(-3, datatype=XSD.integer)),
    ("date", "2017-03-21", Literal(date(2017, 3, 21), datatype=XSD.date)),
])
def test_good_values_bind_as_typed_terms(kind: str, raw: str, expected: object) -> None:
    assert Parameter("p", kind).bind(raw) == expected


@pytest.mark.parametrize(("kind", "raw", "expected_words"), [
    ("iri", "not an iri", "absolute IRI"),
    ("iri", "https://x.org/a> } UNION { ?s ?p ?o", "absolute IRI"),
    ("iri", "relative/path", "absolute IRI"),
    ("curie", "nope:1", "CURIE"),
    ("curie", "HP:1> } UNION { ?s ?p ?o", "CURIE"),
    ("curie", "no-colon", "CURIE"),
    ("integer", "20x", "integer"),
    ("integer", "1.5", "integer"),
    ("integer", "1 } ; DROP ALL", "integer"),
    ("date", "2017-13-01", "date"),
    ("date", "yesterday", "date"),
])
def test_bad_values_name_the_parameter_and_type(kind: str, raw: str,
                                                expected_words: str) -> None:
    with pytest.raises(ParameterError) as caught:
        Parameter("thing", kind).bind(raw)
    assert caught.value.name == "thing"
    assert expected_words in caught.value.expected
    assert "'thing'" in str(caught.value)


def test_unknown_parameters_are_refused_and_defaults_apply() -> None:
    query = by_name("studies-by-year")
    with pytest.raises(ParameterError, match="unknown parameter"):
        query.bindings({"until": "2012"})
    bound = query.bindings({"from": ""})
    assert bound["_from"] == Literal(1990, datatype=XSD.integer)


# --- CLI --------------------------------------------------------------------------------------

def test_cli_lists_every_query() -> None:
    result = CliRunner().invoke(main, ["queries"])
    assert result.exit_code == 0, result.output
    for query in QUERIES:
        assert query.name in result.output
    assert "status:curie" in result.output


def test_cli_runs_a_named_query_as_csv(build_root: Path) -> None:
    result = CliRunner().invoke(main, [
        "query", "-n", "claims-by-status", "--param", "status=status:supported",
        "--param", "aspect=aspect:feasibility", "--format", "csv", "--build-dir", str(build_root)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["claim"] for r in rows} == {ID + "claim/msc-therapy-feasibility",
                                          ID + "claim/msc-therapy-feasibility-gugliandolo-2019"}


def test_cli_runs_ask_and_table(build_root: Path) -> None:
    result = CliRunner().invoke(main, [
        "query", "-n", "is-investigational", "-p", "intervention=intervention:msc-therapy",
        "--format", "json", "--build-dir", str(build_root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["boolean"] is True
    table = CliRunner().invoke(main, ["query", "-n", "symptoms-by-stage", "-p",
                                      "stage=qualifier:late-stage", "--build-dir",
                                      str(build_root)])
    assert table.exit_code == 0 and "dysphagia" in table.output


@pytest.mark.parametrize(("pair", "name"), [("status=bogus", "status"),
                                            ("aspect=aspect:x> } UNION {", "aspect"),
                                            ("colour=red", "colour")])
def test_cli_bad_param_exits_2_naming_it(build_root: Path, pair: str, name: str) -> None:
    result = CliRunner().invoke(main, ["query", "-n", "claims-by-status", "--param", pair,
                                       "--build-dir", str(build_root)])
    assert result.exit_code == 2
    assert f"'{name}'" in result.output


def test_cli_integer_and_date_errors_name_the_type(build_root: Path) -> None:
    result = CliRunner().invoke(main, ["query", "-n", "studies-by-year", "-p", "from=soon",
                                       "--build-dir", str(build_root)])
    assert result.exit_code == 2 and "'from'" in result.output and "integer" in result.output
    result = CliRunner().invoke(main, ["query", "-n", "claims-since-date", "-p",
                                       "since=21/03/2017", "--build-dir", str(build_root)])
    assert result.exit_code == 2 and "'since'" in result.output and "date" in result.output


# --- published examples (SHACL) ---------------------------------------------------------------

def test_examples_graph_has_one_executable_per_query() -> None:
    graph = examples_graph()
    for query in QUERIES:
        node = query_iri(query.name)
        assert (node, RDF.type, SH.SPARQLExecutable) in graph
        form = query_form(query.text) or "SELECT"
        kind = {"SELECT": SH.SPARQLSelectExecutable, "CONSTRUCT": SH.SPARQLConstructExecutable,
                "ASK": SH.SPARQLAskExecutable}[form]
        assert (node, RDF.type, kind) in graph
        assert graph.value(node, RDFS.comment) is not None
        assert graph.value(node, SCHEMA.target) == URIRef("https://w3id.org/alskg/sparql")
        assert {str(k) for k in graph.objects(node, SCHEMA.keywords)} == set(query.tags)
        text = graph.value(node, SH[form.lower()])
        assert text is not None and not str(text).startswith("#+")


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_published_text_stands_alone(query: NamedQuery) -> None:
    """The published text declares its own prefixes, so it runs on any endpoint."""
    prepareQuery(published_text(query))


def test_examples_are_in_the_meta_graph(engines: dict[str, Engine]) -> None:
    outcome = engines["oxigraph"].run(
        f"SELECT (COUNT(DISTINCT ?q) AS ?n) WHERE {{ GRAPH <{graph_iri('meta')}> "
        "{ ?q a sh:SPARQLExecutable ; sh:select|sh:construct|sh:ask ?text } }")
    assert int(outcome.rows[0][0]) == len(QUERIES)  # type: ignore[arg-type]


def test_examples_turtle_round_trips() -> None:
    data = examples_graph().serialize(format="turtle")
    assert len(Graph().parse(data=data, format="turtle")) == len(examples_graph())

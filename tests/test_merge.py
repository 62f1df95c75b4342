"""A merge as integrators do it: the ALS build, the HPO import and an independent Biolink-shaped
gene graph loaded with `alskg import` into one store, served with `alskg serve --store-path`, and
one question over HTTP that needs all three graphs."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from alskg.cli.store import import_command
from alskg.curation import hpo_import
from alskg.curation.namespaces import graph_iri
from tests.conftest import LiveServer

BIOLINK = "https://w3id.org/biolink/vocab/"
GENE = "http://identifiers.org/ncbigene/"
OBO = "http://purl.obolibrary.org/obo/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
# (NCBIGene id, symbol, HPO terms it is linked to): a second, independent graph.
GENES = (("6647", "SOD1", ("HP_0003484", "HP_0002015")),
         ("23435", "TARDBP", ("HP_0001257",)),
         ("2521", "FUS", ("HP_0002015",)),
         ("6331", "SCN5A", ("HP_0001250",)))


def gene_graph(path: Path) -> Path:
    """Write a small Biolink-shaped N-Triples graph: genes, their labels and phenotypes."""
    lines = []
    for number, symbol, phenotypes in GENES:
        gene = f"<{GENE}{number}>"
        lines.append(f"{gene} <{BIOLINK}category> <{BIOLINK}Gene> .")
        lines.append(f"{gene} <{RDFS_LABEL}> \"{symbol}\" .")
        lines.append(f"{gene} <{BIOLINK}gene_associated_with_condition> <{OBO}MONDO_0004976> .")
        for hpo in phenotypes:
            lines.append(f"{gene} <{BIOLINK}has_phenotype> <{OBO}{hpo}> .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_build_hpo_and_gene_graph_merged_answer_one_question(build_root: Path,
                                                             tmp_path: Path) -> None:
    store = tmp_path / "store"
    genes = gene_graph(tmp_path / "genes.nt")
    hpo = hpo_import.imports_dir() / hpo_import.FILE_NAME
    result = CliRunner().invoke(import_command, [str(hpo), str(genes), "--build-dir",
                                                 str(build_root), "--store-path", str(store)])
    assert result.exit_code == 0, result.output
    server = LiveServer(build_root, "--store-path", str(store))
    try:
        # Which external genes are linked to a phenotype that HPO (the imported graph) puts under
        # abnormality of the musculature (HP:0003011) and that our graph says ALS has?
        query = f"""
            PREFIX als: <https://w3id.org/alskg/vocab#>
            PREFIX biolink: <{BIOLINK}>
            PREFIX obo: <{OBO}>
            SELECT ?symbol ?hpo ?phenotype WHERE {{
              GRAPH <{graph_iri('import/genes')}> {{
                ?gene biolink:has_phenotype ?hpo ; rdfs:label ?symbol }}
              GRAPH <{graph_iri('import/hpo')}> {{ ?hpo rdfs:subClassOf+ obo:HP_0003011 }}
              GRAPH <{graph_iri('asserted')}> {{
                <https://w3id.org/alskg/id/disease/als> als:hasPhenotype ?phenotype .
                ?phenotype skos:exactMatch|skos:closeMatch ?hpo }}
            }}"""
        body = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(server.url + "/sparql", data=body, headers={
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=30) as response:
            rows = json.loads(response.read())["results"]["bindings"]
    finally:
        server.stop()
    answer = {(r["symbol"]["value"], r["hpo"]["value"], r["phenotype"]["value"]) for r in rows}
    phenotype = "https://w3id.org/alskg/id/phenotype/"
    # SOD1's dysphagia and FUS are outside the musculature; SCN5A's seizures are no ALS phenotype.
    assert answer == {("SOD1", OBO + "HP_0003484", phenotype + "upper-limb-muscle-weakness"),
                      ("TARDBP", OBO + "HP_0001257", phenotype + "spasticity")}

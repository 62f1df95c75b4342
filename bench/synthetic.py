"""Synthetic graphs shaped like the ALS graph, at a chosen size, deterministic by seed.

Diseases with phenotypes and qualified phenotype associations, anatomy with part-of chains, cell
types, drugs and cell therapies (with claims, routes, cell types), studies (design, phase, year,
size, publication, citing review) and claims (aspect, status, supporting studies and publications,
evidence type, date, statement): the same predicate mix as ``data/*.ttl``, scaled up.

Usage: ``python bench/synthetic.py 100000 out.nt [--seed 0]``.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

ROOT = Path(__file__).resolve().parent.parent
ALS = Namespace("https://w3id.org/alskg/vocab#")
BASE = "https://w3id.org/alskg/id/"
OBO = Namespace("http://purl.obolibrary.org/obo/")

ASPECTS = (
    "safety",
    "feasibility",
    "survival",
    "slowing-progression",
    "function",
    "quality-of-life",
    "neuromuscular-improvement",
    "effectiveness",
    "cure",
)
STATUSES = ("established", "supported", "suggested", "reported", "unproven", "not-shown")
DESIGNS = (
    "open-label",
    "single-arm",
    "randomised-controlled",
    "double-blind",
    "placebo-controlled",
    "case-report",
)
PHASES = ("phase-1", "phase-1-2", "phase-2", "phase-2-3", "phase-3")
QUALIFIERS = ("first-symptom", "asymmetric", "progressive", "late-stage")
ROUTES = ("intrathecal", "intraspinal", "intravenous", "intraventricular")
THERAPY_CLASSES = (
    ALS.Drug,
    ALS.CellTherapy,
    ALS.StemCellTherapy,
    ALS.MesenchymalStemCellTherapy,
    ALS.ExtracellularVesicleTherapy,
)
# Roughly how many triples one intervention with its studies and claims adds (measured).
TRIPLES_PER_UNIT = 64


def iri(kind: str, slug: str) -> URIRef:
    """Return the IRI of a resource of `kind` (disease, study, ...)."""
    return URIRef(f"{BASE}{kind}/{slug}")


def ontology() -> Graph:
    """Return the project's ontology (ontology/als.ttl)."""
    return Graph().parse(ROOT / "ontology" / "als.ttl", format="turtle")


def generate(n_triples: int, seed: int = 0) -> Graph:
    """Return an asserted-data graph of about `n_triples` triples shaped like the ALS data."""
    rng = random.Random(seed)
    g = Graph()
    add = g.add
    units = max(1, n_triples // TRIPLES_PER_UNIT)
    n_diseases = max(1, units // 200)
    n_anatomy = max(4, units // 20)
    n_cells = max(2, units // 40)
    n_phenotypes = max(3, units // 10)
    diseases = [iri("disease", f"d{i}") for i in range(n_diseases)]
    anatomy = [iri("anatomy", f"a{i}") for i in range(n_anatomy)]
    cells = [iri("cell", f"c{i}") for i in range(n_cells)]
    phenotypes = [iri("phenotype", f"p{i}") for i in range(n_phenotypes)]
    review = iri("publication", "review")
    add((review, RDF.type, ALS.Review))
    add((review, RDFS.label, Literal("a review")))
    for i, d in enumerate(diseases):
        add((d, RDF.type, ALS.Disease))
        add((d, RDFS.label, Literal(f"disease {i}")))
        add((d, ALS.destroys, rng.choice(cells)))
        add((d, ALS.affectsAnatomy, rng.choice(anatomy)))
    for i, a in enumerate(anatomy):
        add((a, RDF.type, ALS.BodyRegion if i % 2 else ALS.AnatomicalEntity))
        add((a, RDFS.label, Literal(f"anatomy {i}")))
        if i % 8:  # chains of part-of, eight deep
            add((a, ALS.partOf, anatomy[i - 1]))
    for i, c in enumerate(cells):
        add((c, RDF.type, ALS.CellType))
        add((c, RDFS.label, Literal(f"cell {i}")))
        add((c, ALS.locatedIn, rng.choice(anatomy)))
    for i, p in enumerate(phenotypes):
        add((p, RDF.type, ALS.Phenotype))
        add((p, RDFS.label, Literal(f"phenotype {i}")))
        disease = diseases[i % n_diseases]
        add((disease, ALS.hasPhenotype, p))
        assoc = iri("association", f"pa{i}")
        add((disease, ALS.hasPhenotypeAssociation, assoc))
        add((assoc, ALS.phenotype, p))
        add((assoc, ALS.onset, iri("qualifier", rng.choice(QUALIFIERS))))
        add((assoc, ALS.bodyRegion, rng.choice(anatomy)))
    study_no = claim_no = 0
    for u in range(units):
        therapy = iri("intervention", f"i{u}")
        cls = THERAPY_CLASSES[u % len(THERAPY_CLASSES)]
        disease = diseases[u % n_diseases]
        add((therapy, RDF.type, cls))
        add((therapy, RDFS.label, Literal(f"intervention {u}")))
        add((therapy, ALS.treats if cls == ALS.Drug else ALS.inClinicalTrialsFor, disease))
        if cls != ALS.Drug:
            add((therapy, ALS.usesCellType, rng.choice(cells)))
            add((therapy, ALS.cellSource, rng.choice(anatomy)))
            add((therapy, ALS.route, iri("route", rng.choice(ROUTES))))
        studies = []
        for _ in range(rng.randint(1, 3)):
            study = iri("study", f"s{study_no}")
            pub = iri("publication", f"pub{study_no}")
            study_no += 1
            studies.append(study)
            add((study, RDF.type, ALS.Study))
            add((study, RDFS.label, Literal(f"study {study_no}")))
            add((study, ALS.studyGroup, Literal(f"group {rng.randrange(500)}")))
            add((study, ALS.year, Literal(str(1990 + rng.randrange(35)), datatype=XSD.gYear)))
            add((study, ALS.investigates, therapy))
            add((study, ALS.design, iri("design", rng.choice(DESIGNS))))
            add((study, ALS.phase, iri("design", rng.choice(PHASES))))
            add((study, ALS.sampleSize, Literal(rng.randint(1, 400))))
            add((study, ALS.reportedOutcome, iri("aspect", rng.choice(ASPECTS))))
            add((study, ALS.reportedIn, pub))
            add((study, ALS.citedBy, review))
            add((pub, RDF.type, ALS.Publication))
            add((pub, RDFS.label, Literal(f"publication {study_no}")))
        aspects = rng.sample(ASPECTS, rng.randint(2, 4))
        if u % 3 == 0:
            aspects = ["safety", "effectiveness"]
        for aspect in aspects:
            claim = iri("claim", f"k{claim_no}")
            claim_no += 1
            if aspect == "safety" and u % 3 == 0:
                status = "supported"
            elif aspect == "effectiveness" and u % 3 == 0:
                status = "unproven"
            else:
                status = rng.choice(STATUSES)
            add((claim, RDF.type, ALS.Claim))
            add((claim, RDFS.label, Literal(f"claim {claim_no}")))
            if claim_no % 2:
                add((therapy, ALS.hasClaim, claim))
            else:
                add((claim, ALS.aboutIntervention, therapy))
            add((claim, ALS.aboutCondition, disease))
            add((claim, ALS.aspect, iri("aspect", aspect)))
            add((claim, ALS.status, iri("status", status)))
            add((claim, ALS.supportedByStudy, rng.choice(studies)))
            add((claim, ALS.supportedByPublication, review))
            add((claim, ALS.evidenceType, OBO.ECO_0000304))
            add((claim, ALS.sourceStatement, Literal(f"statement {claim_no}")))
            add((claim, DCTERMS.date, Literal("2017-03-21", datatype=XSD.date)))
            add((claim, PROV.wasAttributedTo, review))
    for aspect in ASPECTS:
        add((iri("aspect", aspect), RDFS.label, Literal(aspect)))
    return g


def main() -> None:
    """Write a synthetic graph as N-Triples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("triples", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    graph = generate(args.triples, args.seed)
    graph.serialize(args.out, format="nt")
    print(f"{len(graph)} triples -> {args.out}")


if __name__ == "__main__":
    main()

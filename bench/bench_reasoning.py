"""Reasoning time of both modes on synthetic ALS-shaped graphs of 10 k, 100 k and 1 M triples.

Prints one row per (size, mode): input triples, inferred triples, seconds, peak RSS, and whether
the modes agree where both ran. "rules + explanations" is what a build does: reasoning with every
derivation recorded, then the derivation file written (its seconds are part of the row, its size
in the note). owlrl costs about 1 ms per input triple and runs its closure at least twice (before
and after the domain rules), so it is skipped above ``--owlrl-max`` (default 10 000) with the
reason printed. Rendering the RDF explanations graph is not measured: builds above 50 000
inferences leave it out (``alskg.assembly.pipeline.EXPLANATIONS_GRAPH_MAX``).

Usage: ``python bench/bench_reasoning.py [--sizes 10000 100000 1000000] [--owlrl-max N]``.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from alskg.reasoning import reason  # noqa: E402


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--owlrl-max", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ontology = synthetic.ontology()
    header = f"{'target':>9} {'input':>9} {'mode':<22} {'inferred':>9} {'seconds':>8}  note"
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        gc.collect()  # free the previous size's graphs before timing the next one
        started = time.perf_counter()
        data = synthetic.generate(size, args.seed)
        generated = time.perf_counter() - started
        n_input = len(data) + len(ontology)
        print(f"{size:>9,} {n_input:>9,} {'(generate)':<22} {'':>9} {generated:>8.2f}")
        results = {}
        runs = [("rules", False), ("rules", True), ("owlrl", False)]
        for mode, explanations in runs:
            label = f"{mode}{' + explanations' if explanations else ''}"
            if mode == "owlrl" and size > args.owlrl_max:
                why = "owlrl: ~1 ms per input triple, closure run twice"
                print(f"{size:>9,} {n_input:>9,} {label:<22} {'':>9} {'skipped':>8}  {why}")
                continue
            started = time.perf_counter()
            result = reason(ontology, data, mode=mode, explanations=explanations)
            note = ""
            if explanations:
                assert result.derivations is not None
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "explanations.sqlite"
                    result.derivations.write(path)
                    note = (f"{len(result.derivations):,} derivations, file "
                            f"{path.stat().st_size / 2**20:.0f} MB")
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            results[label] = set(result.inferred_triples)
            note = f"peak RSS {peak:,.0f} MB; {note}" if note else f"peak RSS {peak:,.0f} MB"
            if label != "rules":
                same = results[label] == results["rules"]
                note += "; same triples as rules alone" if same else "; DIFFERS from rules alone"
            print(
                f"{size:>9,} {n_input:>9,} {label:<22} {len(result.inferred_triples):>9,} "
                f"{seconds:>8.2f}  {note}",
                flush=True,
            )
            del result
            gc.collect()
        del data, results


if __name__ == "__main__":
    main()

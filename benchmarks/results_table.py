"""The results table of docs/results.md from ``power-bert sweep`` outputs: one row per sweep
setting (LAMBDA, LR_SOFT_EXTRACT), every number read from the sweep's ``sweep.json``.

    python benchmarks/results_table.py benchmarks/results/mrpc-sweep/sweep.json \\
        benchmarks/results/sst-2-sweep/sweep.json [--ALL]

prints a Markdown table to standard output: the baseline's dev metric, PoWER-BERT's
mean ± sample standard deviation over seeds (and its change), the retention
configuration of every seed, word vectors, the measured speed-ups with fixed and with
dynamic padding (mean over seeds) beside the ideal ones, and which of the paper's
targets the row meets. By default only each sweep's chosen setting is printed
(``--ALL``: every setting). Targets: the mean metric at most 1 point below the
baseline's, the fixed-padding speed-up at least the paper's for the task (DESIGN.md:
CoLA 4.5x, SST-2 2.4x, MRPC 2.7x, STS-B 2.0x; other tasks: none) and at least 85% of
the ideal.
"""
import argparse
import json
import sys
from typing import Dict, List, Optional

from power_bert.sweep import mean_std

# The paper's speed-ups at batch 128 (BERT-Base on a K80, DESIGN.md item 13).
PAPER_SPEEDUP = {"cola": 4.5, "rte": 3.4, "qqp": 4.5, "mrpc": 2.7, "sst-2": 2.4,
                 "mnli-m": 2.6, "mnli-mm": 2.1, "qnli": 2.0, "sts-b": 2.0}
NAMES = {"cola": "CoLA", "sst-2": "SST-2", "mrpc": "MRPC", "sts-b": "STS-B", "imdb": "IMDB"}
MAX_DROP = 1.0
MIN_FRACTION_OF_IDEAL = 0.85


def cells_of(document: Dict, row: Dict) -> List[Dict]:
    return [c for c in document["cells"]
            if c["lambda"] == row["lambda"] and c["lr_soft_extract"] == row["lr_soft_extract"]]


def padding_columns(document: Dict, row: Dict, padding: str) -> Optional[Dict]:
    """Mean measured and ideal speed-up over the row's seeds, for one padding."""
    if padding not in (row.get("padding") or {}):
        return None
    cells = cells_of(document, row)
    ideal = mean_std([c["padding"][padding]["ideal_speedup"] for c in cells])[0]
    measured = row["padding"][padding]["speedup"]
    return {"measured": measured, "ideal": ideal, "fraction": measured / ideal}


def table_row(document: Dict, row: Dict) -> str:
    task, metric = document["task"], document["metric_name"]
    held_out = document["selection"]["set"] == "tune"
    base = document["baseline"]["dev_metric"]
    if held_out and not row["chosen"]:
        power = "(held-out %.2f)" % row["metric_mean"]
        drop = None
    else:
        value, spread = row["dev_metric_mean"], row["dev_metric_std"]
        drop = value - base
        power = "%.2f ± %.2f (%+.2f)" % (value, spread or 0.0, drop)
    training = document["training"]
    what = "%s (%s)" % (NAMES.get(task, task), metric)
    if training.get("max_train_examples"):
        what += ", %s training examples" % format(training["max_train_examples"], ",")
    what += ", %d epochs a stage" % training["epochs"]
    seeds = "; ".join("%s: %s" % (seed, ",".join(map(str, retention)))
                      for seed, retention in row["retention_configurations"].items())
    vectors = "%.0f / %d" % (row["word_vectors_per_example"], baseline_vectors(document))
    fixed = padding_columns(document, row, "fixed")
    dynamic = padding_columns(document, row, "dynamic")
    fixed_text = ("%.2fx (%.2fx, %.0f%%)" % (fixed["measured"], fixed["ideal"],
                                             100 * fixed["fraction"]) if fixed else "-")
    dynamic_text = ("%.2fx (%.2fx)" % (dynamic["measured"], dynamic["ideal"])
                    if dynamic else "-")
    targets = []
    if drop is not None:
        targets.append("metric %s" % ("met" if drop >= -MAX_DROP else "**missed** (%+.2f)"
                                       % drop))
    paper = PAPER_SPEEDUP.get(task)
    if fixed and paper:
        targets.append("speed %s" % ("met" if fixed["measured"] >= paper else
                                     "**missed** (paper %.1fx)" % paper))
    if fixed:
        targets.append("85%% of ideal %s" % ("met" if fixed["fraction"] >=
                                             MIN_FRACTION_OF_IDEAL else "**missed**"))
    return "| %s | %s | %.2f | %s | %g | %s | %s | %s | %s | %s |" % (
        what, document["selection"]["protocol"], base, power, row["lambda"], seeds, vectors,
        fixed_text, dynamic_text, "; ".join(targets) or "-")


def baseline_vectors(document: Dict) -> int:
    """Word vectors the baseline's encoders process per example: encoders x length
    (sweep.json's seq_len; the task's default length for sweeps written before it)."""
    seq_len = document.get("seq_len")
    if seq_len is None:
        from power_bert.tasks import TASKS
        seq_len = TASKS[document["task"]].seq_len
    return len(document["cells"][0]["retention_configuration"]) * seq_len


HEADER = ("| Task (metric), training | Model selection | BERT | PoWER-BERT, mean ± std over "
          "seeds (change) | LAMBDA | Retention configuration per seed | Word vectors | "
          "Speed-up, fixed padding (ideal, measured/ideal) | Speed-up, dynamic padding "
          "(ideal) | Targets |\n|---|---|---:|---:|---:|---|---:|---:|---:|---|")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweeps", nargs="+", help="sweep.json files")
    parser.add_argument("--ALL", action="store_true", help="every setting, not only the "
                                                           "chosen one")
    args = parser.parse_args(argv)
    lines = [HEADER]
    for path in args.sweeps:
        try:
            with open(path, encoding="utf-8") as reader:
                document = json.load(reader)
        except (OSError, ValueError) as e:
            print("error: %s: %s" % (path, e), file=sys.stderr)
            return 2
        for row in document["rows"]:
            if args.ALL or row["chosen"]:
                lines.append(table_row(document, row))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

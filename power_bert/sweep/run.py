"""Running a sweep: every cell (a training run of the pipeline), one benchmark of all
the models, then sweep.json, sweep.md and sweep.png in OUTPUT_DIR."""
import dataclasses
import os
from typing import Dict, List, Optional, Sequence, Tuple

from power_bert.documents import RESULTS_FILE, BenchmarkResult, RunResults, Selection
from power_bert.errors import Interrupted
from power_bert.sweep import report
from power_bert.sweep.cells import CELLS, Cell, SweepOptions
from power_bert.sweep.report import SWEEP_MD, SWEEP_PNG
from power_bert.sweep.summary import cell_record, summarise, timing_entry

SWEEP_JSON = "sweep.json"
BENCHMARK_JSON = "benchmark.json"
PADDINGS = ("fixed", "dynamic")


def run_cells(sweep: SweepOptions, log) -> List[RunResults]:
    """Runs (or skips, when finished) every cell; returns each cell's results.json, with
    its run, run_dir and whether it was skipped.

    Raises:
      Interrupted: Ctrl-C in a cell (its finished epochs are kept; run again to resume).
    """
    import time

    from power_bert import pipeline
    from power_bert.backend import keras
    results = []
    total = len(sweep.cells)
    for index, (cell, valid) in enumerate(zip(sweep.cells, sweep.cell_options), start=1):
        head = "[cell %d/%d] %s" % (index, total, cell.folder_name)
        folder = valid.options.output_dir
        done = pipeline.Pipeline(valid).completed_run()
        if done is not None:
            result = dataclasses.replace(
                RunResults.read(os.path.join(done.path, RESULTS_FILE)), run=done.id,
                run_dir=done.path, skipped=True)
            log("%s: finished earlier (run %s), skipped: %s" % (head, done.id,
                                                                _cell_outcome(result)))
            results.append(result)
            continue
        log("%s: configuration search and re-training in %s" % (head, folder))
        keras.backend.clear_session()
        start = time.time()
        try:
            result = pipeline.run(valid)
        except Interrupted:
            log("%s: interrupted (%d of %d cells finished); run the same sweep command again "
                "to resume" % (head, index - 1, total))
            raise Interrupted("cell %s: its finished stages and last completed epoch are kept "
                              "in %s; run the same sweep command again to resume"
                              % (cell.folder_name, folder)) from None
        result = dataclasses.replace(result, skipped=False)
        log("%s: done in %.0f s: %s" % (head, time.time() - start, _cell_outcome(result)))
        results.append(result)
    return results


def _cell_outcome(result: RunResults) -> str:
    main = result.main_metric
    power = result.power_bert
    held_out = (result.selection or Selection()).held_out
    chosen = power.tune_metrics if held_out else power.dev_metrics
    return "%s %.2f on %s, retention configuration %s" % (
        main, 100 * chosen[main], "held-out" if held_out else "dev",
        ",".join(map(str, result.retention_configuration)))


def run_benchmark(sweep: SweepOptions, cells: Sequence[Cell], results: Sequence[RunResults],
                  previous: Optional[Dict], log
                  ) -> Tuple[Optional[BenchmarkResult], Optional[Dict]]:
    """One interleaved benchmark of the baseline and every cell's model, fixed and
    dynamic padding; reused from benchmark.json when the models (by checksum) and the
    settings are those it was run with. Returns (benchmark.json, what it was run
    with), (None, None) with --RUNS 0."""
    from power_bert.benchmark.engine import BenchmarkOptions, benchmark
    from power_bert.benchmark.report import BASELINE, POWER
    from power_bert.checkpoint import StageCheckpoint
    if sweep.runs == 0:
        log("benchmark: not run (--RUNS 0)")
        return None, None
    o = sweep.base
    models = [(BASELINE, o.finetuned_checkpoint, "--FINETUNED_CHECKPOINT")]
    for index, (cell, result) in enumerate(zip(cells, results)):
        models.append((POWER if index == 0 else cell.model_name,
                       os.path.join(result.run_dir, "retrain.hdf5"), cell.folder_name))
    inputs = {"models": [[name, os.path.realpath(path),
                          StageCheckpoint.load(path).weights_sha256] for name, path, _ in models],
              "batch_size": sweep.batch_size, "runs": sweep.runs, "warmup": sweep.warmup,
              "paddings": list(PADDINGS), "max_examples": sweep.max_examples, "xla": o.xla}
    output = os.path.join(sweep.output_dir, BENCHMARK_JSON)
    reused = BenchmarkResult.read(output) if previous and previous.get(
        "benchmark_inputs") == inputs else None
    if reused is not None:
        log("benchmark: reusing %s (the same models and settings)" % output)
        return reused, inputs
    log("benchmark: %d models (the baseline and every cell), fixed and dynamic padding, "
        "batch %d, %d interleaved runs" % (len(models), sweep.batch_size, sweep.runs))
    options = BenchmarkOptions(
        models=tuple(models), data_dir=o.data_dir, task=o.task, vocab_path=o.vocab_path,
        batch_size=sweep.batch_size, runs=sweep.runs, warmup=sweep.warmup, paddings=PADDINGS,
        xla=o.xla, max_examples=sweep.max_examples, output=output,
        verbose=1 if o.verbose else 0)
    return benchmark(options, say=log), inputs


def _timings(bench: Optional[BenchmarkResult], name: str) -> Optional[Dict]:
    """A model's entry of every padding mode in benchmark.json (None without one)."""
    return None if bench is None else bench.timings(name)


def _selection(results: Sequence[RunResults]) -> Selection:
    """How the cells chose their epochs (the first cell's; all agree when they share
    --TUNE_FRACTION and --TUNE_SEED)."""
    return results[0].selection or Selection()


def _baseline(sweep: SweepOptions, results: Sequence[RunResults],
              bench: Optional[BenchmarkResult]) -> Dict:
    """The fine-tuned model's entry: its metrics (x100) and, with a benchmark, its times."""
    from power_bert.benchmark.report import BASELINE
    main = results[0].main_metric
    base_result = results[0].baseline
    baseline = {"dev_metric": 100 * base_result.dev_metrics[main],
                "selection_metric": 100 * base_result.selection_metrics[main],
                "checkpoint": os.path.abspath(sweep.base.finetuned_checkpoint)}
    if bench is not None:
        baseline["padding"] = {padding: timing_entry(entry)
                               for padding, entry in _timings(bench, BASELINE).items()}
    return baseline


def _benchmark_entry(sweep: SweepOptions, bench: Optional[BenchmarkResult]
                     ) -> Optional[Dict]:
    if bench is None:
        return None
    return {"file": os.path.abspath(os.path.join(sweep.output_dir, BENCHMARK_JSON)),
            "paddings": bench.paddings, "num_examples": bench.num_examples,
            "batch_size": bench.batch_size, "num_runs": bench.num_runs,
            "machine": bench.machine}


def _definitions(main: str) -> Dict:
    return {
        "metrics": "%s x100; selection_metric: on the set that chose the epochs (and "
                   "LAMBDA): the held-out part of train, or dev" % main,
        "metric_std": "sample standard deviation over seeds (n - 1); null for one seed",
        "ideal_speedup": "encoder MACs of the baseline / of the model, full length",
        "speedup": "baseline median time / model median time, same padding",
        "pareto_front": "points (time per example, mean selection metric) that no other "
                        "model or padding beats in both",
    }


def sweep_document(sweep: SweepOptions, results: Sequence[RunResults],
                   bench: Optional[BenchmarkResult], bench_inputs: Optional[Dict]) -> Dict:
    """The content of sweep.json: the set-up, every cell, the baseline, the benchmark and
    the summary (``summary.summarise``)."""
    from power_bert.benchmark.report import POWER
    from power_bert.checkpoint import StageCheckpoint
    o = sweep.base
    finetuned = StageCheckpoint.load(o.finetuned_checkpoint)
    first = results[0]
    main = first.main_metric
    selection = _selection(results)
    cells = [cell_record(cell, result, finetuned.config.to_dict(), finetuned.seq_len,
                         _timings(bench, POWER if index == 0 else cell.model_name))
             for index, (cell, result) in enumerate(zip(sweep.cells, results))]
    baseline = _baseline(sweep, results, bench)
    document = {
        "task": first.task, "metric_name": main, "seq_len": finetuned.seq_len,
        "finetuned_checkpoint": os.path.abspath(o.finetuned_checkpoint),
        "lambdas": sorted({c.lambda_ for c in sweep.cells}),
        "lr_soft_extracts": sorted({c.lr_soft_extract for c in sweep.cells}),
        "seeds": sorted({c.seed for c in sweep.cells}),
        "training": {"epochs": o.epochs, "batch_size": o.batch_size, "lr_bert": o.lr_bert,
                     "max_train_examples": o.max_train_examples,
                     "dynamic_padding": o.dynamic_padding,
                     # (only when given: sweeps of earlier releases have one count)
                     **({"search_epochs": o.search_epochs}
                        if o.stage_epochs("search") != o.epochs else {})},
        "selection": selection.to_json(),
        "selection_protocols_agree": all(r.selection == first.selection for r in results),
        "baseline": baseline, "cells": cells,
        "benchmark": _benchmark_entry(sweep, bench),
        "benchmark_inputs": bench_inputs,
        "definitions": _definitions(main),
    }
    document.update(summarise(cells, baseline, sweep.max_drop, selection.held_out))
    return document


def run_sweep(sweep_options: SweepOptions) -> Dict:
    """Runs every cell (skipping finished ones), the benchmark, and writes sweep.json,
    sweep.md and sweep.png. Returns sweep.json's content."""
    from power_bert.outputs import OutputLock, RunRecord, read_json, write_json_atomically
    from power_bert.precision import policy
    output_dir = sweep_options.output_dir
    record = RunRecord(output_dir)
    with OutputLock(output_dir):
        record.open({"cells": [c.folder_name for c in sweep_options.cells],
                     "finetuned_checkpoint": sweep_options.base.finetuned_checkpoint,
                     "tune_fraction": sweep_options.base.tune_fraction,
                     "tune_seed": sweep_options.base.tune_seed,
                     "tune_split": sweep_options.base.tune_split})
        log = record.log
        log("sweep of %s: %d cells in %s" % (sweep_options.base.task, len(sweep_options.cells),
                                             os.path.join(output_dir, CELLS)))
        results = run_cells(sweep_options, log)
        previous = read_json(os.path.join(output_dir, SWEEP_JSON))
        with policy(sweep_options.base.mixed_precision):
            bench, bench_inputs = run_benchmark(sweep_options, sweep_options.cells, results,
                                                previous, log)
        document = sweep_document(sweep_options, results, bench, bench_inputs)
        write_json_atomically(os.path.join(output_dir, SWEEP_JSON), document)
        table = report.markdown(document)
        with open(os.path.join(output_dir, SWEEP_MD), "w", encoding="utf-8") as writer:
            writer.write(table)
        log("")
        log(table)
        written = [SWEEP_JSON, SWEEP_MD]
        if bench is not None:
            report.plot(document, os.path.join(output_dir, SWEEP_PNG))
            written.append(SWEEP_PNG)
        log("written: %s in %s" % (", ".join(written), output_dir))
    return document

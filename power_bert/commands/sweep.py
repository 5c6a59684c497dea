"""``power-bert sweep`` / ``python -m power_bert.sweep``: LAMBDA (and LR_SOFT_EXTRACT)
values x seeds from one fine-tuned model, one benchmark of all, a trade-off table and
plot (``power_bert.sweep``).

    power-bert sweep --TASK mrpc --FINETUNED_CHECKPOINT runs/mrpc/finetune.hdf5 \\
        --LAMBDAS 5e-4,1e-3,2e-3 --SEEDS 1,2,3 --DATA_DIR glue/MRPC \\
        --VOCAB_PATH minilm/vocab.txt --OUTPUT_DIR runs/mrpc-sweep --DYNAMIC_PADDING true

A cell takes the training flags of ``power-bert train`` except those the sweep sets per
cell (``NOT_TAKEN``); every cell's options are validated before anything runs.
"""
import argparse
import dataclasses
import math
import os

from power_bert.commands import run_options
from power_bert.commands.benchmark import BENCHMARK_DEFAULTS
from power_bert.commands.flags import add_flags
from power_bert.errors import UsageError, check_integer
from power_bert.sweep import CELLS, Cell, SweepOptions, run_sweep

# Training flags a sweep sets per cell (or that a cell of a sweep cannot take).
NOT_TAKEN = ("--BERT_CONFIG_PATH", "--CHECKPOINT_PATH", "--LAMBDA", "--LR_SOFT_EXTRACT",
             "--SEED", "--SEARCH_CHECKPOINT", "--FRESH", "--PRED_GLUE")

# (flag, argparse keyword arguments): the sweep's own flags, beside the training flags.
FLAGS = (
    ("--LAMBDAS", dict(required=True, help="comma-separated LAMBDA values, e.g. "
                                           "5e-4,1e-3,2e-3")),
    ("--LR_SOFT_EXTRACTS", dict(help="comma-separated LR_SOFT_EXTRACT values (default: the "
                                     "task's reference value)")),
    ("--SEEDS", dict(default="1,2,3", help="comma-separated seeds of every (LAMBDA, "
                                           "LR_SOFT_EXTRACT) setting (default 1,2,3)")),
    ("--MAX_DROP", dict(type=float, default=1.0,
                        help="choose the fastest setting whose mean metric (x100) is at most "
                             "this many points below the baseline's (default 1.0)")),
    ("--BENCHMARK_BATCH_SIZE", dict(type=int, default=BENCHMARK_DEFAULTS["batch_size"],
                                    help="inference batch of the benchmark (default "
                                         "%(default)s)")),
    ("--RUNS", dict(type=int, default=BENCHMARK_DEFAULTS["runs"],
                    help="timed rounds of the benchmark; 0: no benchmark (no times, no plot) "
                         "(default %(default)s)")),
    ("--WARMUP", dict(type=int, default=BENCHMARK_DEFAULTS["warmup"],
                      help="untimed passes per model before timing (default %(default)s)")),
    ("--BENCHMARK_MAX_EXAMPLES", dict(type=int, help="time on the first N dev examples "
                                                     "(default: all)")),
)


def parse_list(text: str, flag: str, kind):
    """Comma-separated numbers of ``kind`` (float: finite, >= 0; int: >= 0), each once.

    Raises:
      UsageError: naming the flag, the item and what is allowed.
    """
    what = "numbers >= 0 (e.g. 5e-4,1e-3)" if kind is float else "integers >= 0 (e.g. 1,2,3)"
    items = [item.strip() for item in str(text).split(",")]
    values = []
    for item in items:
        try:
            value = kind(item)
        except ValueError:
            raise UsageError("%s must be comma-separated %s, got %r in %r"
                             % (flag, what, item, text)) from None
        if value < 0 or (kind is float and not math.isfinite(value)):
            raise UsageError("%s must be comma-separated %s, got %r in %r"
                             % (flag, what, item, text))
        if any(("%g" % value) == ("%g" % v) for v in values):
            raise UsageError("%s lists %s twice" % (flag, item))
        values.append(value)
    return values


def _check_count(args, flag: str, low: int):
    if getattr(args, flag[2:]) is not None:
        check_integer(getattr(args, flag[2:]), flag, low)


def options_from_args(args: argparse.Namespace) -> SweepOptions:
    """Checks the flags and every cell's options, without TensorFlow.

    Raises:
      UsageError: naming the flag.
    """
    from power_bert.options import MAX_SEED, validate
    if not args.FINETUNED_CHECKPOINT:
        raise UsageError("--FINETUNED_CHECKPOINT is required: every cell starts from one "
                         "fine-tuned model (OUTPUT_DIR/finetune.hdf5 of a training run)")
    lambdas = parse_list(args.LAMBDAS, "--LAMBDAS", float)
    seeds = parse_list(args.SEEDS, "--SEEDS", int)
    if max(seeds) > MAX_SEED:
        raise UsageError("--SEEDS must be integers in [0, %d], got %d" % (MAX_SEED, max(seeds)))
    rates = (None,) if args.LR_SOFT_EXTRACTS is None else tuple(
        parse_list(args.LR_SOFT_EXTRACTS, "--LR_SOFT_EXTRACTS", float))
    for flag, low in (("--RUNS", 0), ("--WARMUP", 0), ("--BENCHMARK_BATCH_SIZE", 1),
                      ("--BENCHMARK_MAX_EXAMPLES", 1)):
        _check_count(args, flag, low)
    if not (math.isfinite(args.MAX_DROP) and args.MAX_DROP >= 0):
        raise UsageError("--MAX_DROP must be a number of points >= 0, got %r" % args.MAX_DROP)
    cells, cell_options = [], []
    for rate in rates:
        for lambda_ in lambdas:
            for seed in seeds:
                valid = validate(run_options.options_from_args(
                    args, lambda_=lambda_, seed=seed, lr_soft_extract=rate))
                cell = Cell(lambda_, valid.options.lr_soft_extract, seed)
                folder = os.path.join(args.OUTPUT_DIR, CELLS, cell.folder_name)
                # (the cell's own folder: decided before the run, not changed during it)
                cells.append(cell)
                cell_options.append(dataclasses.replace(
                    valid, options=dataclasses.replace(valid.options, output_dir=folder)))
    return SweepOptions(output_dir=args.OUTPUT_DIR, cells=tuple(cells),
                        cell_options=tuple(cell_options), max_drop=float(args.MAX_DROP),
                        batch_size=args.BENCHMARK_BATCH_SIZE, runs=args.RUNS,
                        warmup=args.WARMUP, max_examples=args.BENCHMARK_MAX_EXAMPLES)


def add_arguments(parser: argparse.ArgumentParser):
    """The training flags a cell takes from the command line, then the sweep's own."""
    run_options.add_arguments(parser, "sweep", exclude=NOT_TAKEN)
    add_flags(parser, FLAGS)


def run(args: argparse.Namespace) -> int:
    """Checks every flag (before TensorFlow loads), then sweeps."""
    run_sweep(options_from_args(args))
    return 0

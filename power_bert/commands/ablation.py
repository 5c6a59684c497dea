"""``power-bert ablation``: word selection by attention, head or random at one retention
configuration, each a re-training from one fine-tuned model, then timed together
(``power_bert.ablation``).

    power-bert ablation --TASK mrpc --FINETUNED_CHECKPOINT runs/mrpc/finetune.hdf5 \\
        --RETENTION_CONFIG 64,48,32,16,... --DATA_DIR glue/MRPC --OUTPUT_DIR runs/ablation
"""
from power_bert.benchmark.engine import PADDINGS
from power_bert.commands import run_options
from power_bert.commands.benchmark import BENCHMARK_DEFAULTS
from power_bert.commands.flags import add_flags
from power_bert.errors import UsageError, check_integer
from power_bert.retention import parse_retention_configuration

BENCHMARK_FLAGS = (
    ("--BENCHMARK_BATCH_SIZE", dict(type=int, default=BENCHMARK_DEFAULTS["batch_size"],
                                    help="inference batch of the benchmark (default "
                                         "%(default)s)")),
    ("--RUNS", dict(type=int, default=BENCHMARK_DEFAULTS["runs"],
                    help="timed rounds of the benchmark (default %(default)s)")),
    ("--PADDING", dict(choices=PADDINGS + ("both",), default="both",
                       help="padding of the benchmark (default %(default)s)")),
)


def add_arguments(parser):
    """The training flags of ``power-bert train`` that apply, and the benchmark's."""
    run_options.add_arguments(parser, "ablation")
    add_flags(parser, BENCHMARK_FLAGS)


def _checked(args):
    """(the validated options of the re-trainings, the retention configuration as given,
    the benchmark's settings), before TensorFlow loads.

    Raises:
      UsageError: a missing --FINETUNED_CHECKPOINT or --RETENTION_CONFIG, a count below
        its minimum, or any flag ``options.validate`` refuses.
    """
    from power_bert.ablation import BenchmarkSettings
    from power_bert.options import validate
    for flag in ("--FINETUNED_CHECKPOINT", "--RETENTION_CONFIG"):
        if not getattr(args, flag[2:]):
            raise UsageError("%s is required: the ablation re-trains the fine-tuned model at "
                             "one retention configuration" % flag)
    for flag in ("--BENCHMARK_BATCH_SIZE", "--RUNS"):
        check_integer(getattr(args, flag[2:]), flag, 1)
    # (the configuration is applied per re-training, not to the run's options)
    valid = validate(run_options.options_from_args(args, retention_configuration=None))
    bench = BenchmarkSettings(batch_size=args.BENCHMARK_BATCH_SIZE, runs=args.RUNS,
                              paddings=PADDINGS if args.PADDING == "both" else (args.PADDING,))
    return valid, list(parse_retention_configuration(args.RETENTION_CONFIG)), bench


def run(args) -> int:
    """Re-trains with each strategy, benchmarks them together, writes the tables."""
    valid, retention_configuration, bench = _checked(args)
    from power_bert.ablation import Ablation
    from power_bert.pipeline import Pipeline  # (TensorFlow loads here)
    from power_bert.precision import policy
    pipeline = Pipeline(valid)
    with policy(valid.options.mixed_precision):
        Ablation(pipeline, retention_configuration, bench).run()
    return 0

"""Seconds per TRAINING step with and without XLA and mixed precision (issue 12).

Times the pipeline's own training step (``model.build_model`` + ``training.
compile_for_stage``, the code ``power-bert train`` runs) on random weights of a
``bert_config.json`` (timing only), one synthetic batch of full-length inputs (fixed
padding), for each stage and each variant:

  float32        the default;
  float32_xla    ``--XLA`` (``jit_compile=True``);
  bfloat16       ``--MIXED_PRECISION bfloat16`` (``mixed_bfloat16``);
  bfloat16_xla   both;
  float16        ``--MIXED_PRECISION float16``: not in the default set on CPU: x86 CPUs
                 without AVX512-FP16 have no float16 arithmetic, so TensorFlow converts
                 every product to float32 and back (slower than float32 here), and its
                 loss scaling adds work; it is a GPU setting. Ask for it with --VARIANTS.

Every (stage, variant) is built and compiled first; its first step (tracing and, with
XLA, compilation) is timed and reported apart, then ``--WARMUP`` more untimed steps.
Then ``--ROUNDS`` rounds, each timing ``--STEPS`` steps of every (stage, variant) in
turn (A B C D ..., interleaved so a change of machine load hits them all alike). The
figure is the median over rounds of the seconds a step; ratios are to float32 of the
same stage.

    python benchmarks/train_step_speed.py --BERT_CONFIG benchmarks/configs/minilm.json \\
      --OUTPUT benchmarks/results/cpu-xla-precision/train_steps.json

writes the JSON and a Markdown table next to it (same name, ``.md``).
"""
import argparse
import os
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from power_bert.benchmark.report import write_result
from power_bert.errors import UsageError, check_integer
from power_bert.outputs import markdown_table_lines
from power_bert.retention import validate_retention_configuration

STAGES = ("finetune", "search", "retrain")
VARIANTS = {  # name -> (--MIXED_PRECISION value, XLA)
    "float32": ("none", False),
    "float32_xla": ("none", True),
    "bfloat16": ("bfloat16", False),
    "bfloat16_xla": ("bfloat16", True),
    "float16": ("float16", False),
    "float16_xla": ("float16", True),
}
DEFAULT_VARIANTS = "float32,float32_xla,bfloat16,bfloat16_xla"
BASE = "float32"
NUM_LABELS = 2  # a classification head, as MRPC
LEARNING_RATE = 2e-5
LR_SOFT_EXTRACT = 1e-3
LAMBDA = 1e-3


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The flags, checked before TensorFlow loads; a bad one exits 2 with one line
    ``error: --FLAG ...`` (argparse's ``parser.error``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--BERT_CONFIG", default=os.path.join(os.path.dirname(__file__),
                                                              "configs", "minilm.json"),
                        help="bert_config.json of the shape (default: configs/minilm.json)")
    parser.add_argument("--SEQ_LEN", type=int, default=128, help="tokens per example")
    parser.add_argument("--BATCH_SIZE", type=int, default=32)
    parser.add_argument("--RETENTION_CONFIG", default="67,51,44,13,3,1",
                        help="l_1,..,l_L of the retrain stage (default: the MRPC row of docs/results.md)")
    parser.add_argument("--STAGES", default="finetune,retrain",
                        help="comma-separated, of %s" % ", ".join(STAGES))
    parser.add_argument("--VARIANTS", default=DEFAULT_VARIANTS,
                        help="comma-separated, of %s" % ", ".join(VARIANTS))
    parser.add_argument("--WARMUP", type=int, default=2,
                        help="untimed steps after the first (compiling) one, >= 0")
    parser.add_argument("--ROUNDS", type=int, default=5, help="timed rounds, >= 1")
    parser.add_argument("--STEPS", type=int, default=2, help="timed steps a round, >= 1")
    parser.add_argument("--SEED", type=int, default=0)
    parser.add_argument("--OUTPUT", required=True, help="the JSON file (and .md beside it)")
    args = parser.parse_args(argv)
    for flag, low in (("WARMUP", 0), ("ROUNDS", 1), ("STEPS", 1), ("BATCH_SIZE", 1),
                      ("SEQ_LEN", 1)):
        try:
            check_integer(getattr(args, flag), "--" + flag, low)
        except UsageError as e:
            parser.error(str(e))
    args.STAGES = _choices(parser, "STAGES", args.STAGES, STAGES)
    args.VARIANTS = _choices(parser, "VARIANTS", args.VARIANTS, VARIANTS)
    if BASE not in args.VARIANTS:
        parser.error("--VARIANTS must include %s (the ratios are to it)" % BASE)
    from power_bert.config import BertConfig
    try:
        args.config = BertConfig.from_json_file(args.BERT_CONFIG)
    except (OSError, ValueError) as e:
        parser.error("--BERT_CONFIG: %s" % e)
    if args.SEQ_LEN > args.config.max_position_embeddings:
        parser.error("--SEQ_LEN must be at most %d (max_position_embeddings of %s), got %d"
                     % (args.config.max_position_embeddings, args.BERT_CONFIG, args.SEQ_LEN))
    try:
        args.retention_configuration = list(validate_retention_configuration(
            args.RETENTION_CONFIG, args.SEQ_LEN, args.config.num_hidden_layers))
    except ValueError as e:
        parser.error("--RETENTION_CONFIG: %s" % e)
    out_dir = os.path.dirname(os.path.abspath(args.OUTPUT))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        parser.error("--OUTPUT: %s is not a folder" % out_dir)
    return args


def _choices(parser, flag: str, text: str, allowed) -> List[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names or len(set(names)) != len(names):
        parser.error("--%s must be distinct names of %s, got %r" % (flag, ", ".join(allowed),
                                                                   text))
    return names


def build_step(args, stage: str, variant: str, inputs, labels):
    """A compiled model of ``stage`` under ``variant``; returns a function running one
    training step on the fixed batch."""
    from power_bert import precision
    from power_bert.backend import keras
    from power_bert.model import build_model
    from power_bert.training import compile_for_stage
    mixed, xla = VARIANTS[variant]
    keras.utils.set_random_seed(args.SEED)  # the same weights for every variant
    with precision.policy(mixed):
        model = build_model(args.config, NUM_LABELS, args.SEQ_LEN, mode=stage,
                            retention_configuration=(args.retention_configuration
                                                     if stage == "retrain" else None),
                            max_len=args.SEQ_LEN)
    search = stage == "search"
    compile_for_stage(model, NUM_LABELS, LEARNING_RATE, total_steps=10 ** 6, warmup_steps=0,
                      lr_soft_extract=LR_SOFT_EXTRACT if search else None,
                      lambda_=LAMBDA if search else 0.0, xla=xla)

    def step():
        loss = model.train_on_batch(inputs, labels, return_dict=True)["loss"]
        if not np.isfinite(loss):
            raise RuntimeError("%s/%s: non-finite loss %r" % (stage, variant, loss))
    return step


def run(args, say=print) -> Dict:
    """Builds, warms up and times every (stage, variant); the result document."""
    from power_bert.backend import keras
    from power_bert.benchmark.shapes import synthetic_inputs
    from power_bert.benchmark.timing import machine_info
    inputs = synthetic_inputs(args.BATCH_SIZE, args.SEQ_LEN, None, args.config.vocab_size,
                              args.SEED)
    labels = np.random.RandomState(args.SEED).randint(0, NUM_LABELS, args.BATCH_SIZE)
    keras.backend.clear_session()
    runs = [(stage, variant) for stage in args.STAGES for variant in args.VARIANTS]
    steps, first = {}, {}
    for key in runs:
        steps[key] = build_step(args, key[0], key[1], inputs, labels)
        start = time.perf_counter()
        steps[key]()
        first[key] = time.perf_counter() - start
        for _ in range(args.WARMUP):
            steps[key]()
        say("%s/%s: first step %.2f s" % (key[0], key[1], first[key]))
    per_step = {key: [] for key in runs}
    for index in range(args.ROUNDS):
        for key in runs:
            start = time.perf_counter()
            for _ in range(args.STEPS):
                steps[key]()
            per_step[key].append((time.perf_counter() - start) / args.STEPS)
        say("round %d/%d: %s" % (index + 1, args.ROUNDS, ", ".join(
            "%s/%s %.3f" % (k[0], k[1], per_step[k][-1]) for k in runs)))
    results = []
    for stage, variant in runs:
        median = statistics.median(per_step[(stage, variant)])
        base = statistics.median(per_step[(stage, BASE)])
        mixed, xla = VARIANTS[variant]
        results.append({"stage": stage, "variant": variant, "mixed_precision": mixed,
                        "xla": xla, "s_per_step": median, "ratio_to_float32": median / base,
                        "first_step_s": first[(stage, variant)],
                        "round_s_per_step": per_step[(stage, variant)]})
    return {"what": "training steps, random weights (timing only), fixed padding",
            "bert_config": args.BERT_CONFIG, "config": args.config.to_dict(),
            "seq_len": args.SEQ_LEN, "batch_size": args.BATCH_SIZE,
            "retention_configuration": args.retention_configuration, "warmup": args.WARMUP,
            "rounds": args.ROUNDS, "steps_per_round": args.STEPS,
            "load_average": list(os.getloadavg()), "machine": machine_info(),
            "results": results}


def markdown(doc: Dict) -> str:
    """The result as a Markdown table."""
    lines = ["Training steps, batch %d, %d tokens (fixed padding), random weights; median "
             "of %d interleaved rounds of %d steps; ratio to float32 of the same stage "
             "(< 1: faster)." % (doc["batch_size"], doc["seq_len"], doc["rounds"],
                                 doc["steps_per_round"]), ""]
    rows = [[row["stage"], row["variant"], "%.3f" % row["s_per_step"],
             "%.2f" % row["ratio_to_float32"], "%.1f" % row["first_step_s"]]
            for row in doc["results"]]
    lines += markdown_table_lines(["stage", "variant", "s/step", "ratio to float32",
                                   "first step (s)"], rows, "llrrr")
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    doc = run(args)
    write_result(doc, args.OUTPUT, markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())

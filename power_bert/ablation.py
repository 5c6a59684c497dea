"""``power-bert ablation``: the paper's word-selection ablation from one fine-tuned model.

At one retention configuration, the fine-tuned model is re-trained three times, once per
word-selection strategy of the Extract layers (``retention.WORD_SELECTIONS``): attention
(PoWER-BERT's significance), head (Head-WS: the first l_j positions) and random (Rand-WS:
a seeded random subset with [CLS]). Each re-training is the re-training stage of
``stages.py`` (the same routine, best epoch by the task's official dev metric), started
from the fine-tuned weights instead of a search. The three models and the baseline are
then timed together in one interleaved benchmark (``power-bert benchmark``'s code), so
metric and speed come side by side.

OUTPUT_DIR receives ``<strategy>/retrain.*`` (each a ``StageCheckpoint`` recording its
word selection), ``benchmark.json``/``.md``/``plot.png``, ``ablation.json`` and
``ablation.md`` (one row per strategy and padding) and an appended ``log.txt``. Run the
same command again after an interruption: strategies already re-trained are not redone
(an interrupted one resumes after its last completed epoch).
"""
import dataclasses
import os
from typing import Dict, List

from power_bert import commands
from power_bert.documents import BenchmarkResult
from power_bert.errors import UsageError, check_integer
from power_bert.retention import WORD_SELECTIONS, parse_retention_configuration

STATE_FILE = "ablation.json"
_BENCHMARK_FLAGS = (
    ("--BENCHMARK_BATCH_SIZE", dict(type=int, default=128, help="inference batch of the "
                                                                  "benchmark (default 128)")),
    ("--RUNS", dict(type=int, default=5, help="timed rounds of the benchmark (default 5)")),
    ("--PADDING", dict(choices=("fixed", "dynamic", "both"), default="both",
                       help="padding of the benchmark (default both)")),
)


def add_arguments(parser, command: str = "ablation"):
    """The training flags of ``power-bert train`` that apply, and the benchmark's."""
    commands.add_arguments(parser, command)
    for flag, kwargs in _BENCHMARK_FLAGS:
        parser.add_argument(flag, dest=flag[2:], **kwargs)


def _options(args):
    """(validated Options of the re-trainings, the retention configuration as given)."""
    from power_bert.options import validate
    for flag in ("--FINETUNED_CHECKPOINT", "--RETENTION_CONFIG"):
        if not getattr(args, flag[2:]):
            raise UsageError("%s is required: the ablation re-trains the fine-tuned model at "
                             "one retention configuration" % flag)
    for flag in ("--BENCHMARK_BATCH_SIZE", "--RUNS"):
        check_integer(getattr(args, flag[2:]), flag, 1)
    options = dataclasses.replace(commands.options_from_args(args), retention_config=None)
    validate(options)  # before TensorFlow loads
    return options, list(parse_retention_configuration(args.RETENTION_CONFIG))


def run(args) -> int:
    """Re-trains with each strategy, benchmarks them together, writes the tables."""
    from power_bert.precision import policy
    options, retention = _options(args)
    from power_bert.pipeline import Pipeline  # (TensorFlow loads here)
    pipeline = Pipeline(options)
    with policy(pipeline.o.mixed_precision):
        Ablation(pipeline, retention, args).run()
    return 0


class Ablation:
    """One ablation into OUTPUT_DIR (``run``)."""

    def __init__(self, pipeline, retention, args):
        self.pipeline, self.o = pipeline, pipeline.o
        self.retention_given = retention
        self.args = args
        self.state_path = os.path.join(self.o.output_dir, STATE_FILE)

    def _stage(self):
        from power_bert.stages import Stage
        # The re-training stage, from the fine-tuned weights at the given configuration
        # (retention_from None: the template's).
        return Stage("retrain", starts_from="finetune", new_layers=(), keep="best",
                     record="power_bert")

    def _fingerprint(self, finetuned) -> Dict:
        from power_bert.options import RESULT_OPTIONS
        options = {name: getattr(self.o, name) for name in RESULT_OPTIONS}
        options.pop("lr_soft_extract")  # (no search here)
        options.pop("lam")
        options["max_eval_examples"] = self.o.max_eval_examples
        return {"options": options, "finetuned_sha256": finetuned.weights_sha256,
                "retention_configuration": list(self.retention)}

    def run(self):
        from power_bert.backend import keras
        from power_bert.checkpoint import StageCheckpoint
        from power_bert.outputs import OutputLock, RunRecord, read_json, write_json_atomically
        from power_bert.retention import validate_retention_configuration
        from power_bert.stages import ResumeState, prepare, run_stage
        template, given = self.pipeline._start()
        finetuned = given["finetune"]
        try:
            self.retention = list(validate_retention_configuration(
                self.retention_given, finetuned.seq_len, finetuned.config.num_hidden_layers))
        except ValueError as e:
            raise UsageError("--RETENTION_CONFIG: %s" % e) from None
        fingerprint = self._fingerprint(finetuned)
        state = read_json(self.state_path) or {}
        if state and state.get("fingerprint") != fingerprint:
            raise UsageError("--OUTPUT_DIR %s holds an ablation with other settings (%s); "
                             "give another OUTPUT_DIR" % (self.o.output_dir, self.state_path))
        if state.get("summary") and len(state.get("finished", {})) == len(WORD_SELECTIONS):
            print(markdown(state["summary"]), end="")
            print("this ablation finished earlier: %s" % self.state_path)
            return state["summary"]
        ctx, data_warnings = self.pipeline._context(template)
        with OutputLock(self.o.output_dir) as lock:
            record = RunRecord(self.o.output_dir, os.path.join(self.o.output_dir,
                                                               "ablation-results.json"))
            record.open(dataclasses.asdict(self.o))
            for line in ([lock.note] if lock.note else []) + data_warnings:
                record.log(line)
            record.log("ablation of word selection at retention configuration %s from %s"
                       % (",".join(map(str, self.retention)), finetuned.weights_path))
            state = {"fingerprint": fingerprint, "finished": state.get("finished", {})}
            write_json_atomically(self.state_path, state)
            kept: Dict[str, object] = {}
            for selection in WORD_SELECTIONS:
                folder = os.path.join(self.o.output_dir, selection)
                done = state["finished"].get(selection)
                if done:
                    kept[selection] = StageCheckpoint.load(os.path.join(folder,
                                                                        "retrain.hdf5"))
                    record.log("%s: re-trained earlier (epoch %d), skipped"
                               % (selection, kept[selection].epoch))
                    continue
                keras.backend.clear_session()
                keras.utils.set_random_seed(self.o.seed)
                ctx.template = dataclasses.replace(
                    template, retention=tuple(self.retention), word_selection=selection,
                    selection_seed=self.o.seed)
                ctx.run_dir, ctx.log = folder, record.log
                stage = self._stage()
                spec, model = prepare(ctx, stage, {"finetune": finetuned})
                record.log("re-training with word selection %s (%s)" % (selection, folder))
                kept[selection] = run_stage(ctx, stage, spec, model)
                state["finished"][selection] = kept[selection].weights_sha256
                write_json_atomically(self.state_path, state)
                ResumeState(folder, "retrain").clear()
            keras.backend.clear_session()
            bench = self._benchmark(finetuned, kept, record.log)
            summary = summarise(bench, finetuned, kept, self.retention)
            state["summary"] = summary
            write_json_atomically(self.state_path, state)
            path = os.path.join(self.o.output_dir, "ablation.md")
            with open(path, "w", encoding="utf-8") as writer:
                writer.write(markdown(summary))
            for line in markdown(summary).splitlines():
                record.log(line)
            record.log("ablation written to %s and %s" % (self.state_path, path))
        return summary

    def _benchmark(self, finetuned, kept, say) -> BenchmarkResult:
        from power_bert.benchmark.engine import PADDINGS, BenchmarkOptions, benchmark
        from power_bert.benchmark.report import BASELINE, POWER
        out = self.o.output_dir
        models = [(BASELINE, finetuned.weights_path, "--FINETUNED_CHECKPOINT"),
                  (POWER, kept["attention"].weights_path, "attention")]
        models += [(s, kept[s].weights_path, s) for s in WORD_SELECTIONS if s != "attention"]
        padding = self.args.PADDING
        options = BenchmarkOptions(
            models=tuple(models), data_dir=self.o.data_dir, task=self.o.task,
            vocab_path=self.o.vocab_path, batch_size=self.args.BENCHMARK_BATCH_SIZE,
            runs=self.args.RUNS, paddings=PADDINGS if padding == "both" else (padding,),
            xla=self.o.xla, max_examples=self.o.max_eval_examples,
            output=os.path.join(out, "benchmark.json"),
            plot=os.path.join(out, "plot.png"), verbose=min(self.o.verbose, 1))
        return benchmark(options, say=say)


def summarise(bench: BenchmarkResult, finetuned, kept: Dict, retention: List[int]) -> Dict:
    """One row per strategy and padding mode: dev metric of the kept epoch, the benchmark's
    metric, time and speed-up (the baseline in each mode too)."""
    from power_bert.benchmark.report import BASELINE, POWER
    names = {BASELINE: "baseline", POWER: "attention"}
    rows = []
    for run in bench.runs:
        for key in (BASELINE, POWER) + tuple(s for s in WORD_SELECTIONS if s != "attention"):
            entry = run.models[key]
            name = names.get(key, key)
            rows.append({
                "padding": run.padding, "word_selection": name,
                "epoch": (finetuned if name == "baseline" else kept[name]).epoch,
                "metric_name": entry.metric_name, "metric": entry.metric,
                "ms_per_example": 1000.0 * entry.seconds_per_example,
                "speedup": entry.speedup, "ideal_speedup": entry.ideal_speedup,
                "checkpoint": entry.checkpoint})
    return {"task": bench.task, "retention_configuration": list(retention),
            "num_examples": bench.num_examples, "batch_size": bench.batch_size,
            "num_runs": bench.num_runs, "rows": rows}


def markdown(summary: Dict) -> str:
    """The ablation table."""
    from power_bert.outputs import markdown_table_lines
    metric = summary["rows"][0]["metric_name"]
    lines = ["Word-selection ablation, task %s, retention configuration %s; %s dev examples, "
             "batch %d, median of %d interleaved runs." % (
                 summary["task"], ",".join(map(str, summary["retention_configuration"])),
                 summary["num_examples"], summary["batch_size"], summary["num_runs"]),
             ""]
    rows = [[row["padding"], row["word_selection"], "%.2f" % row["metric"],
             "%.3f" % row["ms_per_example"], "%.2fx" % row["speedup"],
             "%.2fx" % row["ideal_speedup"]] for row in summary["rows"]]
    lines += markdown_table_lines(["Padding", "Word selection", metric, "ms / example",
                                   "Speed-up", "Ideal"], rows, "llrrrr")
    return "\n".join(lines) + "\n"

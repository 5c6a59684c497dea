"""The paper's word-selection ablation from one fine-tuned model (``power-bert ablation``,
``commands/ablation.py``).

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
from typing import Dict, List, Sequence

from power_bert.documents import BenchmarkResult
from power_bert.errors import UsageError
from power_bert.retention import WORD_SELECTIONS

STATE_FILE = "ablation.json"


@dataclasses.dataclass(frozen=True)
class BenchmarkSettings:
    """How the ablation's models are timed together (``power-bert benchmark``'s engine).

    Attributes:
      batch_size: the inference batch.
      runs: timed rounds.
      paddings: "fixed" and/or "dynamic".
    """
    batch_size: int
    runs: int
    paddings: Sequence[str]


class Ablation:
    """One ablation into OUTPUT_DIR (``run``)."""

    def __init__(self, pipeline, retention_configuration: Sequence[int],
                 bench: BenchmarkSettings):
        """
        Args:
          pipeline: a ``pipeline.Pipeline`` of the re-trainings' validated options (with
            --FINETUNED_CHECKPOINT).
          retention_configuration: as given (checked against the model).
          bench: the benchmark's settings.
        """
        self.pipeline, self.o = pipeline, pipeline.o
        self.retention_given = list(retention_configuration)
        self.bench = bench
        self.state_path = os.path.join(self.o.output_dir, STATE_FILE)

    def _fingerprint(self, finetuned) -> Dict:
        from power_bert.options import recorded_options
        options = recorded_options(self.o)
        options.pop("lr_soft_extract")  # (no search here)
        options.pop("lam")  # LAMBDA under its recorded key (options.RESULT_OPTIONS)
        options["max_eval_examples"] = self.o.max_eval_examples
        return {"options": options, "finetuned_sha256": finetuned.weights_sha256,
                "retention_configuration": list(self.retention_configuration)}

    def _checked_retention(self, finetuned) -> List[int]:
        """The given retention configuration, checked against the fine-tuned model."""
        from power_bert.retention import validate_retention_configuration
        try:
            return list(validate_retention_configuration(
                self.retention_given, finetuned.seq_len, finetuned.config.num_hidden_layers))
        except ValueError as e:
            raise UsageError("--RETENTION_CONFIG: %s" % e) from None

    def _earlier_state(self, fingerprint: Dict) -> Dict:
        """ablation.json of an earlier run of these settings ({} if none).

        Raises:
          UsageError: OUTPUT_DIR holds an ablation with other settings.
        """
        from power_bert.outputs import read_json
        state = read_json(self.state_path) or {}
        if state and state.get("fingerprint") != fingerprint:
            raise UsageError("--OUTPUT_DIR %s holds an ablation with other settings (%s); "
                             "give another OUTPUT_DIR" % (self.o.output_dir, self.state_path))
        return state

    def run(self) -> Dict:
        """Re-trains with each word selection (those finished earlier are kept), times
        them together and writes the tables; returns the summary."""
        from power_bert.backend import keras
        from power_bert.outputs import OutputLock, RunRecord, write_json_atomically
        start = self.pipeline.start()
        template, finetuned = start.template, start.given["finetune"]
        self.retention_configuration = self._checked_retention(finetuned)
        fingerprint = self._fingerprint(finetuned)
        state = self._earlier_state(fingerprint)
        if state.get("summary") and len(state.get("finished", {})) == len(WORD_SELECTIONS):
            print(markdown(state["summary"]), end="")
            print("this ablation finished earlier: %s" % self.state_path)
            return state["summary"]
        ctx, data_warnings = self.pipeline.stage_context(template)
        with OutputLock(self.o.output_dir) as lock:
            record = RunRecord(self.o.output_dir, os.path.join(self.o.output_dir,
                                                               "ablation-results.json"))
            record.open(dataclasses.asdict(self.o))
            for line in ([lock.note] if lock.note else []) + data_warnings:
                record.log(line)
            record.log("ablation of word selection at retention configuration %s from %s"
                       % (",".join(map(str, self.retention_configuration)),
                          finetuned.weights_path))
            state = {"fingerprint": fingerprint, "finished": state.get("finished", {})}
            write_json_atomically(self.state_path, state)
            kept = {selection: self._retrain(selection, ctx, finetuned, state, record.log)
                    for selection in WORD_SELECTIONS}
            keras.backend.clear_session()
            summary = summarise(self._benchmark(finetuned, kept, record.log), finetuned, kept,
                                self.retention_configuration)
            self._write(summary, state, record.log)
        return summary

    def _retrain(self, selection: str, ctx, finetuned, state: Dict, log):
        """The re-training with one word selection (its checkpoint kept from an earlier
        run when it finished there); records it in ablation.json."""
        from power_bert.backend import keras
        from power_bert.checkpoint import StageCheckpoint
        from power_bert.outputs import write_json_atomically
        from power_bert.stages import ResumeState, prepare, retrain_from_finetuned, run_stage
        folder = os.path.join(self.o.output_dir, selection)
        if state["finished"].get(selection):
            kept = StageCheckpoint.load(os.path.join(folder, "retrain.hdf5"))
            log("%s: re-trained earlier (epoch %d), skipped" % (selection, kept.epoch))
            return kept
        keras.backend.clear_session()
        keras.utils.set_random_seed(self.o.seed)
        selection_ctx = dataclasses.replace(
            ctx, run_dir=folder, log=log, template=dataclasses.replace(
                ctx.template, retention_configuration=tuple(self.retention_configuration),
                word_selection=selection, selection_seed=self.o.seed))
        stage = retrain_from_finetuned()
        checkpoint, model = prepare(selection_ctx, stage, {"finetune": finetuned})
        log("re-training with word selection %s (%s)" % (selection, folder))
        kept = run_stage(selection_ctx, stage, checkpoint, model)
        state["finished"][selection] = kept.weights_sha256
        write_json_atomically(self.state_path, state)
        ResumeState(folder, "retrain").clear()
        return kept

    def _write(self, summary: Dict, state: Dict, log):
        """ablation.json (with the summary) and ablation.md; the table into the log."""
        from power_bert.outputs import write_json_atomically
        state["summary"] = summary
        write_json_atomically(self.state_path, state)
        path = os.path.join(self.o.output_dir, "ablation.md")
        table = markdown(summary)
        with open(path, "w", encoding="utf-8") as writer:
            writer.write(table)
        for line in table.splitlines():
            log(line)
        log("ablation written to %s and %s" % (self.state_path, path))

    def _benchmark(self, finetuned, kept, say) -> BenchmarkResult:
        from power_bert.benchmark.engine import BenchmarkOptions, benchmark
        from power_bert.benchmark.report import BASELINE, POWER
        out = self.o.output_dir
        models = [(BASELINE, finetuned.weights_path, "--FINETUNED_CHECKPOINT"),
                  (POWER, kept["attention"].weights_path, "attention")]
        models += [(s, kept[s].weights_path, s) for s in WORD_SELECTIONS if s != "attention"]
        options = BenchmarkOptions(
            models=tuple(models), data_dir=self.o.data_dir, task=self.o.task,
            vocab_path=self.o.vocab_path, batch_size=self.bench.batch_size,
            runs=self.bench.runs, paddings=tuple(self.bench.paddings),
            xla=self.o.xla, max_examples=self.o.max_eval_examples,
            output=os.path.join(out, "benchmark.json"),
            plot=os.path.join(out, "plot.png"), verbose=min(self.o.verbose, 1))
        return benchmark(options, say=say)


def summarise(bench: BenchmarkResult, finetuned, kept: Dict,
              retention_configuration: List[int]) -> Dict:
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
    return {"task": bench.task, "retention_configuration": list(retention_configuration),
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

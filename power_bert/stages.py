"""The three stages of PoWER-BERT as data, and the one routine that runs any of them.

  stage     model mode  starts from      new layers    retention from  keeps       records
  finetune  finetune    the pre-trained  -             -               best epoch  baseline
                        Google checkpoint
  search    search      finetune         Soft-Extract  -               last epoch  search
  retrain   retrain     search           -             search          best epoch  power_bert

Every stage writes TensorBoard scalars per epoch to ``<run>/tensorboard/<stage>/``
(``summaries.py``).

"Best" is by the task's official dev metric (``select_best``). The search stage trains
the retention parameters with their own optimizer (LR_SOFT_EXTRACT) under the loss
``task loss + LAMBDA * sum_j j * mass(j)`` and derives the retention configuration
that the re-training stage applies.
"""
import dataclasses
import hashlib
import math
import os
import shutil
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from power_bert import distribute, training
from power_bert.backend import tf
from power_bert.checkpoint import (StageCheckpoint, commit_pending, load_stage_weights,
                                   stage_paths)
from power_bert.documents import Selection, StageResult
from power_bert.errors import CheckpointError
from power_bert.flops import word_vectors_processed
from power_bert.layers import SoftExtract, soft_extract_layers
from power_bert.metrics import format_metrics
from power_bert.outputs import commit_step, read_json, write_json_atomically
from power_bert.retention import retention_configuration_from_masses
from power_bert.summaries import StageSummaries
from power_bert.tasks import TaskSpec

if TYPE_CHECKING:  # (the stages take options; they never read flags)
    from power_bert.options import Options


@dataclasses.dataclass(frozen=True)
class Stage:
    """One row of the stage table.

    Attributes:
      name: the stage, its model mode (``model.build_model``) and its checkpoint's name.
      starts_from: the stage whose kept weights it loads; None: the pre-trained BERT.
      new_layers: layer classes the starting weights lack (initialised fresh).
      retention_from: the stage whose retention configuration it applies (Extract).
      keep: "best" (by the official dev metric) or "last" epoch.
      record: the results.json entry of its outcome.
      trains_retention: the search stage: retention parameters, LAMBDA, LR_SOFT_EXTRACT.
    """
    name: str
    starts_from: Optional[str]
    new_layers: Tuple[type, ...]
    keep: str
    record: str
    retention_from: Optional[str] = None
    trains_retention: bool = False


STAGES: Tuple[Stage, ...] = (
    Stage("finetune", starts_from=None, new_layers=(), keep="best", record="baseline"),
    Stage("search", starts_from="finetune", new_layers=(SoftExtract,), keep="last",
          record="search", trains_retention=True),
    Stage("retrain", starts_from="search", new_layers=(), keep="best", record="power_bert",
          retention_from="search"),
)


def stage_named(name: str) -> Stage:
    """The row of ``name`` in the stage table.

    Raises:
      KeyError: no such stage.
    """
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError("no stage %r (stages: %s)" % (name, ", ".join(s.name for s in STAGES)))


def retrain_from_finetuned() -> Stage:
    """The re-training row of the table, started from the fine-tuned weights at the run
    template's retention configuration instead of a search (``power-bert ablation``:
    one re-training per word selection at a given configuration)."""
    return dataclasses.replace(stage_named("retrain"), starts_from="finetune",
                               retention_from=None)


def select_best(history: Sequence[Mapping[str, float]], metric: str) -> int:
    """Index of the epoch with the highest ``metric`` (the earliest on a tie); an epoch
    whose metric is NaN is never chosen unless all are.

    Raises:
      ValueError: empty history, or an epoch without the metric.
    """
    if not history:
        raise ValueError("no epochs to choose from")
    values = []
    for index, metrics in enumerate(history):
        if metric not in metrics:
            raise ValueError("epoch %d has no %r metric (has %s)"
                             % (index + 1, metric, ", ".join(metrics)))
        value = float(metrics[metric])
        values.append(-math.inf if math.isnan(value) else value)
    return max(range(len(values)), key=lambda i: (values[i], -i))


@dataclasses.dataclass(frozen=True)
class StageContext:
    """What every stage of one run shares (frozen: a run that changes a part, such as the
    ablation's template per word selection, makes a new one with ``dataclasses.replace``).

    Attributes:
      options: the validated ``options.Options`` (``ValidOptions.options``).
      task: the task whose metric selects epochs.
      template: a finetune-mode StageCheckpoint with the run's config, task, labels,
        sequence length, casing and vocabulary (no weights).
      train: ``(x, y)`` training data; dev: ``(x, y)`` dev data.
      evaluate: model -> the metrics that choose epochs (``selection_set``'s).
      log: prints and appends a line to log.txt.
      run_dir: the run folder the stages write to.
      report: model -> dev metrics, when epochs are chosen on a held-out part of the
        training set (measured only for the kept epoch); None: ``evaluate`` is on dev.
      selection: how epochs are chosen (``selection_record``), saved with every stage
        checkpoint; its "set" is "dev" or "tune" (the held-out part).
    """
    options: "Options"
    task: TaskSpec
    template: StageCheckpoint
    train: Tuple
    dev: Tuple
    evaluate: Callable
    log: Callable[[str], None]
    run_dir: Optional[str] = None
    report: Optional[Callable] = None
    selection: Selection = Selection()

    def steps(self, stage: str) -> Tuple[int, int]:
        """(total, warm-up) optimizer steps of ``stage`` (its epochs:
        ``Options.stage_epochs``)."""
        return training.train_steps(len(self.train[1]), self.options.batch_size,
                                    self.options.stage_epochs(stage))

    @property
    def selection_set(self) -> str:
        return self.selection.split

    def dev_metrics(self, model) -> Dict[str, float]:
        """The dev metrics of a model (to report, never to choose)."""
        return (self.report or self.evaluate)(model)


def selection_record(tune_fraction: Optional[float] = None, tune_seed: int = 0,
                     held_out=(), num_train: Optional[int] = None,
                     task: Optional[TaskSpec] = None, tune_split: str = "rows") -> Selection:
    """How a run chooses its epochs (and a sweep its LAMBDA), for results.json, the log
    and every stage checkpoint.

    Args:
      tune_fraction: the part of the training set held out (None: choose on dev).
      tune_seed: its seed.
      held_out: the held-out examples' row indices in the training file.
      num_train: examples trained on.
      task: the task; one whose dev set is a seeded part of its training files and whose
        test set is labelled (IMDB) is reported on test, and the protocol says so.
      tune_split: what was held out, "rows" or "sentences" (``--TUNE_SPLIT``).

    Returns:
      The protocol line and the set that chooses and, when held out, the fraction, seed,
      counts and a checksum of the held-out indices.
    """
    if not tune_fraction:
        if task is not None and task.folders is not None and task.labelled_test:
            return Selection("selected on dev (%g%% of the training files, split seed %d), "
                             "reported on test" % (100 * task.folders.dev_fraction,
                                                   task.folders.split_seed))
        return Selection()
    held = np.asarray(held_out, dtype=np.int64)
    unit = None if tune_split == "rows" else tune_split  # (rows: recorded as before)
    return Selection("selected on %g%% of train held out%s (seed %d), reported on dev"
                     % (100 * tune_fraction, " as whole %s" % unit if unit else "", tune_seed),
                     "tune", tune_fraction=tune_fraction, tune_seed=tune_seed,
                     tune_split=unit, tune_examples=int(len(held)),
                     train_examples=num_train,
                     tune_indices_sha256=hashlib.sha256(held.tobytes()).hexdigest())


def stage_template(ctx: StageContext, stage: Stage, kept: Dict[str, StageCheckpoint]
                   ) -> StageCheckpoint:
    """The checkpoint description of ``stage`` before training (no weights, no epoch).

    Args:
      kept: the checkpoints kept by the stages run so far, by stage name.
    """
    retention_configuration = (kept[stage.retention_from].retention_configuration
                               if stage.retention_from
                               else ctx.template.retention_configuration)
    # only Extract layers (mode "retrain") select words; the other stages keep attention
    selection = ctx.template.word_selection if stage.name == "retrain" else "attention"
    return dataclasses.replace(ctx.template, mode=stage.name,
                               retention_configuration=retention_configuration,
                               word_selection=selection, epoch=None, dev_metrics=None,
                               history=None, selection=None, tune_metrics=None, masses=None,
                               lambda_=None, weights_path=None)


def prepare(ctx: StageContext, stage: Stage, kept: Dict[str, StageCheckpoint],
            load_pretrained: Callable = None):
    """Builds the stage's model and loads its starting weights: the kept checkpoint of
    ``stage.starts_from``, or (when that is None) ``load_pretrained(model)``.

    Raises:
      CheckpointError: the starting weights do not fit the model.
    """
    checkpoint = stage_template(ctx, stage, kept)
    with distribute.scope(ctx.options.distribute):  # (nothing with --DISTRIBUTE none)
        model = checkpoint.build(dynamic=ctx.options.dynamic_padding)
        if stage.starts_from is None:
            load_pretrained(model)
        else:
            load_stage_weights(model, kept[stage.starts_from].weights_path,
                               allow_missing=stage.new_layers)
    return checkpoint, model


class ResumeState:
    """``<run>/<stage>.resume/``: written after every epoch of a stage (the model, its
    optimizers' moments and step count, the dev metrics so far and the checksum of the
    kept epoch's weights), so that a run interrupted in the stage restarts from its last
    completed epoch with the same learning-rate step, data order, dropout masks
    (``layers.StepDropout``, drawn from the step count) and best-so-far record: it ends
    exactly as an uninterrupted run. Removed once the run has recorded the stage as
    finished (``RunFolder.mark_stage``), so no kill in between loses it.

    One epoch's save has one commit point, the atomic write of ``state.json``: before
    it, the kept epoch's new checkpoint files are only pending (``<stage>.pending.*``)
    and the TensorFlow checkpoint of the epoch is not referenced; after it, ``recover``
    finishes what a kill left (renames the pending files, removes leftovers).
    """

    def __init__(self, run_dir: str, stage: str):
        self.run_dir = run_dir
        self.stage = stage
        self.folder = os.path.join(run_dir, stage + ".resume")
        self.state_path = os.path.join(self.folder, "state.json")

    @staticmethod
    def _checkpoint(model):
        objects = {"model": model, "optimizer": model.optimizer}
        if getattr(model, "retention_optimizer", None) is not None:
            objects["retention_optimizer"] = model.retention_optimizer
        return tf.train.Checkpoint(**objects)

    def save(self, model, epoch: int, history: List[Dict], kept: StageCheckpoint):
        """Saves the state after ``epoch``; ``kept``: the stage's kept checkpoint so far,
        whose files may still be pending (they are committed here, after the state)."""
        try:
            os.makedirs(self.folder, exist_ok=True)
            commit_step(os.path.join(self.folder, "checkpoint"))
            path = self._checkpoint(model).write(os.path.join(self.folder, "epoch-%d" % epoch))
        except (OSError, tf.errors.OpError) as e:
            raise CheckpointError("cannot write the resume state %s: %s"
                                  % (self.folder, getattr(e, "strerror", None) or e)) from None
        write_json_atomically(self.state_path, {
            "epoch": epoch, "history": history, "checkpoint": os.path.basename(path),
            "kept_epoch": kept.epoch, "kept_weights_sha256": kept.weights_sha256})
        commit_pending(self.run_dir, self.stage, kept.weights_sha256)
        self._remove_leftovers(os.path.basename(path))

    def _remove_leftovers(self, keep: Optional[str]):
        """Removes everything in the folder but state.json and the files of checkpoint
        ``keep`` (earlier epochs; what a writer killed in the middle left)."""
        for entry in os.listdir(self.folder):
            if entry == "state.json" or (keep and entry.startswith(keep + ".")):
                continue
            path = os.path.join(self.folder, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)

    def recover(self) -> Optional[Dict]:
        """Finishes or discards what an interrupted save left, and returns the last saved
        state (None: nothing to resume, and nothing of the stage is left to use)."""
        state = read_json(self.state_path)
        if state is None:  # killed before the first epoch's commit point
            if os.path.isdir(self.folder):
                self.clear()
            commit_pending(self.run_dir, self.stage, None)  # removes pending files
            return None
        # (a state of an earlier release records no kept checksum: its files were final)
        commit_pending(self.run_dir, self.stage, state.get("kept_weights_sha256"), verify=True)
        self._remove_leftovers(state["checkpoint"])
        return state

    def restore(self, model) -> Tuple[int, List[Dict]]:
        """Restores the state saved last into a compiled model (after ``recover``);
        returns (the epochs completed, their dev metrics), (0, []) when there is nothing
        to resume."""
        state = self.recover()
        if not state:
            return 0, []
        model.build_optimizers()  # the optimizers' moments must exist to be restored
        path = os.path.join(self.folder, state["checkpoint"])
        try:
            self._checkpoint(model).read(path).assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError) as e:
            raise CheckpointError("the resume state %s cannot be restored (%s); run again "
                                  "with --FRESH to start over" % (path, e)) from None
        return int(state["epoch"]), list(state["history"])

    def clear(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def run_stage(ctx: StageContext, stage: Stage, checkpoint: StageCheckpoint, model
              ) -> StageCheckpoint:
    """Trains a prepared model for its epochs (``Options.stage_epochs``: EPOCH, the
    search SEARCH_EPOCHS when given; from the last completed one when the stage was
    interrupted), evaluating the dev set after each, and saves the epoch the stage keeps
    as ``<run>/<stage>.*``. Returns that checkpoint."""
    o = ctx.options
    epochs = o.stage_epochs(stage.name)
    resume = ResumeState(ctx.run_dir, stage.name)
    done, history = _compile_and_restore(ctx, stage, checkpoint, model, resume)
    summaries = StageSummaries(ctx.run_dir, stage.name)
    kept: Dict[str, StageCheckpoint] = {}
    if done:
        kept["checkpoint"] = StageCheckpoint.load(stage_paths(ctx.run_dir, stage.name)[0])
        ctx.log("%s: resuming after epoch %d/%d (dev %s so far)"
                % (stage.name, done, epochs,
                   ", ".join(format_metrics(m) for m in history)))

    held_out = ctx.report is not None

    def after_epoch(epoch: int, logs: dict):
        metrics = ctx.evaluate(model)
        # every worker keeps the epoch the chief keeps
        metrics = dict(zip(metrics, distribute.from_chief(o.distribute,
                                                          list(metrics.values()))))
        history.append(metrics)
        searched, described = {}, ""
        if stage.trains_retention:
            searched, described = _search_state(model, checkpoint.seq_len, o.lambda_)
        summaries.epoch(epoch, model, logs, metrics, searched.get("masses"),
                        searched.get("retention_configuration"), split=ctx.selection_set)
        keep = stage.keep == "last" or select_best(
            history, ctx.task.main_metric) == len(history) - 1
        if keep:
            epoch_checkpoint = dataclasses.replace(
                checkpoint, epoch=epoch, dev_metrics=None if held_out else metrics,
                history=list(history),  # selection metrics of every epoch so far
                selection=ctx.selection,
                # (dev is measured once the stage has chosen its epoch)
                tune_metrics=metrics if held_out else None, **searched)
            kept["checkpoint"] = epoch_checkpoint.write_pending(model, ctx.run_dir, stage.name)
        resume.save(model, epoch, history, kept["checkpoint"])
        ctx.log("%s epoch %d/%d: train loss %.4f; %s %s%s%s"
                % (stage.name, epoch, epochs, logs.get("loss", float("nan")),
                   "held-out" if held_out else "dev", format_metrics(metrics), described,
                   "" if not keep else "  (saved)" if stage.keep == "last"
                   else "  (best so far, saved)"))

    try:
        if done < epochs:  # (all done: killed before the run recorded the stage)
            training.fit(model, ctx.train[0], ctx.train[1], epochs, o.batch_size, o.seed,
                         after_epoch, o.verbose, dynamic=o.dynamic_padding,
                         initial_epoch=done, stage=stage.name)
    finally:
        summaries.close()
    if held_out and kept["checkpoint"].dev_metrics is None:
        kept["checkpoint"] = _report_dev(ctx, stage, kept["checkpoint"], model)
    return kept["checkpoint"]  # the resume state stays until the run records the stage


def _compile_and_restore(ctx: StageContext, stage: Stage, checkpoint: StageCheckpoint, model,
                         resume: ResumeState) -> Tuple[int, List[Dict[str, float]]]:
    """Compiles the stage's model and restores an interrupted stage's last completed
    epoch. Returns (the epochs done, their selection metrics)."""
    o = ctx.options
    total, warmup = ctx.steps(stage.name)
    with distribute.scope(o.distribute):  # the optimizers beside the model's variables
        training.compile_for_stage(model, checkpoint.num_labels, o.lr_bert, total, warmup,
                                   lr_soft_extract=o.lr_soft_extract if stage.trains_retention
                                   else None, lambda_=o.lambda_, xla=o.training_xla,
                                   dropout_seed=o.seed, stage=stage.name)
        return resume.restore(model)


def _report_dev(ctx: StageContext, stage: Stage, checkpoint: StageCheckpoint, model
                ) -> StageCheckpoint:
    """Measures the dev set once for the epoch a stage chose on held-out data, and
    records it in the checkpoint's metadata (the weights are not rewritten)."""
    if stage.keep != "last" or checkpoint.epoch != ctx.options.stage_epochs(stage.name):
        load_stage_weights(model, checkpoint.weights_path)  # the kept epoch, not the last
    metrics = ctx.report(model)
    ctx.log("%s: epoch %d chosen on the held-out part (%s); dev %s"
            % (stage.name, checkpoint.epoch, format_metrics(checkpoint.tune_metrics),
               format_metrics(metrics)))
    return checkpoint.save_metadata(dev_metrics=metrics)


def _search_state(model, seq_len: int, lambda_: float) -> Tuple[Dict, str]:
    """Masses of the Soft-Extract layers and the retention configuration they give, as
    StageCheckpoint fields, and their description for the log."""
    masses = [float(layer.mass().numpy()) for layer in soft_extract_layers(model)]
    retention_configuration = retention_configuration_from_masses(masses, seq_len)
    searched = {"masses": masses, "lambda_": lambda_,
                "retention_configuration": tuple(retention_configuration)}
    return searched, "; masses %s; retention configuration %s" % (
        ", ".join("%.2f" % m for m in masses), retention_configuration)


# The drop the search must be able to make for its configuration to matter: a retention
# parameter from 1 to 0.5 (a word whose parameter stays above 0.5 still counts for more
# than half a word vector in its encoder's mass).
USEFUL_DROP = 0.5


def search_reach_report(options, num_examples: int, seq_len: int) -> Tuple[Dict, List[str]]:
    """How far the search can move a retention parameter (``training.search_reach``), for
    results.json (``search_reach``) and the log: one line, and a ``warning:`` line naming
    the flags to raise when the drop is below ``USEFUL_DROP``.

    Args:
      options: the run's options (LR_SOFT_EXTRACT, EPOCH or SEARCH_EPOCHS, BATCH_SIZE).
      num_examples: training examples of a stage.
      seq_len: word vectors per example (N).

    Returns:
      (the results.json entry, the log lines).
    """
    o = options
    epochs = o.stage_epochs("search")
    total, warmup = training.train_steps(num_examples, o.batch_size, epochs)
    drop = training.search_reach(o.lr_soft_extract, total, warmup)
    per_epoch = training.steps_per_epoch(num_examples, o.batch_size)
    record = {"max_drop": round(drop, 6), "steps": total, "steps_per_epoch": per_epoch,
              "lr_soft_extract": o.lr_soft_extract, "epochs": epochs,
              "useful_drop": USEFUL_DROP}
    lines = ["search reach: a retention parameter can drop by at most %.3g over %d steps "
             "(LR_SOFT_EXTRACT %g, %s %d, %d steps an epoch)"
             % (drop, total, o.lr_soft_extract,
                "EPOCH" if o.search_epochs is None else "SEARCH_EPOCHS", epochs, per_epoch)]
    if drop < USEFUL_DROP:
        lines.append("warning: " + _reach_warning(o, num_examples, seq_len, drop))
        record["warning"] = lines[-1][len("warning: "):]
    return record, lines


def _reach_warning(o, num_examples: int, seq_len: int, drop: float) -> str:
    lowest = 1.0 - drop
    factor = USEFUL_DROP / drop  # the drop grows in proportion to LR_SOFT_EXTRACT
    now = o.stage_epochs("search")
    epochs = _epochs_to_reach(o, num_examples)
    return ("the search cannot take any retention parameter below about %.2f, so every "
            "encoder keeps at least about %d of %d word vectors whatever LAMBDA is; to let a "
            "parameter reach %.2f multiply --LR_SOFT_EXTRACT by at least %s (to %s) or give "
            "--SEARCH_EPOCHS %d (the search's epochs, now %d; fine-tuning and re-training "
            "keep --EPOCH)"
            % (math.floor(100 * lowest) / 100, math.floor(lowest * seq_len), seq_len,
               1.0 - USEFUL_DROP, _round_up(factor), _round_up(factor * o.lr_soft_extract),
               epochs, now))


def _epochs_to_reach(o, num_examples: int) -> int:
    """The fewest search epochs (at least the current ones) whose search can drop by
    ``USEFUL_DROP``."""
    now = o.stage_epochs("search")

    def reach(epochs):
        return training.search_reach(o.lr_soft_extract, *training.train_steps(
            num_examples, o.batch_size, epochs))

    # the drop grows about in proportion to the epochs (the warm-up is a fixed fraction)
    epochs = max(now, math.ceil(now * USEFUL_DROP / reach(now)))
    while reach(epochs) < USEFUL_DROP:
        epochs += 1
    while epochs > now and reach(epochs - 1) >= USEFUL_DROP:
        epochs -= 1
    return epochs


def _round_up(x: float) -> str:
    """``x`` rounded up to two significant digits (a factor that is at least enough)."""
    scale = 10.0 ** (math.floor(math.log10(x)) - 1)
    return "%g" % (math.ceil(x / scale - 1e-9) * scale)


def word_vectors(checkpoint: StageCheckpoint) -> int:
    """Word vectors that reach the feed-forward networks per example, at full length."""
    layers = checkpoint.config.num_hidden_layers
    applied = checkpoint.applied_retention or [checkpoint.seq_len] * layers
    return int(word_vectors_processed(checkpoint.seq_len, applied))


def record_entry(stage: Stage, checkpoint: StageCheckpoint, options) -> Dict:
    """The results.json entries (``RunResults`` fields) of a finished stage."""
    entry = StageResult(dev_metrics=checkpoint.dev_metrics, epoch=checkpoint.epoch,
                        checkpoint=checkpoint.weights_path, history=checkpoint.history,
                        tune_metrics=checkpoint.tune_metrics)  # (held out: --TUNE_FRACTION)
    if stage.trains_retention:
        entry = dataclasses.replace(entry, lambda_=options.lambda_,
                                    lr_soft_extract=options.lr_soft_extract,
                                    masses=checkpoint.masses)
        return {stage.record: entry,
                "retention_configuration": list(checkpoint.retention_configuration)}
    return {stage.record: dataclasses.replace(
        entry, word_vectors_per_example=word_vectors(checkpoint))}

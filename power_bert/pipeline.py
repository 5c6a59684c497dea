"""The PoWER-BERT pipeline: training (the stage table of ``stages.py``), evaluation and
prediction, driven by validated options (``options.ValidOptions``, never changed here).

A training run, for the commands built on it (``power-bert sweep``, ``ablation``):
``Pipeline.start()`` reads the run's starting point (the template checkpoint and the
stages given as checkpoints), ``Pipeline.stage_context(...)`` reads the data and gives
the stages' shared context (``stages.StageContext``), then ``stages.prepare`` and
``stages.run_stage`` run a stage; ``Pipeline.train()`` does all of it, in a run folder
it publishes (``outputs.RunFolder``), and ``Pipeline.completed_run()`` finds a run that
already finished.

A training run writes into its own folder ``OUTPUT_DIR/runs/<id>/`` (the stages'
``<stage>.hdf5``/``<stage>.json``, results.json, run.json, test predictions) and, once
complete, publishes it: ``OUTPUT_DIR/latest`` points to it, ``OUTPUT_DIR/results.json``
is its results (baseline and PoWER-BERT metrics, retention configuration, word vectors
processed, how epochs were chosen), and ``OUTPUT_DIR/<stage>.hdf5``/``.json`` link to its
stage files; ``OUTPUT_DIR/log.txt`` is appended to by every run. ``outputs.py`` describes
the layout and the resume rules. Evaluation and prediction add to results.json and
log.txt and write predictions into OUTPUT_DIR.
Each .json beside a weights file is a ``checkpoint.StageCheckpoint``: what rebuilds
that model (BERT config, task, labels, sequence length, mode, retention configuration,
casing, vocabulary size and checksum, epoch, dev metrics).
"""
import dataclasses
import os
import sys
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np

from power_bert import checkpoint as ckpt
from power_bert import distribute, google_ckpt, inference, interrupts, rawtext, trained, training
from power_bert.backend import keras
from power_bert.checkpoint import StageCheckpoint
from power_bert.config import BertConfig
from power_bert.data import DataError, DataParser, DataWarning, check_vocab, locate_split
from power_bert.documents import RESULTS_FILE, RunResults, Selection
from power_bert.errors import CheckpointError, Interrupted, TrainingDiverged, UsageError
from power_bert.metrics import compute_metrics, format_metrics
from power_bert.options import Options, ValidOptions, recorded_flag, result_options
from power_bert.outputs import OutputLock, RunFolder, RunRecord
from power_bert.stages import (STAGES, ResumeState, StageContext, prepare, record_entry,
                               run_stage, search_reach_report, selection_record,
                               word_vectors)
from power_bert.submission import write_glue_predictions, write_predictions
from power_bert.tasks import get_task

__all__ = ["Options", "Pipeline", "RunStart", "run"]


@dataclasses.dataclass(frozen=True)
class RunStart:
    """Where a training run starts (``Pipeline.start``).

    Attributes:
      template: a finetune-mode checkpoint description with the run's BERT config, task,
        labels, sequence length, casing and vocabulary (no weights).
      given: the stages given as checkpoints on the command line
        (--FINETUNED_CHECKPOINT, --SEARCH_CHECKPOINT), by stage name.
    """
    template: StageCheckpoint
    given: Dict[str, StageCheckpoint]


class Pipeline:
    """Runs what validated options ask for, for one task: ``train()``, ``evaluate()`` or
    ``predict()``."""

    def __init__(self, valid: ValidOptions):
        if not isinstance(valid, ValidOptions):
            raise TypeError("Pipeline takes the ValidOptions of options.validate, got %s"
                            % type(valid).__name__)
        self.o, self.task, self.notes = valid.options, valid.task, valid.notes
        self.label_task = get_task(self.task.label_task) if self.task.label_task else self.task
        # (prediction on raw text writes no log: it has no OUTPUT_DIR)
        self.record = RunRecord(self.o.output_dir) if self.o.output_dir else None

    # ----- shared helpers ------------------------------------------------------------
    def _parser(self, seq_len: int, cased: bool) -> DataParser:
        return DataParser(self.o.vocab_path, self.task, self.o.data_dir, seq_len=seq_len,
                          cased=cased, seed=self.o.seed)

    def _predict(self, model, x):
        """Predictions in file order; padded per batch when the model has no fixed length."""
        dynamic = inference.model_seq_len(model) is None
        return inference.predict(model, x, self.o.inference_batch_size, dynamic,
                                 verbose=1 if self.o.verbose == 1 else 0,
                                 xla=self.o.inference_xla,
                                 bucket=inference.padding_bucket(self.o.padding_buckets,
                                                                 self.o.inference_xla))

    def _open(self):
        self.record.open(dataclasses.asdict(self.o))
        for note in self.notes:
            self.record.log(note)

    # ----- training: the stage table ---------------------------------------------------
    def start(self) -> RunStart:
        """The run's starting point: its template checkpoint and the stages given as
        checkpoints (read and checked; no data read, no model built).

        Raises:
          UsageError: a given checkpoint of another task, casing, vocabulary or stage,
            or a sequence length the BERT config cannot hold.
        """
        o = self.o
        given = self._given_stages()
        if given:
            config, seq_len = given["finetune"].config, given["finetune"].seq_len
            vocab_size = check_vocab(o.vocab_path, config.vocab_size, "the model (vocab_size)")
        else:
            config, seq_len = BertConfig.from_json_file(o.bert_config_path), self.task.seq_len
            vocab_size = check_vocab(o.vocab_path, config.vocab_size,
                                     "the BERT config (vocab_size)")
        if seq_len > config.max_position_embeddings:
            raise UsageError("task %s uses %d tokens but the BERT config allows %d positions"
                             % (self.task.name, seq_len, config.max_position_embeddings))
        template = StageCheckpoint(
            config=config, task=self.label_task.name, num_labels=self.label_task.num_labels,
            seq_len=seq_len, mode="finetune", cased=o.cased,
            vocab_size=vocab_size,
            vocab_sha256=ckpt.file_sha256(o.vocab_path),
            vocab_path=os.path.abspath(o.vocab_path),
            word_selection=o.word_selection or "attention", selection_seed=o.seed)
        return RunStart(template, given)

    def _given_stages(self) -> Dict[str, StageCheckpoint]:
        o = self.o
        given = {}
        search_path = o.search_checkpoint
        finetuned_path = o.finetuned_checkpoint
        if search_path and not finetuned_path:
            finetuned_path = ckpt.stage_paths(os.path.dirname(os.path.abspath(search_path)),
                                              "finetune")[0]
            if not os.path.exists(finetuned_path):
                raise UsageError("--SEARCH_CHECKPOINT %s: no finetune.hdf5 beside it for the "
                                 "baseline; give --FINETUNED_CHECKPOINT too" % search_path)
        for stage, path, flag in (("finetune", finetuned_path, "--FINETUNED_CHECKPOINT"),
                                  ("search", search_path, "--SEARCH_CHECKPOINT")):
            if not path:
                continue
            checkpoint = StageCheckpoint.load(path)
            what = "%s %s" % (flag, path)
            if checkpoint.mode != stage:
                raise UsageError("%s is a %s-stage model; give a %s.hdf5"
                                 % (what, checkpoint.mode, stage))
            trained.check_trained(checkpoint, what, self.task, o.vocab_path, o.cased,
                                  allow_search=True)
            given[stage] = checkpoint
        if "search" in given and (given["search"].config, given["search"].seq_len) != (
                given["finetune"].config, given["finetune"].seq_len):
            raise UsageError("--SEARCH_CHECKPOINT %s and the fine-tuned model %s differ in "
                             "BERT configuration or sequence length"
                             % (search_path, finetuned_path))
        return given

    def stage_context(self, template: StageCheckpoint) -> Tuple[StageContext, List[str]]:
        """Reads the data; returns the stages' shared context (logging to the run record,
        no run folder yet: a run sets its own with ``dataclasses.replace``) and the
        warnings met while reading the data."""
        o = self.o
        parser = self._parser(template.seq_len, o.cased)
        tune = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            if o.tune_fraction:
                try:
                    (train_x, train_y), tune, held = parser.get_train_and_tune_data(
                        o.tune_fraction, o.tune_seed, max_examples=o.max_train_examples,
                        unit=o.tune_split)
                except ValueError as e:
                    raise UsageError("--TUNE_FRACTION %g: %s" % (o.tune_fraction, e)) from None
            else:
                train_x, train_y = parser.get_train_data(max_examples=o.max_train_examples)
                held = ()
            dev_x, dev_y = parser.get_dev_data(max_examples=o.max_eval_examples)

        def metrics_on(x, y):
            return lambda model: compute_metrics(self.task, y, self._predict(model, x))

        ctx = StageContext(
            options=o, task=self.task, template=template, train=(train_x, train_y),
            dev=(dev_x, dev_y), evaluate=metrics_on(*(tune or (dev_x, dev_y))),
            log=self.record.log,
            report=metrics_on(dev_x, dev_y) if tune else None,
            selection=selection_record(o.tune_fraction, o.tune_seed, held, len(train_y),
                                       self.task, o.tune_split))
        return ctx, ["warning: %s" % w.message for w in caught
                     if issubclass(w.category, DataWarning)]

    def _check_given_selection(self, ctx: StageContext, given: Dict[str, StageCheckpoint]):
        """With --TUNE_FRACTION, a model given on the command line must not have trained
        on the held-out part: it must have held out the same examples."""
        if not self.o.tune_fraction:
            return
        for stage, checkpoint in given.items():
            recorded = checkpoint.selection or Selection()
            if recorded.tune_indices_sha256 == ctx.selection.tune_indices_sha256:
                continue
            what = "fine-tuned" if stage == "finetune" else "search-stage"
            raise UsageError(
                "the given %s model %s was %s, so it may have trained on the %d examples "
                "--TUNE_FRACTION %g --TUNE_SEED %d --TUNE_SPLIT %s holds out; train it with "
                "the same --TUNE_FRACTION, --TUNE_SEED, --TUNE_SPLIT and --MAX_TRAIN_EXAMPLES"
                % (what, checkpoint.weights_path,
                   recorded.protocol, ctx.selection.tune_examples, self.o.tune_fraction,
                   self.o.tune_seed, self.o.tune_split))

    def _fingerprint(self, given: Dict[str, StageCheckpoint], template: StageCheckpoint
                     ) -> Tuple[Dict, Dict]:
        """What decides the run's result: (options, checksums of the input files)."""
        o = self.o
        options = result_options(o)
        inputs = {"vocab": template.vocab_sha256}
        for split in ("train", "dev", "test"):
            try:
                paths = locate_split(self.task, o.data_dir, split).paths
            except DataError:
                if split != "test":  # (a missing test set: the run writes no predictions)
                    raise
                continue
            inputs[split] = [ckpt.file_sha256(path) for path in paths]
        for stage, checkpoint in given.items():
            inputs[stage] = checkpoint.weights_sha256 or ckpt.file_sha256(checkpoint.weights_path)
        if not given:
            inputs["bert_config"] = ckpt.file_sha256(o.bert_config_path)
            prefix = google_ckpt.checkpoint_prefix(o.checkpoint_path)
            inputs["checkpoint"] = ckpt.file_sha256(prefix + ".index")  # holds each tensor's CRC
        return options, inputs

    def completed_run(self) -> Optional[RunFolder]:
        """A completed training run in OUTPUT_DIR of these same options and input files
        (what ``train`` would compute again), or None. Reads no data set (checksums
        only) and loads no model."""
        start = self.start()
        options, inputs = self._fingerprint(start.given, start.template)
        return RunFolder.find(self.o.output_dir, options, inputs, complete=True)

    def train(self) -> RunResults:
        """The three stages (those not given as checkpoints); under ``--DISTRIBUTE
        multiworker`` every worker trains, only the chief writes OUTPUT_DIR."""
        with distribute.output_dir(self.o.distribute, self.o.output_dir) as folder:
            if folder != self.o.output_dir:
                self.o = dataclasses.replace(self.o, output_dir=folder)
                self.record = RunRecord(folder)
            return self._train()

    def _train(self) -> RunResults:
        start = self.start()
        template, given = start.template, start.given
        ctx, data_warnings = self.stage_context(template)
        self._check_given_selection(ctx, given)
        keras.utils.set_random_seed(self.o.seed)
        kept = dict(given)
        if "finetune" in kept:  # the baseline's metrics, measured as the stages measure
            checkpoint = kept["finetune"]
            model = checkpoint.load_model(self.o.dynamic_padding)
            kept["finetune"] = dataclasses.replace(
                checkpoint, dev_metrics=ctx.dev_metrics(model),
                tune_metrics=ctx.evaluate(model) if ctx.report else checkpoint.tune_metrics)
            del model
        # The first stage's model is built and loaded before anything is written, so a
        # checkpoint that does not fit leaves OUTPUT_DIR as it was.
        todo = [stage for stage in STAGES if stage.name not in kept]
        first = prepare(ctx, todo[0], kept,
                        lambda model: self._load_pretrained(model, template.config))
        options, inputs = self._fingerprint(given, template)
        with OutputLock(self.o.output_dir) as lock:
            unpublished = None if self.o.fresh else RunFolder.find_unpublished(
                self.o.output_dir, options, inputs)
            if unpublished is not None:
                return self._publish(unpublished, lock)
            run, resumed, notes = RunFolder.open(self.o.output_dir, options, inputs,
                                                 self.o.fresh, recorded_flag)
            self.record = RunRecord(self.o.output_dir, os.path.join(run.path, RESULTS_FILE))
            ctx = dataclasses.replace(ctx, log=self.record.log, run_dir=run.path)
            self._open()
            for line in ([lock.note] if lock.note else []) + notes + data_warnings:
                self.record.log(line)
            self.record.log("%s run %s in %s" % ("resuming" if resumed else "training:",
                                                  run.id, run.path))
            if resumed:
                run.remove_leftovers()
            self._log_data(ctx)
            self.record.update(selection=ctx.selection)
            try:
                self._train_stages(ctx, run, kept, todo, first)
            except KeyboardInterrupt:
                message = ("the finished stages and the last completed epoch are saved in %s; "
                           "run the same command again to resume (add --FRESH to start over)"
                           % run.path)
                self.record.log("interrupted (%s): %s" % (interrupts.signal_name(), message))
                raise Interrupted(message) from None
            except TrainingDiverged as e:
                run.mark_failed(str(e))
                self.record.log("run %s failed (it will not be resumed): %s" % (run.id, e))
                raise
            return self._complete(run)

    def _publish(self, run: RunFolder, lock: OutputLock) -> RunResults:
        """Publishes a complete run whose publication was interrupted (nothing is
        trained again)."""
        self.record = RunRecord(self.o.output_dir, os.path.join(run.path, RESULTS_FILE))
        self._open()
        if lock.note:
            self.record.log(lock.note)
        self.record.log("run %s finished training earlier but was not published: publishing "
                        "it (nothing is trained again)" % run.id)
        return self._complete(run)

    def _complete(self, run: RunFolder) -> RunResults:
        """Marks the run complete, publishes it and returns its results."""
        for note in run.complete(self.record.results()):
            self.record.log(note)
        self.record.log("run %s complete: %s (OUTPUT_DIR/latest)" % (run.id, run.path))
        return dataclasses.replace(self.record.results(), run=run.id, run_dir=run.path)

    def _train_stages(self, ctx: StageContext, run: RunFolder, kept: Dict, todo: List,
                      first: Tuple):
        for stage in STAGES:
            if stage not in todo:
                run.link_given(stage.name, kept[stage.name].weights_path)
                self._finish_stage(stage, kept[stage.name], given=True)
        for index, stage in enumerate(todo):
            done = self._finished(run, stage)
            if done is not None:
                ResumeState(run.path, stage.name).clear()  # left when killed just after
                self.record.log("%s: finished earlier in this run (epoch %d), skipped"
                                % (stage.name, done.epoch))
                kept[stage.name] = done
                self._finish_stage(stage, done)
                continue
            if index > 0:
                keras.backend.clear_session()
            checkpoint, model = first if index == 0 else prepare(ctx, stage, kept)
            self.record.log(self._stage_banner(stage, checkpoint, kept.get(stage.starts_from)))
            if stage.trains_retention:
                self._log_search_reach(ctx)
            kept[stage.name] = run_stage(ctx, stage, checkpoint, model)
            run.mark_stage(stage.name, kept[stage.name].weights_sha256, kept[stage.name].epoch)
            ResumeState(run.path, stage.name).clear()
            self._finish_stage(stage, kept[stage.name])
        self._summarise(kept["finetune"], kept["retrain"], ctx.selection)
        keras.backend.clear_session()
        try:  # a missing test file must not lose the trained models
            test_x, guids = self._parser(ctx.template.seq_len, self.o.cased).get_test_data()
        except DataError as e:
            self.record.log("no test predictions: %s" % e)
        else:
            self._write_test_predictions(
                kept["retrain"].load_model(self.o.dynamic_padding, inference=True),
                test_x, guids, run.path)

    @staticmethod
    def _finished(run: RunFolder, stage) -> Optional[StageCheckpoint]:
        """The kept checkpoint of a stage this run finished before it was interrupted."""
        info = run.finished_stages().get(stage.name)
        if not info:
            return None
        checkpoint = StageCheckpoint.load(ckpt.stage_paths(run.path, stage.name)[0])
        if checkpoint.weights_sha256 != info.get("weights_sha256"):
            raise CheckpointError("%s was replaced after its stage finished (checksum differs "
                                  "from %s); run again with --FRESH"
                                  % (checkpoint.weights_path, run.state_path))
        return checkpoint

    def _load_pretrained(self, model, config: BertConfig):
        self.pretrained = google_ckpt.load_google_checkpoint(model, config,
                                                             self.o.checkpoint_path)

    def _log_data(self, ctx: StageContext):
        config, (_, train_y), (_, dev_y) = ctx.template.config, ctx.train, ctx.dev
        self.record.log("task %s: %d training and %d dev examples, %d tokens, %d encoders, "
                        "%d heads, hidden %d" % (self.task.name, len(train_y), len(dev_y),
                                                 ctx.template.seq_len, config.num_hidden_layers,
                                                 config.num_attention_heads, config.hidden_size))
        self.record.log("LR_BERT=%g LR_SOFT_EXTRACT=%g LAMBDA=%g BATCH_SIZE=%d EPOCH=%d"
                        % (self.o.lr_bert, self.o.lr_soft_extract, self.o.lambda_,
                           self.o.batch_size, self.o.epochs))
        selection = ctx.selection
        self.record.log("model selection: %s%s" % (selection.protocol, "" if (
            not selection.held_out) else " (%d examples held out, %d trained on)"
            % (selection.tune_examples, selection.train_examples)))
        if self.o.dynamic_padding:
            self.record.log("dynamic padding: each training and dev batch is cut to its "
                            "longest example (same loss and predictions as fixed padding, "
                            "fewer operations)")

    def _stage_banner(self, stage, checkpoint: StageCheckpoint,
                      start: Optional[StageCheckpoint]) -> str:
        number = "[%d/%d]" % (STAGES.index(stage) + 1, len(STAGES))
        if start is None:
            return "%s %s from %s (%d variables loaded)" % (
                number, stage.name, self.o.checkpoint_path, self.pretrained["variables_loaded"])
        what = "retention configuration %s, " % list(checkpoint.retention_configuration) if (
            stage.retention_from) else ""
        if stage.trains_retention:
            what += "LAMBDA=%g LR_SOFT_EXTRACT=%g, " % (self.o.lambda_, self.o.lr_soft_extract)
        return "%s %s: %sstarting from %s (epoch %s)" % (number, stage.name, what,
                                                          start.weights_path, start.epoch)

    def _log_search_reach(self, ctx: StageContext):
        """Logs and records how far the search can move a retention parameter, with a
        warning when it cannot move one far enough to matter."""
        entry, lines = search_reach_report(self.o, len(ctx.train[1]), ctx.template.seq_len)
        for line in lines:
            self.record.log(line)
        self.record.update(search_reach=entry)

    def _finish_stage(self, stage, kept: StageCheckpoint, given: bool = False):
        """Logs and records a stage's outcome (``given``: a checkpoint from the command
        line stands for the stage)."""
        if given:
            self.record.log("[%d/%d] %s skipped: using %s (dev %s)"
                            % (STAGES.index(stage) + 1, len(STAGES), stage.name,
                               kept.weights_path, format_metrics(kept.dev_metrics)))
        if stage.name == "finetune":
            if not given:
                self.record.log("best fine-tuned model (epoch %d), dev: %s (saved to %s)"
                                % (kept.epoch, format_metrics(kept.dev_metrics),
                                   kept.weights_path))
                self.record.log("to search other LAMBDA values without repeating this stage, "
                                "add --FINETUNED_CHECKPOINT %s" % kept.weights_path)
            self.record.update(task=self.task.name, main_metric=self.task.main_metric,
                               seq_len=kept.seq_len)
        if stage.trains_retention:
            self.record.log("Retention Configuration: %s"
                            % ",".join(map(str, kept.retention_configuration)))
        self.record.update(**record_entry(stage, kept, self.o))

    def _summarise(self, baseline: StageCheckpoint, power: StageCheckpoint,
                   selection: Selection):
        base_vectors, power_vectors = word_vectors(baseline), word_vectors(power)
        self.record.update(word_vector_reduction=round(base_vectors / float(power_vectors), 3))
        main = self.task.main_metric
        log = self.record.log
        log("")
        log("Results on the dev set (%s; %s):" % (self.task.name, selection.protocol))
        log("  fine-tuned BERT : %s  (%d word vectors per example)"
            % (format_metrics(baseline.dev_metrics), base_vectors))
        log("  PoWER-BERT      : %s  (%d word vectors per example, %.2fx fewer)"
            % (format_metrics(power.dev_metrics), power_vectors,
               base_vectors / float(power_vectors)))
        log("  %s change: %+.2f points" % (
            main, 100 * (power.dev_metrics[main] - baseline.dev_metrics[main])))
        log("  Retention Configuration: %s"
            % ",".join(str(v) for v in power.retention_configuration))
        if self.task.labelled_test and not selection.held_out:
            log("  the reported set is test: evaluate each model with power-bert eval "
                "--EVAL_SPLIT test --CHECKPOINT_PATH %s (and %s)"
                % (power.weights_path, baseline.weights_path))

    def _write_test_predictions(self, model, test_x, guids, folder: str) -> str:
        predictions = self._predict(model, test_x)
        if self.o.pred_glue:
            path = write_glue_predictions(self.task, guids, predictions, folder)
        else:
            path = write_predictions(self.task, guids, predictions,
                                     os.path.join(folder, "test_predictions.tsv"))
        self.record.log("test predictions for %d examples written to %s" % (len(guids), path))
        return path

    # ----- evaluation / prediction of a trained model ----------------------------------
    def load_trained(self) -> Tuple[object, trained.TrainedModel]:
        """Opens the model at CHECKPOINT_PATH (``trained``) with --RETENTION_CONFIG and
        --WORD_SELECTION (Rand-WS seeded by --SEED) applied, and builds it; returns
        (Keras model, the TrainedModel)."""
        o = self.o
        overrides = dict(retention_configuration=o.retention_configuration,
                         word_selection=o.word_selection, seed=o.seed)
        if o.model_format == "HDF5":
            model = trained.open_trained(o.checkpoint_path, task=self.task,
                                         vocab_path=o.vocab_path, cased=o.cased, **overrides)
        else:
            model = trained.open_google_checkpoint(o.checkpoint_path, o.bert_config_path,
                                                   self.task, o.vocab_path, o.cased,
                                                   **overrides)
        return model.load(o.dynamic_padding), model

    def evaluate(self) -> dict:
        model, opened = self.load_trained()
        checkpoint = opened.checkpoint
        split = self.o.eval_split
        dev_x, dev_y = self._parser(checkpoint.seq_len, checkpoint.cased).get_labelled_data(
            split, self.o.max_eval_examples)
        self._open()
        metrics = compute_metrics(self.task, dev_y, self._predict(model, dev_x))
        padding_name = "dynamic" if self.o.dynamic_padding else "fixed"
        retention_configuration = checkpoint.applied_retention
        vectors = word_vectors(checkpoint)
        self.record.log("evaluation of %s on %s %s (%d examples, %s padding): %s; retention "
                        "configuration %s (word selection %s); %d word vectors per example"
                        % (self.o.checkpoint_path, self.task.name, split, len(dev_y),
                           padding_name, format_metrics(metrics),
                           retention_configuration or "none (all kept)",
                           checkpoint.word_selection, vectors))
        result = {"checkpoint": self.o.checkpoint_path, "%s_metrics" % split: metrics,
                  "split": split, "retention_configuration": retention_configuration,
                  "word_selection": checkpoint.word_selection, "word_vectors_per_example": vectors,
                  "num_examples": int(len(dev_y)), "padding": padding_name}
        self.record.update(evaluation=result)
        return result

    def predict(self) -> Optional[str]:
        model, opened = self.load_trained()
        checkpoint = opened.checkpoint
        # A missing test file is an error here (nothing is written).
        test_x, guids = self._parser(checkpoint.seq_len, checkpoint.cased).get_test_data()
        self._open()
        self.record.log("prediction with %s (retention configuration %s)"
                        % (self.o.checkpoint_path,
                           checkpoint.applied_retention or "none (all kept)"))
        return self._write_test_predictions(model, test_x, guids, self.o.output_dir)

    def predict_raw(self, texts: Optional[rawtext.Texts] = None) -> np.ndarray:
        """Predicts the texts of --INPUT into --OUTPUT (``rawtext``); returns the
        predictions (probabilities ``[N, C]`` or scores ``[N]``).

        Args:
          texts: --INPUT as ``rawtext.read_texts`` read it (the command reads it before
            TensorFlow loads); None reads it here.
        """
        o = self.o
        if texts is None:
            texts = rawtext.read_texts(o.input_path, o.input_format,
                                       self.task.text_b is not None)
        if o.saved_model:
            backend = rawtext.SavedModelBackend(o.saved_model)
        else:
            model, opened = self.load_trained()
            parser = DataParser(opened.vocab_path, self.task, None,
                                seq_len=opened.seq_len, cased=opened.cased)
            backend = rawtext.CheckpointBackend(model, parser, xla=o.xla)
        from_file = o.input_path != rawtext.STDIO
        progress = rawtext.Progress() if from_file and o.verbose == 1 else None
        predictions = rawtext.predict_texts(backend, texts, o.inference_batch_size, progress)
        rawtext.write_output(o.output_path, rawtext.format_rows(
            self.label_task, texts, predictions, o.output_format))
        if o.output_path and o.output_path != rawtext.STDIO:
            print("%d predictions written to %s" % (len(predictions), o.output_path),
                  file=sys.stderr)
        return predictions


def run(valid: ValidOptions, texts: Optional[rawtext.Texts] = None):
    """Runs what the options ask for: training (three stages), evaluation or prediction
    (of the test set, or of raw text: ``texts``, or --INPUT read here when None)."""
    from power_bert.precision import policy
    pipeline = Pipeline(valid)
    if pipeline.o.distribute == "multiworker":
        # before TensorFlow runs anything: the strategy configures the process's
        # collective operations
        distribute.make_strategy(pipeline.o.distribute)
    # every model of the run is built under the policy, the one for inference when
    # nothing is trained (and, for training, the stages build their models and
    # optimizers in the --DISTRIBUTE strategy's scope)
    with policy(pipeline.o.mixed_precision, inference=pipeline.o.action != "train"):
        if pipeline.o.input_path is not None:
            return pipeline.predict_raw(texts)
        return getattr(pipeline, {"train": "train", "eval": "evaluate",
                                  "predict": "predict"}[pipeline.o.action])()

"""The PoWER-BERT pipeline: fine-tuning, configuration search, re-training,
evaluation and prediction, driven by a typed options object (``main.py`` builds it
from the upper-case flags of the original release).

OUTPUT_DIR receives:
  finetune.hdf5 / finetune.json   best fine-tuned model (by the task's main metric)
  search.hdf5 / search.json       configuration-search model (last epoch)
  retrain.hdf5 / retrain.json     best re-trained PoWER-BERT model
  log.txt                               appended to, never truncated
  results.json                          baseline and PoWER-BERT metrics, retention
                                        configuration, word vectors processed
  glue/<Task>.tsv or test_predictions.tsv   test-set predictions
Each .json beside a weights file holds what rebuilds that model (BERT config, task,
number of labels, sequence length, mode, retention configuration).
"""
import dataclasses
import datetime
import json
import os
import sys
from typing import List, Optional

import numpy as np

from power_bert import checkpoint as ckpt
from power_bert import inference, training
from power_bert.backend import keras
from power_bert.config import BertConfig
from power_bert.data import DataError, DataParser
from power_bert.flops import word_vectors_processed
from power_bert.metrics import compute_metrics, format_metrics, main_metric_value
from power_bert.layers import SoftExtract, soft_extract_layers
from power_bert.model import build_model
from power_bert.retention import (retention_configuration_from_masses,
                                  validate_retention_configuration)
from power_bert.submission import write_glue_predictions, write_predictions
from power_bert.tasks import get_task


class UsageError(ValueError):
    """A flag or file given by the user that cannot be used."""


@dataclasses.dataclass
class Options:
    """Everything a run needs; ``main.py`` maps the upper-case flags onto it."""
    task: str
    output_dir: str
    data_dir: Optional[str] = None
    bert_config_path: Optional[str] = None
    checkpoint_path: Optional[str] = None
    vocab_path: Optional[str] = None
    epochs: int = 3
    batch_size: int = 32
    lr_bert: float = 3e-5
    lr_soft_extract: float = 1e-3
    lam: float = 1e-3
    cased: bool = False
    eval_only: bool = False
    predict_only: bool = False
    retention_config: Optional[List[int]] = None
    model_format: Optional[str] = None  # "HDF5" (this project's models) or "CKPT" (Google)
    pred_glue: bool = False
    seed: int = 42
    max_train_examples: Optional[int] = None
    finetuned_checkpoint: Optional[str] = None
    eval_batch_size: Optional[int] = None
    dynamic_padding: bool = False
    verbose: int = 1

    @property
    def inference_batch_size(self) -> int:
        return self.eval_batch_size or self.batch_size


class RunLog:
    """Appends timestamped lines to OUTPUT_DIR/log.txt and echoes them."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, message: str):
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with open(self.path, "a", encoding="utf-8") as writer:
            for line in str(message).splitlines() or [""]:
                writer.write("[%s] %s\n" % (stamp, line))
        print(message, flush=True)


def _atomic_json(path: str, data: dict):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as writer:
        json.dump(data, writer, indent=2, sort_keys=False)
        writer.write("\n")
    os.replace(tmp, path)


def _require_file(path: Optional[str], flag: str):
    if not path:
        raise UsageError("%s is required" % flag)
    if not os.path.exists(path):
        raise UsageError("%s: file not found: %s" % (flag, path))


def _task(name: str):
    try:
        return get_task(name)
    except ValueError as e:
        raise UsageError("--TASK: %s" % e) from None


def _label_task(task):
    """The task whose labels/model a task uses (ax is predicted by an MNLI model)."""
    name = getattr(task, "label_task", None)
    return get_task(name) if name else task


def word_vectors(seq_len: int, num_layers: int, retention: Optional[List[int]]) -> int:
    """Word vectors that reach the feed-forward networks, summed over encoders."""
    return int(word_vectors_processed(seq_len, retention or [seq_len] * num_layers))


class Pipeline:
    """Runs the stages for one task. Build it with validated options, then call
    ``train()``, ``evaluate()`` or ``predict()``."""

    def __init__(self, options: Options):
        self.o = options
        self.task = _task(options.task)
        self.label_task = _label_task(self.task)
        if options.retention_config is not None and not (options.eval_only or options.predict_only):
            raise UsageError("--RETENTION_CONFIG is used with --EVAL_ONLY or --PREDICT_ONLY; "
                             "training derives it in the configuration search")
        for name in ("epochs", "batch_size"):
            if getattr(options, name) < 1:
                raise UsageError("--%s must be at least 1, got %r"
                                 % ({"epochs": "EPOCH"}.get(name, name.upper()),
                                    getattr(options, name)))
        if options.data_dir is None or not os.path.isdir(options.data_dir):
            raise UsageError("--DATA_DIR: folder not found: %s" % options.data_dir)
        _require_file(options.vocab_path, "--VOCAB_PATH")
        if options.pred_glue and self.task.glue_name is None:
            raise UsageError("--PRED_GLUE: task %s has no GLUE submission file; drop the flag "
                             "to write OUTPUT_DIR/test_predictions.tsv" % self.task.name)
        self.results_path = os.path.join(options.output_dir, "results.json")
        self.log = None

    # ----- shared helpers ------------------------------------------------------------
    def _open_output(self):
        os.makedirs(self.o.output_dir, exist_ok=True)
        self.log = RunLog(os.path.join(self.o.output_dir, "log.txt"))
        self.log("=" * 78)
        self.log("power_bert run: %s" % " ".join(sys.argv))
        self.log("options: %s" % json.dumps(dataclasses.asdict(self.o), sort_keys=True))

    def _results(self) -> dict:
        if os.path.exists(self.results_path):
            try:
                with open(self.results_path, "r", encoding="utf-8") as reader:
                    return json.load(reader)
            except (OSError, json.JSONDecodeError):
                pass
        return {}

    def _update_results(self, **entries):
        results = self._results()
        results.update(entries)
        results["updated"] = datetime.datetime.now().isoformat(timespec="seconds")
        _atomic_json(self.results_path, results)

    def _parser(self, seq_len: int):
        return DataParser(self.o.vocab_path, self.task, self.o.data_dir, max_seq_len=seq_len,
                          cased=self.o.cased, seed=self.o.seed)

    def _build(self, config: BertConfig, seq_len: int, mode: str, retention=None):
        """The model of a stage: for inputs of exactly seq_len tokens, or with
        --DYNAMIC_PADDING for any length up to seq_len (each batch cut to its longest
        example; Extract keeps at most min(l_j, batch length) vectors)."""
        return build_model(config, self.label_task.num_labels,
                           None if self.o.dynamic_padding else seq_len, mode, retention,
                           max_len=seq_len)

    def _predict(self, model, x):
        """Predictions in file order; padded per batch when the model has no fixed length."""
        dynamic = inference.model_seq_len(model) is None
        return inference.predict(model, x, self.o.inference_batch_size, dynamic,
                                 verbose=1 if self.o.verbose == 1 else 0)

    def _evaluate(self, model, x, y) -> dict:
        return compute_metrics(self.task, y, self._predict(model, x))

    def _main(self, metrics: dict) -> float:
        return float(main_metric_value(self.task, metrics))

    def _fmt(self, metrics: dict) -> str:
        return format_metrics(metrics)

    def _meta(self, config: BertConfig, seq_len: int, mode: str, retention, **extra) -> dict:
        meta = {"bert_config": config.to_dict(), "task": self.label_task.name,
                "num_labels": self.label_task.num_labels, "seq_len": seq_len, "mode": mode,
                "retention_configuration": retention, "cased": self.o.cased,
                "vocab_path": os.path.abspath(self.o.vocab_path)}
        meta.update(extra)
        return meta

    # ----- training: the three stages ------------------------------------------------
    def train(self) -> dict:
        o = self.o
        if o.finetuned_checkpoint:
            weights, meta_path = ckpt.resolve_stage_checkpoint(o.finetuned_checkpoint)
            meta = ckpt.read_stage_meta(meta_path)
            config = BertConfig.from_dict(meta["bert_config"], source=meta_path)
            if meta["task"] != self.label_task.name:
                raise UsageError("--FINETUNED_CHECKPOINT %s was trained on task %s, not %s"
                                 % (o.finetuned_checkpoint, meta["task"], self.task.name))
            seq_len = int(meta["seq_len"])
        else:
            _require_file(o.bert_config_path, "--BERT_CONFIG_PATH")
            config = BertConfig.from_json_file(o.bert_config_path)
            if not o.checkpoint_path:
                raise UsageError("--CHECKPOINT_PATH is required for training")
            prefix = ckpt.checkpoint_prefix(o.checkpoint_path)
            seq_len = self.task.max_seq_len
        ckpt.check_vocab_matches(o.vocab_path, config.vocab_size, "the BERT config (vocab_size)")
        if seq_len > config.max_position_embeddings:
            raise UsageError("task %s uses %d tokens but the BERT config allows %d positions"
                             % (self.task.name, seq_len, config.max_position_embeddings))

        parser = self._parser(seq_len)
        train_x, train_y = parser.get_train_data(max_examples=o.max_train_examples)
        dev_x, dev_y = parser.get_dev_data()
        keras.utils.set_random_seed(o.seed)
        # Build and load the first model before anything is written, so a checkpoint that
        # does not fit leaves OUTPUT_DIR as it was.
        model = self._build(config, seq_len, "finetune")
        if o.finetuned_checkpoint:
            ckpt.load_stage_weights(model, weights)
        else:
            # The vocab was checked against the config above; the config against the
            # checkpoint's shapes is checked here.
            info = ckpt.load_google_checkpoint(model, config, prefix)
        self._open_output()
        if os.path.exists(self.results_path):
            previous = os.path.join(o.output_dir, "results.previous.json")
            os.replace(self.results_path, previous)
            self.log("an earlier results.json was moved to %s" % previous)
        self.log("task %s: %d training and %d dev examples, %d tokens, %d encoders, "
                 "%d heads, hidden %d" % (self.task.name, len(train_y), len(dev_y), seq_len,
                                          config.num_hidden_layers, config.num_attention_heads,
                                          config.hidden_size))
        if o.dynamic_padding:
            self.log("dynamic padding: each training and dev batch is cut to its longest "
                     "example (same loss and predictions as fixed padding, fewer operations)")
        total, warmup = training.train_steps(len(train_y), o.batch_size, o.epochs)
        num_layers = config.num_hidden_layers
        baseline_vectors = word_vectors(seq_len, num_layers, None)

        # Stage 1: fine-tuning.
        if o.finetuned_checkpoint:
            self.log("[1/3] fine-tuning skipped: starting from %s" % o.finetuned_checkpoint)
            baseline = self._evaluate(model, dev_x, dev_y)
            finetune_weights = weights
            self.log("fine-tuned model, dev: %s" % self._fmt(baseline))
        else:
            self.log("[1/3] fine-tuning from %s (%d variables loaded)"
                     % (prefix, info["variables_loaded"]))
            training.compile_for_stage(model, self.label_task.num_labels, o.lr_bert, total, warmup)
            baseline = self._train_keep_best(model, "finetune", train_x, train_y, dev_x, dev_y,
                                             self._meta(config, seq_len, "finetune", None))
            finetune_weights = ckpt.stage_paths(o.output_dir, "finetune")[0]
            self.log("best fine-tuned model, dev: %s (saved to %s)"
                     % (self._fmt(baseline), finetune_weights))
            self.log("to search other LAMBDA values without repeating this stage, add "
                     "--FINETUNED_CHECKPOINT %s" % finetune_weights)
        self._update_results(task=self.task.name, main_metric=self.task.main_metric,
                             seq_len=seq_len, baseline={
                                 "dev_metrics": baseline,
                                 "word_vectors_per_example": baseline_vectors,
                                 "checkpoint": finetune_weights})
        keras.backend.clear_session()

        # Stage 2: configuration search.
        self.log("[2/3] configuration search: LAMBDA=%g LR_SOFT_EXTRACT=%g LR_BERT=%g"
                 % (o.lam, o.lr_soft_extract, o.lr_bert))
        model = self._build(config, seq_len, "search")
        ckpt.load_stage_weights(model, finetune_weights, allow_missing=(SoftExtract,))
        training.compile_for_stage(model, self.label_task.num_labels, o.lr_bert, total, warmup,
                                   lr_soft_extract=o.lr_soft_extract, mass_lambda=o.lam)
        search_state = {}

        def after_search_epoch(epoch, logs):
            masses = [float(layer.mass().numpy()) for layer in soft_extract_layers(model)]
            retention = retention_configuration_from_masses(masses, seq_len)
            metrics = self._evaluate(model, dev_x, dev_y)
            self.log("search epoch %d/%d: dev %s; masses %s; retention configuration %s"
                     % (epoch, o.epochs, self._fmt(metrics),
                        ", ".join("%.2f" % m for m in masses), retention))
            ckpt.save_stage(model, o.output_dir, "search", self._meta(
                config, seq_len, "search", retention, epoch=epoch, dev_metrics=metrics,
                masses=masses, lam=o.lam))
            search_state.update(masses=masses, retention=retention, metrics=metrics)

        training.fit(model, train_x, train_y, o.epochs, o.batch_size, o.seed,
                     after_search_epoch, o.verbose, dynamic=o.dynamic_padding)
        retention = search_state["retention"]
        self.log("Retention Configuration: %s" % ",".join(str(v) for v in retention))
        self._update_results(retention_configuration=retention, search={
            "lambda": o.lam, "lr_soft_extract": o.lr_soft_extract,
            "masses": search_state["masses"], "dev_metrics": search_state["metrics"]})
        keras.backend.clear_session()

        # Stage 3: re-training with Extract layers.
        self.log("[3/3] re-training with retention configuration %s" % retention)
        model = self._build(config, seq_len, "retrain", retention)
        ckpt.load_stage_weights(model, ckpt.stage_paths(o.output_dir, "search")[0])
        training.compile_for_stage(model, self.label_task.num_labels, o.lr_bert, total, warmup)
        power = self._train_keep_best(model, "retrain", train_x, train_y, dev_x, dev_y,
                                      self._meta(config, seq_len, "retrain", retention))
        power_vectors = word_vectors(seq_len, num_layers, retention)
        retrain_weights = ckpt.stage_paths(o.output_dir, "retrain")[0]
        summary = {
            "dev_metrics": power, "word_vectors_per_example": power_vectors,
            "checkpoint": retrain_weights}
        self._update_results(power_bert=summary, word_vector_reduction=round(
            baseline_vectors / float(power_vectors), 3))
        main = self.task.main_metric
        self.log("")
        self.log("Results on the dev set (%s):" % self.task.name)
        self.log("  fine-tuned BERT : %s  (%d word vectors per example)"
                 % (self._fmt(baseline), baseline_vectors))
        self.log("  PoWER-BERT      : %s  (%d word vectors per example, %.2fx fewer)"
                 % (self._fmt(power), power_vectors, baseline_vectors / float(power_vectors)))
        self.log("  %s change: %+.2f points" % (main, 100 * (power[main] - baseline[main])))
        self.log("  Retention Configuration: %s" % ",".join(str(v) for v in retention))

        # Test predictions with the best re-trained model.
        keras.backend.clear_session()
        model = self._build(config, seq_len, "retrain", retention)
        ckpt.load_stage_weights(model, retrain_weights)
        self._write_test_predictions(model, parser)
        return self._results()

    def _train_keep_best(self, model, stage, train_x, train_y, dev_x, dev_y, meta) -> dict:
        best = {"value": -np.inf, "metrics": None}

        def after_epoch(epoch, logs):
            metrics = self._evaluate(model, dev_x, dev_y)
            value = self._main(metrics)
            improved = value > best["value"]
            self.log("%s epoch %d/%d: train loss %.4f; dev %s%s"
                     % (stage, epoch, self.o.epochs, logs.get("loss", float("nan")),
                        self._fmt(metrics), "  (best so far, saved)" if improved else ""))
            if improved:
                best.update(value=value, metrics=metrics)
                ckpt.save_stage(model, self.o.output_dir, stage,
                                dict(meta, epoch=epoch, dev_metrics=metrics))

        training.fit(model, train_x, train_y, self.o.epochs, self.o.batch_size, self.o.seed,
                     after_epoch, self.o.verbose, dynamic=self.o.dynamic_padding)
        return best["metrics"]

    def _write_test_predictions(self, model, parser) -> Optional[str]:
        try:
            test_x, guids = parser.get_test_data()
        except DataError as e:  # a missing test file must not lose the trained models
            self.log("no test predictions: %s" % e)
            return None
        predictions = self._predict(model, test_x)
        if self.o.pred_glue:
            path = write_glue_predictions(self.task, guids, predictions, self.o.output_dir)
        else:
            path = write_predictions(self.task, guids, predictions,
                                     os.path.join(self.o.output_dir, "test_predictions.tsv"))
        self.log("test predictions for %d examples written to %s" % (len(guids), path))
        return path

    # ----- evaluation / prediction of a trained model ----------------------------------
    def load_trained(self):
        """Rebuilds the model at CHECKPOINT_PATH; returns (model, seq_len, retention)."""
        o = self.o
        if not o.checkpoint_path:
            raise UsageError("--CHECKPOINT_PATH is required with --EVAL_ONLY/--PREDICT_ONLY")
        fmt = (o.model_format or "").upper()
        if not fmt:
            fmt = "CKPT" if _looks_like_tf_checkpoint(o.checkpoint_path) else "HDF5"
        if fmt not in ("HDF5", "CKPT"):
            raise UsageError("--MODEL_FORMAT must be HDF5 or CKPT, got %r" % o.model_format)
        if fmt == "HDF5":
            weights, meta_path = ckpt.resolve_stage_checkpoint(o.checkpoint_path)
            meta = ckpt.read_stage_meta(meta_path)
            config = BertConfig.from_dict(meta["bert_config"], source=meta_path)
            if meta["task"] != self.label_task.name:
                raise UsageError("model %s was trained on task %s; --TASK %s needs a %s model"
                                 % (o.checkpoint_path, meta["task"], self.task.name,
                                    self.label_task.name))
            seq_len = int(meta["seq_len"])
            saved = meta.get("retention_configuration")
            mode = meta["mode"]
        else:
            _require_file(o.bert_config_path, "--BERT_CONFIG_PATH")
            config = BertConfig.from_json_file(o.bert_config_path)
            seq_len, saved, mode = self.task.max_seq_len, None, "finetune"
        if seq_len > config.max_position_embeddings:
            raise UsageError("task %s uses %d tokens but the BERT config allows %d positions"
                             % (self.task.name, seq_len, config.max_position_embeddings))
        retention = o.retention_config if o.retention_config is not None else saved
        if retention is not None:
            try:
                retention = list(validate_retention_configuration(
                    retention, seq_len, config.num_hidden_layers))
            except ValueError as e:
                raise UsageError("--RETENTION_CONFIG: %s" % e) from None
            mode = "retrain"
        ckpt.check_vocab_matches(o.vocab_path, config.vocab_size, "the model (vocab_size)")
        model = self._build(config, seq_len, mode, retention)
        if fmt == "HDF5":
            ckpt.load_stage_weights(model, weights)
        else:
            ckpt.load_google_checkpoint(model, config, o.checkpoint_path,
                                        load_classifier="required")
        return model, config, seq_len, retention

    def evaluate(self) -> dict:
        model, config, seq_len, retention = self.load_trained()
        parser = self._parser(seq_len)
        dev_x, dev_y = parser.get_dev_data()
        self._open_output()
        metrics = self._evaluate(model, dev_x, dev_y)
        vectors = word_vectors(seq_len, config.num_hidden_layers, retention)
        self.log("evaluation of %s on %s dev (%d examples, %s padding): %s; retention "
                 "configuration %s; %d word vectors per example"
                 % (self.o.checkpoint_path, self.task.name, len(dev_y),
                    "dynamic" if self.o.dynamic_padding else "fixed", self._fmt(metrics),
                    retention or "none (all kept)", vectors))
        result = {"checkpoint": self.o.checkpoint_path, "dev_metrics": metrics,
                  "retention_configuration": retention, "word_vectors_per_example": vectors,
                  "num_examples": int(len(dev_y)),
                  "padding": "dynamic" if self.o.dynamic_padding else "fixed"}
        self._update_results(evaluation=result)
        return result

    def predict(self) -> Optional[str]:
        model, config, seq_len, retention = self.load_trained()
        parser = self._parser(seq_len)
        self._open_output()
        self.log("prediction with %s (retention configuration %s)"
                 % (self.o.checkpoint_path, retention or "none (all kept)"))
        return self._write_test_predictions(model, parser)


def _looks_like_tf_checkpoint(path: str) -> bool:
    return os.path.exists(path + ".index") or path.endswith(".index") or (
        os.path.isdir(path) and any(f.endswith(".index") for f in os.listdir(path)))


def run(options: Options):
    """Runs what the options ask for: training (three stages), evaluation or prediction."""
    pipeline = Pipeline(options)
    if options.eval_only and options.predict_only:
        raise UsageError("give either --EVAL_ONLY or --PREDICT_ONLY, not both")
    if options.eval_only:
        return pipeline.evaluate()
    if options.predict_only:
        return pipeline.predict()
    return pipeline.train()

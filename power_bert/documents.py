"""The JSON documents a run writes besides its stage checkpoints
(``checkpoint.StageCheckpoint``), each a dataclass with ``to_json``/``from_json`` and a
format version, and the reader of typed values they share:

  document          type            written by                 read by
  results.json      RunResults      pipeline (stage by stage,  sweep
                                    outputs.RunRecord)
  benchmark.json    BenchmarkResult power_bert.benchmark       report, sweep, ablation
  power_bert.json   ExportMetadata  export (in the SavedModel  rawtext, options, load_onnx,
                                    or ONNX folder)            peers

and ``Selection`` (how a run chose its epochs), part of stage checkpoints, results.json
and sweep.json.

One name in every document for each quantity: "lambda" (LAMBDA),
"retention_configuration" (l_1..l_L) and "seq_len" (N, the maximum sequence length).
A file of an earlier release's format loads: its ``from_json`` reads the keys it had.
"""
import dataclasses
import json
import os
from typing import ClassVar, Dict, List, Optional, Tuple

from power_bert.errors import ExportError, UsageError


class JsonFields:
    """Reads typed values out of one JSON object.

    ``fields(key, kind, optional=True)`` returns the value (None when it is absent or
    null and ``optional``; an integer is accepted, unchanged, as a float) and raises
    ``error`` naming ``what`` and the key when the value has another type.
    """

    NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             dict: "an object", list: "a list"}

    def __init__(self, document: Dict, what: str, error: type):
        self.document, self.what, self.error = document, what, error

    def __call__(self, key: str, kind: type, optional: bool = True):
        value = self.document.get(key)
        if value is None and optional:
            return None
        kinds = (int, float) if kind is float else kind
        if isinstance(value, kinds) and not (kind in (int, float) and isinstance(value, bool)):
            return value
        raise self.error("%s: %r must be %s, got %r" % (self.what, key, self.NAMES[kind], value))


def _object(document, what: str, error: type) -> Dict:
    if document is None:
        raise error("%s is missing" % what)
    if not isinstance(document, dict):
        raise error("%s must be a JSON object, got %s" % (what, type(document).__name__))
    return document


def _open(document, what: str, readable: Tuple[int, ...], error: type
          ) -> Tuple[JsonFields, int]:
    """The reader of a document's fields and its format_version (absent: 1).

    Raises:
      ``error``: not an object, or a version this release does not read.
    """
    document = _object(document, what, error)
    version = document.get("format_version", 1)
    if version not in readable:
        raise error("%s has format_version %r; this release reads %s"
                    % (what, version, ", ".join(map(str, readable))))
    return JsonFields(document, what, error), version


def _load(path: str):
    """The JSON value in a file. Raises OSError or ValueError."""
    with open(path, encoding="utf-8") as reader:
        return json.load(reader)


def _dump(document: Dict, path: str):
    """Writes ``document`` to ``path`` (``outputs.write_json_atomically``, the one JSON
    writer; imported here because outputs reads results.json through this module)."""
    from power_bert.outputs import write_json_atomically
    write_json_atomically(path, document)


# ----- how a run chose its epochs (in stage checkpoints, results.json, sweep.json) --------
@dataclasses.dataclass(frozen=True)
class Selection:
    """How a run chooses its epochs (and a sweep its LAMBDA): ``stages.selection_record``.

    Attributes:
      protocol: one line for the log and the tables.
      split: the set whose metrics choose: "dev", or "tune", a held-out part of the
        training set (JSON key "set").
      tune_fraction, tune_seed: the part held out and its seed ("tune" only).
      tune_split: "sentences" when whole sentences were held out (``--TUNE_SPLIT``);
        None: any rows.
      tune_examples, train_examples: examples held out and trained on ("tune" only).
      tune_indices_sha256: checksum of the held-out row indices (equal checksums: the
        same examples held out).
    """
    protocol: str = "selected and reported on dev"
    split: str = "dev"
    tune_fraction: Optional[float] = None
    tune_seed: Optional[int] = None
    tune_split: Optional[str] = None
    tune_examples: Optional[int] = None
    train_examples: Optional[int] = None
    tune_indices_sha256: Optional[str] = None

    SPLITS: ClassVar[Tuple[str, ...]] = ("dev", "tune")

    def __post_init__(self):
        if self.split not in self.SPLITS:
            raise UsageError("a selection's set must be one of %s, got %r"
                             % (", ".join(self.SPLITS), self.split))

    @property
    def held_out(self) -> bool:
        return self.split == "tune"

    def to_json(self) -> Dict:
        document = {"protocol": self.protocol, "set": self.split}
        for field in dataclasses.fields(self)[2:]:
            if getattr(self, field.name) is not None:
                document[field.name] = getattr(self, field.name)
        return document

    @classmethod
    def from_json(cls, document, what: str, error: type = UsageError) -> "Selection":
        field = JsonFields(_object(document, what, error), what, error)
        split = field("set", str, False)
        if split not in cls.SPLITS:
            raise error("%s: 'set' must be one of %s, got %r"
                        % (what, ", ".join(cls.SPLITS), split))
        return cls(protocol=field("protocol", str, False), split=split,
                   tune_fraction=field("tune_fraction", float),
                   tune_seed=field("tune_seed", int), tune_split=field("tune_split", str),
                   tune_examples=field("tune_examples", int),
                   train_examples=field("train_examples", int),
                   tune_indices_sha256=field("tune_indices_sha256", str))


# ----- power_bert.json: the metadata of an export -----------------------------------------
# The files of an export folder, named once (export writes them; rawtext, options and
# load_onnx read them).
METADATA_FILE = "power_bert.json"
VOCAB_FILE = "vocab.txt"
ONNX_FILE = "model.onnx"
SAVED_MODEL_FILE = "saved_model.pb"
ASSETS = "assets"
SAVED_MODEL_METADATA = os.path.join(ASSETS, METADATA_FILE)  # in a SavedModel folder
SAVED_MODEL_FORMAT, ONNX_FORMAT = "power-bert SavedModel", "power-bert ONNX"


@dataclasses.dataclass(frozen=True)
class ExportMetadata:
    """``power_bert.json`` of an export: what the exported model computes and where it
    came from (``assets/power_bert.json`` in a SavedModel, beside ``model.onnx`` in an
    ONNX export).

    Attributes:
      format: ``SAVED_MODEL_FORMAT`` or ``ONNX_FORMAT``.
      power_bert_version: the project's version that exported it.
      task: the task (its labels and head).
      labels: the class labels in output order (None: a regression score).
      output: "probabilities" or "score".
      pair: whether an example is a pair of texts.
      seq_len: N, the longest input in tokens (format 1: "max_seq_len").
      cased: whether the tokenizer keeps case.
      mode: the stage checkpoint's mode ("finetune" or "retrain").
      retention_configuration: l_1..l_L applied (None: every word kept).
      bert_config: the BERT sizes (``BertConfig.to_dict``).
      xla: whether the model part is jit-compiled.
      source_checkpoint: the exported stage checkpoint's weights file.
      source_weights_sha256, vocab_sha256: checksums of its weights and vocabulary.
      epoch, dev_metrics: the checkpoint's epoch and dev metrics.
      signatures: each signature (ONNX: the model file) and its inputs.
      onnx_opset: the ONNX opset (ONNX exports only).
      mixed_precision: "bfloat16" or "float16" when the model part was built under that
        Keras policy (written only then; None: float32).
      quantization: "int8" for an ONNX model quantized by ``power-bert export --QUANTIZE``
        (written only then; None: float32).
    """
    format: str
    power_bert_version: str
    task: str
    labels: Optional[List[str]]
    output: str
    pair: bool
    seq_len: int
    cased: bool
    mode: str
    retention_configuration: Optional[List[int]]
    bert_config: Dict
    xla: bool
    source_checkpoint: str
    source_weights_sha256: Optional[str] = None
    vocab_sha256: Optional[str] = None
    epoch: Optional[int] = None
    dev_metrics: Optional[Dict[str, float]] = None
    signatures: Dict[str, List[str]] = dataclasses.field(default_factory=dict)
    onnx_opset: Optional[int] = None
    mixed_precision: Optional[str] = None
    quantization: Optional[str] = None

    FORMAT_VERSION: ClassVar[int] = 2  # 1: the sequence length as "max_seq_len"
    READABLE_VERSIONS: ClassVar[Tuple[int, ...]] = (1, 2)

    def to_json(self) -> Dict:
        document = {"format_version": self.FORMAT_VERSION}
        document.update(dataclasses.asdict(self))
        for key in ("onnx_opset", "mixed_precision", "quantization"):
            if document[key] is None:
                del document[key]
        return document

    @classmethod
    def from_json(cls, document, source: str) -> "ExportMetadata":
        """Reads the metadata of this release or an earlier one.

        Raises:
          ExportError: not an object, another format version, or a value of the wrong
            type, naming ``source`` and the key.
        """
        field, version = _open(document, "export metadata %s" % source,
                               cls.READABLE_VERSIONS, ExportError)
        return cls(
            format=field("format", str, False),
            power_bert_version=field("power_bert_version", str, False),
            task=field("task", str, False), labels=field("labels", list),
            output=field("output", str, False), pair=field("pair", bool, False),
            seq_len=field("seq_len" if version >= 2 else "max_seq_len", int, False),
            cased=field("cased", bool, False), mode=field("mode", str, False),
            retention_configuration=field("retention_configuration", list),
            bert_config=field("bert_config", dict, False), xla=field("xla", bool, False),
            source_checkpoint=field("source_checkpoint", str, False),
            source_weights_sha256=field("source_weights_sha256", str),
            vocab_sha256=field("vocab_sha256", str), epoch=field("epoch", int),
            dev_metrics=field("dev_metrics", dict),
            signatures=field("signatures", dict) or {}, onnx_opset=field("onnx_opset", int),
            mixed_precision=field("mixed_precision", str),
            quantization=field("quantization", str))

    def write(self, folder: str):
        """Writes ``folder/power_bert.json``."""
        _dump(self.to_json(), os.path.join(folder, METADATA_FILE))

    @classmethod
    def read(cls, path: str) -> "ExportMetadata":
        """Reads a ``power_bert.json`` file.

        Raises:
          ExportError: the file cannot be read, is not JSON or not export metadata.
        """
        try:
            document = _load(path)
        except (OSError, ValueError) as e:
            raise ExportError("cannot read the export metadata %s: %s"
                              % (path, getattr(e, "strerror", None) or e)) from None
        return cls.from_json(document, path)


def export_format(path: str) -> Optional[str]:
    """The "format" a ``power_bert.json`` file declares (None: absent, unreadable or
    none): how an earlier export is recognised, whatever its version."""
    try:
        document = _load(path)
    except (OSError, ValueError):
        return None
    return document.get("format") if isinstance(document, dict) else None


# ----- results.json: a training run's results -------------------------------------------
@dataclasses.dataclass(frozen=True)
class StageResult:
    """A finished stage's entry of results.json ("baseline", "search", "power_bert").

    Attributes:
      dev_metrics: dev metrics of the kept epoch.
      epoch: the kept epoch (1-based).
      checkpoint: its weights file.
      history: the selection metrics of every epoch up to the kept one.
      tune_metrics: the kept epoch's metrics on the held-out part of the training set
        (``--TUNE_FRACTION``; None: chosen on dev).
      word_vectors_per_example: word vectors reaching the feed-forward networks per
        example at full length (fine-tuning and re-training).
      lambda_: LAMBDA (the search; JSON key "lambda").
      lr_soft_extract: LR_SOFT_EXTRACT (the search).
      masses: the mass of each Soft-Extract layer (the search).
    """
    dev_metrics: Optional[Dict[str, float]] = None
    epoch: Optional[int] = None
    checkpoint: Optional[str] = None
    history: Optional[List[Dict[str, float]]] = None
    tune_metrics: Optional[Dict[str, float]] = None
    word_vectors_per_example: Optional[int] = None
    lambda_: Optional[float] = None
    lr_soft_extract: Optional[float] = None
    masses: Optional[List[float]] = None

    def to_json(self) -> Dict:
        document = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None or field.name == "history":  # (history: always written)
                document["lambda" if field.name == "lambda_" else field.name] = value
        return document

    @classmethod
    def from_json(cls, document, what: str) -> "StageResult":
        document = _object(document, what, UsageError)
        field = JsonFields(document, what, UsageError)
        return cls(dev_metrics=field("dev_metrics", dict), epoch=field("epoch", int),
                   checkpoint=field("checkpoint", str), history=field("history", list),
                   tune_metrics=field("tune_metrics", dict),
                   word_vectors_per_example=field("word_vectors_per_example", int),
                   lambda_=field("lambda", float), lr_soft_extract=field("lr_soft_extract", float),
                   masses=field("masses", list))

    @property
    def selection_metrics(self) -> Optional[Dict[str, float]]:
        """The metrics that chose the epoch: held-out ones when there are, else dev."""
        return self.tune_metrics or self.dev_metrics


RESULTS_FILE = "results.json"  # OUTPUT_DIR's and each run folder's

# The stage entries of RunResults, by field name (``stages.Stage.record``).
STAGE_RESULTS = ("baseline", "search", "power_bert")


@dataclasses.dataclass(frozen=True)
class RunResults:
    """results.json of a training run (``runs/<id>/results.json``, and OUTPUT_DIR's for
    the latest complete run), filled in as the run goes (``outputs.RunRecord.update``);
    an evaluation adds "evaluation" to OUTPUT_DIR's. Absent entries are None and are not
    written.

    Attributes:
      task, main_metric: the task and the metric that chooses epochs.
      seq_len: N, the maximum sequence length.
      selection: how epochs were chosen (``stages.selection_record``).
      search_reach: how far the search can move a retention parameter
        (``stages.search_reach_report``).
      baseline, search, power_bert: the stages' ``StageResult``s.
      retention_configuration: l_1..l_L the search found.
      word_vector_reduction: word vectors of the baseline / of PoWER-BERT.
      evaluation: the last ``power-bert eval`` into this folder.
      updated: when the file was last written.
      run, run_dir: the run's id and folder (once complete).
      skipped: set by a sweep on a cell it found finished (never written).
    """
    task: Optional[str] = None
    main_metric: Optional[str] = None
    seq_len: Optional[int] = None
    selection: Optional[Selection] = None
    search_reach: Optional[Dict] = None
    baseline: Optional[StageResult] = None
    search: Optional[StageResult] = None
    retention_configuration: Optional[List[int]] = None
    power_bert: Optional[StageResult] = None
    word_vector_reduction: Optional[float] = None
    evaluation: Optional[Dict] = None
    updated: Optional[str] = None
    run: Optional[str] = None
    run_dir: Optional[str] = None
    skipped: Optional[bool] = dataclasses.field(default=None, compare=False)

    FORMAT_VERSION: ClassVar[int] = 2  # 1: the same keys, no format_version
    READABLE_VERSIONS: ClassVar[Tuple[int, ...]] = (1, 2)

    def to_json(self) -> Dict:
        document = {"format_version": self.FORMAT_VERSION}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name != "skipped" and value is not None:
                document[field.name] = value.to_json() if isinstance(
                    value, (StageResult, Selection)) else value
        return document

    @classmethod
    def from_json(cls, document, source: str) -> "RunResults":
        """Reads results.json of this release or an earlier one.

        Raises:
          UsageError: not an object, another format version, or a value of the wrong
            type, naming ``source`` and the key.
        """
        what = "results %s" % source
        field, _ = _open(document, what, cls.READABLE_VERSIONS, UsageError)
        stages = {name: None if field(name, dict) is None else StageResult.from_json(
            field(name, dict), "%s: %r" % (what, name)) for name in STAGE_RESULTS}
        return cls(task=field("task", str), main_metric=field("main_metric", str),
                   seq_len=field("seq_len", int),
                   selection=None if field("selection", dict) is None else Selection.from_json(
                       field("selection", dict), "%s: 'selection'" % what),
                   search_reach=field("search_reach", dict),
                   retention_configuration=field("retention_configuration", list),
                   word_vector_reduction=field("word_vector_reduction", float),
                   evaluation=field("evaluation", dict), updated=field("updated", str),
                   run=field("run", str), run_dir=field("run_dir", str), **stages)

    @classmethod
    def read(cls, path: str) -> "RunResults":
        """Reads a results.json file; an absent or unreadable one reads as empty (a run
        that has recorded nothing yet).

        Raises:
          UsageError: the file is JSON but not results of this or an earlier release.
        """
        try:
            document = _load(path)
        except (OSError, ValueError):
            return cls()
        return cls.from_json(document, path)


# ----- benchmark.json: a benchmark's result -----------------------------------------------
BASELINE, POWER = "baseline", "power_bert"  # the two models every benchmark times
BENCHMARK_DEFINITIONS = {
    "runs": "one entry per padding mode; the top-level fields repeat the first "
            "(fixed when it ran)",
    "all_times": "seconds of each timed pass over the whole dev set",
    "seconds_per_example": "median of all_times / num_examples",
    "speedup": "baseline median / model median, same padding mode",
    "ideal_speedup": "baseline encoder MACs / model encoder MACs (flops.encoder_macs)",
    "word_vectors_per_example": "vectors entering the feed-forward networks, summed "
                                "over encoders; dynamic padding: dev-set average with "
                                "each example at its batch's length T_b, i.e. L*T_b "
                                "for the baseline and sum_j min(l_j, T_b) for "
                                "PoWER-BERT",
    "metric": "task's main dev metric x100 (GLUE leaderboard style)",
}


@dataclasses.dataclass(frozen=True, kw_only=True)  # (fields in the file's order)
class ModelTiming:
    """One model's entry in one padding mode of benchmark.json.

    Attributes:
      label: its name in tables and plots.
      retention_configuration: l_1..l_L it applies (None: every word kept).
      seconds_per_example: median of ``all_times`` / examples.
      seconds_total_median: median of ``all_times``.
      all_times: seconds of each timed pass over the examples.
      word_vectors_per_example, encoder_macs_per_example: its cost (``flops.model_cost``;
        an integer with fixed padding).
      speedup, ideal_speedup, speedup_over_ideal: against the baseline, same padding.
      checkpoint, mode: its stage checkpoint (None: random weights, ``--BERT_CONFIG_PATH``).
      metric_name, metric, metrics: dev metrics x100 (None: timing only).
    """
    label: str
    checkpoint: Optional[str] = None
    mode: Optional[str] = None
    retention_configuration: Optional[List[int]]
    metric_name: Optional[str] = None
    metric: Optional[float] = None
    metrics: Optional[Dict[str, float]] = None
    seconds_per_example: float
    seconds_total_median: float
    all_times: List[float]
    word_vectors_per_example: float
    encoder_macs_per_example: float
    speedup: float
    ideal_speedup: float
    speedup_over_ideal: float

    OPTIONAL: ClassVar[Tuple[str, ...]] = ("checkpoint", "mode", "metric_name", "metric",
                                           "metrics")

    def to_json(self) -> Dict:
        return {key: value for key, value in dataclasses.asdict(self).items()
                if value is not None or key not in self.OPTIONAL}

    @classmethod
    def from_json(cls, document, what: str) -> "ModelTiming":
        document = _object(document, what, UsageError)
        field = JsonFields(document, what, UsageError)
        numbers = {name: field(name, float, False) for name in (
            "seconds_per_example", "seconds_total_median", "word_vectors_per_example",
            "encoder_macs_per_example", "speedup", "ideal_speedup", "speedup_over_ideal")}
        return cls(label=field("label", str, False),
                   retention_configuration=field("retention_configuration", list),
                   all_times=field("all_times", list, False),
                   checkpoint=field("checkpoint", str), mode=field("mode", str),
                   metric_name=field("metric_name", str), metric=field("metric", float),
                   metrics=field("metrics", dict), **numbers)


@dataclasses.dataclass(frozen=True)
class PaddingRun:
    """One padding mode of a benchmark: every model's timing.

    Attributes:
      padding: "fixed" or "dynamic".
      average_batch_length: tokens per example as the batches were cut.
      batch_lengths: T_b of each batch.
      models: each model's ``ModelTiming`` by name: ``BASELINE``, ``POWER`` first, then
        the others (JSON: under "extra").
      sorted_by_length: the batches took the examples sorted by real length (files
        written before it was recorded: False, their batches were in file order).
    """
    padding: str
    average_batch_length: float
    batch_lengths: List[int]
    models: Dict[str, ModelTiming]
    sorted_by_length: bool = False

    def __post_init__(self):
        missing = [name for name in (BASELINE, POWER) if name not in self.models]
        if missing:
            raise UsageError("a benchmark run times %s and %s; %s missing"
                             % (BASELINE, POWER, " and ".join(missing)))
        object.__setattr__(self, "models", dict(  # the baseline first, PoWER-BERT second
            {BASELINE: self.models[BASELINE], POWER: self.models[POWER]}, **self.models))

    @property
    def others(self) -> Dict[str, ModelTiming]:
        """The models besides the baseline and PoWER-BERT (a sweep's cells, an
        ablation's word selections)."""
        return {name: m for name, m in self.models.items() if name not in (BASELINE, POWER)}

    def headline(self) -> Dict:
        """PoWER-BERT's speed-ups in this mode (repeated at the top of benchmark.json)."""
        power = self.models[POWER]
        return {"padding": self.padding, "speedup": power.speedup,
                "ideal_speedup": power.ideal_speedup,
                "speedup_over_ideal": power.speedup_over_ideal}

    def to_json(self) -> Dict:
        headline = self.headline()
        return dict(padding=headline.pop("padding"),
                    average_batch_length=self.average_batch_length,
                    batch_lengths=self.batch_lengths,
                    **({"sorted_by_length": True} if self.sorted_by_length else {}),
                    **headline,
                    **{BASELINE: self.models[BASELINE].to_json(),
                       POWER: self.models[POWER].to_json()},
                    extra={name: m.to_json() for name, m in self.others.items()})

    @classmethod
    def from_json(cls, document, what: str) -> "PaddingRun":
        document = _object(document, what, UsageError)
        field = JsonFields(document, what, UsageError)
        entries = dict({BASELINE: document.get(BASELINE), POWER: document.get(POWER)},
                       **(field("extra", dict) or {}))
        return cls(padding=field("padding", str, False),
                   average_batch_length=field("average_batch_length", float, False),
                   batch_lengths=field("batch_lengths", list) or [],
                   sorted_by_length=bool(field("sorted_by_length", bool)),
                   models={name: ModelTiming.from_json(entry, "%s: %r" % (what, name))
                           for name, entry in entries.items()})


@dataclasses.dataclass(frozen=True)
class BenchmarkResult:
    """benchmark.json: the set-up of a benchmark and its runs, one per padding mode.
    Built here for both kinds of benchmark: trained checkpoints on a dev set, and
    ``--BERT_CONFIG_PATH`` timing (random weights, synthetic inputs: ``timing_only``).

    Attributes:
      task: the task (None: timing only).
      batch_size, num_examples, seq_len, num_runs, warmup, xla: the settings.
      machine: where it ran (``timing.machine_info``).
      retention_configuration: PoWER-BERT's l_1..l_L.
      runs: the ``PaddingRun``s.
      mixed_precision: the policy, when not float32 (written only then).
      timing_only, note, bert_config, bert_config_path, lengths, seed: ``--BERT_CONFIG_PATH``
        timing's shape (written only then).
    """
    task: Optional[str]
    batch_size: int
    num_examples: int
    seq_len: int
    num_runs: int
    warmup: int
    xla: bool
    machine: Dict
    retention_configuration: Optional[List[int]]
    runs: List[PaddingRun]
    mixed_precision: Optional[str] = None
    timing_only: bool = False
    note: Optional[str] = None
    bert_config: Optional[Dict] = None
    bert_config_path: Optional[str] = None
    lengths: Optional[str] = None
    seed: Optional[int] = None

    FORMAT_VERSION: ClassVar[int] = 2  # 1: the same keys, no format_version
    READABLE_VERSIONS: ClassVar[Tuple[int, ...]] = (1, 2)

    def to_json(self) -> Dict:
        """The file's object: the set-up, the first padding mode's entries at the top
        level (as the first release wrote them) and every mode under "runs"."""
        document = {"format_version": self.FORMAT_VERSION}
        if self.timing_only:
            document.update(timing_only=True, note=self.note)
        document.update(task=self.task)
        if self.timing_only:
            document.update(bert_config=self.bert_config, bert_config_path=self.bert_config_path)
        document.update(batch_size=self.batch_size, num_examples=self.num_examples,
                        seq_len=self.seq_len)
        if self.timing_only:
            document.update(lengths=self.lengths, seed=self.seed)
        document.update(num_runs=self.num_runs, warmup=self.warmup, xla=self.xla)
        if self.mixed_precision is not None:
            document["mixed_precision"] = self.mixed_precision
        first = self.runs[0].to_json()
        document.update(machine=self.machine,
                        retention_configuration=self.retention_configuration,
                        **{key: first[key] for key in (
                            "padding", "speedup", "ideal_speedup", "speedup_over_ideal",
                            "average_batch_length", BASELINE, POWER, "extra")})
        document.update(runs=[run.to_json() for run in self.runs],
                        definitions=dict(BENCHMARK_DEFINITIONS))
        return document

    @classmethod
    def from_json(cls, document, source: str) -> "BenchmarkResult":
        """Reads benchmark.json of this release or an earlier one.

        Raises:
          UsageError: not an object, another format version, or a value of the wrong
            type, naming ``source`` and the key.
        """
        what = "benchmark result %s" % source
        field, _ = _open(document, what, cls.READABLE_VERSIONS, UsageError)
        runs = field("runs", list, False)
        if not runs:
            raise UsageError("%s: 'runs' is empty" % what)
        return cls(
            task=field("task", str), batch_size=field("batch_size", int, False),
            num_examples=field("num_examples", int, False), seq_len=field("seq_len", int, False),
            num_runs=field("num_runs", int, False), warmup=field("warmup", int, False),
            xla=field("xla", bool, False), machine=field("machine", dict, False),
            retention_configuration=field("retention_configuration", list),
            runs=[PaddingRun.from_json(run, "%s: runs[%d]" % (what, index))
                  for index, run in enumerate(runs)],
            mixed_precision=field("mixed_precision", str),
            timing_only=bool(field("timing_only", bool)), note=field("note", str),
            bert_config=field("bert_config", dict),
            bert_config_path=field("bert_config_path", str), lengths=field("lengths", str),
            seed=field("seed", int))

    @classmethod
    def read(cls, path: str) -> Optional["BenchmarkResult"]:
        """Reads a benchmark.json file (None: absent or not JSON).

        Raises:
          UsageError: the file is JSON but not a benchmark result.
        """
        try:
            document = _load(path)
        except (OSError, ValueError):
            return None
        return cls.from_json(document, path)

    def write(self, path: str):
        _dump(self.to_json(), path)

    def timings(self, name: str) -> Dict[str, ModelTiming]:
        """A model's timing in every padding mode, by mode."""
        return {run.padding: run.models[name] for run in self.runs}

    @property
    def paddings(self) -> List[str]:
        return [run.padding for run in self.runs]

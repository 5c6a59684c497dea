"""Stage checkpoints: the weights of a trained model (HDF5) and a JSON file beside them
with what rebuilds the model (BERT config, task, labels, sequence length, mode,
retention configuration).

Google-format BERT checkpoints (``bert_model.ckpt``) are read and loaded by
:mod:`power_bert.google_ckpt`.
"""
import dataclasses
import errno
import hashlib
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

from power_bert.config import BertConfig, ConfigError
from power_bert.documents import JsonFields, Selection
from power_bert.errors import CheckpointError, RetentionConfigError, UsageError
from power_bert.outputs import commit_step, read_json, write_json_atomically
from power_bert.retention import WORD_SELECTIONS, validate_retention_configuration


WEIGHTS_SUFFIX = ".hdf5"  # not ".weights.h5": tf-keras reads that name as the Keras 3 format
META_SUFFIX = ".json"
# 1: the first release's .json (no format_version, vocab_size, vocab_sha256); 2: the
# stage's record (history, selection, masses, LAMBDA as "lam", a copy of the retention
# configuration) as loose keys that could override a field; 3: only the fields below
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, FORMAT_VERSION)
MODES = ("finetune", "search", "retrain")


def stage_paths(output_dir: str, stage: str) -> Tuple[str, str]:
    """(weights, metadata) paths of a stage checkpoint in ``output_dir``."""
    base = os.path.join(output_dir, stage)
    return base + WEIGHTS_SUFFIX, base + META_SUFFIX


def resolve_stage_checkpoint(path: str) -> Tuple[str, str]:
    """Finds (weights .hdf5, metadata .json) from either file or their common prefix.

    Raises:
      CheckpointError: either file is missing or is a folder.
    """
    base = path
    for suffix in (WEIGHTS_SUFFIX, META_SUFFIX, ".h5"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    weights, meta = base + WEIGHTS_SUFFIX, base + META_SUFFIX
    if path.endswith((".h5", ".hdf5")) and not path.endswith(WEIGHTS_SUFFIX):
        weights = path
    for file, what in ((weights, "model weights"), (meta, "model metadata")):
        if os.path.isdir(file):
            raise CheckpointError("%s %s is a folder, expected a file" % (what, file))
    if not os.path.exists(weights):
        raise CheckpointError("model weights not found: %s" % weights)
    if not os.path.exists(meta):
        raise CheckpointError(
            "model metadata not found: %s (saved beside the weights by this project; it holds "
            "the BERT config, task and retention configuration)" % meta)
    return weights, meta


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class StageCheckpoint:
    """What rebuilds the model of a stage: the one type every stage, ``--EVAL_ONLY``,
    ``--PREDICT_ONLY``, ``--FINETUNED_CHECKPOINT`` and the benchmark go through.

    Saved as ``<stage>.hdf5`` (weights by layer name) + ``<stage>.json`` (these fields).

    Attributes:
      config: the BERT sizes.
      task: the task the model was trained on (its labels and head).
      num_labels: output units (1: regression).
      seq_len: N, the maximum sequence length (and size of Soft-Extract's r_j).
      mode: "finetune", "search" or "retrain" (``model.build_model``'s modes).
      retention_configuration: l_1..l_L for "retrain" (also recorded, not applied, for "search").
      cased: whether the tokenizer keeps case.
      vocab_size: entries of the vocabulary it was trained with (None: not recorded).
      vocab_sha256: checksum of that vocabulary file (None: not recorded).
      vocab_path: where that vocabulary was (informative).
      epoch: the epoch the weights come from (1-based).
      dev_metrics: dev metrics of these weights.
      history: the selection metrics of every epoch of the stage up to this one.
      selection: how the stage chose its epoch (``stages.selection_record``).
      tune_metrics: this epoch's metrics on the held-out part of the training set, when
        the epoch was chosen on it (``--TUNE_FRACTION``).
      masses: the search stage's mass of each Soft-Extract layer (its retention
        configuration is ``retention_configuration``).
      lambda_: the LAMBDA the search stage trained with (JSON key "lambda").
      word_selection: which words the Extract layers keep (``retention.WORD_SELECTIONS``;
        absent from older metadata: "attention").
      selection_seed: the seed of "random" word selection.
      weights_sha256: checksum of the weights file, written with it and checked when
        it is loaded (None: not recorded, as by the first release).
      weights_path: the weights file this was loaded from (not saved).
    """
    config: BertConfig
    task: str
    num_labels: int
    seq_len: int
    mode: str
    retention_configuration: Optional[Tuple[int, ...]] = None
    cased: bool = False
    vocab_size: Optional[int] = None
    vocab_sha256: Optional[str] = None
    vocab_path: Optional[str] = None
    epoch: Optional[int] = None
    dev_metrics: Optional[Dict[str, float]] = None
    history: Optional[List[Dict[str, float]]] = None
    selection: Optional[Selection] = None
    tune_metrics: Optional[Dict[str, float]] = None
    masses: Optional[List[float]] = None
    lambda_: Optional[float] = None
    word_selection: str = "attention"
    selection_seed: int = 0
    weights_sha256: Optional[str] = dataclasses.field(default=None, compare=False)
    weights_path: Optional[str] = dataclasses.field(default=None, compare=False)

    def __post_init__(self):
        if self.mode not in MODES:
            raise CheckpointError("mode must be one of %s, got %r" % (", ".join(MODES), self.mode))
        if self.word_selection not in WORD_SELECTIONS:
            raise CheckpointError("word_selection must be one of %s, got %r"
                                  % (", ".join(WORD_SELECTIONS), self.word_selection))
        if self.retention_configuration is not None:
            object.__setattr__(self, "retention_configuration", tuple(
                validate_retention_configuration(self.retention_configuration, self.seq_len,
                                                 self.config.num_hidden_layers)))
        elif self.mode == "retrain":
            raise CheckpointError("a retrain-mode model needs a retention configuration")

    # ----- the model ---------------------------------------------------------------
    @property
    def applied_retention(self) -> Optional[List[int]]:
        """The l_j the model applies: ``retention_configuration`` in mode "retrain", None
        otherwise (a search model records the one it found but drops nothing)."""
        return list(self.retention_configuration) if self.mode == "retrain" else None

    def with_retention(self, retention_configuration: Sequence[int]) -> "StageCheckpoint":
        """The same weights with hard elimination at ``retention_configuration`` (mode
        "retrain")."""
        return dataclasses.replace(self, mode="retrain",
                                   retention_configuration=tuple(retention_configuration))

    def build(self, dynamic: bool = False, name: str = "PoWER-BERT", inference: bool = False):
        """The model (weights as initialised): inputs of exactly ``seq_len`` tokens, or
        with ``dynamic`` of any length up to it (each batch cut to its longest example);
        ``inference``: a model that only predicts (``model.build_model``)."""
        from power_bert.model import build_model
        return build_model(self.config, self.num_labels, None if dynamic else self.seq_len,
                           self.mode, self.applied_retention, max_len=self.seq_len, name=name,
                           word_selection=self.word_selection,
                           selection_seed=self.selection_seed, inference=inference)

    def load_model(self, dynamic: bool = False, name: str = "PoWER-BERT",
                   inference: bool = False):
        """``build`` with this checkpoint's weights loaded."""
        if self.weights_path is None:
            raise CheckpointError("this checkpoint was not loaded from a file")
        model = self.build(dynamic=dynamic, name=name, inference=inference)
        load_stage_weights(model, self.weights_path)
        return model

    def check_vocab(self, vocab_path: str, sha256: Optional[str] = None):
        """Raises CheckpointError when ``vocab_path`` is not the vocabulary the model was
        trained with (checksum, when recorded)."""
        if self.vocab_sha256 is None:
            return
        found = sha256 or file_sha256(vocab_path)
        if found != self.vocab_sha256:
            raise CheckpointError(
                "vocab %s is not the vocabulary the model %s was trained with (%s): "
                "SHA-256 %s, expected %s" % (vocab_path, self.weights_path or "", self.vocab_path,
                                            found[:12], self.vocab_sha256[:12]))

    # ----- files -------------------------------------------------------------------
    def to_json(self) -> Dict:
        """The metadata file's object (format ``FORMAT_VERSION``): these fields only."""
        return {"format_version": FORMAT_VERSION, "bert_config": self.config.to_dict(),
                "task": self.task, "num_labels": self.num_labels, "seq_len": self.seq_len,
                "mode": self.mode,
                "retention_configuration": None if self.retention_configuration is None else list(
                    self.retention_configuration),
                "cased": self.cased, "vocab_size": self.vocab_size,
                "vocab_sha256": self.vocab_sha256, "vocab_path": self.vocab_path,
                "epoch": self.epoch, "dev_metrics": self.dev_metrics,
                "word_selection": self.word_selection, "selection_seed": self.selection_seed,
                "weights_sha256": self.weights_sha256,
                "history": self.history,
                "selection": None if self.selection is None else self.selection.to_json(),
                "tune_metrics": self.tune_metrics, "masses": self.masses, "lambda": self.lambda_}

    @classmethod
    def from_json(cls, meta, source: str, weights_path: Optional[str] = None
                  ) -> "StageCheckpoint":
        """Reads the metadata of this release or an earlier one (1: no format_version;
        2: LAMBDA as "lam"). Keys that are not fields are ignored.

        Raises:
          CheckpointError: a key is missing or has a value of the wrong type, naming
            ``source`` and the key.
        """
        if not isinstance(meta, dict):
            raise CheckpointError("model metadata %s must be a JSON object" % source)
        version = meta.get("format_version", 1)
        if version not in READABLE_VERSIONS:
            raise CheckpointError("model metadata %s has format_version %r; this release reads "
                                  "%s" % (source, version,
                                          ", ".join(map(str, READABLE_VERSIONS))))
        for key in ("bert_config", "task", "num_labels", "seq_len", "mode"):
            if key not in meta:
                raise CheckpointError("model metadata %s lacks %r" % (source, key))
        field = JsonFields(meta, "model metadata %s" % source, CheckpointError)
        try:
            config = BertConfig.from_dict(meta["bert_config"], source=source)
        except ConfigError as e:
            raise CheckpointError("model metadata %s: bert_config: %s" % (source, e)) from None
        retention = meta.get("retention_configuration")
        if retention is not None and not isinstance(retention, list):
            raise CheckpointError("model metadata %s: 'retention_configuration' must be a list "
                                  "of integers, got %r" % (source, retention))
        try:
            return cls(config=config, task=field("task", str, False),
                       num_labels=field("num_labels", int, False),
                       seq_len=field("seq_len", int, False), mode=field("mode", str, False),
                       retention_configuration=None if retention is None else tuple(retention),
                       cased=bool(field("cased", bool)), vocab_size=field("vocab_size", int),
                       vocab_sha256=field("vocab_sha256", str),
                       vocab_path=field("vocab_path", str), epoch=field("epoch", int),
                       dev_metrics=field("dev_metrics", dict),
                       weights_sha256=field("weights_sha256", str),
                       word_selection=field("word_selection", str) or "attention",
                       selection_seed=field("selection_seed", int) or 0,
                       history=field("history", list),
                       selection=None if field("selection", dict) is None else (
                           Selection.from_json(meta["selection"], "'selection'",
                                               CheckpointError)),
                       tune_metrics=field("tune_metrics", dict),
                       masses=field("masses", list),
                       lambda_=field("lambda" if version >= 3 else "lam", float),
                       weights_path=weights_path)
        except (RetentionConfigError, CheckpointError) as e:
            raise CheckpointError("model metadata %s: %s" % (source, e)) from None

    @classmethod
    def load(cls, path: str) -> "StageCheckpoint":
        """Reads ``<stage>.json`` beside ``<stage>.hdf5`` (either path, or their prefix).

        Raises:
          CheckpointError: a file is missing, unreadable or not valid metadata.
        """
        weights, meta_path = resolve_stage_checkpoint(path)
        try:
            with open(meta_path, "r", encoding="utf-8") as reader:
                meta = json.load(reader)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError("model metadata %s cannot be read as JSON: %s"
                                  % (meta_path, e)) from None
        checkpoint = cls.from_json(meta, meta_path, weights_path=weights)
        checkpoint.verify_weights()
        return checkpoint

    def verify_weights(self):
        """Raises CheckpointError when the weights file is not the one the metadata was
        written with (a recorded checksum that differs)."""
        if self.weights_sha256 is None or self.weights_path is None:
            return
        found = file_sha256(self.weights_path)
        if found != self.weights_sha256:
            raise CheckpointError(
                "model weights %s are damaged or were replaced: SHA-256 %s, but its metadata "
                "records %s" % (self.weights_path, found[:12], self.weights_sha256[:12]))

    def save(self, model, output_dir: str, stage: str) -> "StageCheckpoint":
        """Saves the model's weights and this metadata (with the weights' checksum) as
        ``output_dir/<stage>.*``: ``write_pending`` then ``commit_pending``. Returns the
        saved checkpoint.

        Raises:
          CheckpointError: the files cannot be written (full disk, no permission).
        """
        saved = self.write_pending(model, output_dir, stage)
        commit_pending(output_dir, stage, saved.weights_sha256)
        return saved

    def write_pending(self, model, output_dir: str, stage: str) -> "StageCheckpoint":
        """Writes the model's weights and this metadata (with the weights' checksum) as
        ``output_dir/<stage>.pending.*``, flushed to disk, to be renamed onto
        ``<stage>.*`` by ``commit_pending`` once the caller has recorded the checksum
        (nothing is left behind when writing fails). Returns the checkpoint as it will be
        once committed.

        Raises:
          CheckpointError: the files cannot be written (full disk, no permission).
        """
        weights_path, _ = stage_paths(output_dir, stage)
        pending_weights, pending_meta = pending_paths(output_dir, stage)
        try:
            os.makedirs(output_dir, exist_ok=True)
            _check_free_space(model, output_dir)
            model.save_weights(pending_weights)
            _fsync(pending_weights)
            saved = dataclasses.replace(self, weights_sha256=file_sha256(pending_weights),
                                        weights_path=weights_path)
            write_json_atomically(pending_meta, saved.to_json())
        except BaseException as e:
            for tmp in (pending_weights, pending_meta):
                if os.path.exists(tmp):
                    os.remove(tmp)
            if isinstance(e, OSError):
                raise CheckpointError("cannot write the %s checkpoint %s: %s"
                                      % (stage, weights_path, e.strerror or e)) from None
            if isinstance(e, UsageError):  # (the metadata: write_json_atomically's error)
                raise CheckpointError(str(e)) from None
            raise
        return saved

    def save_metadata(self, **changes) -> "StageCheckpoint":
        """Rewrites the metadata of a saved checkpoint with ``changes`` (its weights and
        their checksum stay); returns the new checkpoint.

        Raises:
          CheckpointError: not loaded from or saved to a file, or the file cannot be
            written.
        """
        if self.weights_path is None:
            raise CheckpointError("this checkpoint was not saved to a file")
        saved = dataclasses.replace(self, **changes)
        meta_path = os.path.splitext(self.weights_path)[0] + META_SUFFIX
        try:
            write_json_atomically(meta_path, saved.to_json())
        except UsageError as e:
            raise CheckpointError(str(e)) from None
        return saved


def pending_paths(output_dir: str, stage: str) -> Tuple[str, str]:
    """(weights, metadata) paths of a stage checkpoint written but not yet committed."""
    base = os.path.join(output_dir, stage + ".pending")
    return base + WEIGHTS_SUFFIX, base + META_SUFFIX


def commit_pending(output_dir: str, stage: str, weights_sha256: Optional[str],
                   verify: bool = False):
    """Renames the pending files of ``stage`` (``write_pending``) onto ``<stage>.*`` when
    they belong to the weights with checksum ``weights_sha256`` (the kept epoch the
    caller recorded), and removes pending files of any other weights (written by a
    process killed before it recorded them). ``verify``: check the pending weights'
    checksum (after a restart); otherwise they are the ones just written. Renaming the
    weights first and the metadata second is safe to interrupt: the next call finishes it.

    Raises:
      CheckpointError: a file cannot be renamed or removed.
    """
    weights, meta = stage_paths(output_dir, stage)
    pending_weights, pending_meta = pending_paths(output_dir, stage)
    try:
        if os.path.exists(pending_weights):
            if weights_sha256 and (not verify or file_sha256(pending_weights) == weights_sha256):
                commit_step(weights)
                os.replace(pending_weights, weights)
            else:
                os.remove(pending_weights)
        if os.path.exists(pending_meta):
            recorded = read_json(pending_meta) or {}
            if weights_sha256 and recorded.get("weights_sha256") == weights_sha256:
                commit_step(meta)
                os.replace(pending_meta, meta)
            else:
                os.remove(pending_meta)
    except OSError as e:
        raise CheckpointError("cannot commit the %s checkpoint %s: %s"
                              % (stage, weights, e.strerror or e)) from None


def _fsync(path: str):
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _check_free_space(model, folder: str):
    """Refuses to start writing weights that cannot fit: HDF5 crashes the process (a
    segmentation fault in h5py) when the disk fills up in the middle of a file.

    Raises:
      OSError: ENOSPC, with the space needed and free.
    """
    import shutil
    needed = sum(int(w.shape.num_elements() or 0) * w.dtype.size for w in model.weights)
    needed = int(needed * 1.1) + 4096 * len(model.weights) + (1 << 20)  # + HDF5 metadata
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise OSError(errno.ENOSPC, "%s (%.1f MB free, about %.1f MB needed)"
                      % (os.strerror(errno.ENOSPC), free / 1e6, needed / 1e6))


def load_stage_weights(model, weights_path: str, allow_missing=()) -> List[str]:
    """Loads stage weights by layer name and checks that every weighted layer of the
    model was found in the file, except those whose class is in ``allow_missing``
    (e.g. Soft-Extract layers, new in the search stage).

    Returns:
      Names of layers left as initialised.

    Raises:
      CheckpointError: the file cannot be read, a layer with weights is absent from
        it or a shape differs.
    """
    import h5py
    try:
        with h5py.File(weights_path, "r") as f:
            names = [n.decode("utf8") if isinstance(n, bytes) else n
                     for n in f.attrs["layer_names"]]
            in_file = {n for n in names if len(f[n].attrs.get("weight_names", [])) > 0}
    except (OSError, KeyError) as e:
        raise CheckpointError("weights file %s cannot be read as Keras HDF5 weights: %s"
                              % (weights_path, e)) from None
    skipped, missing = [], []
    for layer in model.layers:
        if not layer.weights or layer.name in in_file:
            continue
        if isinstance(layer, tuple(allow_missing)):
            skipped.append(layer.name)
        else:
            missing.append(layer.name)
    if missing:
        raise CheckpointError("weights file %s lacks layer(s) %s" % (weights_path, ", ".join(missing)))
    try:
        model.load_weights(weights_path, by_name=True)
    except (ValueError, OSError) as e:
        raise CheckpointError("weights file %s does not fit the model: %s" % (weights_path, e)) from None
    return skipped

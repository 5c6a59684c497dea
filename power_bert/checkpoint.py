"""Loading Google-format BERT checkpoints, and saving/restoring stage checkpoints.

Google checkpoint -> Keras layer mapping (layer names as in keras-bert):

  bert/embeddings/word_embeddings                  Embedding-Token
  bert/embeddings/token_type_embeddings            Embedding-Segment
  bert/embeddings/position_embeddings              Embedding-Position
  bert/embeddings/LayerNorm/{gamma,beta}           Embedding-Norm
  bert/encoder/layer_{i}/attention/self/...        Encoder-{i+1}-MultiHeadSelfAttention
  bert/encoder/layer_{i}/attention/output/dense    (same layer: Wo, bo)
  bert/encoder/layer_{i}/attention/output/LayerNorm Encoder-{i+1}-MultiHeadSelfAttention-Norm
  bert/encoder/layer_{i}/intermediate/dense        Encoder-{i+1}-FeedForward (W1, b1)
  bert/encoder/layer_{i}/output/dense              Encoder-{i+1}-FeedForward (W2, b2)
  bert/encoder/layer_{i}/output/LayerNorm          Encoder-{i+1}-FeedForward-Norm
  bert/pooler/dense/{kernel,bias}                  Pooler-Dense
  output_weights, output_bias (run_classifier.py)  Output (only when present)

Every mapped variable must exist with the expected shape: a missing or misshapen
variable is an error naming it, never a silent skip.

TensorFlow is imported where it is used, so finding and reading stage checkpoints'
metadata stays light (the benchmark checks its flags without loading it).
"""
import dataclasses
import hashlib
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.config import BertConfig, ConfigError
from power_bert.errors import CheckpointError, RetentionConfigError
from power_bert.retention import validate_retention_configuration


def google_layer_mapping(config: BertConfig) -> List[Tuple[str, List[str]]]:
    """(Keras layer name, [Google variable names in the layer's weight order])."""
    mapping = [
        ("Embedding-Token", ["bert/embeddings/word_embeddings"]),
        ("Embedding-Segment", ["bert/embeddings/token_type_embeddings"]),
        ("Embedding-Position", ["bert/embeddings/position_embeddings"]),
        ("Embedding-Norm", ["bert/embeddings/LayerNorm/gamma", "bert/embeddings/LayerNorm/beta"]),
    ]
    for i in range(config.num_hidden_layers):
        g = "bert/encoder/layer_%d/" % i
        k = "Encoder-%d-" % (i + 1)
        mapping += [
            (k + "MultiHeadSelfAttention", [
                g + "attention/self/query/kernel", g + "attention/self/query/bias",
                g + "attention/self/key/kernel", g + "attention/self/key/bias",
                g + "attention/self/value/kernel", g + "attention/self/value/bias",
                g + "attention/output/dense/kernel", g + "attention/output/dense/bias"]),
            (k + "MultiHeadSelfAttention-Norm", [
                g + "attention/output/LayerNorm/gamma", g + "attention/output/LayerNorm/beta"]),
            (k + "FeedForward", [
                g + "intermediate/dense/kernel", g + "intermediate/dense/bias",
                g + "output/dense/kernel", g + "output/dense/bias"]),
            (k + "FeedForward-Norm", [g + "output/LayerNorm/gamma", g + "output/LayerNorm/beta"]),
        ]
    mapping.append(("Pooler-Dense", ["bert/pooler/dense/kernel", "bert/pooler/dense/bias"]))
    return mapping


def checkpoint_prefix(path: str) -> str:
    """Accepts ``.../bert_model.ckpt`` or ``.../bert_model.ckpt.index`` (or a folder with
    exactly one checkpoint) and returns the prefix TensorFlow expects.

    Raises:
      CheckpointError: no checkpoint is found there.
    """
    if path.endswith(".index"):
        path = path[: -len(".index")]
    if os.path.isdir(path):
        from power_bert.backend import tf
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            candidates = [f[:-6] for f in os.listdir(path) if f.endswith(".index")]
            if len(candidates) == 1:
                latest = os.path.join(path, candidates[0])
        if latest is None:
            raise CheckpointError("no TensorFlow checkpoint (*.index) found in folder %s" % path)
        path = latest
    if not os.path.exists(path + ".index"):
        raise CheckpointError(
            "checkpoint not found: %s.index does not exist (give the prefix, e.g. "
            ".../bert_model.ckpt)" % path)
    return path


def _reader(prefix: str):
    from power_bert.backend import tf
    try:
        return tf.train.load_checkpoint(prefix)
    except Exception as e:  # TF raises several error types for unreadable files
        raise CheckpointError("cannot read checkpoint %s: %s" % (prefix, e)) from None


def load_google_checkpoint(model, config: BertConfig, path: str, vocab_path: Optional[str] = None,
                           load_classifier: str = "if_present") -> Dict[str, object]:
    """Loads a Google-format BERT checkpoint into a model from ``build_model``.

    Args:
      model: the Keras model.
      config: its BERT configuration.
      path: checkpoint prefix (``bert_model.ckpt``), its ``.index`` file, or its folder.
      vocab_path: when given, the vocabulary must have exactly as many entries as the
        checkpoint's word-piece embedding table.
      load_classifier: "if_present" loads run_classifier.py's ``output_weights`` /
        ``output_bias`` into the ``Output`` layer when the checkpoint has them;
        "required" fails when they are absent; "never" leaves the head as initialised.

    Returns:
      {"prefix": str, "variables_loaded": int, "classifier_loaded": bool}.

    Raises:
      CheckpointError: a variable is missing or has the wrong shape (named), the vocab
        does not match, or the checkpoint cannot be read.
    """
    prefix = checkpoint_prefix(path)
    reader = _reader(prefix)
    shapes = reader.get_variable_to_shape_map()
    assignments = []
    problems = []
    for layer_name, names in google_layer_mapping(config):
        layer = model.get_layer(layer_name)
        weights = layer.weights
        if len(weights) != len(names):
            raise CheckpointError("layer %s has %d weights, mapping expects %d"
                                  % (layer_name, len(weights), len(names)))
        for weight, name in zip(weights, names):
            expected = tuple(weight.shape)
            if name not in shapes:
                problems.append("missing variable %s (needed by layer %s, shape %s)"
                                % (name, layer_name, expected))
                continue
            found = tuple(shapes[name])
            if found != expected:
                problems.append("variable %s has shape %s, layer %s expects %s"
                                % (name, found, layer_name, expected))
                continue
            assignments.append((weight, name, None))
    classifier_loaded = False
    if load_classifier != "never":
        if "output_weights" in shapes and "output_bias" in shapes:
            layer = model.get_layer("Output")
            kernel, bias = layer.weights
            want_kernel = tuple(kernel.shape)[::-1]  # run_classifier stores [C, H]
            if tuple(shapes["output_weights"]) != want_kernel:
                problems.append("variable output_weights has shape %s, the task's classifier "
                                "expects %s (labels x hidden)"
                                % (tuple(shapes["output_weights"]), want_kernel))
            else:
                assignments.append((kernel, "output_weights", "transpose"))
                assignments.append((bias, "output_bias", None))
                classifier_loaded = True
        elif load_classifier == "required":
            problems.append("missing variables output_weights/output_bias: this checkpoint has "
                            "no classifier head, so it is not a fine-tuned model")
    if problems:
        raise CheckpointError("checkpoint %s does not fit the model (%d problem%s):\n  %s"
                              % (prefix, len(problems), "s" if len(problems) > 1 else "",
                                 "\n  ".join(problems)))
    if vocab_path is not None:
        check_vocab_matches(vocab_path, tuple(shapes["bert/embeddings/word_embeddings"])[0],
                            prefix)
    for weight, name, how in assignments:
        value = reader.get_tensor(name)
        if how == "transpose":
            value = value.T
        weight.assign(value.astype(np.float32))
    return {"prefix": prefix, "variables_loaded": len(assignments),
            "classifier_loaded": classifier_loaded}


def count_vocab(vocab_path: str) -> int:
    """Number of entries (non-empty lines) of a BERT vocab.txt."""
    try:
        with open(vocab_path, "r", encoding="utf-8") as reader:
            return sum(1 for line in reader if line.strip())
    except FileNotFoundError:
        raise CheckpointError("vocab file not found: %s" % vocab_path) from None
    except UnicodeDecodeError as e:
        raise CheckpointError("vocab file %s is not UTF-8: %s" % (vocab_path, e)) from None


def check_vocab_matches(vocab_path: str, rows: int, what: str):
    """Raises CheckpointError unless vocab.txt has ``rows`` entries."""
    entries = count_vocab(vocab_path)
    if entries != rows:
        raise CheckpointError(
            "vocab %s has %d entries but %s has %d word embeddings: the vocabulary does not "
            "belong to this checkpoint" % (vocab_path, entries, what, rows))


# --- stage checkpoints: weights (HDF5) + a JSON file with what rebuilds the model -------

WEIGHTS_SUFFIX = ".hdf5"  # not ".weights.h5": tf-keras reads that name as the Keras 3 format
META_SUFFIX = ".json"
FORMAT_VERSION = 2  # 1: the first release's .json (no format_version, vocab_size, vocab_sha256)
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
      retention: l_1..l_L for "retrain" (also recorded, not applied, for "search").
      cased: whether the tokenizer keeps case.
      vocab_size: entries of the vocabulary it was trained with (None: not recorded).
      vocab_sha256: checksum of that vocabulary file (None: not recorded).
      vocab_path: where that vocabulary was (informative).
      epoch: the epoch the weights come from (1-based).
      dev_metrics: dev metrics of these weights.
      extra: anything else recorded (the search's masses and lambda).
      weights_path: the weights file this was loaded from (not saved).
    """
    config: BertConfig
    task: str
    num_labels: int
    seq_len: int
    mode: str
    retention: Optional[Tuple[int, ...]] = None
    cased: bool = False
    vocab_size: Optional[int] = None
    vocab_sha256: Optional[str] = None
    vocab_path: Optional[str] = None
    epoch: Optional[int] = None
    dev_metrics: Optional[Dict[str, float]] = None
    extra: Dict = dataclasses.field(default_factory=dict)
    weights_path: Optional[str] = dataclasses.field(default=None, compare=False)

    def __post_init__(self):
        if self.mode not in MODES:
            raise CheckpointError("mode must be one of %s, got %r" % (", ".join(MODES), self.mode))
        if self.retention is not None:
            object.__setattr__(self, "retention", tuple(validate_retention_configuration(
                self.retention, self.seq_len, self.config.num_hidden_layers)))
        elif self.mode == "retrain":
            raise CheckpointError("a retrain-mode model needs a retention configuration")

    # ----- the model ---------------------------------------------------------------
    @property
    def applied_retention(self) -> Optional[List[int]]:
        """The l_j the model applies (None when it drops nothing)."""
        return list(self.retention) if self.mode == "retrain" else None

    def with_retention(self, retention: Sequence[int]) -> "StageCheckpoint":
        """The same weights with hard elimination at ``retention`` (mode "retrain")."""
        return dataclasses.replace(self, mode="retrain", retention=tuple(retention))

    def build(self, dynamic: bool = False, name: str = "PoWER-BERT"):
        """The model (weights as initialised): inputs of exactly ``seq_len`` tokens, or
        with ``dynamic`` of any length up to it (each batch cut to its longest example)."""
        from power_bert.model import build_model
        return build_model(self.config, self.num_labels, None if dynamic else self.seq_len,
                           self.mode, self.applied_retention, max_len=self.seq_len, name=name)

    def load_model(self, dynamic: bool = False, name: str = "PoWER-BERT"):
        """``build`` with this checkpoint's weights loaded."""
        if self.weights_path is None:
            raise CheckpointError("this checkpoint was not loaded from a file")
        model = self.build(dynamic=dynamic, name=name)
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
        meta = {"format_version": FORMAT_VERSION, "bert_config": self.config.to_dict(),
                "task": self.task, "num_labels": self.num_labels, "seq_len": self.seq_len,
                "mode": self.mode,
                "retention_configuration": None if self.retention is None else list(
                    self.retention),
                "cased": self.cased, "vocab_size": self.vocab_size,
                "vocab_sha256": self.vocab_sha256, "vocab_path": self.vocab_path,
                "epoch": self.epoch, "dev_metrics": self.dev_metrics}
        meta.update(self.extra)
        return meta

    @classmethod
    def from_json(cls, meta, source: str, weights_path: Optional[str] = None
                  ) -> "StageCheckpoint":
        """Reads the metadata of this release or the first one (no format_version).

        Raises:
          CheckpointError: a key is missing or has a value of the wrong type, naming
            ``source`` and the key.
        """
        if not isinstance(meta, dict):
            raise CheckpointError("model metadata %s must be a JSON object" % source)
        version = meta.get("format_version", 1)
        if version not in (1, FORMAT_VERSION):
            raise CheckpointError("model metadata %s has format_version %r; this release reads "
                                  "1 and %d" % (source, version, FORMAT_VERSION))
        for key in ("bert_config", "task", "num_labels", "seq_len", "mode"):
            if key not in meta:
                raise CheckpointError("model metadata %s lacks %r" % (source, key))

        def field(key, kind, optional=True):
            value = meta.get(key)
            if value is None and optional:
                return None
            ok = (isinstance(value, kind) and not (kind is int and isinstance(value, bool)))
            if not ok:
                raise CheckpointError("model metadata %s: %r must be %s, got %r"
                                      % (source, key, _KIND_NAMES[kind], value))
            return value

        try:
            config = BertConfig.from_dict(meta["bert_config"], source=source)
        except ConfigError as e:
            raise CheckpointError("model metadata %s: bert_config: %s" % (source, e)) from None
        known = {"format_version", "bert_config", "task", "num_labels", "seq_len", "mode",
                 "retention_configuration", "cased", "vocab_size", "vocab_sha256",
                 "vocab_path", "epoch", "dev_metrics"}
        retention = meta.get("retention_configuration")
        if retention is not None and not isinstance(retention, list):
            raise CheckpointError("model metadata %s: 'retention_configuration' must be a list "
                                  "of integers, got %r" % (source, retention))
        try:
            return cls(config=config, task=field("task", str, False),
                       num_labels=field("num_labels", int, False),
                       seq_len=field("seq_len", int, False), mode=field("mode", str, False),
                       retention=None if retention is None else tuple(retention),
                       cased=bool(field("cased", bool)), vocab_size=field("vocab_size", int),
                       vocab_sha256=field("vocab_sha256", str),
                       vocab_path=field("vocab_path", str), epoch=field("epoch", int),
                       dev_metrics=field("dev_metrics", dict),
                       extra={k: v for k, v in meta.items() if k not in known},
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
        return cls.from_json(meta, meta_path, weights_path=weights)

    def save(self, model, output_dir: str, stage: str) -> "StageCheckpoint":
        """Saves the model's weights and this metadata as ``output_dir/<stage>.*``,
        atomically (temporary files, then rename). Returns the saved checkpoint."""
        os.makedirs(output_dir, exist_ok=True)
        weights_path, meta_path = stage_paths(output_dir, stage)
        tmp_weights = weights_path + ".tmp.hdf5"
        tmp_meta = meta_path + ".tmp"
        try:
            model.save_weights(tmp_weights)
            with open(tmp_meta, "w", encoding="utf-8") as writer:
                json.dump(self.to_json(), writer, indent=2)
                writer.write("\n")
            os.replace(tmp_weights, weights_path)
            os.replace(tmp_meta, meta_path)
        finally:
            for tmp in (tmp_weights, tmp_meta):
                if os.path.exists(tmp):
                    os.remove(tmp)
        return dataclasses.replace(self, weights_path=weights_path)


_KIND_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "an object"}


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

"""Google BERT checkpoint format: the one table of its variables, reading, writing, loading.

Google's pre-trained BERT releases (``uncased_L-12_H-768_A-12`` and friends) are a
folder with ``bert_config.json``, ``vocab.txt`` and a TF1 name-based checkpoint
``bert_model.ckpt.{index,data-00000-of-00001}``.

Everything this package knows about that checkpoint's variables is one table,
:func:`variable_table`: for a :class:`~power_bert.config.BertConfig`, one
:class:`BertVariable` row per variable with the Keras layer that holds it (keras-bert's
layer names) and its index in ``layer.weights``, the Google name, the shape, and the
Hugging Face name. The table, in Google's order (L = num_hidden_layers, i = 0..L-1):

  Google variable                                  Keras layer (weights in this order)
  bert/embeddings/word_embeddings                  Embedding-Token
  bert/embeddings/token_type_embeddings            Embedding-Segment
  bert/embeddings/position_embeddings              Embedding-Position
  bert/embeddings/LayerNorm/{gamma,beta}           Embedding-Norm
  bert/encoder/layer_i/attention/self/{query,key,value}/{kernel,bias}
                                                   Encoder-{i+1}-MultiHeadSelfAttention
  bert/encoder/layer_i/attention/output/dense      (same layer: Wo, bo)
  bert/encoder/layer_i/attention/output/LayerNorm  Encoder-{i+1}-MultiHeadSelfAttention-Norm
  bert/encoder/layer_i/intermediate/dense          Encoder-{i+1}-FeedForward (W1, b1)
  bert/encoder/layer_i/output/dense                Encoder-{i+1}-FeedForward (W2, b2)
  bert/encoder/layer_i/output/LayerNorm            Encoder-{i+1}-FeedForward-Norm
  bert/pooler/dense/{kernel,bias}                  Pooler-Dense
  output_weights, output_bias (run_classifier.py)  Output (kernel transposed; optional)

Hugging Face names are the Google names without the ``bert/`` root, with "." for "/",
``encoder.layer.i`` for ``encoder/layer_i`` and ``.weight`` for kernels, embedding
tables and LayerNorm gamma, ``.bias`` for biases and LayerNorm beta (older checkpoints:
``.gamma``/``.beta``, aliases in the table). Hugging Face stores Linear weights as
[out, in], the transpose of Google's kernels.

Derived from the table: :func:`google_variable_shapes`, :func:`check_variables`,
:func:`random_bert_variables`, :func:`load_google_checkpoint` (into a model of
:func:`power_bert.model.build_model`) and the converter's Hugging Face name mapping
(:mod:`power_bert.convert`). Checkpoint files are read at one place, :class:`_Checkpoint`,
which turns every TensorFlow failure into a :class:`~power_bert.errors.CheckpointError`
naming the file.

TensorFlow is imported lazily (through :mod:`power_bert.backend`) only by the functions
that touch checkpoint files.
"""
from __future__ import annotations

import dataclasses
import os
from collections import OrderedDict
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from power_bert.config import BertConfig
from power_bert.errors import CheckpointError

__all__ = [
    "BertVariable",
    "variable_table",
    "as_bert_config",
    "google_variable_shapes",
    "check_variables",
    "random_bert_variables",
    "write_checkpoint",
    "read_checkpoint",
    "list_checkpoint",
    "checkpoint_prefix",
    "load_google_checkpoint",
    "WORD_EMBEDDING_LAYER",
    "POOLER_LAYER",
    "CLASSIFIER_LAYER",
    "LOAD_CLASSIFIER",
]

#: Keras layer of the word-piece embedding table [V, H].
WORD_EMBEDDING_LAYER = "Embedding-Token"
#: Keras layer of the pooler (tanh dense on [CLS]), initialised from bert/pooler/dense.
POOLER_LAYER = "Pooler-Dense"
#: Keras layer of the task's classifier; run_classifier.py checkpoints hold it.
CLASSIFIER_LAYER = "Output"
#: What ``load_google_checkpoint`` does with a classifier head in the checkpoint.
LOAD_CLASSIFIER = ("if_present", "required", "never")

ConfigLike = Union[BertConfig, Mapping]


@dataclasses.dataclass(frozen=True)
class BertVariable:
    """One variable of a Google BERT checkpoint and its names elsewhere.

    Attributes:
      layer: the Keras layer that holds it (keras-bert's layer names).
      index: its position in that layer's ``layer.weights``.
      google: the Google checkpoint name.
      shape: its shape in the Google checkpoint.
      hf: Hugging Face names without the ``bert.`` prefix, the current name first,
        then older aliases; empty when Hugging Face has no counterpart.
      hf_transposed: the Hugging Face tensor is the transpose (a torch Linear weight,
        [out, in], of a Google kernel [in, out]).
      keras_transposed: the Keras weight is the transpose of the Google variable
        (run_classifier's output_weights [C, H] against the Output kernel [H, C]).
      optional: may be absent from a checkpoint (the classifier head).
    """
    layer: str
    index: int
    google: str
    shape: Tuple[int, ...]
    hf: Tuple[str, ...] = ()
    hf_transposed: bool = False
    keras_transposed: bool = False
    optional: bool = False


def as_bert_config(config: ConfigLike) -> BertConfig:
    """A BertConfig as is; a dictionary with Google's keys through ``BertConfig.from_dict``.

    Raises:
      ConfigError: the dictionary is incomplete or invalid.
    """
    return config if isinstance(config, BertConfig) else BertConfig.from_dict(config)


def variable_table(config: ConfigLike, include_pooler: bool = True,
                   num_labels: Optional[int] = None) -> List[BertVariable]:
    """THE table of a Google BERT checkpoint: one row per variable, in Google's order.

    Args:
      config: the BERT config (or a dictionary with its keys); the number of layers
        and every size are taken from it.
      include_pooler: list ``bert/pooler/dense/{kernel,bias}`` (layer ``Pooler-Dense``).
      num_labels: when given, also list run_classifier.py's ``output_weights`` [C, H]
        and ``output_bias`` [C] (layer ``Output``; optional, kernel transposed).

    Returns:
      Rows: embeddings, encoders 0..L-1, the pooler, the classifier. Within a Keras
      layer, rows are in the order of ``layer.weights``.

    Raises:
      ConfigError: the config is incomplete or invalid.

    Long by nature: it is the table itself, one statement per Keras layer with its
    Google and Hugging Face names side by side, so that a name is checked by reading
    one place.
    """
    config = as_bert_config(config)
    h, inner = config.hidden_size, config.intermediate_size
    rows: List[BertVariable] = []

    def layer(name: str, *weights: Tuple[str, Tuple[int, ...], Tuple[str, ...], bool]):
        for index, (google, shape, hf, hf_transposed) in enumerate(weights):
            rows.append(BertVariable(name, index, google, shape, hf, hf_transposed))

    def table(google: str, hf: str, size: int):
        return [(google, (size, h), (hf + ".weight",), False)]

    def dense(google: str, hf: str, size_in: int, size_out: int):
        return [(google + "/kernel", (size_in, size_out), (hf + ".weight",), True),
                (google + "/bias", (size_out,), (hf + ".bias",), False)]

    def norm(google: str, hf: str):
        return [(google + "/gamma", (h,), (hf + ".weight", hf + ".gamma"), False),
                (google + "/beta", (h,), (hf + ".bias", hf + ".beta"), False)]

    layer(WORD_EMBEDDING_LAYER, *table("bert/embeddings/word_embeddings",
                                    "embeddings.word_embeddings", config.vocab_size))
    layer("Embedding-Segment", *table("bert/embeddings/token_type_embeddings",
                                      "embeddings.token_type_embeddings",
                                      config.type_vocab_size))
    layer("Embedding-Position", *table("bert/embeddings/position_embeddings",
                                       "embeddings.position_embeddings",
                                       config.max_position_embeddings))
    layer("Embedding-Norm", *norm("bert/embeddings/LayerNorm", "embeddings.LayerNorm"))
    for i in range(config.num_hidden_layers):
        g, f = "bert/encoder/layer_%d/" % i, "encoder.layer.%d." % i
        k = "Encoder-%d-" % (i + 1)
        layer(k + "MultiHeadSelfAttention",
              *dense(g + "attention/self/query", f + "attention.self.query", h, h),
              *dense(g + "attention/self/key", f + "attention.self.key", h, h),
              *dense(g + "attention/self/value", f + "attention.self.value", h, h),
              *dense(g + "attention/output/dense", f + "attention.output.dense", h, h))
        layer(k + "MultiHeadSelfAttention-Norm",
              *norm(g + "attention/output/LayerNorm", f + "attention.output.LayerNorm"))
        layer(k + "FeedForward",
              *dense(g + "intermediate/dense", f + "intermediate.dense", h, inner),
              *dense(g + "output/dense", f + "output.dense", inner, h))
        layer(k + "FeedForward-Norm", *norm(g + "output/LayerNorm", f + "output.LayerNorm"))
    if include_pooler:
        layer(POOLER_LAYER, *dense("bert/pooler/dense", "pooler.dense", h, h))
    if num_labels is not None:
        rows.append(BertVariable(CLASSIFIER_LAYER, 0, "output_weights", (int(num_labels), h),
                                 keras_transposed=True, optional=True))
        rows.append(BertVariable(CLASSIFIER_LAYER, 1, "output_bias", (int(num_labels),),
                                 optional=True))
    return rows


def google_variable_shapes(config: ConfigLike,
                           include_pooler: bool = True) -> "OrderedDict[str, Tuple[int, ...]]":
    """Every variable of a Google-format BERT checkpoint with its shape.

    Only the BERT body is listed (embeddings, encoders, optionally the pooler): no
    ``cls/*`` pre-training heads, no optimizer slots, no ``global_step``.

    Args:
      config: the BERT config (or a dictionary with its keys).
      include_pooler: also list ``bert/pooler/dense/{kernel,bias}``.

    Returns:
      Ordered dict name -> shape tuple, in :func:`variable_table` order.

    Raises:
      ConfigError: the config is incomplete or invalid.
    """
    return OrderedDict((row.google, row.shape)
                       for row in variable_table(config, include_pooler=include_pooler))


def check_variables(variables: Mapping[str, np.ndarray], config: ConfigLike,
                    include_pooler: bool = True, allow_extra: bool = True) -> None:
    """Checks a Google name -> array dict against the shapes the config implies.

    Args:
      variables: Google-named arrays.
      config: the config they should match.
      include_pooler: require the pooler variables too.
      allow_extra: tolerate names that are not BERT-body variables (``cls/*``,
        ``global_step``, ...).

    Raises:
      CheckpointError: listing every missing variable, wrong shape and (unless
        ``allow_extra``) unexpected name.
    """
    expected = google_variable_shapes(config, include_pooler=include_pooler)
    problems = []
    for name, shape in expected.items():
        if name not in variables:
            problems.append("missing %s %s" % (name, list(shape)))
        elif tuple(np.shape(variables[name])) != shape:
            problems.append("%s has shape %s, expected %s"
                            % (name, list(np.shape(variables[name])), list(shape)))
    if not allow_extra:
        problems += ["unexpected variable %s" % n for n in variables if n not in expected]
    if problems:
        raise CheckpointError("BERT variables do not match the config (%d problem%s):\n  %s"
                              % (len(problems), "s" if len(problems) > 1 else "",
                                 "\n  ".join(problems)))


def random_bert_variables(config: ConfigLike, seed: int,
                          include_pooler: bool = True) -> "OrderedDict[str, np.ndarray]":
    """Random but non-trivial BERT weights for tests, in Google names (float32).

    Kernels and embedding tables ~ normal(0, initializer_range); biases ~ normal(0, 0.1);
    LayerNorm gamma ~ 1 + normal(0, 0.1) and beta ~ normal(0, 0.1), so swapping any two
    same-shaped variables changes the outputs.

    Args:
      config: the config fixing names and shapes (or a dictionary with its keys;
        ``initializer_range`` defaults to 0.02).
      seed: seed of a ``numpy.random.default_rng``; same seed, same weights.
      include_pooler: also create ``bert/pooler/dense/{kernel,bias}``.

    Returns:
      Ordered dict name -> float32 array, in :func:`variable_table` order.
    """
    config = as_bert_config(config)
    rng = np.random.default_rng(seed)
    out: "OrderedDict[str, np.ndarray]" = OrderedDict()
    for row in variable_table(config, include_pooler=include_pooler):
        if row.google.endswith("/gamma"):
            value = 1.0 + 0.1 * rng.standard_normal(row.shape)
        elif row.google.endswith(("/beta", "/bias")):
            value = 0.1 * rng.standard_normal(row.shape)
        else:  # kernels and embedding tables
            value = config.initializer_range * rng.standard_normal(row.shape)
        out[row.google] = value.astype(np.float32)
    return out


# --- checkpoint files ------------------------------------------------------------------

def _as_checkpoint_array(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return np.ascontiguousarray(arr, dtype=np.float32)
    if arr.dtype.kind in "iu":
        return np.ascontiguousarray(arr)
    raise TypeError("variable %r has dtype %s; only float (stored as float32) and integer "
                    "arrays can be written" % (name, arr.dtype))


def write_checkpoint(variables: Mapping[str, np.ndarray], prefix: str) -> List[str]:
    """Writes a TF1-style name-based checkpoint, like Google's ``bert_model.ckpt``.

    The result is ``prefix.index`` and ``prefix.data-00000-of-00001`` (TensorFlow's
    tensor-bundle format, written with the ``SaveV2`` op), readable with
    ``tf.train.load_variable(prefix, name)`` / ``tf.train.list_variables(prefix)`` and by
    any TF1 ``Saver``/``init_from_checkpoint`` under exactly these names. No
    ``checkpoint`` state file and no ``.meta`` graph are written (loaders address the
    checkpoint by its prefix).

    Args:
      variables: name -> array. Floating arrays are stored as float32, integer arrays
        keep their dtype.
      prefix: checkpoint path prefix, e.g. ``out/bert_model.ckpt``; the parent folder is
        created if needed. Existing files with this prefix are replaced.

    Returns:
      The list of files written.

    Raises:
      ValueError: no variables, or a name that is empty/not a string.
      TypeError: an array that is neither float nor integer.
    """
    if not variables:
        raise ValueError("write_checkpoint(%r): no variables to write" % (prefix,))
    names = list(variables.keys())
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError("checkpoint variable names must be non-empty strings, got %r"
                             % (name,))
    arrays = [_as_checkpoint_array(n, variables[n]) for n in names]
    prefix = os.fspath(prefix)
    parent = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(parent, exist_ok=True)

    from power_bert.backend import tf  # lazy: keep this module importable without TF cost

    def _save_op():
        return tf.raw_ops.SaveV2(prefix=tf.constant(prefix), tensor_names=tf.constant(names),
                                 shape_and_slices=tf.constant([""] * len(names)),
                                 tensors=[tf.constant(a) for a in arrays])

    if tf.executing_eagerly():
        with tf.device("/cpu:0"):
            _save_op()
    else:  # called from TF1 graph mode: run the op in a private graph
        graph = tf.Graph()
        with graph.as_default(), tf.device("/cpu:0"):
            op = _save_op()
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(op)
    written = [prefix + ".index", prefix + ".data-00000-of-00001"]
    for path in written:
        if not os.path.exists(path):
            raise RuntimeError("SaveV2 did not produce %s" % path)
    return written


def checkpoint_prefix(path: str) -> str:
    """The prefix TensorFlow expects, from ``.../bert_model.ckpt``, its ``.index`` file,
    or a folder holding one checkpoint (or several and a ``checkpoint`` state file).

    Raises:
      CheckpointError: no checkpoint is found there (the path is named).
    """
    path = os.fspath(path)
    if path.endswith(".index"):
        path = path[: -len(".index")]
    if os.path.isdir(path):
        folder = path
        candidates = sorted(f[: -len(".index")] for f in os.listdir(folder)
                            if f.endswith(".index"))
        if not candidates:
            raise CheckpointError("no TensorFlow checkpoint (*.index) found in folder %s"
                                  % folder)
        if len(candidates) == 1:
            path = os.path.join(folder, candidates[0])
        else:
            from power_bert.backend import tf
            latest = tf.train.latest_checkpoint(folder)  # None for a missing/garbled state
            if latest is None:
                raise CheckpointError(
                    "folder %s holds %d checkpoints (%s) and no usable 'checkpoint' state "
                    "file naming one: give the prefix, e.g. %s"
                    % (folder, len(candidates), ", ".join(candidates),
                       os.path.join(folder, candidates[-1])))
            path = latest
    if os.path.isdir(path + ".index"):
        raise CheckpointError("checkpoint index %s.index is a folder, not a file" % path)
    if not os.path.exists(path + ".index"):
        raise CheckpointError(
            "checkpoint not found: %s.index does not exist (give the prefix, e.g. "
            ".../bert_model.ckpt)" % path)
    return path


def _data_files(prefix: str) -> List[str]:
    """The ``prefix.data-NNNNN-of-MMMMM`` shards, all of which must exist."""
    folder, base = os.path.split(os.path.abspath(prefix))
    marker = base + ".data-"
    found = sorted(f for f in os.listdir(folder) if f.startswith(marker))
    if not found:
        raise CheckpointError(
            "checkpoint %s has an index but no data file (%s.data-00000-of-00001 or other "
            "shards): the checkpoint is incomplete" % (prefix, prefix))
    total = found[0][len(marker):].rpartition("-of-")[2]
    if not (total.isascii() and total.isdigit()) or int(total) < 1:
        raise CheckpointError("checkpoint %s: unexpected data file name %s"
                              % (prefix, os.path.join(folder, found[0])))
    wanted = ["%s%05d-of-%s" % (marker, i, total) for i in range(int(total))]
    missing = [os.path.join(folder, f) for f in wanted if f not in found]
    if missing:
        raise CheckpointError("checkpoint %s is incomplete: data file%s %s not found"
                              % (prefix, "s" if len(missing) > 1 else "", ", ".join(missing)))
    return [os.path.join(folder, f) for f in wanted]


def _read_errors() -> tuple:
    """What TensorFlow's checkpoint reader raises for unreadable files: OpError
    subclasses (DataLossError, NotFoundError, ...), IndexError (a truncated data
    file), ValueError, OSError, RuntimeError."""
    from power_bert.backend import tf
    return (tf.errors.OpError, IndexError, ValueError, OSError, RuntimeError)


class _Checkpoint:
    """THE reader of Google-format checkpoints: names and shapes when opened, arrays on
    request. Every failure of TensorFlow's reader, when opening or when reading a
    tensor, becomes a CheckpointError naming the files.

    Attributes:
      prefix: the checkpoint prefix.
      shapes: variable name -> shape tuple.
    """

    def __init__(self, path: str):
        from power_bert.backend import tf

        self.prefix = checkpoint_prefix(path)
        self.data_files = _data_files(self.prefix)
        try:
            self._reader = tf.train.load_checkpoint(self.prefix)
            shapes = self._reader.get_variable_to_shape_map()
        except _read_errors() as e:
            raise CheckpointError("cannot read checkpoint %s (%s.index): %s: %s"
                                  % (self.prefix, self.prefix, type(e).__name__, e)) from None
        self.shapes: Dict[str, Tuple[int, ...]] = {n: tuple(s) for n, s in shapes.items()}

    def tensor(self, name: str) -> np.ndarray:
        """The stored array of ``name`` (dtype as stored).

        Raises:
          CheckpointError: the data file is truncated or garbled (the files are named).
        """
        try:
            return np.asarray(self._reader.get_tensor(name))
        except _read_errors() as e:
            raise CheckpointError(
                "cannot read variable %s of checkpoint %s from %s: %s: %s (the file is "
                "truncated or damaged)" % (name, self.prefix, ", ".join(self.data_files),
                                           type(e).__name__, e)) from None


def list_checkpoint(prefix: str) -> "OrderedDict[str, Tuple[int, ...]]":
    """Names and shapes stored in a checkpoint, sorted by name.

    Args:
      prefix: checkpoint prefix (``.../bert_model.ckpt``), its ``.index`` file, or its
        folder.

    Returns:
      Ordered dict name -> shape tuple.

    Raises:
      CheckpointError: there is no readable checkpoint at ``prefix``.
    """
    shapes = _Checkpoint(prefix).shapes
    return OrderedDict((n, shapes[n]) for n in sorted(shapes))


def read_checkpoint(prefix: str, names: Optional[Iterable[str]] = None) -> Dict[str, np.ndarray]:
    """Reads variables of a name-based checkpoint into numpy arrays.

    Args:
      prefix: checkpoint prefix (``.../bert_model.ckpt``), its ``.index`` file, or its
        folder.
      names: the variables to read; ``None`` reads all of them.

    Returns:
      dict name -> np.ndarray (dtype as stored).

    Raises:
      CheckpointError: there is no readable checkpoint at ``prefix``.
      KeyError: a requested name is not in the checkpoint (all missing names are listed).
    """
    checkpoint = _Checkpoint(prefix)
    wanted = sorted(checkpoint.shapes) if names is None else list(names)
    missing = [n for n in wanted if n not in checkpoint.shapes]
    if missing:
        raise KeyError("checkpoint %r has no variable%s %s"
                       % (checkpoint.prefix, "s" if len(missing) > 1 else "",
                          ", ".join(missing)))
    return {n: checkpoint.tensor(n) for n in wanted}


# --- loading into a Keras model ---------------------------------------------------------

def load_google_checkpoint(model, config: BertConfig, path: str, vocab_path: Optional[str] = None,
                           load_classifier: str = "if_present") -> Dict[str, object]:
    """Loads a Google-format BERT checkpoint into a model from ``build_model``.

    Every variable of :func:`variable_table` is checked (present, shape) and read before
    anything is assigned, so a checkpoint that does not fit, or cannot be read, leaves the
    model untouched.

    Args:
      model: the Keras model.
      config: its BERT configuration.
      path: checkpoint prefix (``bert_model.ckpt``), its ``.index`` file, or its folder.
      vocab_path: when given, checked with ``power_bert.data.check_vocab`` against the
        checkpoint's word-piece embedding table (more entries than rows: an error).
      load_classifier: "if_present" loads run_classifier.py's ``output_weights`` /
        ``output_bias`` into the ``Output`` layer when the checkpoint has them;
        "required" fails when they are absent; "never" leaves the head as initialised.

    Returns:
      {"prefix": str, "variables_loaded": int, "classifier_loaded": bool}.

    Raises:
      CheckpointError: a variable is missing or has the wrong shape (every one is named),
        or the checkpoint cannot be read.
      DataError: the vocabulary cannot be read or has more entries than the checkpoint
        has word embeddings.
      ValueError: an unknown ``load_classifier``, or a model not built from ``config``
        (a bug, not a checkpoint problem).
    """
    if load_classifier not in LOAD_CLASSIFIER:
        raise ValueError("load_classifier must be one of %s, got %r"
                         % (", ".join(LOAD_CLASSIFIER), load_classifier))
    checkpoint = _Checkpoint(path)
    prefix, shapes = checkpoint.prefix, checkpoint.shapes
    rows = variable_table(config, num_labels=_classifier_labels(model, load_classifier))
    classifier = [row for row in rows if row.optional]
    classifier_present = bool(classifier) and all(row.google in shapes for row in classifier)
    assignments, problems = _match_weights(rows, _layer_weights(model, rows), shapes,
                                           classifier_present)
    if load_classifier == "required" and not classifier_present:
        problems.append("missing variables %s: this checkpoint has no classifier head, so it "
                        "is not a fine-tuned model" % "/".join(row.google for row in classifier))
    if problems:
        raise CheckpointError("checkpoint %s does not fit the model (%d problem%s):\n  %s"
                              % (prefix, len(problems), "s" if len(problems) > 1 else "",
                                 "\n  ".join(problems)))
    if vocab_path is not None:
        from power_bert.data import check_vocab
        word_embeddings = next(row.google for row in rows if row.layer == WORD_EMBEDDING_LAYER)
        check_vocab(vocab_path, shapes[word_embeddings][0], "checkpoint %s" % prefix)
    values = []
    for weight, row in assignments:  # read everything first: a damaged file changes nothing
        value = checkpoint.tensor(row.google)
        values.append(value.T if row.keras_transposed else value)
    for (weight, _), value in zip(assignments, values):
        weight.assign(value.astype(np.float32))
    return {"prefix": prefix, "variables_loaded": len(assignments),
            "classifier_loaded": classifier_present}


def _classifier_labels(model, load_classifier: str) -> Optional[int]:
    """The classes of the model's ``Output`` layer when the classifier is to be loaded
    (its kernel is [H, C]); None when it is not."""
    if load_classifier == "required" or (
            load_classifier == "if_present" and CLASSIFIER_LAYER in {l.name for l in model.layers}):
        return int(model.get_layer(CLASSIFIER_LAYER).weights[0].shape[-1])  # [H, C]
    return None


def _layer_weights(model, rows: Sequence[BertVariable]) -> Dict[str, list]:
    """The weights of every Keras layer the table names.

    Raises:
      ValueError: a layer has another number of weights than the table's rows for it.
    """
    weights_of: Dict[str, list] = {}
    for row in rows:
        if row.layer not in weights_of:
            weights_of[row.layer] = model.get_layer(row.layer).weights
            count = sum(1 for r in rows if r.layer == row.layer)
            if len(weights_of[row.layer]) != count:
                raise ValueError("layer %s has %d weights, the checkpoint table expects %d"
                                 % (row.layer, len(weights_of[row.layer]), count))
    return weights_of


def _match_weights(rows: Sequence[BertVariable], weights_of: Dict[str, list],
                   shapes: Dict[str, Tuple[int, ...]], classifier_present: bool
                   ) -> Tuple[List[Tuple[object, BertVariable]], List[str]]:
    """Pairs each model weight with its checkpoint variable.

    Returns:
      ((weight, row) pairs to assign, the problems found: a variable missing from the
      checkpoint or of another shape). The classifier's rows are skipped when the
      checkpoint lacks them.

    Raises:
      ValueError: a weight's shape is not the one the config gives (the model was not
        built from it: a bug, not a checkpoint problem).
    """
    assignments = []
    problems = []
    for row in rows:
        if row.optional and not classifier_present:
            continue
        weight = weights_of[row.layer][row.index]
        keras_shape = tuple(weight.shape)
        expected = keras_shape[::-1] if row.keras_transposed else keras_shape
        if expected != row.shape:
            raise ValueError("layer %s weight %d has shape %s but the BERT config implies %s: "
                             "the model was not built from this config"
                             % (row.layer, row.index, keras_shape, row.shape))
        if row.google not in shapes:
            problems.append("missing variable %s (needed by layer %s, shape %s)"
                            % (row.google, row.layer, expected))
        elif shapes[row.google] != expected:
            problems.append("variable %s has shape %s, layer %s expects %s%s"
                            % (row.google, shapes[row.google], row.layer, expected,
                               " (labels x hidden: the task's classifier)"
                               if row.keras_transposed else ""))
        else:
            assignments.append((weight, row))
    return assignments, problems

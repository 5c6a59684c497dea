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
"""
import json
import os
from typing import Dict, List, Optional, Tuple

import numpy as np

from power_bert.backend import tf
from power_bert.config import BertConfig


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the model."""


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


def stage_paths(output_dir: str, stage: str) -> Tuple[str, str]:
    base = os.path.join(output_dir, stage)
    return base + WEIGHTS_SUFFIX, base + META_SUFFIX


def save_stage(model, output_dir: str, stage: str, meta: dict) -> str:
    """Saves weights and metadata atomically (temporary files, then rename).

    ``meta`` must hold what rebuilds the model: ``bert_config``, ``task``, ``num_labels``,
    ``seq_len``, ``mode`` and ``retention_configuration``.
    """
    os.makedirs(output_dir, exist_ok=True)
    weights_path, meta_path = stage_paths(output_dir, stage)
    tmp_weights = weights_path + ".tmp.hdf5"
    model.save_weights(tmp_weights)
    tmp_meta = meta_path + ".tmp"
    with open(tmp_meta, "w", encoding="utf-8") as writer:
        json.dump(meta, writer, indent=2)
    os.replace(tmp_weights, weights_path)
    os.replace(tmp_meta, meta_path)
    return weights_path


def resolve_stage_checkpoint(path: str) -> Tuple[str, str]:
    """Finds (weights .h5, metadata .json) from either file or their common prefix.

    Raises:
      CheckpointError: either file is missing.
    """
    base = path
    for suffix in (WEIGHTS_SUFFIX, META_SUFFIX, ".h5"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    weights, meta = base + WEIGHTS_SUFFIX, base + META_SUFFIX
    if path.endswith((".h5", ".hdf5")) and not path.endswith(WEIGHTS_SUFFIX):
        weights = path
    if not os.path.exists(weights):
        raise CheckpointError("model weights not found: %s" % weights)
    if not os.path.exists(meta):
        raise CheckpointError(
            "model metadata not found: %s (saved beside the weights by this project; it holds "
            "the BERT config, task and retention configuration)" % meta)
    return weights, meta


def read_stage_meta(meta_path: str) -> dict:
    try:
        with open(meta_path, "r", encoding="utf-8") as reader:
            meta = json.load(reader)
    except json.JSONDecodeError as e:
        raise CheckpointError("model metadata %s is not valid JSON: %s" % (meta_path, e)) from None
    for key in ("bert_config", "task", "num_labels", "seq_len", "mode"):
        if key not in meta:
            raise CheckpointError("model metadata %s lacks %r" % (meta_path, key))
    return meta


def load_stage_weights(model, weights_path: str, allow_missing=()) -> List[str]:
    """Loads stage weights by layer name and checks that every weighted layer of the
    model was found in the file, except those whose class is in ``allow_missing``
    (e.g. Soft-Extract layers, new in the search stage).

    Returns:
      Names of layers left as initialised.

    Raises:
      CheckpointError: a layer with weights is absent from the file or a shape differs.
    """
    import h5py
    with h5py.File(weights_path, "r") as f:
        names = [n.decode("utf8") if isinstance(n, bytes) else n
                 for n in f.attrs["layer_names"]]
        in_file = {n for n in names if len(f[n].attrs.get("weight_names", [])) > 0}
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
    except ValueError as e:
        raise CheckpointError("weights file %s does not fit the model: %s" % (weights_path, e)) from None
    return skipped

"""``power-bert export``: a trained stage checkpoint as a TensorFlow SavedModel that
serves raw sentences, with word-vector elimination inside the graph.

The SavedModel needs TensorFlow and ``tensorflow-text`` (import it before loading: it
registers the tokeniser's ops), not this package nor keras-bert::

    import tensorflow as tf, tensorflow_text  # noqa: F401
    served = tf.saved_model.load("export/")
    served.signatures["serving_default"](sentence=tf.constant(["a fine film"]))

Signatures (B = batch, T = the longest example of the batch, C = classes):

* ``serving_default``: ``sentence`` (and ``sentence2`` for a pair task), string ``[B]``
  -> ``label`` string ``[B]`` and ``probabilities`` float32 ``[B, C]``, or ``score``
  float32 ``[B]`` for a regression task (STS-B; the model's output, not clipped). The
  strings are tokenised in the graph as the training data path does it
  (``power_bert.tokenization``), truncated to the model's maximum sequence length and
  padded to the longest example of the batch only.
* ``token_ids``: ``input_ids`` and ``segment_ids``, int32 ``[B, T]`` padded with 0, T at
  most the maximum sequence length -> the same outputs.
* ``tokenize``: the inputs of ``serving_default`` -> the ``input_ids`` and
  ``segment_ids`` it feeds the model (int32 ``[B, T]``): ``power-bert predict
  --SAVED_MODEL`` tokenises rows with it first, to batch them by token length.

Bad inputs: an empty string is ``[CLS] [SEP]``; a batch of zero gives empty outputs;
for a pair task a missing ``sentence2`` is refused by the signature (a TypeError naming
the argument) and a ``sentence2`` of another batch size by an InvalidArgumentError
naming both sizes. An input of another rank (a scalar string, a [2, 2] batch of strings,
1-D token ids) is refused by an InvalidArgumentError that names the input, the shape
expected and the rank and shape received: a loaded signature does not check the shapes
it declares, and the tokeniser would otherwise flatten what it is given.

The model's weights are constants of the graph (``WEIGHTS_AS_CONSTANTS``; variables
with ``--XLA``), which oneDNN reorders once instead of on every call.

Stored with the model: ``assets/power_bert.json`` (task, labels, retention
configuration, maximum sequence length, casing, the project's version, ...),
``assets/vocab.txt``, and the same facts as non-trainable variables of the loaded object
(``served.task``, ``served.labels``, ``served.retention_configuration``,
``served.max_seq_len``, ``served.cased``, ``served.version``; read them with ``.numpy()``):
``tf.saved_model.save`` does not save ``tf.constant`` attributes of a ``tf.Module``.

The folder is written to a temporary sibling and renamed into place; a non-empty
OUTPUT_DIR is refused unless ``--OVERWRITE``, which replaces only an earlier export
(SavedModel or ONNX: its ``power_bert.json`` is there and nothing else is), never a
folder holding other files (a training OUTPUT_DIR) nor one that holds the checkpoint or
vocabulary being exported. The folder is checked before the model is built.

``--FORMAT onnx`` (optional dependencies: ``pip install -r requirements-onnx.txt``, i.e.
tf2onnx and onnxruntime) writes the model part instead, as ONNX (opset ``ONNX_OPSET``):
``model.onnx`` (``input_ids``, ``segment_ids`` int32 ``[B, T]`` -> float32
``probabilities`` ``[B, C]`` or ``score`` ``[B]``; B and T dynamic, top-k and the batched
gather of the Extract layers inside) with ``power_bert.json`` and ``vocab.txt`` beside
it; tokenisation stays outside the graph. ``load_onnx`` runs it with onnxruntime.
"""
import dataclasses
import os
import shutil
import sys
from typing import Callable, Dict, Optional

from power_bert import __version__
from power_bert.documents import (ASSETS, METADATA_FILE, ONNX_FILE, ONNX_FORMAT,
                                  SAVED_MODEL_FILE, SAVED_MODEL_FORMAT, SAVED_MODEL_METADATA,
                                  VOCAB_FILE, ExportMetadata, export_format)
from power_bert.errors import CheckpointError, DataError, ExportError
from power_bert.outputs import check_new_folder, entries_besides, new_folder
from power_bert.runtime import PRECISIONS

# What an export folder holds: (metadata file, its "format", the folder's entries).
EXPORT_LAYOUTS = ((SAVED_MODEL_METADATA, SAVED_MODEL_FORMAT,
                   (SAVED_MODEL_FILE, "fingerprint.pb", "variables", ASSETS)),
                  (METADATA_FILE, ONNX_FORMAT, (ONNX_FILE, METADATA_FILE, VOCAB_FILE)))
FORMATS = ("savedmodel", "onnx")
# --QUANTIZE (ONNX only): int8 is ONNX Runtime's dynamic quantization of every MatMul's
# weights, per output channel; activations are quantized batch by batch at run time.
QUANTIZATIONS = ("none", "int8")
# The lowest opset that converts and runs the model (TopK with a tensor K, GatherND with
# batch_dims; opsets 13-18 were checked); older runtimes read it too.
ONNX_OPSET = 13
# The SavedModel's model part holds its weights as constants of the graph, not variables
# (``_with_constant_weights``), except with --XLA.
WEIGHTS_AS_CONSTANTS = True
ONNX_MISSING = ("%s needs the optional packages tf2onnx and onnxruntime "
                "(pip install -r requirements-onnx.txt): %s")


def export_model(checkpoint_path: str, output_dir: str, vocab_path: Optional[str] = None,
                 xla: bool = False, overwrite: bool = False, fmt: str = "savedmodel",
                 mixed_precision: str = "none", quantize: str = "none") -> ExportMetadata:
    """Writes the SavedModel (or ONNX model) of a stage checkpoint file.

    Args:
      checkpoint_path: the stage's ``.hdf5`` or ``.json``.
      output_dir, vocab_path, xla, overwrite, fmt, mixed_precision, quantize: as for
        ``export_checkpoint``.

    Returns:
      The ExportMetadata written to ``assets/power_bert.json`` (ONNX: ``power_bert.json``).

    Raises:
      ExportError: as ``export_checkpoint``, or the checkpoint cannot be read.
    """
    _check_format(fmt, xla, mixed_precision, quantize)  # before anything is read or written
    from power_bert.checkpoint import resolve_stage_checkpoint
    from power_bert.trained import read_checkpoint
    try:
        files = resolve_stage_checkpoint(checkpoint_path)
    except CheckpointError as e:
        raise ExportError(str(e)) from None
    check_output_dir(output_dir, overwrite, (checkpoint_path,) + files + (
        (vocab_path,) if vocab_path else ()))
    checkpoint = read_checkpoint(checkpoint_path, error=ExportError)
    return export_checkpoint(checkpoint, output_dir, vocab_path, xla, overwrite, fmt,
                             mixed_precision, quantize)


def check_output_dir(output_dir: str, overwrite: bool, reads=()) -> str:
    """``outputs.check_new_folder`` for an export: its absolute path.

    Raises:
      ExportError: as ``check_new_folder``: among others, ``overwrite`` of a folder that
        is not an earlier export or that holds one of ``reads``.
    """
    return check_new_folder(output_dir, overwrite, ExportError, earlier=_not_an_export,
                            what="export", reads=reads)


def _not_an_export(folder: str) -> Optional[str]:
    """None when ``folder`` holds an earlier export (SavedModel or ONNX) and nothing
    else; otherwise why not."""
    for metadata, fmt, entries in EXPORT_LAYOUTS:
        if export_format(os.path.join(folder, metadata)) == fmt:
            return entries_besides(folder, entries)
    return "it holds no %s of power-bert export" % " or ".join(
        layout[0] for layout in EXPORT_LAYOUTS)


def _check_format(fmt: str, xla: bool, mixed_precision: str = "none", quantize: str = "none"):
    """Raises ExportError for an unknown format, precision or quantization, ``onnx`` with
    ``xla`` or a reduced precision, a quantized ``savedmodel``, or ``onnx`` without
    tf2onnx and onnxruntime."""
    if fmt not in FORMATS:
        raise ExportError("--FORMAT must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    if mixed_precision not in PRECISIONS:
        raise ExportError("--MIXED_PRECISION must be one of %s, got %r"
                          % (", ".join(PRECISIONS), mixed_precision))
    if quantize not in QUANTIZATIONS:
        raise ExportError("--QUANTIZE must be one of %s, got %r"
                          % (", ".join(QUANTIZATIONS), quantize))
    if quantize != "none" and fmt != "onnx":
        raise ExportError("--QUANTIZE applies to --FORMAT onnx only (ONNX Runtime's "
                          "dynamic quantization)")
    if fmt == "onnx":
        if xla:
            raise ExportError("--XLA applies to --FORMAT savedmodel only (ONNX Runtime "
                              "optimises the graph itself)")
        if mixed_precision != "none":
            raise ExportError("--MIXED_PRECISION applies to --FORMAT savedmodel only (the "
                              "ONNX export is float32)")
        onnx_modules()


def export_checkpoint(checkpoint, output_dir: str, vocab_path: Optional[str] = None,
                      xla: bool = False, overwrite: bool = False,
                      fmt: str = "savedmodel", mixed_precision: str = "none",
                      quantize: str = "none") -> Dict:
    """Writes the SavedModel (or ONNX model) of a loaded stage checkpoint.

    Args:
      checkpoint: a ``StageCheckpoint`` with weights on disk (loaded from a file, or one of
        ``with_retention``, as the peer benchmark exports it).
      output_dir: the SavedModel folder to create.
      vocab_path: the vocabulary (default: the one the checkpoint records).
      xla: jit-compile the model part.
      overwrite: replace a non-empty ``output_dir``.
      fmt: ``savedmodel`` or ``onnx``.
      mixed_precision: build the model part under that Keras policy ("bfloat16",
        "float16"; "none": float32); the outputs stay float32.
      quantize: "int8" (onnx only): the ONNX model's MatMul weights as int8
        (``QUANTIZATIONS``); "none": float32.

    Returns:
      The ExportMetadata written to ``assets/power_bert.json`` (ONNX: ``power_bert.json``).

    Raises:
      ExportError: a search-stage checkpoint, a vocabulary or output folder that cannot
        be used; ``onnx`` with ``xla`` or a reduced precision, or without tf2onnx and
        onnxruntime; ``quantize`` with ``savedmodel``.
    """
    _check_format(fmt, xla, mixed_precision, quantize)
    from power_bert.data import load_vocab
    from power_bert.trained import check_trained, model_name

    reads = [path for path in (checkpoint.weights_path, vocab_path or checkpoint.vocab_path)
             if path]
    if checkpoint.weights_path:  # the metadata beside the weights
        reads.append(os.path.splitext(checkpoint.weights_path)[0] + ".json")
    out = check_output_dir(output_dir, overwrite, tuple(reads))
    trained = check_trained(checkpoint, model_name(checkpoint), vocab_path=vocab_path,
                            error=ExportError)
    vocab_path, task = trained.vocab_path, trained.task
    try:
        token_dict = load_vocab(vocab_path)
    except DataError as e:
        raise ExportError("--VOCAB_PATH: %s" % e) from None
    metadata = dataclasses.replace(
        _export_metadata(checkpoint, task, fmt, xla),
        mixed_precision=None if mixed_precision == "none" else mixed_precision,
        quantization=None if quantize == "none" else quantize)
    if fmt == "onnx":
        return _export_onnx(trained.load(dynamic=True), metadata, vocab_path, out)
    from power_bert.precision import policy
    with policy(mixed_precision, inference=True):
        _write_saved_model(trained, token_dict, metadata, vocab_path, out)
    return metadata


def _export_metadata(checkpoint, task, fmt: str, xla: bool) -> ExportMetadata:
    """What an export of ``checkpoint`` records (``assets/power_bert.json``)."""
    ids = ["input_ids", "segment_ids"]
    texts = ["sentence", "sentence2"] if task.text_b is not None else ["sentence"]
    return ExportMetadata(
        format=ONNX_FORMAT if fmt == "onnx" else SAVED_MODEL_FORMAT,
        power_bert_version=__version__, task=task.name,
        labels=None if task.labels is None else list(task.labels),
        output="score" if task.is_regression else "probabilities",
        pair=task.text_b is not None, seq_len=checkpoint.seq_len, cased=checkpoint.cased,
        mode=checkpoint.mode, retention_configuration=checkpoint.applied_retention,
        bert_config=checkpoint.config.to_dict(), xla=bool(xla),
        source_checkpoint=os.path.abspath(checkpoint.weights_path),
        source_weights_sha256=checkpoint.weights_sha256, vocab_sha256=checkpoint.vocab_sha256,
        epoch=checkpoint.epoch, dev_metrics=checkpoint.dev_metrics,
        signatures={ONNX_FILE: ids} if fmt == "onnx" else {
            "serving_default": texts, "token_ids": ids, "tokenize": texts},
        onnx_opset=ONNX_OPSET if fmt == "onnx" else None)


def _write_saved_model(trained, token_dict: Dict[str, int], metadata: ExportMetadata,
                       vocab_path: str, out: str):
    """Saves the SavedModel of ``trained`` (a ``trained.TrainedModel``, loaded here) into
    the new folder ``out`` (whole or not at all).

    Raises:
      ExportError: the folder cannot be written.
    """
    from power_bert.backend import tf
    try:
        with new_folder(out) as tmp:
            assets = os.path.join(tmp, ".assets")  # copied into assets/ by the save
            os.makedirs(assets)
            metadata.write(assets)
            shutil.copyfile(vocab_path, os.path.join(assets, VOCAB_FILE))
            module, signatures = _build_module(trained.load(dynamic=True), token_dict,
                                               metadata, assets)
            tf.saved_model.save(module, tmp, signatures=signatures)
            shutil.rmtree(assets)
    except OSError as e:
        raise ExportError("cannot write OUTPUT_DIR %s: %s" % (out, e.strerror or e)) from None


def _build_module(model, token_dict: Dict[str, int], metadata: ExportMetadata, assets: str):
    """The tf.Module that is saved (tokeniser, model function and metadata) and its
    signatures.

    The Keras model itself is not an attribute (saving it would save Keras' own object
    graph, which needs this package's layers to load); its variables are, so the traced
    functions that use them can be saved."""
    from power_bert.tokenization import GraphTokenizer

    tokenizer = GraphTokenizer(token_dict, metadata.cased, metadata.seq_len)
    module = _module_state(model, tokenizer, metadata, assets)
    return module, _signatures(tokenizer, _outputs_function(model, metadata), metadata.pair)


def _module_state(model, tokenizer, metadata: ExportMetadata, assets: str):
    """The saved tf.Module's state: the vocabulary table, the model's variables, the
    assets and the constants (``served.task``, ``served.max_seq_len``, ...; the constant
    keeps its first name, ``max_seq_len``, which served models are read with: it is the
    model's ``seq_len``)."""
    from power_bert.backend import tf

    module = tf.Module(name="power_bert")
    module.vocab_table = tokenizer.table
    if not _constant_weights(metadata):  # the weights the saved functions read
        module.model_variables = list(model.variables)
    module.metadata_file = tf.saved_model.Asset(os.path.join(assets, METADATA_FILE))
    module.vocab_file = tf.saved_model.Asset(os.path.join(assets, VOCAB_FILE))
    for name, value in (("task", metadata.task), ("version", __version__),
                        ("labels", metadata.labels or []), ("max_seq_len", metadata.seq_len),
                        ("cased", metadata.cased),
                        ("retention_configuration", metadata.retention_configuration or [])):
        setattr(module, name, tf.Variable(value, trainable=False, name=name))
    return module


def _outputs_function(model, metadata: ExportMetadata):
    """``outputs(input_ids, segment_ids)``: the inputs checked, then the model's outputs
    (with the predicted label's string for a classification task)."""
    from power_bert.backend import tf

    seq_len, labels = metadata.seq_len, metadata.labels
    predict = _model_part(model, regression=labels is None, xla=metadata.xla,
                          constant_weights=_constant_weights(metadata))
    label_strings = tf.constant(labels or [""], tf.string)

    def outputs(input_ids, segment_ids):
        input_ids = _checked_rank(input_ids, "input_ids", 2, "[batch, length] of int32")
        segment_ids = _checked_rank(segment_ids, "segment_ids", 2, "[batch, length] of int32")
        tf.debugging.assert_less_equal(
            tf.shape(input_ids)[1], seq_len,
            message="input_ids has more positions than the model's max_seq_len %d" % seq_len)
        tf.debugging.assert_equal(tf.shape(input_ids), tf.shape(segment_ids),
                                  message="input_ids and segment_ids must have one shape")
        predicted = predict(input_ids, segment_ids)
        if labels is None:
            return predicted
        return {"label": tf.gather(label_strings,  # [B]
                                   tf.argmax(predicted["probabilities"], axis=-1)),
                **predicted}
    return outputs


def _signatures(tokenizer, outputs, pair: bool) -> Dict:
    """The saved signatures: ``serving_default`` on raw text (one or two sentences) and
    ``token_ids`` on word-piece ids, both ending in ``outputs``."""
    from power_bert.backend import tf

    ids_spec = tf.TensorSpec([None, None], tf.int32)
    text_spec = tf.TensorSpec([None], tf.string)

    @tf.function(input_signature=[ids_spec, ids_spec])
    def token_ids(input_ids, segment_ids):
        return outputs(input_ids, segment_ids)

    def ids(*texts):  # the texts checked, then tokenised: (input_ids, segment_ids)
        checked = [_checked_rank(t, n, 1, "[batch] of strings")
                   for t, n in zip(texts, ("sentence", "sentence2"))]
        if len(checked) == 2:
            tf.debugging.assert_equal(
                tf.size(checked[0]), tf.size(checked[1]),
                message="sentence and sentence2 must hold as many strings")
        return tokenizer(*checked)

    def named(ids_pair):
        return {"input_ids": ids_pair[0], "segment_ids": ids_pair[1]}

    if pair:
        @tf.function(input_signature=[text_spec, text_spec])
        def serve(sentence, sentence2):
            return outputs(*ids(sentence, sentence2))

        @tf.function(input_signature=[text_spec, text_spec])
        def tokenize(sentence, sentence2):
            return named(ids(sentence, sentence2))
    else:
        @tf.function(input_signature=[text_spec])
        def serve(sentence):
            return outputs(*ids(sentence))

        @tf.function(input_signature=[text_spec])
        def tokenize(sentence):
            return named(ids(sentence))

    # Only as signatures: as attributes too, saving would trace them once more.
    return {"serving_default": serve.get_concrete_function(),
            "token_ids": token_ids.get_concrete_function(),
            "tokenize": tokenize.get_concrete_function()}


def _checked_rank(tensor, name: str, rank: int, expected: str):
    """``tensor``, once a run-time check says it has ``rank`` dimensions: an
    InvalidArgumentError "<name> must be a tensor of shape <expected> (rank <rank>), got
    rank R (shape [...])" otherwise.

    The rank is counted from the run-time shape: ``tf.rank`` (and the size of
    ``tf.shape``) is folded into the rank the signature declares when the graph is
    built, so it would never see another one."""
    from power_bert.backend import tf
    shape = tf.shape(tensor)
    received = tf.reduce_sum(tf.cast(shape >= 0, tf.int32))  # the entries of the shape
    check = tf.debugging.Assert(tf.equal(received, rank), [tf.strings.format(
        "%s must be a tensor of shape %s (rank %d), got rank {} (shape {})"
        % (name, expected, rank), (received, shape))])
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def _model_part(model, regression: bool, xla: bool = False, constant_weights: bool = False):
    """The model on token ids, shared by the SavedModel and ONNX: ``(input_ids,
    segment_ids)`` int32 ``[B, T]`` -> ``{"probabilities": [B, C]}`` or ``{"score": [B]}``.

    Args:
      xla: jit-compile the model.
      constant_weights: trace the model once with its weights as constants of the graph
        (``_constant_weights``; not with ``xla``)."""
    from power_bert.backend import tf

    @tf.function(jit_compile=xla)
    def classify(input_ids, segment_ids):
        return model([input_ids, segment_ids], training=False)  # [B, C] or [B, 1]

    if constant_weights:
        classify = _with_constant_weights(classify)

    def predict(input_ids, segment_ids):
        # A batch of zero has no columns either; the model needs one ([CLS]).
        width = tf.maximum(tf.shape(input_ids)[1], 1)
        input_ids = tf.pad(input_ids, [[0, 0], [0, width - tf.shape(input_ids)[1]]])
        segment_ids = tf.pad(segment_ids, [[0, 0], [0, width - tf.shape(segment_ids)[1]]])
        predicted = classify(input_ids, segment_ids)
        return {"score": predicted[:, 0]} if regression else {"probabilities": predicted}

    return predict


def _constant_weights(metadata: ExportMetadata) -> bool:
    """Whether the SavedModel's model part holds its weights as constants: by default
    (``WEIGHTS_AS_CONSTANTS``), but not with XLA (the conversion drops the function's
    XLA attribute)."""
    return WEIGHTS_AS_CONSTANTS and not metadata.xla


def _with_constant_weights(function):
    """``function`` (a ``tf.function`` of the two int32 ``[B, T]`` inputs) traced once and
    its variables' current values made constants of the graph.

    oneDNN's matrix products then keep their weights in the layout they compute with,
    reordered once when the graph first runs, where a variable's weights are repacked on
    every call (benchmarks/README.md, "Weights as constants in the SavedModel": bfloat16
    PoWER-BERT 7% faster a pass, float32 about the same; the first call after loading
    takes about a second more, for the graph's optimisation)."""
    from power_bert.backend import tf
    # tf2onnx freezes graphs with the same function; TensorFlow has no public alias.
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    ids_spec = tf.TensorSpec([None, None], tf.int32)
    traced = function.get_concrete_function(ids_spec, ids_spec)
    # The trace copies the collections of the eager context (the vocabulary table's
    # initializer among them), which the conversion's meta graph cannot serialise and
    # warns about; the function does not need them.
    for key in traced.graph.get_all_collection_keys():
        traced.graph.clear_collection(key)
    constant = convert_variables_to_constants_v2(traced)

    def call(input_ids, segment_ids):
        return tf.nest.flatten(constant(input_ids, segment_ids))[0]  # the model's output
    return call


def onnx_modules(flag: str = "--FORMAT onnx"):
    """(tf2onnx, onnxruntime), imported.

    Args:
      flag: what needs them, for the error (``--PEERS onnx`` in the benchmark).

    Raises:
      ExportError: either is not installed.
    """
    try:
        import onnxruntime
        import tf2onnx
    except ImportError as e:
        raise ExportError(ONNX_MISSING % (flag, e)) from None
    return tf2onnx, onnxruntime


def _export_onnx(model, metadata: ExportMetadata, vocab_path: str, out: str
                 ) -> ExportMetadata:
    """Writes ``model.onnx``, ``power_bert.json`` and ``vocab.txt`` into ``out`` (through
    a temporary sibling) and returns the metadata."""
    from power_bert.backend import tf
    tf2onnx, _ = onnx_modules()
    predict = _model_part(model, regression=metadata.labels is None)
    ids_specs = [tf.TensorSpec([None, None], tf.int32, name=name)
                 for name in ("input_ids", "segment_ids")]
    try:
        with new_folder(out) as tmp:
            # tf2onnx traces ``predict`` itself with these named specs; opset as the
            # module says. Its Assert ops would be dropped, so the checks of the SavedModel
            # signature are done by load_onnx instead.
            model_file = os.path.join(tmp, ONNX_FILE)
            if metadata.quantization:
                model_file = os.path.join(tmp, "float32-" + ONNX_FILE)
            tf2onnx.convert.from_function(tf.function(predict), input_signature=ids_specs,
                                          opset=ONNX_OPSET, output_path=model_file)
            if metadata.quantization:
                _quantized(model_file, os.path.join(tmp, ONNX_FILE))
                os.remove(model_file)
            metadata.write(tmp)
            shutil.copyfile(vocab_path, os.path.join(tmp, VOCAB_FILE))
    except OSError as e:
        raise ExportError("cannot write OUTPUT_DIR %s: %s" % (out, e.strerror or e)) from None
    return metadata


def _quantized(source: str, target: str):
    """Writes ``target``: the ONNX model ``source`` with ONNX Runtime's dynamic int8
    quantization of every MatMul's weights, per output channel (the embeddings, the
    LayerNorms and the elimination's TopK and gathers stay float32)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(source, target, op_types_to_quantize=["MatMul"], per_channel=True,
                     weight_type=QuantType.QInt8)


def load_onnx(path: str, threads: int = 0) -> Callable:
    """An ONNX export (``--FORMAT onnx``) ready to call, with onnxruntime.

    Args:
      path: the export's folder (or its ``model.onnx``).
      threads: onnxruntime's intra-op threads (0: its default, every core).

    Returns:
      ``predict(input_ids, segment_ids)``: int ``[B, T]`` arrays (0-padded, T at most
      the model's ``max_seq_len``) -> float32 numpy ``[B, C]`` probabilities, or ``[B]``
      scores for a regression task (STS-B). ``predict.metadata`` is the export's
      ``power_bert.json``.

    Raises:
      ExportError: onnxruntime is missing, or the folder is not an ONNX export.
      ValueError: (from ``predict``) arrays of two shapes, not 2-D, or longer than
        ``max_seq_len``.
    """
    import numpy as np
    try:
        import onnxruntime
    except ImportError as e:
        raise ExportError(ONNX_MISSING % ("load_onnx", e)) from None
    folder = os.path.dirname(path) if path.endswith(".onnx") else path
    try:
        metadata = ExportMetadata.read(os.path.join(folder, METADATA_FILE))
    except ExportError as e:
        raise ExportError("%s is not an ONNX export of power-bert (%s)" % (folder, e)) from None
    if metadata.format != ONNX_FORMAT:
        raise ExportError("%s holds a %s, not an ONNX export (--FORMAT onnx)"
                          % (folder, metadata.format))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = int(threads)
    # No idle threads spinning for work: they cost time on a shared CPU (benchmarks/README.md,
    # "ONNX Runtime against the SavedModel").
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(os.path.join(folder, ONNX_FILE), options,
                                           providers=["CPUExecutionProvider"])
    output = session.get_outputs()[0].name
    seq_len = metadata.seq_len

    def predict(input_ids, segment_ids):
        input_ids = np.asarray(input_ids, np.int32)
        segment_ids = np.asarray(segment_ids, np.int32)
        if input_ids.ndim != 2 or input_ids.shape != segment_ids.shape:
            raise ValueError("input_ids and segment_ids must be [B, T] arrays of one shape, "
                             "got %s and %s" % (input_ids.shape, segment_ids.shape))
        if input_ids.shape[1] > seq_len:
            raise ValueError("input_ids has %d positions, more than the model's max_seq_len "
                             "%d" % (input_ids.shape[1], seq_len))
        return session.run([output], {"input_ids": input_ids, "segment_ids": segment_ids})[0]

    predict.metadata = metadata
    return predict


if __name__ == "__main__":  # (the same as ``power-bert export``)
    from power_bert.cli import run_command
    sys.exit(run_command("export", prog="python -m power_bert.export"))

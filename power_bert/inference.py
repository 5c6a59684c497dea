"""Inference: batches with fixed or dynamic padding through one compiled function.

The data arrays are padded to the task's maximum length N (64 for SST-2), but most
sentences are much shorter. With fixed padding every batch is fed to the model as
``[B, N]`` (the paper's setting). With dynamic padding a batch of examples whose real
lengths are at most T_b is fed as ``[B, T_b]`` instead; the model must have been built
with ``seq_len=None``. Batches are consecutive slices of the examples, in their
order or, by default with dynamic padding, sorted by real length
(``runtime.INFERENCE_SORT_BY_LENGTH``, ``length_order``): examples of like length then
share a batch and pad less (on GLUE dev sets 1.4-1.8x fewer token positions at batch 32).
Predictions always come back in the input order (``in_input_order``).

Both kinds of padding, and either order, give the same predictions (up to float
rounding; each example is computed on its own):
  * padded keys get -10000 added to their attention scores, so real words never
    attend to them, whatever their number;
  * significance sums only real query rows and ranks padding last, so the words
    an Extract layer keeps do not depend on how much padding there is;
  * Extract keeps min(l_j, current length) vectors: when l_j is above the batch
    length nothing real is dropped, exactly as when the fixed-length model keeps
    l_j vectors of which some are padding.

With XLA (``jit_compile``), which compiles once per input shape, the dynamic lengths
are rounded up to a multiple of a bucket (``bucket_length``; ``--PADDING_BUCKETS``,
default 16), so a dev or test set costs at most N / bucket compilations per batch size;
the added columns are padding and change no prediction. Without XLA lengths stay exact.
Evaluation and prediction use dynamic padding and no XLA by default
(``runtime.INFERENCE_DYNAMIC_PADDING``, ``runtime.INFERENCE_XLA``), and the benchmark
times that path (``benchmark.engine.BENCHMARK_XLA``).

The real length of an example is the position of its last non-zero token id plus
one (not the number of non-zero ids: an id 0 inside an example would otherwise cut
it short).

Inference runs through one ``tf.function`` per model with the input signature
``[None, None]`` int32 (``[None, N]`` for a fixed-length model), so every batch
length reuses one trace. It was chosen over ``model.predict_on_batch``, which pays the
data adapter on every call and retraces for new input lengths, by timing both
(benchmarks/README.md, "The inference path's defaults"); the comparison is kept as a slow
test that also checks both give the same predictions (``tests/test_inference.py``,
``test_tf_function_predicts_as_predict_on_batch``).
"""
import weakref
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.backend import keras, tf
from power_bert.runtime import INFERENCE_SORT_BY_LENGTH

Inputs = List[np.ndarray]  # [token_ids [N, T], segment_ids [N, T]], int32


def real_lengths(token_ids: np.ndarray) -> np.ndarray:
    """Real length of each example: position of its last non-zero token id + 1.

    Args:
      token_ids: int array ``[N, T]`` padded with 0.

    Returns:
      int64 ``[N]``; 0 for a row of zeros.
    """
    token_ids = np.asarray(token_ids)
    if token_ids.ndim != 2:
        raise ValueError("token_ids must be [N, T], got shape %s" % (token_ids.shape,))
    nonzero = token_ids != 0  # [N, T]
    width = token_ids.shape[1]
    last = width - np.argmax(nonzero[:, ::-1], axis=1)  # last non-zero position + 1
    return np.where(nonzero.any(axis=1), last, 0).astype(np.int64)


def batch_slices(num_examples: int, batch_size: int) -> List[slice]:
    """Consecutive slices of at most ``batch_size`` examples, in order."""
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError("batch_size must be a positive integer, got %r" % (batch_size,))
    return [slice(start, min(start + int(batch_size), num_examples))
            for start in range(0, num_examples, int(batch_size))]


def bucket_length(length: int, bucket: int, width: int) -> int:
    """``length`` rounded up to a multiple of ``bucket``, at most ``width``.

    Args:
      length: the longest real example of a batch (>= 1).
      bucket: the rounding step; 1 keeps the exact length.
      width: the arrays' full width N (the model's maximum length).
    """
    if int(bucket) != bucket or bucket < 1:
        raise ValueError("bucket must be a positive integer, got %r" % (bucket,))
    return min(int(width), -(-int(length) // int(bucket)) * int(bucket))


def padding_bucket(bucket: int, xla: bool) -> int:
    """The rounding step dynamic padding uses: ``bucket`` with XLA, which compiles once
    per input shape; 1 (exact lengths) without, where any length costs no compilation
    and rounding up would only add work."""
    return int(bucket) if xla else 1


def length_order(token_ids: np.ndarray) -> np.ndarray:
    """The permutation that sorts examples by real length, shortest first; examples of
    equal length keep their order (a stable sort), so the batches are deterministic."""
    return np.argsort(real_lengths(token_ids), kind="stable")


def batch_order(x: Sequence[np.ndarray], dynamic: bool, sort: bool) -> Optional[np.ndarray]:
    """The order batches take the examples in: ``length_order`` when ``sort`` and
    ``dynamic`` (with fixed padding every batch has the full width, so sorting gains
    nothing), else None (the input order)."""
    return length_order(np.asarray(x[0])) if sort and dynamic else None


def in_order(x: Sequence[np.ndarray], order: Optional[np.ndarray]) -> List[np.ndarray]:
    """The arrays of ``x`` with their examples in ``order`` (None: unchanged)."""
    return [np.asarray(a) if order is None else np.asarray(a)[order] for a in x]


def in_input_order(outputs: np.ndarray, order: Optional[np.ndarray]) -> np.ndarray:
    """Outputs computed in ``order`` put back in the input order (None: unchanged)."""
    if order is None:
        return outputs
    restored = np.empty_like(outputs)
    restored[order] = outputs
    return restored


def batch_lengths(x: Sequence[np.ndarray], batch_size: int, dynamic: bool,
                  bucket: int = 1, order: Optional[np.ndarray] = None) -> List[int]:
    """Input length of every batch: the longest real example (at least 1) rounded up to
    a multiple of ``bucket`` (at most the arrays' width) when dynamic, else the full
    width of the arrays; the batches take the examples in ``order`` (``batch_order``)."""
    token_ids = in_order(x[:1], order)[0]
    slices = batch_slices(len(token_ids), batch_size)
    width = int(token_ids.shape[1])
    if not dynamic:
        return [width] * len(slices)
    lengths = real_lengths(token_ids)
    return [bucket_length(max(1, int(lengths[s].max())), bucket, width) for s in slices]


def dynamic_batches(x: Sequence[np.ndarray], batch_size: int, bucket: int = 1
                    ) -> Iterator[Tuple[Inputs, slice]]:
    """Yields ``([token_ids, segment_ids] cut to the batch's longest real example,
    slice of the batch)`` for consecutive batches, in the original order.

    Args:
      x: ``[token_ids, segment_ids]``, int arrays ``[N, T]`` padded with 0.
      batch_size: examples per batch (the last batch may be smaller).
      bucket: round each batch's length up to a multiple of this (at most N), so that
        XLA, which compiles once per input shape, sees at most ceil(N / bucket) lengths;
        the extra columns are padding and change no prediction.
    """
    token_ids, segment_ids = np.asarray(x[0]), np.asarray(x[1])
    if token_ids.shape != segment_ids.shape:
        raise ValueError("token_ids %s and segment_ids %s differ in shape"
                         % (token_ids.shape, segment_ids.shape))
    lengths = batch_lengths([token_ids], batch_size, dynamic=True, bucket=bucket)
    for part, length in zip(batch_slices(len(token_ids), batch_size), lengths):
        yield [token_ids[part, :length], segment_ids[part, :length]], part


def fixed_batches(x: Sequence[np.ndarray], batch_size: int
                  ) -> Iterator[Tuple[Inputs, slice]]:
    """As ``dynamic_batches`` but every batch keeps the arrays' full width."""
    token_ids, segment_ids = np.asarray(x[0]), np.asarray(x[1])
    for part in batch_slices(len(token_ids), batch_size):
        yield [token_ids[part], segment_ids[part]], part


def prepare_batches(x: Sequence[np.ndarray], batch_size: int, dynamic: bool,
                    bucket: int = 1, order: Optional[np.ndarray] = None) -> List[Inputs]:
    """All batches as contiguous int32 arrays, ready for timing without data work
    (``bucket``: see ``dynamic_batches``), taking the examples in ``order``
    (``batch_order``; their outputs go back with ``in_input_order``)."""
    x = in_order(x, order)
    batches = (dynamic_batches(x, batch_size, bucket) if dynamic
               else fixed_batches(x, batch_size))
    return [[np.ascontiguousarray(tokens, dtype=np.int32),
             np.ascontiguousarray(segments, dtype=np.int32)]
            for (tokens, segments), _ in batches]


def model_seq_len(model) -> Optional[int]:
    """The static input length of a model from ``build_model`` (None: any length)."""
    return model.inputs[0].shape[1]


# One compiled inference function per (model, xla); weak keys so models can be freed.
_FUNCTIONS = weakref.WeakKeyDictionary()


def inference_function(model, xla: bool = False):
    """The model's inference as a ``tf.function`` traced once for every batch length.

    Args:
      model: a model from ``build_model``.
      xla: compile with XLA (``jit_compile=True``); XLA still compiles once per
        distinct input shape.

    Returns:
      A function ``(token_ids [B, T], segment_ids [B, T]) -> outputs [B, C]``.
    """
    per_model = _FUNCTIONS.setdefault(model, {})
    if xla in per_model:
        return per_model[xla]
    spec = tf.TensorSpec([None, model_seq_len(model)], tf.int32)
    model_ref = weakref.ref(model)  # a strong reference here would keep the model alive

    def infer(token_ids, segment_ids):
        return model_ref()([token_ids, segment_ids], training=False)

    function = tf.function(infer, input_signature=[spec, spec], jit_compile=bool(xla))
    per_model[xla] = function
    return function


def _check_model_for(model, batches: Sequence[Inputs], dynamic: bool):
    seq_len = model_seq_len(model)
    if dynamic and seq_len is not None:
        raise ValueError("dynamic padding needs a model built with seq_len=None; this one "
                         "takes inputs of length %d" % seq_len)
    if seq_len is not None:
        for tokens, _ in batches:
            if tokens.shape[1] != seq_len:
                raise ValueError("the model takes inputs of length %d but the data has %d "
                                 "tokens per example" % (seq_len, tokens.shape[1]))


def _finish(outputs: List[np.ndarray]) -> np.ndarray:
    out = np.concatenate(outputs, axis=0)  # [N, C]
    return out[:, 0] if out.shape[-1] == 1 else out


def run_batches(model, batches: Sequence[Inputs], xla: bool = False, verbose: int = 0,
                progbar_target: Optional[int] = None,
                order: Optional[np.ndarray] = None) -> np.ndarray:
    """Runs prepared batches through the model's inference function.

    Args:
      order: the order the batches took the examples in (``prepare_batches``); the
        outputs are put back in the input order.

    Returns:
      Class probabilities ``[N, C]``, or scores ``[N]`` when the model has one output.
    """
    function = inference_function(model, xla)
    progbar = None
    if verbose:
        total = progbar_target or sum(len(b[0]) for b in batches)
        progbar = keras.utils.Progbar(total, verbose=verbose, unit_name="example")
    outputs, seen = [], 0
    for tokens, segments in batches:
        outputs.append(function(tf.constant(tokens), tf.constant(segments)).numpy())
        seen += len(tokens)
        if progbar is not None:
            progbar.update(seen)
    return in_input_order(_finish(outputs), order)


def predict(model, x: Sequence[np.ndarray], batch_size: int, dynamic: bool,
            verbose: int = 0, xla: bool = False, bucket: int = 1,
            sort: bool = INFERENCE_SORT_BY_LENGTH) -> np.ndarray:
    """Predicts in the original order, with dynamic or fixed padding.

    Args:
      model: a model from ``build_model``; built with ``seq_len=None`` when ``dynamic``.
      x: ``[token_ids, segment_ids]``, int arrays ``[N, T]`` padded with 0.
      batch_size: examples per batch.
      dynamic: cut every batch to its longest real example.
      verbose: 1 shows a Keras progress bar (``keras.utils.Progbar``).
      xla: compile the inference function with XLA.
      bucket: with ``dynamic``, round each batch's length up to a multiple of this
        (``dynamic_batches``); 1 keeps the exact lengths.
      sort: with ``dynamic``, batch the examples sorted by real length (``length_order``);
        the predictions still come back in the input order.

    Returns:
      The same as ``model.predict`` stacked: class probabilities ``[N, C]``, or
      scores ``[N]`` for a regression model (one output).

    Raises:
      ValueError: a fixed-length model with ``dynamic=True``, or data whose width is
        not the model's length.
    """
    order = batch_order(x, dynamic, sort)
    batches = prepare_batches(x, batch_size, dynamic, bucket, order)
    if not batches:
        raise ValueError("no examples to predict")
    _check_model_for(model, batches, dynamic)
    return run_batches(model, batches, xla=xla, verbose=verbose, order=order)


__all__ = ["real_lengths", "batch_slices", "bucket_length", "padding_bucket", "length_order",
           "batch_order", "in_order", "in_input_order", "batch_lengths",
           "dynamic_batches",
           "fixed_batches", "prepare_batches", "model_seq_len", "inference_function",
           "run_batches", "predict"]

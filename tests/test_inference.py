"""Inference with fixed and dynamic padding (power_bert.inference): the same predictions,
one trace for every batch length, and the tf.function path against predict_on_batch."""
import time

import numpy as np
import pytest

from power_bert import inference
from power_bert.backend import keras
from power_bert.model import build_model
from helpers.inputs import make_inputs
from helpers.padded_inputs import BATCH, BATCH_LENGTHS, CONFIG, LENGTHS, RETENTION, SEQ_LEN


def fixed_and_dynamic(num_labels, mode, retention=None, seed=1):
    """A fixed-length model and a seq_len=None model with the same weights."""
    keras.utils.set_random_seed(seed)
    fixed = build_model(CONFIG, num_labels, SEQ_LEN, mode, retention)
    dynamic = build_model(CONFIG, num_labels, None, mode, retention)
    dynamic.set_weights(fixed.get_weights())
    return fixed, dynamic


@pytest.fixture(scope="module")
def retrain_pair():
    return fixed_and_dynamic(2, "retrain", RETENTION)


def test_real_length_is_last_nonzero_position_plus_one():
    tokens = np.array([[2, 5, 0, 7, 0, 0],   # an id 0 inside: length 4, not 3
                       [2, 9, 9, 9, 9, 3],
                       [2, 0, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0]])
    assert inference.real_lengths(tokens).tolist() == [4, 6, 1, 0]


def test_dynamic_batches_cut_each_batch_in_order():
    x = make_inputs(LENGTHS, SEQ_LEN).inputs
    seen = []
    for (tokens, segments), part in inference.dynamic_batches(x, BATCH):
        assert tokens.shape == segments.shape
        np.testing.assert_array_equal(tokens, x[0][part, :tokens.shape[1]])
        np.testing.assert_array_equal(segments, x[1][part, :tokens.shape[1]])
        assert not x[0][part, tokens.shape[1]:].any()  # only padding was cut
        seen.append((part.start, part.stop, tokens.shape[1]))
    assert seen == [(0, 4, 4), (4, 8, 7), (8, 11, 12)]
    assert inference.batch_lengths(x, BATCH, dynamic=True) == BATCH_LENGTHS
    assert inference.batch_lengths(x, BATCH, dynamic=False) == [SEQ_LEN] * 3


@pytest.mark.parametrize("num_labels,mode,retention", [
    (2, "retrain", RETENTION),
    (3, "finetune", None),
    (1, "retrain", [8, 4, 2]),  # regression head
], ids=["retrain", "finetune", "regression"])
def test_dynamic_padding_matches_fixed_padding(num_labels, mode, retention, retrain_pair):
    if retention is RETENTION:
        fixed, dynamic = retrain_pair
    else:
        fixed, dynamic = fixed_and_dynamic(num_labels, mode, retention)
    x = make_inputs(LENGTHS, SEQ_LEN).inputs
    want = inference.predict(fixed, x, BATCH, dynamic=False)
    got = inference.predict(dynamic, x, BATCH, dynamic=True)
    expected_shape = (len(LENGTHS),) if num_labels == 1 else (len(LENGTHS), num_labels)
    assert want.shape == got.shape == expected_shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    # The fixed-padding path is model.predict, stacked the same way.
    reference = fixed.predict(x, batch_size=BATCH, verbose=0)
    reference = reference[:, 0] if num_labels == 1 else reference
    np.testing.assert_allclose(want, reference, atol=1e-5, rtol=0)
    if retention is not None:
        # The test means something: dropping vectors changes the outputs.
        keep_all = build_model(CONFIG, num_labels, SEQ_LEN, "finetune")
        keep_all.set_weights(fixed.get_weights())
        assert np.abs(inference.predict(keep_all, x, BATCH, dynamic=False) - want).max() > 1e-3


def test_bucketed_lengths_round_up_to_the_bucket_and_stop_at_the_width():
    x = make_inputs(LENGTHS, SEQ_LEN).inputs  # batch lengths 4, 7, 12 of width 12
    assert inference.batch_lengths(x, BATCH, dynamic=True, bucket=5) == [5, 10, 12]
    assert inference.batch_lengths(x, BATCH, dynamic=True, bucket=1) == BATCH_LENGTHS
    assert inference.batch_lengths(x, BATCH, dynamic=False, bucket=5) == [SEQ_LEN] * 3
    shapes = [b[0].shape for b in inference.prepare_batches(x, BATCH, True, bucket=8)]
    assert shapes == [(4, 8), (4, 8), (3, 12)]
    # buckets are for XLA (one compilation per shape); without it lengths stay exact
    assert (inference.padding_bucket(16, xla=True), inference.padding_bucket(16, False)) == (
        16, 1)
    with pytest.raises(ValueError, match="bucket must be a positive integer, got 0"):
        inference.bucket_length(3, 0, SEQ_LEN)


@pytest.mark.parametrize("bucket", [5, 8])
def test_bucketed_dynamic_padding_predicts_as_fixed_padding(retrain_pair, bucket):
    fixed, dynamic = retrain_pair
    x = make_inputs(LENGTHS, SEQ_LEN).inputs
    want = inference.predict(fixed, x, BATCH, dynamic=False)
    got = inference.predict(dynamic, x, BATCH, dynamic=True, bucket=bucket)
    exact = inference.predict(dynamic, x, BATCH, dynamic=True)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(got, exact, atol=1e-5, rtol=0)


def test_sorted_batches_take_the_examples_by_length_and_predict_in_input_order(retrain_pair):
    x = make_inputs(LENGTHS, SEQ_LEN).inputs  # lengths 3, 4, 2, 4, 7, 5, 6, 2, 12, 3, 9
    order = inference.length_order(x[0])
    assert order.tolist() == [2, 7, 0, 9, 1, 3, 5, 6, 4, 10, 8]  # stable: equal lengths keep order
    assert inference.batch_lengths(x, BATCH, True, order=order) == [3, 6, 12]  # was 4, 7, 12
    shapes = [b[0].shape for b in inference.prepare_batches(x, BATCH, True, order=order)]
    assert shapes == [(4, 3), (4, 6), (3, 12)]
    assert inference.batch_order(x, dynamic=False, sort=True) is None  # fixed: nothing to gain
    assert inference.batch_order(x, dynamic=True, sort=False) is None
    fixed, dynamic = retrain_pair
    want = inference.predict(fixed, x, BATCH, dynamic=False)
    for sort in (True, False):
        got = inference.predict(dynamic, x, BATCH, dynamic=True, sort=sort)
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    # the outputs of sorted batches, put back: row i is example i's
    batches = inference.prepare_batches(x, BATCH, True, order=order)
    raw = np.concatenate([dynamic([t, s], training=False).numpy() for t, s in batches])
    np.testing.assert_allclose(inference.in_input_order(raw, order), want, atol=1e-5, rtol=0)
    assert np.abs(raw - want).max() > 1e-3  # (in sorted order they differ)


def test_dynamic_padding_needs_a_model_of_any_length(retrain_pair):
    fixed, _ = retrain_pair
    with pytest.raises(ValueError, match="seq_len=None"):
        inference.predict(fixed, make_inputs(LENGTHS, SEQ_LEN).inputs, BATCH, dynamic=True)


def test_progress_bar_when_verbose(capsys, retrain_pair):
    _, dynamic = retrain_pair
    inference.predict(dynamic, make_inputs(LENGTHS[:5], SEQ_LEN).inputs, BATCH, dynamic=True,
                      verbose=1)
    out = capsys.readouterr().out
    assert "5/5" in out and "=" in out
    inference.predict(dynamic, make_inputs(LENGTHS[:5], SEQ_LEN).inputs, BATCH, dynamic=True,
                      verbose=0)
    assert capsys.readouterr().out == ""


def test_one_trace_for_every_batch_length(retrain_pair):
    _, dynamic = retrain_pair
    inference.predict(dynamic, make_inputs(LENGTHS, SEQ_LEN).inputs, BATCH, dynamic=True)
    inference.predict(dynamic, make_inputs([5, 11, 3], SEQ_LEN).inputs, 2, dynamic=True)
    assert inference.inference_function(dynamic).experimental_get_tracing_count() == 1


@pytest.mark.parametrize("dynamic", [False, True], ids=["fixed", "dynamic"])
def test_tf_function_predicts_as_predict_on_batch(dynamic, retrain_pair):
    """The inference path (one tf.function per model) gives ``predict_on_batch``'s
    predictions. It was chosen over ``predict_on_batch`` for speed; the two are timed here,
    alternating, and the medians printed (``pytest -s``) to re-check on another machine;
    the times are not compared (too noisy for a test)."""
    model = retrain_pair[1] if dynamic else retrain_pair[0]
    batches = inference.prepare_batches(make_inputs(LENGTHS, SEQ_LEN).inputs, BATCH, dynamic)

    def with_function():
        return inference.run_batches(model, batches)

    def with_predict_on_batch():
        return np.concatenate([np.asarray(model.predict_on_batch([t, s])) for t, s in batches])

    methods = {"tf_function": with_function, "predict_on_batch": with_predict_on_batch}
    outputs = {name: method() for name, method in methods.items()}  # warm-up: traces
    np.testing.assert_allclose(outputs["tf_function"], outputs["predict_on_batch"],
                               atol=1e-5, rtol=0)
    times = {name: [] for name in methods}
    for _ in range(3):
        for name, method in methods.items():
            start = time.perf_counter()
            method()
            times[name].append(time.perf_counter() - start)
    print("\n%s padding, batch %d, median of 3: %s" % (
        "dynamic" if dynamic else "fixed", BATCH,
        ", ".join("%s %.4f s" % (name, np.median(t)) for name, t in times.items())))

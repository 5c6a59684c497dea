"""Dynamic padding gives the predictions of fixed padding (power_bert.padding)."""
import numpy as np
import pytest

import power_bert  # noqa: F401  (Keras 2 before TensorFlow)
from power_bert import padding
from power_bert.backend import keras
from power_bert.config import BertConfig
from power_bert.model import build_model

SEQ_LEN = 12
BATCH = 4
# Large initial weights so that which words Extract keeps changes the outputs.
CONFIG = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16, initializer_range=0.5)
# Real lengths per batch of 4: [3, 4, 2, 4] -> 4; [7, 5, 6, 2] -> 7; [12, 3, 9] -> 12.
LENGTHS = [3, 4, 2, 4, 7, 5, 6, 2, 12, 3, 9]
BATCH_LENGTHS = [4, 7, 12]
# l_j above some batch lengths (10 > 4, 7; 6 > 4) and below others (3 < all).
RETENTION = [10, 6, 3]


def make_inputs(lengths, width=SEQ_LEN, seed=0):
    """[CLS]=2 then random non-zero ids, segment 1 on the second half, zeros after."""
    rng = np.random.RandomState(seed)
    tokens = np.zeros((len(lengths), width), np.int32)
    segments = np.zeros((len(lengths), width), np.int32)
    for i, length in enumerate(lengths):
        tokens[i, :length] = rng.randint(1, CONFIG.vocab_size, size=length)
        tokens[i, 0] = 2
        segments[i, length // 2:length] = 1
    return [tokens, segments]


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
    assert padding.real_lengths(tokens).tolist() == [4, 6, 1, 0]


def test_dynamic_batches_cut_each_batch_in_order():
    x = make_inputs(LENGTHS)
    seen = []
    for (tokens, segments), part in padding.dynamic_batches(x, BATCH):
        assert tokens.shape == segments.shape
        np.testing.assert_array_equal(tokens, x[0][part, :tokens.shape[1]])
        np.testing.assert_array_equal(segments, x[1][part, :tokens.shape[1]])
        assert not x[0][part, tokens.shape[1]:].any()  # only padding was cut
        seen.append((part.start, part.stop, tokens.shape[1]))
    assert seen == [(0, 4, 4), (4, 8, 7), (8, 11, 12)]
    assert padding.batch_lengths(x, BATCH, dynamic=True) == BATCH_LENGTHS
    assert padding.batch_lengths(x, BATCH, dynamic=False) == [SEQ_LEN] * 3


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
    x = make_inputs(LENGTHS)
    want = padding.predict(fixed, x, BATCH, dynamic=False)
    got = padding.predict(dynamic, x, BATCH, dynamic=True)
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
        assert np.abs(padding.predict(keep_all, x, BATCH, dynamic=False) - want).max() > 1e-3


def test_dynamic_padding_needs_a_model_of_any_length(retrain_pair):
    fixed, _ = retrain_pair
    with pytest.raises(ValueError, match="seq_len=None"):
        padding.predict(fixed, make_inputs(LENGTHS), BATCH, dynamic=True)


def test_progress_bar_when_verbose(capsys, retrain_pair):
    _, dynamic = retrain_pair
    padding.predict(dynamic, make_inputs(LENGTHS[:5]), BATCH, dynamic=True, verbose=1)
    out = capsys.readouterr().out
    assert "5/5" in out and "=" in out
    padding.predict(dynamic, make_inputs(LENGTHS[:5]), BATCH, dynamic=True, verbose=0)
    assert capsys.readouterr().out == ""


def test_one_trace_for_every_batch_length(retrain_pair):
    _, dynamic = retrain_pair
    padding.predict(dynamic, make_inputs(LENGTHS), BATCH, dynamic=True)
    padding.predict(dynamic, make_inputs([5, 11, 3]), 2, dynamic=True)
    assert padding.inference_function(dynamic).experimental_get_tracing_count() == 1


# ----- training with dynamic padding (main.py --DYNAMIC_PADDING) -------------------------

def test_training_batches_are_cut_to_their_longest_example():
    from power_bert import training
    x = make_inputs(LENGTHS)
    y = np.arange(len(LENGTHS))
    fixed = list(training.make_dataset(x, y, BATCH, seed=0, shuffle=False))
    cut = list(training.make_dataset(x, y, BATCH, seed=0, shuffle=False, dynamic=True))
    assert [int(t.shape[1]) for (t, _), _ in cut] == BATCH_LENGTHS
    assert [int(t.shape[1]) for (t, _), _ in fixed] == [SEQ_LEN] * 3
    for ((t_fix, s_fix), y_fix), ((t_cut, s_cut), y_cut) in zip(fixed, cut):
        width = int(t_cut.shape[1])
        np.testing.assert_array_equal(t_cut, t_fix[:, :width])
        np.testing.assert_array_equal(s_cut, s_fix[:, :width])
        np.testing.assert_array_equal(y_cut, y_fix)
        assert not np.asarray(t_fix[:, width:]).any()  # only padding was cut
    # Shuffled: the same batches in the same order as with fixed padding.
    fixed = list(training.make_dataset(x, y, BATCH, seed=3))
    cut = list(training.make_dataset(x, y, BATCH, seed=3, dynamic=True))
    assert [list(b[1].numpy()) for b in fixed] == [list(b[1].numpy()) for b in cut]


# Dropout off: its masks are drawn per position, so they differ between the two paddings.
NO_DROPOUT = BertConfig(**dict(CONFIG.to_dict(), hidden_dropout_prob=0.0,
                               attention_probs_dropout_prob=0.0))


@pytest.mark.slow
@pytest.mark.parametrize("mode,retention", [
    ("finetune", None), ("search", None), ("retrain", RETENTION)])
def test_dynamic_padding_trains_like_fixed_padding(mode, retention):
    """A few optimizer steps from the same weights on the same batches give the same
    weights (retention parameters included) with either padding."""
    from power_bert import training
    from power_bert.layers import soft_extract_layers
    keras.utils.set_random_seed(5)
    fixed = build_model(NO_DROPOUT, 2, SEQ_LEN, mode, retention)
    dynamic = build_model(NO_DROPOUT, 2, None, mode, retention, max_len=SEQ_LEN)
    dynamic.set_weights(fixed.get_weights())
    start = [w.copy() for w in fixed.get_weights()]
    x = make_inputs(LENGTHS, seed=4)
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1])
    for model, dynamic_padding in ((fixed, False), (dynamic, True)):
        search = mode == "search"
        # Large rates so that the steps move the weights (and the retention) visibly.
        training.compile_for_stage(model, 2, 1e-2, total_steps=6, warmup_steps=1,
                                   lr_soft_extract=0.05 if search else None,
                                   mass_lambda=0.01 if search else 0.0)
        training.fit(model, x, y, epochs=2, batch_size=BATCH, seed=7,
                     on_epoch_end=lambda epoch, logs: None, verbose=0,
                     dynamic=dynamic_padding)
    moved = max(np.abs(a - b).max() for a, b in zip(fixed.get_weights(), start))
    assert moved > 1e-2
    for got, want in zip(dynamic.get_weights(), fixed.get_weights()):
        np.testing.assert_allclose(got, want, atol=2e-4, rtol=0)
    if mode == "search":
        retention_fixed = soft_extract_layers(fixed)[0].retention.numpy()
        assert retention_fixed.min() < 1.0  # the search moved it
        np.testing.assert_allclose(soft_extract_layers(dynamic)[0].retention.numpy(),
                                   retention_fixed, atol=2e-4, rtol=0)
    np.testing.assert_allclose(padding.predict(dynamic, x, BATCH, dynamic=True),
                               padding.predict(fixed, x, BATCH, dynamic=False),
                               atol=1e-4, rtol=0)

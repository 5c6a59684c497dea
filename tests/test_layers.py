"""Tests of power_bert.layers against the numpy reference (DESIGN.md items 2-6).

Shapes: B = batch, N = heads, T = length, H = hidden.
"""
import numpy as np
import pytest

from power_bert.backend import keras, tf
from power_bert.config import BertConfig
from power_bert.layers import (Extract, SelfAttention, SoftExtract, mass_regularizer,
                               significance_scores, soft_extract_layers)
from power_bert.model import build_model, model_from_json
from power_bert.retention import retention_configuration_from_masses

from helpers.inputs import make_inputs
from helpers.numpy_bert import extract_positions, significance, significance_ranks, soft_extract

B, N, T, H = 4, 2, 10, 8
REAL = [10, 7, 4, 1]  # real words per row (position 0 = [CLS] always real)


@pytest.fixture(autouse=True)
def _seeded():
    """Fresh weights (build_model draws seeds from numpy's global generator) are the same
    in every run, whatever the test order."""
    keras.utils.set_random_seed(0)


def _inputs(seed=0, real=REAL):
    """Random x [B, T, H], attention probs [B, N, T, T] (padded keys masked), mask [B, T]."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((B, T), np.float32)
    for b, n in enumerate(real):
        mask[b, :n] = 1.0
    x = rng.standard_normal((B, T, H)).astype(np.float32)
    logits = 2.0 * rng.standard_normal((B, N, T, T))
    logits = logits + (1.0 - mask)[:, None, None, :] * -10000.0
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs = (probs / probs.sum(-1, keepdims=True)).astype(np.float32)
    return x, probs, mask


def test_numpy_reference_by_hand():
    """The reference itself on numbers worked out by hand: 1 example, 1 head, 4 words,
    the last one padding (its key column is 0, as the -10000 mask makes it)."""
    probs = np.array([[[[0.1, 0.5, 0.4, 0.0],
                        [0.2, 0.1, 0.7, 0.0],
                        [0.3, 0.3, 0.4, 0.0],
                        [0.2, 0.3, 0.5, 0.0]]]])  # [1, 1, F=4, T=4]
    mask = np.array([[1.0, 1.0, 1.0, 0.0]])
    # word 0: rows 1, 2 -> 0.5; word 1: rows 0, 2 -> 0.8; word 2: rows 0, 1 -> 1.1;
    # the padded query row 3 counts for nobody, the diagonal for nobody.
    np.testing.assert_allclose(significance(probs, mask), [[0.5, 0.8, 1.1, 0.0]])
    assert significance_ranks(probs, mask).tolist() == [[2, 1, 0, 3]]
    assert extract_positions(probs, mask, 1).tolist() == [[0]]
    assert extract_positions(probs, mask, 2).tolist() == [[0, 2]]  # [CLS] + best
    assert extract_positions(probs, mask, 3).tolist() == [[0, 1, 2]]
    assert extract_positions(probs, mask, 9).tolist() == [[0, 1, 2, 3]]
    x = np.ones((1, 4, 2))
    retention = np.array([1.0, 0.5, 0.25, 0.0, 7.0])  # by rank; the 5th is unused
    np.testing.assert_allclose(soft_extract(x, probs, mask, retention)[0, :, 0],
                               [0.25, 0.5, 1.0, 0.0])


# --- significance ---------------------------------------------------------------------------

def test_significance_matches_numpy_reference_and_padding_ranks_last():
    x, probs, mask = _inputs(seed=1)
    got = significance_scores(tf.constant(probs), tf.constant(mask)).numpy()  # [B, T]
    want = significance(probs.astype(np.float64), mask)
    real = mask > 0
    np.testing.assert_allclose(got[real], want[real], atol=1e-6)
    for b in range(B):
        if real[b].all():
            continue
        assert got[b][~real[b]].max() < got[b][real[b]].min()


def test_significance_ignores_diagonal_and_padded_query_rows():
    x, probs, mask = _inputs(seed=2)
    base = significance_scores(tf.constant(probs), tf.constant(mask)).numpy()
    rng = np.random.default_rng(3)
    diagonal = probs.copy()
    idx = np.arange(T)
    diagonal[:, :, idx, idx] = rng.uniform(0, 5, size=(B, N, T)).astype(np.float32)
    got = significance_scores(tf.constant(diagonal), tf.constant(mask)).numpy()
    np.testing.assert_array_equal(got, base)
    padded_rows = probs.copy()
    for b, n in enumerate(REAL):
        padded_rows[b, :, n:, :] = rng.uniform(0, 5, size=(N, T - n, T)).astype(np.float32)
    assert not np.array_equal(padded_rows, probs)
    got = significance_scores(tf.constant(padded_rows), tf.constant(mask)).numpy()
    np.testing.assert_array_equal(got, base)
    # Control: changing a real off-diagonal query row does change the scores.
    real_row = probs.copy()
    real_row[0, :, 1, 2] += 1.0
    got = significance_scores(tf.constant(real_row), tf.constant(mask)).numpy()
    assert abs(got[0, 2] - base[0, 2] - 1.0) < 1e-5


# --- Extract --------------------------------------------------------------------------------

@pytest.mark.parametrize("retain", [1, 2, 4, 6, 8, 10, 12])
def test_extract_matches_numpy_reference(retain):
    x, probs, mask = _inputs(seed=4)
    kept, kept_mask, _ = Extract(retain)([tf.constant(x), tf.constant(probs), tf.constant(mask)])
    positions = extract_positions(probs.astype(np.float64), mask, retain)  # [B, K]
    want_x = np.take_along_axis(x, positions[:, :, None], axis=1)  # [B, K, H]
    want_mask = np.take_along_axis(mask, positions, axis=1)  # [B, K]
    assert kept.shape == (B, min(retain, T), H)
    assert kept_mask.shape == (B, min(retain, T))
    np.testing.assert_allclose(kept.numpy(), want_x, atol=1e-6)
    np.testing.assert_array_equal(kept_mask.numpy(), want_mask)


def test_extract_keeps_cls_and_all_real_words_when_retain_exceeds_them():
    x, probs, mask = _inputs(seed=5)
    kept, kept_mask, _ = Extract(7)([tf.constant(x), tf.constant(probs), tf.constant(mask)])
    for b, n in enumerate(REAL):
        np.testing.assert_array_equal(kept[b, 0].numpy(), x[b, 0])  # [CLS] first
        # Every real word survives (in order) before any padding word.
        real_kept = min(n, 7)
        assert kept_mask[b].numpy().sum() == real_kept
        np.testing.assert_array_equal(kept_mask[b, :real_kept].numpy(), np.ones(real_kept))


# --- SoftExtract ----------------------------------------------------------------------------

def _soft(max_len=T):
    layer = SoftExtract(max_len, 1)
    return layer


def test_soft_extract_all_ones_is_identity():
    x, probs, mask = _inputs(seed=6)
    layer = _soft()
    out = layer([tf.constant(x), tf.constant(probs), tf.constant(mask)]).numpy()
    np.testing.assert_array_equal(layer.retention.numpy(), np.ones(T, np.float32))
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("k", [0, 3, T - 1])
def test_soft_extract_zeroes_exactly_the_word_of_rank_k(k):
    x, probs, mask = _inputs(seed=7)
    layer = _soft()
    inputs = [tf.constant(x), tf.constant(probs), tf.constant(mask)]
    layer(inputs)
    r = np.ones(T, np.float32)
    r[k] = 0.0
    layer.retention.assign(r)
    out = layer(inputs).numpy()
    ranks = significance_ranks(probs.astype(np.float64), mask)  # [B, T]
    for b in range(B):
        (pos,) = np.nonzero(ranks[b] == k)
        np.testing.assert_array_equal(out[b, pos[0]], np.zeros(H, np.float32))
        others = np.arange(T) != pos[0]
        np.testing.assert_array_equal(out[b, others], x[b, others])


def test_soft_extract_scales_by_rank_and_gradient_flows_to_retention():
    x, probs, mask = _inputs(seed=8)
    layer = _soft(max_len=T + 2)  # T <= max_len: the last two parameters are unused
    inputs = [tf.constant(x), tf.constant(probs), tf.constant(mask)]
    layer(inputs)
    r = np.random.default_rng(9).uniform(0, 1, T + 2).astype(np.float32)
    layer.retention.assign(r)
    with tf.GradientTape() as tape:
        out = layer(inputs)
        total = tf.reduce_sum(out)
    grad = tf.convert_to_tensor(tape.gradient(total, layer.retention)).numpy()
    ranks = significance_ranks(probs.astype(np.float64), mask)  # [B, T]
    np.testing.assert_allclose(out.numpy(), soft_extract(x, probs.astype(np.float64), mask, r),
                               rtol=1e-6, atol=1e-6)
    want = np.zeros(T + 2)
    for b in range(B):
        for t in range(T):
            want[ranks[b, t]] += x[b, t].sum()
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-5)
    assert np.abs(grad[:T]).min() > 0


# --- mass regulariser and retention configuration -------------------------------------------

@pytest.fixture
def search_model(bert_config):
    assert bert_config.num_hidden_layers == 3
    return build_model(bert_config, 2, 8, mode="search")


def test_mass_regularizer_weights_mass_by_layer_index(search_model, bert_config):
    model = search_model
    layers = soft_extract_layers(model)
    assert [layer.layer_index for layer in layers] == [1, 2, 3]
    assert [layer.name for layer in layers] == ["Encoder-%d-Soft-Extract" % j for j in (1, 2, 3)]
    rng = np.random.default_rng(10)
    values = [rng.uniform(0, 1, 8).astype(np.float32) for _ in layers]
    for layer, v in zip(layers, values):
        layer.retention.assign(v)
    lambda_ = 0.37
    want = lambda_ * sum(j * v.astype(np.float64).sum() for j, v in zip((1, 2, 3), values))
    got = float(mass_regularizer(model, lambda_).numpy())
    assert got == pytest.approx(want, rel=1e-6)
    for layer, v in zip(layers, values):
        assert float(layer.mass().numpy()) == pytest.approx(v.sum(), rel=1e-6)
    finetune = build_model(bert_config, 2, 8, mode="finetune")
    assert float(mass_regularizer(finetune, lambda_).numpy()) == 0.0


@pytest.mark.parametrize("masses,seq_len,want", [
    ([7.9, 8.5, 3.2, 0.4], None, [7, 7, 3, 1]),
    ([10.0, 9.99, 0.0, 2.5], None, [10, 9, 1, 1]),
    ([30.2, 12.0, 11.0], 10, [10, 10, 10]),
    ([1.0, 5.0, 1.0, 0.999], 8, [1, 1, 1, 1]),
])
def test_retention_configuration_from_masses(masses, seq_len, want):
    assert retention_configuration_from_masses(masses, seq_len=seq_len) == want


def test_retention_configuration_from_soft_extract_masses(search_model):
    model = search_model
    for layer, v in zip(soft_extract_layers(model), ([1] * 6 + [0.5] * 2, [0.9] * 8, [0.1] * 8)):
        layer.retention.assign(np.asarray(v, np.float32))
    masses = [float(layer.mass().numpy()) for layer in soft_extract_layers(model)]
    assert retention_configuration_from_masses(masses, seq_len=8) == [7, 7, 1]


# --- serialisation --------------------------------------------------------------------------

def _round_trip(layer):
    """Rebuild a layer from its serialised config, without custom_objects."""
    config = keras.layers.serialize(layer)
    clone = keras.layers.deserialize(config)
    assert type(clone) is type(layer)
    assert clone.get_config() == layer.get_config()
    return clone


def test_self_attention_config_round_trip():
    layer = SelfAttention(2, attention_dropout=0.25, name="att")
    x, probs, mask = _inputs(seed=11)
    out, p = layer([tf.constant(x), tf.constant(mask)])
    assert p.shape == (B, 2, T, T)
    clone = _round_trip(layer)
    assert (clone.head_num, clone.attention_dropout, clone.name) == (2, 0.25, "att")
    clone([tf.constant(x), tf.constant(mask)])
    clone.set_weights(layer.get_weights())
    out2, p2 = clone([tf.constant(x), tf.constant(mask)])
    np.testing.assert_array_equal(out2.numpy(), out.numpy())
    np.testing.assert_array_equal(p2.numpy(), p.numpy())


def test_self_attention_rejects_hidden_not_multiple_of_heads():
    x, _, mask = _inputs(seed=11)
    with pytest.raises(ValueError, match=r"hidden size \(8\).*heads \(3\)"):
        SelfAttention(3)([tf.constant(x), tf.constant(mask)])


def test_extract_and_soft_extract_config_round_trip():
    x, probs, mask = _inputs(seed=12)
    inputs = [tf.constant(x), tf.constant(probs), tf.constant(mask)]
    extract = Extract(5, name="ex")
    clone = _round_trip(extract)
    assert clone.retain == 5
    for a, b in zip(extract(inputs), clone(inputs)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    soft = SoftExtract(12, 3, name="soft")
    soft(inputs)
    soft.retention.assign(np.linspace(0, 1, 12).astype(np.float32))
    clone = _round_trip(soft)
    assert (clone.max_len, clone.layer_index) == (12, 3)
    clone(inputs)
    clone.set_weights(soft.get_weights())
    np.testing.assert_array_equal(clone(inputs).numpy(), soft(inputs).numpy())


@pytest.mark.parametrize("mode,inference", [("search", False), ("retrain", False),
                                            ("retrain", True)])
def test_model_from_json_gives_same_predictions(mode, inference, tiny_config):
    config = BertConfig.from_dict(dict(tiny_config, num_hidden_layers=2))
    kwargs = {"retention_configuration": [5, 3]} if mode == "retrain" else {}
    model = build_model(config, 3, 8, mode=mode, inference=inference, **kwargs)
    if mode == "search":
        rng = np.random.default_rng(13)
        for layer in soft_extract_layers(model):
            layer.retention.assign(rng.uniform(0, 1, 8).astype(np.float32))
    clone = model_from_json(model.to_json())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    clone.set_weights(model.get_weights())
    batch = make_inputs([8, 6, 3], seed=14)
    want = model(batch.inputs, training=False).numpy()
    got = clone(batch.inputs, training=False).numpy()
    assert got.shape == (3, 3)
    np.testing.assert_array_equal(got, want)
    if mode == "retrain" and not inference:
        assert [clone.get_layer("Encoder-%d-Extract" % j).retain for j in (1, 2)] == [5, 3]
    if inference:
        attention = [clone.get_layer("Encoder-%d-MultiHeadSelfAttention" % j) for j in (1, 2)]
        assert [layer.extract.retain for layer in attention] == [5, 3]

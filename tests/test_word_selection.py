"""Word-selection strategies of Extract (the paper's ablation): Head-WS keeps positions
0..l_j-1, Rand-WS a seeded random subset with [CLS]; both checked against numpy, with
padding, and carried by the stage checkpoint.

Shapes: B = batch, N = heads, T = length, H = hidden, K = kept.
"""
import dataclasses

import numpy as np
import pytest

from power_bert.backend import keras, tf
from power_bert.checkpoint import StageCheckpoint
from power_bert.config import BertConfig
from power_bert.errors import CheckpointError
from power_bert.layers import Extract

from helpers.inputs import make_inputs
from helpers.numpy_bert import extract_positions

B, N, T, H = 4, 2, 10, 8
REAL = [10, 7, 4, 1]  # real words per row; the rest is padding


def _inputs(seed=0, real=REAL, length=T):
    rng = np.random.default_rng(seed)
    mask = np.zeros((len(real), length), np.float32)
    for b, n in enumerate(real):
        mask[b, :n] = 1.0
    x = rng.standard_normal((len(real), length, H)).astype(np.float32)
    logits = 2.0 * rng.standard_normal((len(real), N, length, length))
    logits = logits + (1.0 - mask)[:, None, None, :] * -10000.0
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs = (probs / probs.sum(-1, keepdims=True)).astype(np.float32)
    return x, probs, mask


def _run(layer, x, probs, mask):
    kept, kept_mask, indices = layer([tf.constant(x), tf.constant(probs), tf.constant(mask)])
    return kept.numpy(), kept_mask.numpy(), indices.numpy()


def _numpy_random_positions(mask, keep, seed, layer_index, max_len):
    """Rand-WS by hand: [CLS], then real words by the seeded priority (a numpy permutation
    of SeedSequence([seed, layer_index])), then padding by position; sorted."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, layer_index]))
    priority = rng.permutation(max_len)
    rows = []
    for row in mask:
        length = len(row)
        real = [p for p in range(1, length) if row[p] > 0]
        pad = [p for p in range(1, length) if row[p] == 0]
        order = [0] + sorted(real, key=lambda p: -priority[p]) + pad
        rows.append(sorted(order[:min(keep, length)]))
    return np.array(rows)


@pytest.mark.parametrize("retain", [1, 3, 5, 10, 12])
def test_head_keeps_exactly_the_first_positions(retain):
    x, probs, mask = _inputs(seed=1)
    kept, kept_mask, indices = _run(Extract(retain, "head"), x, probs, mask)
    k = min(retain, T)
    want = np.tile(np.arange(k), (B, 1))  # positions 0..l_j-1 whatever the attention
    np.testing.assert_array_equal(indices, want)
    np.testing.assert_array_equal(kept, x[:, :k])
    np.testing.assert_array_equal(kept_mask, mask[:, :k])


def test_head_is_what_attention_keeps_when_an_example_is_shorter_than_retain():
    """Real length below l_j: attention keeps every real word then the first padding
    positions, i.e. positions 0..l_j-1, as Head-WS does."""
    x, probs, mask = _inputs(seed=2)
    attention = _run(Extract(7), x, probs, mask)[2]
    head = _run(Extract(7, "head"), x, probs, mask)[2]
    short = [b for b, n in enumerate(REAL) if n <= 7]
    np.testing.assert_array_equal(head[short], attention[short])
    # Control: the full-length row differs (attention picks by significance).
    assert not np.array_equal(head[0], attention[0])


@pytest.mark.parametrize("retain", [1, 4, 6, 10])
@pytest.mark.parametrize("seed, layer_index", [(0, 1), (7, 3)])
def test_random_is_a_seeded_subset_with_cls(retain, seed, layer_index):
    x, probs, mask = _inputs(seed=3)
    layer = Extract(retain, "random", seed=seed, layer_index=layer_index, max_len=T)
    kept, kept_mask, indices = _run(layer, x, probs, mask)
    want = _numpy_random_positions(mask, retain, seed, layer_index, T)
    np.testing.assert_array_equal(indices, want)
    assert (indices[:, 0] == 0).all()  # [CLS]
    np.testing.assert_array_equal(kept, np.take_along_axis(x, want[:, :, None], axis=1))
    np.testing.assert_array_equal(kept_mask, np.take_along_axis(mask, want, axis=1))
    # independent of the attention probabilities
    other = _run(layer, x, _inputs(seed=4)[1], mask)[2]
    np.testing.assert_array_equal(other, indices)


def test_random_differs_by_seed_and_layer_but_is_reproducible():
    x, probs, mask = _inputs(seed=5, real=[T, T])
    subsets = {}
    for seed, layer_index in [(0, 1), (0, 2), (1, 1)]:
        first = _run(Extract(5, "random", seed, layer_index, T), x, probs, mask)[2]
        again = _run(Extract(5, "random", seed, layer_index, T), x, probs, mask)[2]
        np.testing.assert_array_equal(first, again)
        np.testing.assert_array_equal(first[0], first[1])  # the same for every example
        subsets[(seed, layer_index)] = tuple(first[0])
    assert len(set(subsets.values())) == 3


@pytest.mark.parametrize("selection", ["attention", "head", "random"])
def test_same_real_words_with_dynamic_padding(selection):
    """A batch cut to its longest example keeps the same real words as at full length."""
    real = [6, 4, 2]
    x, probs, mask = _inputs(seed=6, real=real)
    layer = Extract(5, selection, seed=3, layer_index=2, max_len=T)
    full = _run(layer, x, probs, mask)
    cut = max(real)
    # the attention probabilities of the cut batch: the same real rows and columns
    short = _run(layer, x[:, :cut], probs[:, :, :cut, :cut], mask[:, :cut])
    for b, n in enumerate(real):
        real_full = full[2][b][full[1][b] > 0]
        real_short = short[2][b][short[1][b] > 0]
        np.testing.assert_array_equal(real_full, real_short)
        assert len(real_full) == min(5, n)


def test_attention_indices_match_numpy_reference():
    x, probs, mask = _inputs(seed=7)
    indices = _run(Extract(4), x, probs, mask)[2]
    np.testing.assert_array_equal(indices, extract_positions(probs.astype(np.float64), mask, 4))


def test_bad_selection_and_random_without_length():
    with pytest.raises(ValueError, match="word selection must be one of attention, head, "
                                         "random, got 'tail'"):
        Extract(3, "tail")
    with pytest.raises(ValueError, match="needs max_len"):
        Extract(3, "random")


def test_config_round_trip_keeps_the_selection():
    layer = Extract(4, "random", seed=9, layer_index=2, max_len=T, name="ex")
    clone = Extract.from_config(layer.get_config())
    x, probs, mask = _inputs(seed=8)
    np.testing.assert_array_equal(_run(clone, x, probs, mask)[2], _run(layer, x, probs, mask)[2])


def test_stage_checkpoint_records_and_rebuilds_the_selection(tiny_config, tmp_path):
    keras.utils.set_random_seed(0)
    config = BertConfig.from_dict(dict(tiny_config, num_hidden_layers=2))
    checkpoint = StageCheckpoint(config=config, task="sst-2", num_labels=2, seq_len=8,
                           mode="retrain", retention_configuration=(4, 2), word_selection="random",
                           selection_seed=5)
    model = checkpoint.build()
    saved = checkpoint.save(model, str(tmp_path), "retrain")
    loaded = StageCheckpoint.load(saved.weights_path)
    assert (loaded.word_selection, loaded.selection_seed) == ("random", 5)
    rebuilt = loaded.load_model()
    layer = rebuilt.get_layer("Encoder-2-Extract")
    assert (layer.selection, layer.seed, layer.layer_index, layer.max_len) == (
        "random", 5, 2, 8)
    batch = make_inputs([8, 6, 3], seed=1)
    np.testing.assert_array_equal(rebuilt(batch.inputs).numpy(), model(batch.inputs).numpy())
    # Older metadata without the keys reads as attention; a bad value is refused.
    meta = loaded.to_json()
    for key in ("word_selection", "selection_seed"):
        meta.pop(key)
    assert StageCheckpoint.from_json(meta, "old.json").word_selection == "attention"
    with pytest.raises(CheckpointError, match="word_selection must be one of"):
        dataclasses.replace(loaded, word_selection="tail")


def test_word_selection_flag_is_checked_before_tensorflow_work(tmp_path):
    from power_bert.errors import UsageError
    from power_bert.options import Options, validate
    base = dict(task="sst-2", output_dir=str(tmp_path / "out"), data_dir=str(tmp_path),
                vocab_path=__file__, checkpoint_path="retrain.hdf5", eval_only=True)
    assert validate(Options(word_selection="Head", **base)).options.word_selection == "head"
    assert validate(Options(**base)).options.word_selection is None  # eval: the model's own
    with pytest.raises(UsageError, match="--WORD_SELECTION must be one of attention, head, "
                                         "random, got 'first'"):
        validate(Options(word_selection="first", **base))

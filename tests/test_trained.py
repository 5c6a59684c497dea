"""Opening a trained model (``power_bert.trained``), the one path of eval, predict, export,
elimination and the benchmark: each check refuses what does not fit with a message naming
the model, in the caller's error class, and the overrides change the model that is built."""
import json

import numpy as np
import pytest

from power_bert.checkpoint import StageCheckpoint, file_sha256
from power_bert.errors import BenchmarkError, UsageError
from power_bert.trained import apply_overrides, open_trained

from helpers.tiny import TINY_VOCAB, tiny_bert_config, tiny_config, write_vocab

SEQ_LEN = 16


@pytest.fixture
def vocab(tmp_path):
    return write_vocab(tmp_path / "vocab.txt", TINY_VOCAB)


def _stage(folder, vocab=None, **fields):
    """Metadata of a stage checkpoint beside a weights file that is never read (the
    checks run on the metadata only); returns the weights path."""
    meta = {"format_version": 2, "bert_config": tiny_config(), "task": "sst-2", "num_labels": 2,
            "seq_len": SEQ_LEN, "mode": "finetune", "cased": False}
    if vocab is not None:
        meta.update(vocab_path=str(vocab), vocab_sha256=file_sha256(str(vocab)),
                    vocab_size=len(TINY_VOCAB))
    meta.update(fields)
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "model.hdf5").write_text("weights not read here")
    return str(folder / "model.hdf5")


def test_a_fitting_model_opens_with_the_vocabulary_it_records(tmp_path, vocab):
    trained = open_trained(_stage(tmp_path, vocab), task="sst-2", cased=False)
    assert trained.vocab_path == str(vocab) and trained.task.name == "sst-2"
    assert (trained.seq_len, trained.cased) == (SEQ_LEN, False)
    assert trained.checkpoint.mode == "finetune" and trained.google_checkpoint is None


@pytest.mark.parametrize("kwargs, fields, message", [
    (dict(task="cola"), {}, "model {path} was trained on task sst-2; --TASK cola needs a cola "
                            "model"),
    (dict(task="ax"), {}, "model {path} was trained on task sst-2; --TASK ax needs a mnli-m "
                          "model"),
    (dict(task="no-such-task"), {}, "--TASK: "),
    ({}, {"mode": "search", "retention_configuration": [8, 4, 2]},
     "model {path} is a configuration-search model (Soft-Extract layers); use the fine-tuned "
     "or re-trained model (finetune.hdf5, retrain.hdf5)"),
    (dict(cased=True), {}, "model {path} was trained uncased; drop --CASED"),
    (dict(cased=False), {"cased": True}, "model {path} was trained cased; add --CASED"),
])
def test_a_model_that_does_not_fit_is_refused(tmp_path, vocab, kwargs, fields, message):
    path = _stage(tmp_path, vocab, **fields)
    with pytest.raises(UsageError) as caught:
        open_trained(path, **kwargs)
    assert message.format(path=path) in str(caught.value)


def test_a_search_model_opens_where_allowed(tmp_path, vocab):
    path = _stage(tmp_path, vocab, mode="search", retention_configuration=[8, 4, 2])
    assert open_trained(path, allow_search=True).checkpoint.mode == "search"


def test_vocabulary_problems_name_the_file(tmp_path, vocab):
    bare = tmp_path / "bare"
    bare.mkdir()
    with pytest.raises(UsageError, match="does not record its vocabulary; give --VOCAB_PATH"):
        open_trained(_stage(bare))
    gone = tmp_path / "gone"
    gone.mkdir()
    path = _stage(gone, vocab, vocab_path=str(tmp_path / "moved" / "vocab.txt"))
    with pytest.raises(UsageError, match="vocabulary not found: .*moved/vocab.txt"):
        open_trained(path)
    other = tmp_path / "other.txt"
    other.write_text("\n".join(TINY_VOCAB[:-1] + ("zebra",)) + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        open_trained(_stage(tmp_path, vocab), vocab_path=str(other))
    assert str(caught.value).startswith("--VOCAB_PATH: vocab %s" % other)
    assert "SHA-256" in str(caught.value)
    longer = tmp_path / "longer.txt"
    longer.write_text("\n".join(TINY_VOCAB + ("extra",)) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="has 41 entries but model .* has only 40"):
        open_trained(_stage(bare), vocab_path=str(longer))


def test_errors_come_in_the_callers_class_with_its_flag(tmp_path, vocab):
    with pytest.raises(BenchmarkError, match="^--POWER: model weights not found"):
        open_trained(str(tmp_path / "none.hdf5"), "--POWER", error=BenchmarkError)
    path = _stage(tmp_path, vocab)
    with pytest.raises(BenchmarkError, match="^--POWER %s was trained on task sst-2" % path):
        open_trained(path, "--POWER", task="cola", error=BenchmarkError)


def _checkpoint(**fields):
    return StageCheckpoint(config=tiny_bert_config(), task="sst-2", num_labels=2,
                           seq_len=SEQ_LEN, mode="finetune", **fields)


@pytest.mark.parametrize("retention", ["8,4,2", (8, 4, 2), [8, 4, 2]])
def test_a_retention_configuration_makes_a_retrain_model(retention):
    checkpoint = apply_overrides(_checkpoint(), retention_configuration=retention)
    assert (checkpoint.mode, checkpoint.retention_configuration, checkpoint.applied_retention) == (
        "retrain", (8, 4, 2), [8, 4, 2])


@pytest.mark.parametrize("retention, message", [
    ("8,x,2", "--RETENTION_CONFIG: retention configuration '8,x,2' is not a comma-separated"),
    ("8,4", "--RETENTION_CONFIG: "),                 # one entry per encoder
    ((SEQ_LEN + 1, 4, 2), "--RETENTION_CONFIG: "),   # longer than the model's length
    ((4, 8, 2), "--RETENTION_CONFIG: "),             # increasing
])
def test_a_retention_configuration_must_fit_the_model(retention, message):
    with pytest.raises(UsageError) as caught:
        apply_overrides(_checkpoint(), retention_configuration=retention)
    assert str(caught.value).startswith(message)


def test_word_selection_is_checked_and_seeded():
    checkpoint = apply_overrides(_checkpoint(), word_selection="random", seed=7)
    assert (checkpoint.word_selection, checkpoint.selection_seed, checkpoint.mode) == (
        "random", 7, "finetune")
    assert apply_overrides(_checkpoint(word_selection="head")).word_selection == "head"
    with pytest.raises(BenchmarkError, match="^--WORD_SELECTION must be one of attention, "
                                             "head, random, got 'best'"):
        apply_overrides(_checkpoint(), word_selection="best", error=BenchmarkError)


def test_the_overrides_change_the_model_that_is_built(tmp_path, vocab):
    """A fine-tuned model opened with --RETENTION_CONFIG keeps l_j vectors per encoder,
    with its own weights: without the override the same weights keep every vector."""
    from power_bert.backend import keras
    from power_bert.elimination import extract_layers
    from power_bert.layers import ExtractingSelfAttention
    keras.utils.set_random_seed(3)
    checkpoint = _checkpoint(vocab_path=str(vocab), vocab_sha256=file_sha256(str(vocab)))
    saved = checkpoint.save(checkpoint.build(), str(tmp_path / "run"), "finetune")
    plain = open_trained(saved.weights_path).load()
    opened = open_trained(saved.weights_path, retention_configuration="8,4,2",
                          word_selection="attention")
    model = opened.load(inference=False)
    assert extract_layers(plain) == []
    assert [layer.output[2].shape[1] for layer in extract_layers(model)] == [8, 4, 2]
    # The default, a model that only predicts: the same selection inside the attention.
    served = opened.load()
    assert extract_layers(served) == []
    assert [layer.output[3].shape[1] for layer in served.layers
            if isinstance(layer, ExtractingSelfAttention)] == [8, 4, 2]
    weighted = [layer for layer in model.layers if layer.get_weights()]
    assert len(weighted) == len([layer for layer in plain.layers if layer.get_weights()])
    for layer in weighted:
        for got, want in zip(layer.get_weights(), plain.get_layer(layer.name).get_weights()):
            np.testing.assert_array_equal(got, want)

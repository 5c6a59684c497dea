"""Elimination pictures: the kept positions read from the model's Extract layers equal
what Extract keeps in the independent numpy BERT; the text table, the survival
frequencies, and the command's files and errors."""
import json

import numpy as np
import pytest

from power_bert import cli
from power_bert.backend import keras
from power_bert.checkpoint import StageCheckpoint
from power_bert.config import BertConfig
from power_bert.elimination import (example_records, kept_positions, survival_frequencies,
                                    text_table)
from power_bert.google_ckpt import load_google_checkpoint
from power_bert.model import build_model

from helpers.inputs import make_inputs
from helpers.numpy_bert import bert_forward

SEQ_LEN = 10
RETENTION = [7, 4, 2]
LENGTHS = [10, 8, 5, 2, 9]


@pytest.fixture(scope="module")
def loaded(google_bert):
    """The tiny Google checkpoint in a retrain model at RETENTION (built once)."""
    keras.utils.set_random_seed(0)
    config = BertConfig.from_dict(google_bert.config)
    model = build_model(config, 2, SEQ_LEN, mode="retrain", retention_configuration=RETENTION)
    load_google_checkpoint(model, config, google_bert.ckpt_prefix,
                           vocab_path=google_bert.vocab_path)
    return model, config


def test_kept_positions_are_what_extract_keeps(loaded, google_bert):
    model, _ = loaded
    batch = make_inputs(LENGTHS, seq_len=SEQ_LEN, seed=3)
    got = kept_positions(model, batch.inputs, batch_size=2)  # three batches, concatenated
    want = bert_forward(google_bert.variables, google_bert.config, *batch.inputs, batch.mask,
                        retention_configuration=RETENTION)["kept_positions"]
    assert [g.shape for g in got] == [(len(LENGTHS), l) for l in RETENTION]
    for j in range(len(RETENTION)):
        np.testing.assert_array_equal(got[j], want[j])
    # Control: significance chose them, not position (Head-WS would keep 0..l_j-1).
    assert any(not np.array_equal(got[j][0], np.arange(RETENTION[j])) for j in range(3))
    records = example_records([["w%d" % p for p in range(n)] for n in LENGTHS], got,
                              RETENTION)
    for i, n in enumerate(LENGTHS):
        for j in range(3):  # padding positions are not pictured
            assert records[i]["kept"][j] == [int(p) for p in want[j][i] if p < n]


def test_text_table_and_survival_by_hand():
    record = {"tokens": ["[CLS]", "a", "bb", "[SEP]"], "kept": [[0, 1, 2, 3], [0, 2], [0]],
              "retention_configuration": [4, 2, 1]}
    assert text_table(record).splitlines() == [
        "input      [CLS] a bb [SEP]",
        "encoder 1  [CLS] a bb [SEP]   (4 kept)",
        "encoder 2  [CLS] . bb .   (2 kept)",
        "encoder 3  [CLS] . .  .   (1 kept)"]
    positions = [np.array([[0, 1, 2], [0, 1, 2]]), np.array([[0, 2], [0, 1]])]
    table = survival_frequencies(positions, np.array([3, 2]), 4)
    np.testing.assert_array_equal(table[0][:3], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(table[1][:3], [1.0, 0.5, 1.0])  # position 2: one example
    assert np.isnan(table[:, 3]).all()  # no example has position 3


@pytest.fixture(scope="module")
def saved(loaded, google_bert, tmp_path_factory):
    model, config = loaded
    folder = tmp_path_factory.mktemp("elimination")
    checkpoint = StageCheckpoint(config=config, task="sst-2", num_labels=2, seq_len=SEQ_LEN,
                           mode="retrain", retention_configuration=tuple(RETENTION))
    checkpoint.save(model, str(folder), "retrain")
    sentences = folder / "sentences.txt"
    sentences.write_text("good film here\n\nbad plot\n", encoding="utf-8")
    return folder, sentences


@pytest.mark.slow
def test_command_writes_the_pictures_of_given_sentences(saved, google_bert, capsys):
    folder, sentences = saved
    out = folder / "out"
    assert cli.main(["elimination", "--CHECKPOINT_PATH", str(folder / "retrain.hdf5"),
                     "--VOCAB_PATH", google_bert.vocab_path, "--SENTENCES", str(sentences),
                     "--OUTPUT_DIR", str(out), "--FORMAT", "svg"]) == 0
    printed = capsys.readouterr().out
    data = json.loads((out / "elimination.json").read_text())
    assert [e["tokens"][0] for e in data["examples"]] == ["[CLS]", "[CLS]"]
    assert [len(e["kept"]) for e in data["examples"]] == [3, 3]
    for example in data["examples"]:
        assert all(kept[0] == 0 for kept in example["kept"])  # [CLS] survives
        assert len(example["kept"][-1]) == min(RETENTION[-1], len(example["tokens"]))
        assert text_table(example) in printed
    assert (out / "elimination.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("argv, message", [
    (["--NUM_EXAMPLES", "0", "--DATA_DIR", "."], "--NUM_EXAMPLES must be at least 1, got 0"),
    ([], "give --DATA_DIR (the first --NUM_EXAMPLES dev examples) or --SENTENCES"),
    (["--SENTENCES", "missing.txt"], "--SENTENCES: file not found: missing.txt"),
    (["--SENTENCES", "{sentences}", "--RETENTION_CONFIG", "7,8,2"], "--RETENTION_CONFIG: "),
])
def test_command_errors(saved, google_bert, capsys, argv, message):
    folder, sentences = saved
    argv = [a.replace("{sentences}", str(sentences)) for a in argv]
    assert cli.main(["elimination", "--CHECKPOINT_PATH", str(folder / "retrain.hdf5"),
                     "--VOCAB_PATH", google_bert.vocab_path, "--OUTPUT_DIR",
                     str(folder / "bad"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (folder / "bad").exists()

"""``--TUNE_SPLIT sentences``: holding out whole sentences of a training file whose rows
are sentences and their phrases (SST-2). The containment on hand-made rows, the split's
guarantees (no held-out row inside a trained row, shared phrases still trained, seeds),
the flags' errors, the record, and one tiny training run that holds out sentences."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from power_bert.data import train_split
from power_bert.data.encoder import sentence_rows
from power_bert.documents import Selection
from power_bert.stages import selection_record

import main as legacy_cli

from helpers.runs import flags, write_demo_inputs

# Two sentences and their phrases, as SST-2 writes them (lower case, tokens split by
# spaces): "the film" lies inside both sentences, "then" is not the word "the".
ROWS = ["the film is a gorgeous , witty , seductive movie",   # 0 sentence
        "a gorgeous , witty , seductive movie",               # 1 inside 0
        "the film",                                           # 2 inside 0 and 4
        "Gorgeous",                                           # 3 inside 0 (case folded)
        "then the film falls flat",                           # 4 sentence
        "falls flat",                                         # 5 inside 4
        "the film is",                                        # 6 inside 0
        "then the film falls flat",                           # 7 a duplicate of 4
        "flat  out  fun",                                     # 8 sentence (spacing)
        "fla"]                                                # 9 sentence (no whole word)


def test_each_row_names_the_whole_sentences_that_contain_it():
    containing = [list(c) for c in sentence_rows(ROWS)]
    assert containing == [[0], [0], [0, 4], [0], [4], [4], [0], [4], [8], [9]]


def test_held_out_sentences_take_their_own_phrases_out_of_training():
    containing = sentence_rows(ROWS)
    sentences = [0, 4, 8, 9]
    for tune_seed in range(6):
        train, held = train_split(len(ROWS), seed=1, tune_fraction=0.2, tune_seed=tune_seed,
                                  containing=containing)
        assert len(held) == 2 and set(held) <= set(sentences)
        # the head of the tune seed's permutation of the sentences, in file order
        order = np.random.RandomState(tune_seed).permutation(len(sentences))[:2]
        assert list(held) == sorted(sentences[i] for i in order)
        # every row trained on has a sentence that is not held out: no held-out sentence
        # and none of its own phrases is trained on, and no held-out row lies in a trained one
        for i in train:
            assert not set(containing[i]) <= set(held)
            assert i not in held
        for i in held:
            assert not any(" %s " % ROWS[i] in " %s " % ROWS[j] for j in train)
        # round(0.2 * 10) held out; the rest is smaller than 8: all of it trained on
        rest = [i for i in range(len(ROWS)) if not set(containing[i]) <= set(held)]
        assert sorted(train) == rest
        if set(held) == {8, 9}:  # "the film" is shared with a trained sentence: trained on
            assert 2 in train
    held_0 = train_split(len(ROWS), 1, None, 0.2, 0, containing)[1]
    # the cells of a sweep differ in seed: the same sentences held out, another order
    assert list(train_split(len(ROWS), 2, None, 0.2, 0, containing)[1]) == list(held_0)
    assert list(train_split(len(ROWS), 2, None, 0.2, 0, containing)[0]) != list(
        train_split(len(ROWS), 1, None, 0.2, 0, containing)[0])


def test_holding_out_sentences_with_an_example_cap():
    containing = sentence_rows(ROWS)
    train, held = train_split(len(ROWS), seed=3, max_examples=5, tune_fraction=0.4,
                              tune_seed=0, containing=containing)
    assert (len(held), len(train)) == (2, 3)
    assert all(not set(containing[i]) <= set(held) for i in train)


def test_more_sentences_than_the_file_has_is_an_error_naming_the_counts():
    containing = sentence_rows(ROWS)
    with pytest.raises(ValueError, match="holding out 0.5 of 10 training examples as whole "
                                         "sentences needs 5 sentences; the file has 4"):
        train_split(len(ROWS), 1, None, 0.5, 0, containing)
    # 4 sentences held out leave nothing outside them
    with pytest.raises(ValueError, match="holding out 4 sentences leaves no row outside them"):
        train_split(len(ROWS), 1, None, 0.4, 0, containing)


def test_the_record_says_sentences_were_held_out():
    held = np.asarray([0, 4], dtype=np.int64)
    selection = selection_record(0.2, 3, held, 8, tune_split="sentences")
    assert selection.protocol == ("selected on 20% of train held out as whole sentences "
                                  "(seed 3), reported on dev")
    document = selection.to_json()
    assert document["tune_split"] == "sentences"
    assert Selection.from_json(document, "selection") == selection
    rows = selection_record(0.2, 3, held, 8)
    assert "tune_split" not in rows.to_json() and rows.protocol == (
        "selected on 20% of train held out (seed 3), reported on dev")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny BERT and demo data whose training file holds 12 sentences and 2 phrases of
    each (36 rows), as SST-2's does."""
    bert, data = write_demo_inputs(tmp_path_factory.mktemp("tune_split"), train=12, dev=8,
                                   test=4)
    lines = (data / "train.tsv").read_text().splitlines()
    rows = [line.split("\t") for line in lines[1:]]
    with_phrases = []
    for text, label in rows:
        words = text.split()
        with_phrases += [(text, label), (" ".join(words[:4]), label),
                         (" ".join(words[-5:]), label)]
    (data / "train.tsv").write_text(
        lines[0] + "\n" + "".join("%s\t%s\n" % row for row in with_phrases))
    return bert, data, [text for text, _ in with_phrases]


@pytest.mark.parametrize("extra, expected", [
    (["--TUNE_SPLIT", "words", "--TUNE_FRACTION", "0.2"],
     "--TUNE_SPLIT must be one of rows, sentences, got 'words'"),
    (["--TUNE_SPLIT", "sentences"],
     "--TUNE_SPLIT sentences says what --TUNE_FRACTION holds out; give --TUNE_FRACTION too"),
])
def test_bad_tune_split_flags(files, tmp_path, capsys, extra, expected):
    bert, data, _ = files
    assert legacy_cli.main(flags(bert, data, tmp_path / "out", *extra)) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_sentences_of_a_sentence_pair_task_are_refused(files, tmp_path, capsys):
    bert, data, _ = files
    argv = flags(bert, data, tmp_path / "out", "--TUNE_FRACTION", "0.2", "--TUNE_SPLIT",
                 "sentences")
    argv[argv.index("--TASK") + 1] = "mrpc"
    assert legacy_cli.main(argv) == 2
    assert ("--TUNE_SPLIT sentences is for single-sentence tasks (SST-2's training rows are "
            "sentences and their phrases); mrpc has sentence pairs: drop the flag"
            ) in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_holds_out_sentences_and_a_model_of_another_split_is_refused(
        files, tmp_path, capsys):
    bert, data, texts = files
    out = tmp_path / "out"
    tune = ["--TUNE_FRACTION", "0.25", "--TUNE_SEED", "2", "--TUNE_SPLIT", "sentences"]
    assert legacy_cli.main(flags(bert, data, out, "--EPOCH", "1", "--BATCH_SIZE", "8",
                                 "--LR_BERT", "1e-3", "--LR_SOFT_EXTRACT", "0.2",
                                 "--LAMBDA", "0.05", *tune)) == 0
    selection = json.loads((out / "results.json").read_text())["selection"]
    _, held = train_split(len(texts), 42, None, 0.25, 2, sentence_rows(texts))
    assert all(i % 3 == 0 for i in held)  # only the sentences (rows 0, 3, 6, ...)
    assert selection == {
        "protocol": "selected on 25% of train held out as whole sentences (seed 2), "
                    "reported on dev",
        "set": "tune", "tune_fraction": 0.25, "tune_seed": 2, "tune_split": "sentences",
        "tune_examples": 9,  # round(0.25 * 36) sentences; the 3 other sentences and
        "train_examples": 3 * 3,  # their phrases are trained on (fewer than 36 - 9)
        "tune_indices_sha256": hashlib.sha256(held.tobytes()).hexdigest()}
    assert "held out as whole sentences (seed 2)" in (out / "log.txt").read_text()
    # The same fine-tuned model given to a run that holds out rows: it trained on rows
    # that run holds out, so it is refused before any training.
    other = tmp_path / "other"
    finetuned = Path(out) / "finetune.hdf5"
    argv = flags(bert, data, other, "--EPOCH", "1", "--FINETUNED_CHECKPOINT", str(finetuned),
                 "--TUNE_FRACTION", "0.25", "--TUNE_SEED", "2")
    assert legacy_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert ("was selected on 25% of train held out as whole sentences (seed 2), reported "
            "on dev, so it may have trained on the 9 examples --TUNE_FRACTION 0.25 "
            "--TUNE_SEED 2 --TUNE_SPLIT rows holds out") in err
    assert "Traceback" not in err

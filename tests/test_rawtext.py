"""power-bert predict --INPUT: raw text from TSV, CSV, JSON lines or standard input, with a
stage checkpoint or an exported SavedModel; the same predictions as the GLUE path.

Tiny stage checkpoints of random weights (helpers.exports) are made once per
module (each when first needed); the SavedModel tests export the pair model once and
are slow-marked.
"""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from power_bert import cli, inference
from power_bert.data import DataParser, Example

from helpers.exports import SECONDS, SENTENCES, SEQ_LEN, VOCAB, stage_checkpoint

# (name, task, mode, retention)
MODELS = (("sst2", "sst-2", "finetune", None), ("mrpc", "mrpc", "retrain", (12, 5, 2)),
          ("stsb", "sts-b", "retrain", (9, 6, 4)))
# a tab and a quote inside texts (JSON keeps them; TSV output turns the tab into a space)
ODD = ['said "no"\tthen left', "plot , actors"]


class Models(dict):
    """name -> (weights path, task, expected predictions of the GLUE path on
    SENTENCES/SECONDS (fixed padding, the stage model), vocabulary path); each model is
    made when a test first asks for it (the fast tests need one)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = root
        self.vocab_path = str(root / "vocab.txt")
        Path(self.vocab_path).write_text("\n".join(VOCAB) + "\n", encoding="utf-8")

    def __missing__(self, name):
        seed = [m[0] for m in MODELS].index(name)
        _, task, mode, retention = MODELS[seed]
        saved, model = stage_checkpoint(self.root, self.vocab_path, name, task, mode,
                                        retention, seed)
        parser = DataParser(self.vocab_path, task, None, seq_len=SEQ_LEN)
        pair = parser.task.text_b is not None
        encoded = parser.encode_examples([Example(str(i), a, b if pair else None, None)
                                          for i, (a, b) in enumerate(zip(SENTENCES, SECONDS))])
        # what `power-bert predict` (GLUE test set) computes for these texts
        expected = inference.predict(model, [encoded.token_ids, encoded.segment_ids], 3,
                                     dynamic=False)
        self[name] = (saved.weights_path, parser.task, expected, self.vocab_path)
        return self[name]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return Models(tmp_path_factory.mktemp("rawtext"))


def write_input(folder: Path, fmt: str, pair: bool, first=SENTENCES, second=SECONDS) -> Path:
    path = folder / ("input." + fmt)
    if fmt == "jsonl":
        rows = [dict(sentence=a, **({"sentence2": b} if pair else {}))
                for a, b in zip(first, second)]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        sep = "\t" if fmt == "tsv" else ","
        lines = ["id%ssentence%s" % (sep, sep + "sentence2" if pair else "")]
        for i, (a, b) in enumerate(zip(first, second)):
            cells = [str(i), a] + ([b] if pair else [])
            if fmt == "csv":
                cells = ['"%s"' % c.replace('"', '""') for c in cells]
            lines.append(sep.join(cells))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def predict(args, capsys):
    status = cli.main(["predict", "--BATCH_SIZE", "3"] + [str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def read_jsonl(path: Path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def probabilities(rows, task):
    if task.is_regression:
        return np.array([r["score"] for r in rows])
    return np.array([[r["probabilities"][label] for label in task.labels] for r in rows])


@pytest.mark.parametrize("name,fmt", [("sst2", "tsv"),
                                      pytest.param("stsb", "jsonl", marks=pytest.mark.slow)])
def test_checkpoint_predictions_equal_the_glue_path(models, name, fmt, tmp_path, capsys):
    weights, task, expected, _ = models[name]
    pair = task.text_b is not None
    source = write_input(tmp_path, fmt, pair)
    out = tmp_path / "predictions.jsonl"
    status, stdout, stderr = predict(["--TASK", task.name, "--INPUT", source,
                                      "--CHECKPOINT_PATH", weights, "--OUTPUT", out,
                                      "--VERBOSE", "1"], capsys)
    assert status == 0, stderr
    rows = read_jsonl(out)
    assert [r["sentence"] for r in rows] == SENTENCES
    assert [r.get("sentence2") for r in rows] == (SECONDS if pair else [None] * len(SENTENCES))
    np.testing.assert_allclose(probabilities(rows, task), expected, atol=1e-5)
    if not task.is_regression:
        assert [r["label"] for r in rows] == [task.labels[i] for i in expected.argmax(axis=1)]
    # the progress bar (--VERBOSE 1) went to standard error, reaching every example
    assert stdout == "" and "%d/%d examples" % (len(SENTENCES), len(SENTENCES)) in stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp


def test_stdin_one_sentence_per_line_to_stdout_tsv(models, monkeypatch, capsys):
    weights, task, expected, _ = models["sst2"]
    text = "\n".join(SENTENCES[1:]) + "\n\n"  # blank lines are skipped
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    status, stdout, stderr = predict(["--TASK", "sst-2", "--INPUT", "-",
                                      "--CHECKPOINT_PATH", weights], capsys)
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].split("\t") == ["sentence", "label"] + ["prob_%s" % l for l in task.labels]
    cells = [line.split("\t") for line in lines[1:]]
    assert [c[0] for c in cells] == SENTENCES[1:]
    assert [c[1] for c in cells] == [task.labels[i] for i in expected[1:].argmax(axis=1)]
    np.testing.assert_allclose(np.array([c[2:] for c in cells], float), expected[1:], atol=2e-6)
    assert "examples" not in stderr  # no progress bar for standard input


@pytest.mark.slow
def test_tsv_output_of_texts_with_tabs_and_quotes(models, tmp_path, capsys):
    weights, task, _, _ = models["mrpc"]
    source = write_input(tmp_path, "jsonl", True, first=ODD, second=ODD[::-1])
    out = tmp_path / "out.tsv"
    status, _, stderr = predict(["--TASK", "mrpc", "--INPUT", source, "--CHECKPOINT_PATH",
                                 weights, "--OUTPUT", out, "--VERBOSE", "0"], capsys)
    assert status == 0, stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "sentence\tsentence2\tlabel\tprob_0\tprob_1"
    assert [line.split("\t")[:2] for line in lines[1:]] == [
        ['said "no" then left', "plot , actors"], ["plot , actors", 'said "no" then left']]
    assert "examples" not in stderr  # --VERBOSE 0: no progress bar


# (task, file name, content, the error's expected text after "error: <file>")
BAD_INPUTS = (
    ("sst-2", "a.jsonl", '{"sentence": "good"}\n{"sentence": "bad"\n', ", line 2: not a JSON"),
    ("mrpc", "b.jsonl", '{"sentence": "a", "sentence2": "b"}\n{"sentence": "c"}\n',
     ", line 2: no key 'sentence2'"),
    ("sst-2", "c.jsonl", '["good"]\n', ", line 1: expected a JSON object with 'sentence', "
                                       "got list"),
    ("mrpc", "d.tsv", "sentence\tsentence2\na\tb\nc\n", ", line 3: 1 columns, no 'sentence2'"),
    ("sst-2", "e.csv", "text,label\ngood,1\n", ", line 1: the header ['text', 'label'] has "
                                              "no column 'sentence'"),
    ("sst-2", "f.txt", b"good\nfine\nbad \xff film\n", ", line 3: not valid UTF-8 (byte 5"),
    ("mrpc", "g.txt", "a\n", ": a pair task needs two texts per row"),
    ("sst-2", "h.tsv", "sentence\n\n", ": no rows to predict"),
    ("sst-2", "i.csv", 'sentence\n"fine"\n\n"never closed,\nmore\nrows\n',
     ", line 4: unterminated quote: the quoted field that starts on this line is never "
     "closed"),
    ("sst-2", "j.txt", b"good\rfine\rbad \xff film\r", ", line 3: not valid UTF-8 (byte 5"),
    ("sst-2", "k.txt", "\u200b\r\n\ufeff\r\u2060 \u00a0\n", ": no sentences to predict"),
)


@pytest.mark.parametrize("task,name,content,expected", BAD_INPUTS)
def test_malformed_input_names_file_and_line(models, tmp_path, capsys, task, name, content,
                                             expected):
    weights = models["sst2"][0]  # (the input is read, and refused, before the model)
    source = tmp_path / name
    (source.write_bytes if isinstance(content, bytes) else source.write_text)(content)
    out = tmp_path / "out.tsv"
    out.write_text("earlier results\n")
    status, stdout, stderr = predict(["--TASK", task, "--INPUT", source, "--CHECKPOINT_PATH",
                                      weights, "--OUTPUT", out], capsys)
    assert status == 2 and stdout == ""
    assert stderr.startswith("error: %s%s" % (source, expected)), stderr
    assert len(stderr.strip().splitlines()) == 1
    assert out.read_text() == "earlier results\n"  # untouched


# What a line of each format looks like; "{}" is the sentence (all single-sentence).
LINE_FORMATS = {"txt": "{}", "tsv": "7\t{}", "csv": '7,"{}"', "jsonl": '{{"sentence": "{}"}}'}
HEADERS = {"txt": None, "tsv": "id\tsentence", "csv": "id,sentence", "jsonl": None}
# Lines that are blank: empty, Unicode whitespace, zero-width characters and mixtures.
BLANKS = ("", "   ", "\u00a0\u3000", "\u200b", "\ufeff", "\u2060\u200c", " \u200d\t")


@pytest.mark.parametrize("fmt", sorted(LINE_FORMATS))
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_end_ends_a_line_and_blank_lines_are_skipped(tmp_path, fmt, end):
    from power_bert.rawtext import read_texts
    sentences = ["good film", "a \u200bzero-width inside", "the end"]
    lines = [LINE_FORMATS[fmt].format(sentences[0])] + list(BLANKS) + [
        LINE_FORMATS[fmt].format(s) for s in sentences[1:]] + list(BLANKS[3:])
    if fmt == "tsv":  # a table row whose every cell is blank is blank too
        lines.insert(2, "\u200b\t ")
    if HEADERS[fmt]:
        lines.insert(0, HEADERS[fmt])
    source = tmp_path / ("input." + fmt)
    source.write_bytes(end.join(lines).encode("utf-8") + end.encode())
    assert read_texts(str(source), fmt, pair=False) == (sentences, None)


def test_tsv_is_read_without_quote_processing(tmp_path):
    """Quotes are characters of the text in TSV (as in the GLUE files): they stay, and an
    unmatched one does not swallow the rows after it."""
    from power_bert.rawtext import read_texts
    source = tmp_path / "quotes.tsv"
    source.write_text('sentence\tsentence2\n"No" he said\tfine\n"open\tb\nnext\t"c"d"\n'
                      'last\t""\n', encoding="utf-8")
    assert read_texts(str(source), "tsv", pair=True) == (
        ['"No" he said', '"open', "next", "last"], ["fine", "b", '"c"d"', '""'])


def test_csv_keeps_line_breaks_inside_quoted_fields(tmp_path):
    from power_bert.rawtext import read_texts
    source = tmp_path / "quoted.csv"
    source.write_bytes(b'sentence\r"one\rtwo"\r"say ""hi"""\r')
    assert read_texts(str(source), "csv", pair=False) == (["one\rtwo", 'say "hi"'], None)


def test_bad_input_is_refused_before_tensorflow_loads(tmp_path):
    """The command reads --INPUT right after the flags: a bad row costs no start-up.
    (With --VOCAB_PATH the flags need no model file; without it, the vocabulary its
    checkpoint records is read with the flags.)"""
    source = tmp_path / "pairs.tsv"
    source.write_text("sentence\tsentence2\na\n")
    (tmp_path / "vocab.txt").write_text("[PAD]\n")
    script = ("import sys; from power_bert import cli; status = cli.main(%r); "
              "print(status, 'tensorflow' in sys.modules)"
              % ["predict", "--TASK", "mrpc", "--INPUT", str(source), "--CHECKPOINT_PATH",
                 str(tmp_path / "retrain.hdf5"), "--VOCAB_PATH", str(tmp_path / "vocab.txt")])
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.stdout.split() == ["2", "False"], run.stderr
    assert run.stderr == "error: %s, line 2: 1 columns, no 'sentence2' (the header has 2)\n" % (
        source)


@pytest.mark.parametrize("extra,expected", [
    (["--OUTPUT_DIR", "out"], "--OUTPUT_DIR is for predicting the GLUE test set"),
    (["--SAVED_MODEL", "."], "with --INPUT give the model as either --CHECKPOINT_PATH"),
    (["--INPUT_FORMAT", "jsonl", "--OUTPUT", "."], "--OUTPUT: . is a folder"),
])
def test_flag_errors(models, tmp_path, capsys, extra, expected):
    source = write_input(tmp_path, "tsv", False)
    status, _, stderr = predict(["--TASK", "sst-2", "--INPUT", source, "--CHECKPOINT_PATH",
                                 models["sst2"][0]] + extra, capsys)
    assert status == 2 and stderr.startswith("error: " + expected), stderr


@pytest.fixture
def no_model(monkeypatch):
    """Makes loading a model (the pipeline's run) fail the test."""
    from power_bert import pipeline

    def loaded(*args, **kwargs):
        raise AssertionError("the model was loaded before --OUTPUT was checked")
    monkeypatch.setattr(pipeline, "run", loaded)


def _read_only_folder(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder / "out.tsv"


@pytest.mark.parametrize("output,expected", [
    (lambda tmp: tmp / "input.tsv" / "out.tsv", "--OUTPUT: cannot write {out}: {tmp}/input.tsv "
                                                "is a file, not a folder"),
    (lambda tmp: tmp / "input.tsv" / "more" / "out.tsv", "--OUTPUT: cannot write {out}: "
                                                         "{tmp}/input.tsv is a file, not a "
                                                         "folder"),
    (lambda tmp: tmp, "--OUTPUT: {tmp} is a folder, expected a file"),
    pytest.param(_read_only_folder, "--OUTPUT: cannot write {out}: the folder {tmp}/read-only "
                                    "is not writable",
                 marks=pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")),
], ids=["under-a-file", "deeper-under-a-file", "a-folder", "read-only-folder"])
def test_output_is_checked_before_the_model_is_loaded(tmp_path, capsys, no_model, output,
                                                       expected):
    source = write_input(tmp_path, "tsv", False)
    out = output(tmp_path)
    status, stdout, stderr = predict(["--TASK", "sst-2", "--INPUT", source, "--CHECKPOINT_PATH",
                                      tmp_path / "retrain.hdf5", "--OUTPUT", out], capsys)
    assert status == 2 and stdout == ""
    assert stderr == "error: %s\n" % expected.format(out=out, tmp=tmp_path)


def test_predictions_file_has_the_usual_mode(models, tmp_path, capsys):
    """0o666 less the umask, as any new file: not mkstemp's 0o600."""
    weights = models["sst2"][0]
    source = write_input(tmp_path, "tsv", False)
    before = os.umask(0o022)
    try:
        status, _, stderr = predict(["--TASK", "sst-2", "--INPUT", source, "--CHECKPOINT_PATH",
                                     weights, "--OUTPUT", tmp_path / "new" / "out.tsv"], capsys)
    finally:
        os.umask(before)
    assert status == 0, stderr
    assert (tmp_path / "new" / "out.tsv").stat().st_mode & 0o777 == 0o644
    assert len((tmp_path / "new" / "out.tsv").read_text().splitlines()) == 1 + len(SENTENCES)


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, mask, mode):
    from power_bert.outputs import write_bytes_atomically
    before = os.umask(mask)
    try:
        write_bytes_atomically(str(tmp_path / "a.txt"), b"x\n")
    finally:
        os.umask(before)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_format_from_extension_or_flag(tmp_path, capsys):
    source = tmp_path / "input.dat"
    source.write_text("sentence\ngood\n")
    status, _, stderr = predict(["--TASK", "sst-2", "--INPUT", source, "--SAVED_MODEL",
                                 tmp_path], capsys)
    assert status == 2 and "cannot tell the format from its extension" in stderr
    status, _, stderr = predict(["--TASK", "sst-2", "--INPUT", source, "--INPUT_FORMAT", "tsv",
                                 "--SAVED_MODEL", tmp_path], capsys)
    assert status == 2 and "is not a folder written by power-bert export" in stderr


@pytest.fixture(scope="module")
def saved_model(models, tmp_path_factory):
    """The pair model with word-vector elimination, exported once."""
    from power_bert.export import export_model
    folder = tmp_path_factory.mktemp("saved") / "mrpc"
    export_model(models["mrpc"][0], str(folder))
    return folder


@pytest.mark.slow
def test_saved_model_and_checkpoint_give_the_same_predictions(models, saved_model, tmp_path,
                                                              capsys):
    weights, task, expected, _ = models["mrpc"]
    source = write_input(tmp_path, "csv", task.text_b is not None)
    got = {}
    for backend, flag in ((weights, "--CHECKPOINT_PATH"), (saved_model, "--SAVED_MODEL")):
        out = tmp_path / ("%s.jsonl" % flag[2:])
        status, _, stderr = predict(["--TASK", task.name, "--INPUT", source, flag, backend,
                                     "--OUTPUT", out], capsys)
        assert status == 0, stderr
        got[flag] = read_jsonl(out)
    np.testing.assert_allclose(probabilities(got["--SAVED_MODEL"], task),
                               probabilities(got["--CHECKPOINT_PATH"], task), atol=1e-5)
    np.testing.assert_allclose(probabilities(got["--CHECKPOINT_PATH"], task), expected,
                               atol=1e-5)
    assert [r["label"] for r in got["--SAVED_MODEL"]] == [
        r["label"] for r in got["--CHECKPOINT_PATH"]] == [
        task.labels[i] for i in expected.argmax(axis=1)]
    assert [(r["sentence"], r["sentence2"]) for r in got["--SAVED_MODEL"]] == list(
        zip(SENTENCES, SECONDS))


@pytest.mark.slow
def test_saved_model_of_another_task_is_refused(saved_model, tmp_path, capsys):
    source = write_input(tmp_path, "tsv", False)
    status, _, stderr = predict(["--TASK", "cola", "--INPUT", source, "--SAVED_MODEL",
                                 saved_model], capsys)
    assert status == 2 and "was exported for task mrpc; --TASK cola needs a cola model" in stderr


def test_fine_tuned_google_checkpoint(google_bert, tmp_path, capsys):
    """--MODEL_FORMAT CKPT (run_classifier's output_weights [C, H]) with --INPUT: the
    vocabulary and BERT config are given, as for the test set."""
    from power_bert.checkpoint import StageCheckpoint
    from power_bert.config import BertConfig
    from power_bert.google_ckpt import load_google_checkpoint, write_checkpoint
    variables = dict(google_bert.variables)
    rng = np.random.default_rng(3)
    variables["output_weights"] = rng.normal(
        0, 0.5, (2, google_bert.config["hidden_size"])).astype(np.float32)
    variables["output_bias"] = np.array([0.1, -0.1], np.float32)
    prefix = str(tmp_path / "clf.ckpt")
    write_checkpoint(variables, prefix)
    source = tmp_path / "input.txt"
    source.write_text("\n".join(SENTENCES[1:]) + "\n")
    out = tmp_path / "out.jsonl"
    status, _, stderr = predict(["--TASK", "sst-2", "--INPUT", source, "--CHECKPOINT_PATH",
                                 prefix, "--BERT_CONFIG_PATH", google_bert.config_path,
                                 "--VOCAB_PATH", google_bert.vocab_path, "--OUTPUT", out],
                                capsys)
    assert status == 0, stderr
    config = BertConfig.from_dict(google_bert.config)
    parser = DataParser(google_bert.vocab_path, "sst-2", None)
    checkpoint = StageCheckpoint(config=config, task="sst-2", num_labels=2,
                           seq_len=parser.seq_len, mode="finetune")
    model = checkpoint.build()
    load_google_checkpoint(model, config, prefix, load_classifier="required")
    encoded = parser.encode_examples([Example(str(i), a, None, None)
                                      for i, a in enumerate(SENTENCES[1:])])
    expected = inference.predict(model, [encoded.token_ids, encoded.segment_ids], 4, False)
    np.testing.assert_allclose(probabilities(read_jsonl(out), parser.task), expected,
                               atol=1e-5)


def test_predict_texts_batches_rows_by_length_and_answers_in_input_order():
    from power_bert import rawtext
    first = ["a much longer sentence", "short", "mid size", "tiny", "x"]
    second = ["b", "bb", "", "b", "bbbbbbbbbbbbbbb"]  # pair lengths 23, 7, 8, 5, 16
    seen = []

    def backend(a, b):  # one "probability" per row: its length in characters
        seen.append([len(x) + len(y) for x, y in zip(a, b)])
        return np.array([[len(x) + len(y)] for x, y in zip(a, b)], dtype=np.float32)

    want = [[23], [7], [8], [5], [16]]
    assert rawtext.text_order((first, second)).tolist() == [3, 1, 2, 4, 0]
    got = rawtext.predict_texts(backend, (first, second), 2)
    assert seen == [[5, 7], [8, 16], [23]]  # shortest first, two a batch
    assert got.tolist() == want  # every row's answer at its input position
    seen.clear()
    assert rawtext.predict_texts(backend, (first, second), 2, sort=False).tolist() == want
    assert seen == [[23, 7], [8, 5], [16]]


def test_a_checkpoint_predicts_rows_sorted_by_token_length_chunk_by_chunk(tmp_path,
                                                                           monkeypatch):
    """predict_rows tokenises a chunk at a time, batches each chunk's rows by token
    length and answers in input order: the same as every row predicted alone."""
    from power_bert import rawtext
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    saved, _ = stage_checkpoint(tmp_path, str(vocab_path), "mrpc", "mrpc", "retrain",
                                (12, 5, 2), 3)
    parser = DataParser(str(vocab_path), "mrpc", None, seq_len=SEQ_LEN)
    backend = rawtext.CheckpointBackend(saved.load_model(dynamic=True), parser)
    texts = (SENTENCES, SECONDS)
    alone = np.concatenate([backend([a], [b]) for a, b in zip(*texts)])
    monkeypatch.setattr(rawtext.CheckpointBackend, "CHUNK_BATCHES", 2)  # chunks of 4 rows
    seen = []
    got = rawtext.predict_texts(backend, texts, 2, progress=lambda d, n: seen.append((d, n)))
    np.testing.assert_allclose(got, alone, atol=1e-5, rtol=0)
    assert seen == [(2, 8), (4, 8), (6, 8), (8, 8)]
    unsorted = rawtext.predict_texts(backend, texts, 2, sort=False)
    np.testing.assert_allclose(unsorted, alone, atol=1e-5, rtol=0)


def test_a_saved_model_predicts_rows_sorted_by_token_length_through_tokenize(tmp_path,
                                                                            monkeypatch):
    """A SavedModel tokenises a chunk of rows with its tokenize signature, batches them by
    token length and answers in input order, as serving_default answers each row alone;
    an export without tokenize (an earlier version's) sorts by length in characters."""
    from power_bert import rawtext
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    saved, _ = stage_checkpoint(tmp_path, str(vocab_path), "mrpc", "mrpc", "retrain",
                                (12, 5, 2), 3)
    out = tmp_path / "export"
    assert cli.main(["export", "--CHECKPOINT_PATH", saved.weights_path,
                     "--OUTPUT_DIR", str(out)]) == 0
    backend = rawtext.SavedModelBackend(str(out))
    texts = (SENTENCES, SECONDS)
    alone = np.concatenate([backend([a], [b]) for a, b in zip(*texts)])  # serving_default
    parser = DataParser(str(vocab_path), "mrpc", None, seq_len=SEQ_LEN)
    x = backend._encode(*texts)  # the training path's ids, each row cut to the longest
    encoded = parser.encode_examples([Example(str(i), a, b, None)
                                      for i, (a, b) in enumerate(zip(*texts))])
    width = int(inference.real_lengths(encoded.token_ids).max())
    assert x[0].tolist() == encoded.token_ids[:, :width].tolist()
    assert x[1].tolist() == encoded.segment_ids[:, :width].tolist()
    monkeypatch.setattr(rawtext.SavedModelBackend, "CHUNK_BATCHES", 2)  # chunks of 4 rows
    fed, run = [], backend._run
    monkeypatch.setattr(backend, "_run", lambda t, s: fed.append(t.shape) or run(t, s))
    got = rawtext.predict_texts(backend, texts, 2)
    np.testing.assert_allclose(got, alone, atol=1e-5, rtol=0)
    order = rawtext.SavedModelBackend.row_order(x, 2, True)
    assert sorted(order[:4]) == [0, 1, 2, 3] and sorted(order[4:]) == [4, 5, 6, 7]
    assert fed == [(2, w) for w in inference.batch_lengths(x, 2, True, order=order)]
    fed.clear()
    backend.tokenises = False  # as an export without the tokenize signature
    np.testing.assert_allclose(rawtext.predict_texts(backend, texts, 2), alone, atol=1e-5,
                               rtol=0)
    assert fed == []  # serving_default on rows sorted by characters

"""power-bert export: the SavedModel, loaded in a process that does not import power_bert
(nor keras-bert), reproduces the stage checkpoint's predictions on raw sentences.

Three tiny stage checkpoints with random weights (fine-tuned and re-trained, a single-
sentence task, a pair task and STS-B) are exported once per module through the command
line; one subprocess loads them all, calls both signatures and the bad inputs, and sends
back what it got as JSON.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from power_bert import cli
from power_bert.checkpoint import StageCheckpoint, file_sha256
from power_bert.data import DataParser, Example

from helpers.exports import EXPORTS, SECONDS, SENTENCES, SEQ_LEN, VOCAB, stage_checkpoint
from helpers.tiny import tiny_bert_config, tiny_config

# Runs in a fresh interpreter without the project on its path: loads every export, calls
# the signatures and the bad inputs; prints one JSON object.
LOADER = r"""
import json, sys
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tokeniser's ops)
root, names, sentences, seconds, probes = json.loads(sys.argv[1])
out = {}
for name in names:
    served = tf.saved_model.load(root + "/" + name)
    serve, by_ids = served.signatures["serving_default"], served.signatures["token_ids"]
    meta = json.loads(open(root + "/" + name + "/assets/power_bert.json").read())
    texts = {"sentence": tf.constant(sentences)}
    if meta["pair"]:
        texts["sentence2"] = tf.constant(seconds)
    got = {k: v.numpy().tolist() for k, v in serve(**texts).items()}
    got["label"] = [s.decode() for s in got.get("label", [])]
    empty = {k: tf.constant([], tf.string) for k in texts}
    got["empty_shapes"] = {k: v.shape.as_list() for k, v in serve(**empty).items()}
    ids, segments = (tf.constant(p, tf.int32) for p in probes[name])
    got["by_ids"] = {k: v.numpy().tolist() for k, v in
                     by_ids(input_ids=ids, segment_ids=segments).items() if k != "label"}
    got["tokenized"] = {k: v.numpy().tolist() for k, v in
                        served.signatures["tokenize"](**texts).items()}
    errors = {}
    too_long = tf.ones([1, meta["seq_len"] + 1], tf.int32)
    bad = {"too_long": lambda: by_ids(input_ids=too_long, segment_ids=too_long)}
    # inputs of another rank than the signature declares ([B] strings, [B, T] ids)
    bad["scalar"] = lambda: serve(**{k: tf.constant("a good film") for k in texts})
    bad["matrix"] = lambda: serve(**{k: tf.constant([["a", "b"], ["c", "d"]]) for k in texts})
    bad["ids_1d"] = lambda: by_ids(input_ids=tf.constant([2, 9, 3]),
                                   segment_ids=tf.constant([0, 0, 0]))
    bad["ids_3d"] = lambda: by_ids(input_ids=tf.ones([1, 2, 3], tf.int32),
                                   segment_ids=tf.ones([1, 2, 3], tf.int32))
    if meta["pair"]:
        bad["missing"] = lambda: serve(sentence=tf.constant(["a"]))
        bad["ragged"] = lambda: serve(sentence=tf.constant(["a", "b"]),
                                      sentence2=tf.constant(["c"]))
        bad["second_matrix"] = lambda: serve(sentence=tf.constant(["a", "b"]),
                                             sentence2=tf.constant([["c"], ["d"]]))
    for what, call in bad.items():
        try:
            call()
            errors[what] = None
        except (TypeError, tf.errors.InvalidArgumentError) as e:
            errors[what] = "%s: %s" % (type(e).__name__, str(e)[:2000])
    got["errors"] = errors
    got["still_serves"] = len(serve(**texts)[list(serve.structured_outputs)[0]])
    got["constants"] = [served.task.numpy().decode(), served.max_seq_len.numpy().item(),
                        served.retention_configuration.numpy().tolist(),
                        [s.decode() for s in served.labels.numpy()],
                        bool(served.cased.numpy()), served.version.numpy().decode()]
    got["meta"] = meta
    out[name] = got
out["imported"] = sorted(m for m in ("power_bert", "keras_bert", "tf_keras") if m in sys.modules)
print("RESULT " + json.dumps(out))
"""


def plant_earlier_export(folder: Path, extra=()):
    """The layout of a SavedModel export (its files' contents are not read), and the
    names of ``extra`` files beside it."""
    (folder / "assets").mkdir(parents=True)
    (folder / "variables").mkdir()
    (folder / "assets" / "power_bert.json").write_text('{"format": "power-bert SavedModel"}')
    for name in ("saved_model.pb", "fingerprint.pb", "variables/variables.index") + tuple(extra):
        (folder / name).write_text("earlier")


def saved_matrices(folder: Path):
    """(dtype, shape) of every matrix a SavedModel stores: (the constants of its graph and
    its functions, its variables)."""
    from power_bert.backend import tf
    from tensorflow.core.protobuf import saved_model_pb2
    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((folder / "saved_model.pb").read_bytes())
    graph = saved.meta_graphs[0].graph_def
    found = []
    for node in list(graph.node) + [n for f in graph.library.function for n in f.node_def]:
        tensor = node.attr["value"].tensor
        shape = [dim.size for dim in tensor.tensor_shape.dim]
        if node.op == "Const" and len(shape) == 2:
            found.append((tf.dtypes.as_dtype(tensor.dtype), shape))
    stored = tf.train.load_checkpoint(str(folder / "variables" / "variables"))
    shapes = stored.get_variable_to_shape_map()
    return found, [(dtype, shapes[name]) for name, dtype
                   in stored.get_variable_to_dtype_map().items() if len(shapes[name]) == 2]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every EXPORTS entry exported with ``power-bert export``, the predictions of its
    stage checkpoint on SENTENCES, and what the loader subprocess got."""
    root = tmp_path_factory.mktemp("export")
    vocab_path = str(root / "vocab.txt")
    Path(vocab_path).write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    expected, probes = {}, {}
    for seed, (name, task, mode, retention, extra) in enumerate(EXPORTS):
        saved, model = stage_checkpoint(root / "checkpoints", vocab_path, name, task, mode,
                                        retention, seed)
        target = root / "models" / name
        if seed == 0:  # --OVERWRITE replaces an earlier export
            plant_earlier_export(target)
            extra = extra + ("--OVERWRITE",)
        assert cli.main(["export", "--CHECKPOINT_PATH", saved.weights_path,
                         "--OUTPUT_DIR", str(target), *extra]) == 0
        parser = DataParser(vocab_path, task, root, seq_len=SEQ_LEN)
        pair = parser.task.text_b is not None
        encoded = parser.encode_examples([Example(str(i), a, b if pair else None, None)
                                          for i, (a, b) in enumerate(zip(SENTENCES, SECONDS))])
        expected[name] = {"predicted": model.predict_on_batch(
            [encoded.token_ids, encoded.segment_ids]), "token_ids": encoded.token_ids,
            "segment_ids": encoded.segment_ids, "task": parser.task, "retention": retention, "flags": extra,
            "matrices": sorted(list(w.shape) for w in model.weights if len(w.shape) == 2)}
        # the training path's ids, for the token_ids signature; [B, SEQ_LEN] as the batch
        # of strings gives (the longest is truncated), so XLA compiles no other shape
        probes[name] = [encoded.token_ids.tolist(), encoded.segment_ids.tolist()]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TF_USE_LEGACY_KERAS")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    run = subprocess.run(
        [sys.executable, "-c", LOADER, json.dumps([str(root / "models"),
                                                   [e[0] for e in EXPORTS], SENTENCES, SECONDS,
                                                   probes])],
        cwd=str(root), env=env, capture_output=True, text=True, timeout=600)
    results = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and results, run.stderr[-3000:]
    return {"root": root, "expected": expected, "loaded": json.loads(results[0][7:])}


@pytest.mark.slow
def test_loaded_without_power_bert_or_keras_bert(exported):
    assert exported["loaded"]["imported"] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", [e[0] for e in EXPORTS])
def test_saved_model_reproduces_the_checkpoint_on_raw_sentences(exported, name):
    expected, got = exported["expected"][name], exported["loaded"][name]
    predicted = expected["predicted"]  # [B, C] or [B, 1]
    task = expected["task"]
    assert expected["token_ids"].shape[1] == SEQ_LEN
    assert int(np.count_nonzero(expected["token_ids"][5])) == SEQ_LEN  # truncated example
    if task.is_regression:
        assert set(got) >= {"score"} and "probabilities" not in got
        np.testing.assert_allclose(got["score"], predicted[:, 0], atol=1e-5)
        np.testing.assert_allclose(got["by_ids"]["score"], predicted[:, 0], atol=1e-5)
        assert got["empty_shapes"] == {"score": [0]}
    else:
        np.testing.assert_allclose(got["probabilities"], predicted, atol=1e-5)
        assert got["label"] == [task.labels[i] for i in predicted.argmax(axis=1)]
        np.testing.assert_allclose(got["by_ids"]["probabilities"], predicted, atol=1e-5)
        assert got["empty_shapes"] == {"label": [0], "probabilities": [0, len(task.labels)]}
    # the tokenize signature gives the ids the model is fed: the training path's
    assert got["tokenized"]["input_ids"] == expected["token_ids"].tolist()
    assert got["tokenized"]["segment_ids"] == expected["segment_ids"].tolist()
    meta = got["meta"]
    assert meta["signatures"]["tokenize"] == meta["signatures"]["serving_default"]
    assert (meta["task"], meta["seq_len"], meta["retention_configuration"], meta["xla"]) == (
        task.name, SEQ_LEN, list(expected["retention"]) if expected["retention"] else None,
        "--XLA" in expected["flags"])
    assert got["constants"][:5] == [task.name, SEQ_LEN, list(expected["retention"] or []),
                                    list(task.labels or []), False]
    assert got["constants"][5] == meta["power_bert_version"]


@pytest.mark.slow
def test_the_weights_are_constants_of_the_graph_except_with_xla(exported):
    # Constants let oneDNN keep each weight matrix in the layout it computes with
    # (export.WEIGHTS_AS_CONSTANTS); each is stored once, whichever signatures use it.
    for name, expected in exported["expected"].items():
        constants, variables = saved_matrices(exported["root"] / "models" / name)
        stored = constants if "--XLA" not in expected["flags"] else variables
        assert sorted(shape for _, shape in stored) == expected["matrices"], name
        assert (variables if stored is constants else constants) == [], name


@pytest.mark.slow
def test_bad_inputs_give_clear_errors_and_the_model_still_serves(exported):
    loaded = exported["loaded"]
    for name, _, _, _, _ in EXPORTS:
        errors = loaded[name]["errors"]
        assert "InvalidArgumentError" in errors["too_long"]
        assert "seq_len %d" % SEQ_LEN in errors["too_long"]
        assert loaded[name]["still_serves"] == len(SENTENCES)
    pair = loaded["mrpc-retrain-xla"]["errors"]
    assert pair["missing"].startswith("TypeError") and "sentence2" in pair["missing"]
    assert "sentence and sentence2 must hold as many strings" in pair["ragged"]


@pytest.mark.slow
def test_inputs_of_another_rank_are_refused(exported):
    """A loaded signature does not check the shapes it declares: the export does."""
    strings = "must be a tensor of shape [batch] of strings (rank 1), got rank %d (shape %s)"
    ids = "input_ids must be a tensor of shape [batch, length] of int32 (rank 2), got rank %d "
    for name, _, _, _, _ in EXPORTS:
        got = exported["loaded"][name]
        errors = got["errors"]
        for what, expected in (("scalar", "sentence " + strings % (0, "[]")),
                               ("matrix", "sentence " + strings % (2, "[2 2]")),
                               ("ids_1d", ids % 1 + "(shape [3])"),
                               ("ids_3d", ids % 3 + "(shape [1 2 3])")):
            assert errors[what] is not None, (name, what, "accepted")
            assert errors[what].startswith("InvalidArgumentError"), (name, what, errors[what])
            assert expected in errors[what], (name, what, errors[what])
        assert got["still_serves"] == len(SENTENCES)  # the right call still works
    pair = exported["loaded"]["mrpc-retrain-xla"]["errors"]
    assert "sentence2 " + strings % (2, "[2 1]") in pair["second_matrix"]


@pytest.mark.slow
def test_overwrite_replaced_the_folder_atomically(exported):
    models = exported["root"] / "models"
    first = models / EXPORTS[0][0]
    assert (first / "saved_model.pb").read_bytes() != b"earlier"
    assert sorted(p.name for p in (first / "variables").iterdir()) == [
        "variables.data-00000-of-00001", "variables.index"]
    assert (first / "variables" / "variables.index").read_bytes() != b"earlier"
    assert sorted(p.name for p in models.iterdir()) == sorted(e[0] for e in EXPORTS)


@pytest.mark.slow
def test_export_refuses_another_vocabulary(exported, tmp_path, capsys):
    other = tmp_path / "vocab.txt"
    other.write_text("\n".join(VOCAB[:-1]) + "\n", encoding="utf-8")
    weights = exported["root"] / "checkpoints" / EXPORTS[0][0] / "finetune.hdf5"
    assert cli.main(["export", "--CHECKPOINT_PATH", str(weights), "--VOCAB_PATH", str(other),
                     "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --VOCAB_PATH: vocab %s is not the vocabulary" % other), err
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_non_empty_output_dir_and_leaves_it(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (tmp_path / "stage.hdf5").write_text("x")
    (tmp_path / "stage.json").write_text("{}")
    assert cli.main(["export", "--CHECKPOINT_PATH", str(tmp_path / "stage.hdf5"),
                     "--OUTPUT_DIR", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: OUTPUT_DIR %s exists and is not empty; pass --OVERWRITE to replace it" % out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.slow
def test_a_cased_export_keeps_the_case(tmp_path):
    """Every other export here is uncased: this one would not see an export that always
    lower-cases. The served model must predict what the cased ids give."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokeniser's ops)
    vocab_path = tmp_path / "cased_vocab.txt"
    vocab_path.write_text("\n".join(VOCAB + ["Hello", "WORLD", "hello"]) + "\n",
                          encoding="utf-8")
    from power_bert.backend import keras
    keras.utils.set_random_seed(7)
    config = tiny_bert_config(vocab_size=len(VOCAB) + 3)
    stage = StageCheckpoint(config=config, task="sst-2", num_labels=2, seq_len=SEQ_LEN,
                            mode="finetune", cased=True, vocab_path=str(vocab_path),
                            vocab_sha256=file_sha256(str(vocab_path)))
    saved = stage.save(stage.build(), str(tmp_path / "cased"), "finetune")
    out = tmp_path / "export"
    assert cli.main(["export", "--CHECKPOINT_PATH", saved.weights_path,
                     "--OUTPUT_DIR", str(out)]) == 0
    ids = {}
    for cased in (True, False):
        parser = DataParser(str(vocab_path), "sst-2", None, seq_len=SEQ_LEN, cased=cased)
        encoded = parser.encode_examples([Example("0", "Hello WORLD", None, None)])
        ids[cased] = encoded.token_ids[:, :4]  # [CLS] Hello WORLD [SEP]
    token = {piece: i for i, piece in enumerate(VOCAB + ["Hello", "WORLD", "hello"])}
    assert ids[True].tolist() == [[token[p] for p in ("[CLS]", "Hello", "WORLD", "[SEP]")]]
    assert ids[False].tolist() == [[token[p] for p in ("[CLS]", "hello", "world", "[SEP]")]]
    served = tf.saved_model.load(str(out))
    assert bool(served.cased.numpy()) is True
    got = served.signatures["serving_default"](sentence=tf.constant(["Hello WORLD"]))
    by_ids = {cased: served.signatures["token_ids"](
        input_ids=tf.constant(ids[cased], tf.int32),
        segment_ids=tf.zeros(ids[cased].shape, tf.int32))["probabilities"].numpy()
        for cased in ids}
    # (the control: the lower-cased ids give other probabilities)
    assert np.abs(by_ids[True] - by_ids[False]).max() > 1e-3
    np.testing.assert_allclose(got["probabilities"].numpy(), by_ids[True], atol=1e-6)


def _fake_stage(folder: Path) -> Path:
    """Stage checkpoint files that cannot be loaded: an error about the output folder
    shows that it was checked first."""
    (folder / "stage.hdf5").write_text("x")
    (folder / "stage.json").write_text("{}")
    return folder / "stage.hdf5"


@pytest.mark.parametrize("plant, why", [
    (lambda out: (out / "keep.txt").write_text("mine"),
     "it holds no assets/power_bert.json or power_bert.json of power-bert export"),
    (lambda out: plant_earlier_export(out, extra=("notes.txt", "zz")),
     "it also holds notes.txt, zz"),
    (lambda out: (out / "power_bert.json").write_text('{"format": "something else"}'),
     "it holds no assets/power_bert.json or power_bert.json of power-bert export"),
], ids=["another-file", "export-and-more", "another-format"])
def test_overwrite_refuses_a_folder_that_is_not_an_earlier_export(tmp_path, capsys, plant, why):
    out = tmp_path / "out"
    out.mkdir()
    plant(out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert cli.main(["export", "--CHECKPOINT_PATH", str(_fake_stage(tmp_path)),
                     "--OUTPUT_DIR", str(out), "--OVERWRITE"]) == 2
    assert capsys.readouterr().err == (
        "error: OUTPUT_DIR %s is not an earlier export (%s); --OVERWRITE replaces only an empty "
        "folder or an earlier export: give another OUTPUT_DIR, or empty it yourself\n"
        % (out, why))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "stage.hdf5", "stage.json"]


def test_overwrite_refuses_a_folder_holding_the_checkpoint(tmp_path, capsys):
    """The checkpoint inside OUTPUT_DIR, or reached through a link into it."""
    out = tmp_path / "out"
    (out / "runs" / "1").mkdir(parents=True)
    stage = _fake_stage(out / "runs" / "1")
    (out / "retrain.hdf5").symlink_to(stage)
    (out / "retrain.json").symlink_to(stage.with_suffix(".json"))
    (tmp_path / "elsewhere.hdf5").symlink_to(stage)
    (tmp_path / "elsewhere.json").symlink_to(stage.with_suffix(".json"))
    for given in (out / "retrain.hdf5", tmp_path / "elsewhere.hdf5"):
        assert cli.main(["export", "--CHECKPOINT_PATH", str(given), "--OUTPUT_DIR", str(out),
                         "--OVERWRITE"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: OUTPUT_DIR %s holds " % out) and err.endswith(
            ", which this command reads; --OVERWRITE would delete it: give another "
            "OUTPUT_DIR\n") and len(err.splitlines()) == 1, err
    assert stage.read_text() == "x" and (out / "retrain.hdf5").is_symlink()


def test_overwrite_accepts_an_earlier_export_or_an_empty_folder(tmp_path):
    from power_bert.export import check_output_dir
    savedmodel, onnx, empty = tmp_path / "savedmodel", tmp_path / "onnx", tmp_path / "empty"
    plant_earlier_export(savedmodel)
    onnx.mkdir()
    (onnx / "power_bert.json").write_text('{"format": "power-bert ONNX"}')
    (onnx / "model.onnx").write_text("earlier")
    (onnx / "vocab.txt").write_text("[PAD]\n")
    empty.mkdir()
    for folder in (savedmodel, onnx, empty):
        assert check_output_dir(str(folder), overwrite=True) == str(folder)
    assert check_output_dir(str(empty), overwrite=False) == str(empty)


def test_output_dir_is_checked_before_the_checkpoint_is_read(tmp_path, capsys):
    stage = _fake_stage(tmp_path)
    out = tmp_path / "stage.hdf5" / "out"
    assert cli.main(["export", "--CHECKPOINT_PATH", str(stage), "--OUTPUT_DIR", str(out)]) == 2
    assert capsys.readouterr().err == (
        "error: OUTPUT_DIR %s cannot be created: %s is a file, not a folder\n" % (out, stage))


def test_export_names_a_missing_checkpoint(tmp_path, capsys):
    assert cli.main(["export", "--CHECKPOINT_PATH", str(tmp_path / "none.hdf5"),
                     "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: model weights not found: %s" % (tmp_path / "none.hdf5"))
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_search_stage_checkpoint(tmp_path, capsys):
    config = tiny_config(vocab_size=len(VOCAB))
    (tmp_path / "search.json").write_text(json.dumps({
        "format_version": 2, "bert_config": config, "task": "sst-2", "num_labels": 2,
        "seq_len": SEQ_LEN, "mode": "search"}))
    (tmp_path / "search.hdf5").write_text("not read")
    assert cli.main(["export", "--CHECKPOINT_PATH", str(tmp_path / "search.json"),
                     "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: model %s is a configuration-search model (Soft-Extract layers); use the "
        "fine-tuned or re-trained model (finetune.hdf5, retrain.hdf5)" % (tmp_path / "search.hdf5"))
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_bfloat16_export_serves_near_float32_and_records_its_precision(tmp_path, capsys):
    from power_bert.backend import tf
    from power_bert.rawtext import SavedModelBackend
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    name, task, mode, retention, _ = EXPORTS[1]
    saved, _ = stage_checkpoint(tmp_path / "checkpoint", str(vocab_path), name, task, mode,
                                retention, 1)
    outputs = {}
    for precision in ("none", "bfloat16"):
        out = tmp_path / precision
        assert cli.main(["export", "--CHECKPOINT_PATH", saved.weights_path, "--OUTPUT_DIR",
                         str(out), "--MIXED_PRECISION", precision]) == 0
        meta = json.loads((out / "assets" / "power_bert.json").read_text())
        assert meta.get("mixed_precision") == (None if precision == "none" else precision)
        backend = SavedModelBackend(str(out))
        outputs[precision] = np.asarray(backend(SENTENCES, SECONDS if meta["pair"] else None))
        kernels = sum(saved_matrices(out), [])
        # bfloat16: the kernels and embeddings stored in bfloat16 (built for inference, not
        # cast on every call), but the output layer's [hidden, labels] kernel in float32
        float32 = [shape for dtype, shape in kernels if dtype == tf.float32]
        assert float32 == ([shape for _, shape in kernels] if precision == "none"
                           else [[saved.config.hidden_size, saved.num_labels]])
        assert len(kernels) > 20 and {dtype for dtype, _ in kernels} == (
            {tf.float32} if precision == "none" else {tf.float32, tf.bfloat16})
    assert "bfloat16" in capsys.readouterr().out
    difference = np.abs(outputs["bfloat16"] - outputs["none"]).max()
    assert 0 < difference < 5e-2  # computed in bfloat16, near the float32 model
    assert cli.main(["export", "--CHECKPOINT_PATH", saved.weights_path, "--OUTPUT_DIR",
                     str(tmp_path / "onnx"), "--FORMAT", "onnx", "--MIXED_PRECISION",
                     "bfloat16"]) == 2
    assert "--MIXED_PRECISION applies to --FORMAT savedmodel only" in capsys.readouterr().err
    assert not (tmp_path / "onnx").exists()

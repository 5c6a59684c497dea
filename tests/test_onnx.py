"""power-bert export --FORMAT onnx: the model part (token ids in) as ONNX, run with
onnxruntime, gives the stage checkpoint's predictions on mixed-length batches, padded to
the maximum length and to the batch's longest example.

tf2onnx and onnxruntime are optional (requirements-onnx.txt): without them only the
error a user then sees is tested.
"""
import json
import sys

import numpy as np
import pytest

from power_bert import cli
from power_bert.documents import ExportMetadata
from power_bert.export import ONNX_FILE, load_onnx

from helpers.exports import EXPORTS, SEQ_LEN, VOCAB, stage_checkpoint

# (lengths of the examples, padded width); None: the longest example
BATCHES = (((SEQ_LEN, 1, 7, 3, SEQ_LEN - 1, 2), SEQ_LEN), ((5, 1, 9, 2), None), ((1,), None))


def test_onnx_without_tf2onnx_is_one_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # import tf2onnx -> ImportError
    assert cli.main(["export", "--FORMAT", "onnx", "--CHECKPOINT_PATH",
                     str(tmp_path / "retrain.hdf5"), "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --FORMAT onnx needs the optional packages tf2onnx and "
                          "onnxruntime (pip install -r requirements-onnx.txt): "), err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_onnx_with_xla_is_refused(tmp_path, capsys):
    assert cli.main(["export", "--FORMAT", "onnx", "--XLA", "true", "--CHECKPOINT_PATH",
                     str(tmp_path / "retrain.hdf5"), "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --XLA applies to --FORMAT savedmodel only (ONNX Runtime optimises the graph "
        "itself)")


def test_quantize_applies_to_onnx_only(tmp_path, capsys):
    assert cli.main(["export", "--QUANTIZE", "int8", "--CHECKPOINT_PATH",
                     str(tmp_path / "retrain.hdf5"), "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --QUANTIZE applies to --FORMAT onnx only (ONNX Runtime's dynamic "
        "quantization)")
    assert not (tmp_path / "out").exists()


def test_unknown_format_is_refused(tmp_path, capsys):
    assert cli.main(["export", "--FORMAT", "tflite", "--CHECKPOINT_PATH",
                     str(tmp_path / "retrain.hdf5"), "--OUTPUT_DIR", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: argument --FORMAT: invalid choice: 'tflite' (choose from "), err
    assert "savedmodel" in err and "onnx" in err and not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def onnx_exports(tmp_path_factory):
    """Every EXPORTS entry exported as ONNX (its --XLA flag is not used):
    {name: (Keras model, load_onnx's predict, export folder)}."""
    pytest.importorskip("tf2onnx")
    pytest.importorskip("onnxruntime")
    root = tmp_path_factory.mktemp("onnx")
    vocab_path = str(root / "vocab.txt")
    (root / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    exports = {}
    for seed, (name, task, mode, retention, _) in enumerate(EXPORTS):
        saved, model = stage_checkpoint(root / "checkpoints", vocab_path, name, task, mode,
                                        retention, seed)
        target = root / "models" / name
        assert cli.main(["export", "--FORMAT", "onnx", "--CHECKPOINT_PATH", saved.weights_path,
                         "--OUTPUT_DIR", str(target)]) == 0
        exports[name] = (model, load_onnx(str(target)), target)
        if name == EXPORTS[1][0]:  # one also quantized
            target = root / "models" / (name + "-int8")
            assert cli.main(["export", "--FORMAT", "onnx", "--QUANTIZE", "int8",
                             "--CHECKPOINT_PATH", saved.weights_path,
                             "--OUTPUT_DIR", str(target)]) == 0
            exports[name + "-int8"] = (model, load_onnx(str(target)), target)
    return exports


def _batch(lengths, width, seed):
    """[CLS] words [SEP] then 0-padding, a pair's second half in segment 1."""
    rng = np.random.default_rng(seed)
    ids = np.zeros([len(lengths), SEQ_LEN], np.int32)
    segments = np.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(5, len(VOCAB), n)
        ids[row, 0], ids[row, n - 1] = 2, 3  # [CLS] ... [SEP]
        segments[row, n // 2:n] = 1
    width = width or max(lengths)
    return ids, segments, ids[:, :width], segments[:, :width]


@pytest.mark.slow
@pytest.mark.parametrize("name", [e[0] for e in EXPORTS])
def test_onnx_reproduces_the_checkpoint(onnx_exports, name):
    model, predict, target = onnx_exports[name]
    meta = json.loads((target / "power_bert.json").read_text())
    assert sorted(p.name for p in target.iterdir()) == ["model.onnx", "power_bert.json",
                                                        "vocab.txt"]
    assert (target / "vocab.txt").read_text().split("\n")[:-1] == VOCAB
    assert (meta["format"], meta["seq_len"], meta["signatures"]) == (
        "power-bert ONNX", SEQ_LEN, {ONNX_FILE: ["input_ids", "segment_ids"]})
    assert predict.metadata == ExportMetadata.from_json(meta, "power_bert.json")
    for seed, (lengths, width) in enumerate(BATCHES):
        full_ids, full_segments, ids, segments = _batch(lengths, width, seed)
        want = model.predict_on_batch([full_ids, full_segments])  # fixed padding
        got = predict(ids, segments)
        if meta["labels"] is None:
            assert got.shape == (len(lengths),)
            np.testing.assert_allclose(got, want[:, 0], atol=1e-5)
        else:
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.slow
def test_onnx_bad_shapes_are_clear_errors(onnx_exports):
    _, predict, _ = onnx_exports["mrpc-retrain-xla"]
    too_long = np.ones([1, SEQ_LEN + 1], np.int32)
    with pytest.raises(ValueError, match="17 positions, more than the model's max_seq_len 16"):
        predict(too_long, too_long)
    with pytest.raises(ValueError, match=r"one shape, got \(1, 3\) and \(1, 2\)"):
        predict(np.ones([1, 3]), np.ones([1, 2]))
    assert predict(np.zeros([0, 0], np.int32), np.zeros([0, 0], np.int32)).shape == (0, 2)


@pytest.mark.slow
def test_int8_export_quantizes_the_products_and_stays_near_float32(onnx_exports):
    """--QUANTIZE int8: the MatMuls run on int8 weights (ONNX Runtime's MatMulInteger after
    DynamicQuantizeLinear), recorded in power_bert.json, with predictions near the float32
    model's (not equal: the weights and activations are rounded to int8)."""
    import onnx
    name = EXPORTS[1][0]
    model, predict, target = onnx_exports[name + "-int8"]
    _, float_predict, float_target = onnx_exports[name]
    meta = json.loads((target / "power_bert.json").read_text())
    assert meta["quantization"] == "int8"
    assert "quantization" not in json.loads((float_target / "power_bert.json").read_text())
    assert sorted(p.name for p in target.iterdir()) == ["model.onnx", "power_bert.json",
                                                        "vocab.txt"]
    ops = {node.op_type for node in onnx.load(str(target / ONNX_FILE)).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops and "TopK" in ops
    assert "MatMulInteger" not in {
        node.op_type for node in onnx.load(str(float_target / ONNX_FILE)).graph.node}
    for seed, (lengths, width) in enumerate(BATCHES):
        _, _, ids, segments = _batch(lengths, width, seed)
        got, want = predict(ids, segments), float_predict(ids, segments)
        assert got.shape == want.shape
        difference = np.abs(got - want).max()
        assert 0 < difference < 0.05, difference

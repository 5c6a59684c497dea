"""Tests of power_bert.convert on small random Hugging Face checkpoints written here."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import save_file

from power_bert import cli, convert
from power_bert.convert import ConversionError, convert_hf_to_google
from power_bert.config import BertConfig
from power_bert.google_ckpt import read_checkpoint, variable_table

from helpers.numpy_bert import bert_forward, significance

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
H, I, V, P, T, LAYERS, HEADS = 8, 16, 40, 16, 2, 2, 2

HF_CONFIG = {
    "architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": V,
    "hidden_size": H, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
    "intermediate_size": I, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1, "max_position_embeddings": P, "type_vocab_size": T,
    "initializer_range": 0.02, "layer_norm_eps": 1e-12, "position_embedding_type": "absolute",
    "pad_token_id": 0,
}


def hf_tensors(seed=0, prefix="bert.", old_layer_norm=False, pooler=True):
    """Random HF BERT tensors (Linear weights [out, in]) plus buffers and an MLM head."""
    rng = np.random.default_rng(seed)

    def r(*shape, scale=0.3):
        return (scale * rng.standard_normal(shape)).astype(np.float32)

    g, b = ("gamma", "beta") if old_layer_norm else ("weight", "bias")
    t = {
        "embeddings.word_embeddings.weight": r(V, H),
        "embeddings.position_embeddings.weight": r(P, H),
        "embeddings.token_type_embeddings.weight": r(T, H),
        "embeddings.LayerNorm." + g: 1 + r(H, scale=0.1),
        "embeddings.LayerNorm." + b: r(H, scale=0.1),
    }
    for i in range(LAYERS):
        p = "encoder.layer.%d." % i
        for m in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense"):
            t[p + m + ".weight"] = r(H, H)
            t[p + m + ".bias"] = r(H, scale=0.1)
        t[p + "intermediate.dense.weight"] = r(I, H)
        t[p + "intermediate.dense.bias"] = r(I, scale=0.1)
        t[p + "output.dense.weight"] = r(H, I)
        t[p + "output.dense.bias"] = r(H, scale=0.1)
        for m in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + m + "." + g] = 1 + r(H, scale=0.1)
            t[p + m + "." + b] = r(H, scale=0.1)
    if pooler:
        t["pooler.dense.weight"] = r(H, H)
        t["pooler.dense.bias"] = r(H, scale=0.1)
    t["embeddings.position_ids"] = np.arange(P, dtype=np.int64)[None]
    out = {prefix + k: v for k, v in t.items()}
    out["cls.predictions.bias"] = r(V)
    out["cls.predictions.transform.dense.weight"] = r(H, H)
    return out


def google_from_hf_by_hand(tensors, prefix="bert."):
    """The test's own HF -> Google mapping, written independently of convert.py."""
    g = {}
    for name, value in tensors.items():
        if (not name.startswith(prefix) or name.startswith("cls.")
                or name.endswith("position_ids")):
            continue
        parts = name[len(prefix):].split(".")
        if parts[0] == "encoder":  # encoder.layer.i.rest...
            parts = ["encoder", "layer_" + parts[2]] + parts[3:]
        leaf = parts[-1]
        if parts[-2] == "LayerNorm":
            parts[-1] = {"weight": "gamma", "bias": "beta"}.get(leaf, leaf)
        elif parts[-2].endswith("_embeddings"):
            parts = parts[:-1]
        elif leaf == "weight":
            parts[-1] = "kernel"
            value = value.T  # torch Linear [out, in] -> Google kernel [in, out]
        g["bert/" + "/".join(parts)] = value
    return g


def make_hf_dir(path, tensors=None, config=None, vocab=True, vocab_entries=V, **kw):
    os.makedirs(path, exist_ok=True)
    save_file(tensors if tensors is not None else hf_tensors(**kw),
              os.path.join(path, "model.safetensors"))
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config if config is not None else HF_CONFIG, f)
    if vocab:
        with open(os.path.join(path, "vocab.txt"), "w") as f:
            f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
                              + ["tok%d" % k for k in range(vocab_entries - 5)]) + "\n")
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True}, f)
    return str(path)


def inputs():
    rng = np.random.default_rng(1)
    ids = rng.integers(5, V, size=(3, 7))
    ids[:, 0] = 2
    seg = np.zeros_like(ids)
    seg[:, 4:] = 1
    mask = np.ones_like(ids)
    mask[1, 5:] = 0
    mask[2, 3:] = 0
    return ids, seg, mask


@pytest.mark.parametrize("prefix,old_layer_norm", [("bert.", False), ("", True)])
def test_convert_matches_numpy_forward(tmp_path, prefix, old_layer_norm):
    tensors = hf_tensors(prefix=prefix, old_layer_norm=old_layer_norm)
    hf_dir = make_hf_dir(tmp_path / "hf", tensors=tensors)
    out = tmp_path / "google"
    record = convert_hf_to_google(hf_dir, str(out))

    assert sorted(os.listdir(out)) == ["bert_config.json", "bert_model.ckpt.data-00000-of-00001",
                                       "bert_model.ckpt.index", "conversion.json", "vocab.txt"]
    assert (out / "vocab.txt").read_bytes() == (tmp_path / "hf" / "vocab.txt").read_bytes()
    cfg = BertConfig.from_json_file(str(out / "bert_config.json")).to_dict()
    assert set(cfg) == set(convert.GOOGLE_CONFIG_KEYS)
    assert (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"]) == (
        LAYERS, H, HEADS)

    google = read_checkpoint(str(out / "bert_model.ckpt"))
    by_hand = google_from_hf_by_hand(tensors, prefix)
    assert set(google) == set(by_hand)
    assert len(google) == 5 + 16 * LAYERS + 2
    for name in google:
        np.testing.assert_array_equal(google[name], by_hand[name], err_msg=name)

    ids, seg, mask = inputs()
    ref = bert_forward(by_hand, cfg, ids, seg, mask)
    got = bert_forward(google, cfg, ids, seg, mask)
    assert ref["pooled_output"] is not None
    for key in ("sequence_output", "pooled_output"):
        np.testing.assert_allclose(got[key], ref[key], atol=1e-6, rtol=0)
    for a, b in zip(got["layer_outputs"], ref["layer_outputs"]):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)

    written = json.loads((out / "conversion.json").read_text())
    assert written["source"] == os.path.abspath(hf_dir)
    assert written["tensor_count"] == len(google)
    assert written["source_tensor_count"] == len(tensors)
    assert sorted(t["name"] for t in written["ignored_tensors"]) == sorted(
        [prefix + "embeddings.position_ids", "cls.predictions.bias",
         "cls.predictions.transform.dense.weight"])
    assert written["pooler"] == "converted" and written["do_lower_case"] is True
    assert record["tensor_count"] == written["tensor_count"]
    # nothing but the output folder was created next to it
    assert sorted(os.listdir(tmp_path)) == ["google", "hf"]


def test_numpy_forward_is_padding_invariant(tmp_path):
    """Sanity check of the reference itself: padding does not change real positions."""
    g = google_from_hf_by_hand(hf_tensors())
    cfg = dict(HF_CONFIG)
    ids, seg, mask = inputs()
    full = bert_forward(g, cfg, ids, seg, mask)
    short = bert_forward(g, cfg, ids[2:, :3], seg[2:, :3], mask[2:, :3])
    np.testing.assert_allclose(full["sequence_output"][2, :3], short["sequence_output"][0],
                               atol=1e-10)
    probs = full["attention_probs"][0]
    assert probs.shape == (3, HEADS, 7, 7)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-12)
    assert probs[2, :, :, 3:].max() < 1e-30  # padded keys get no attention


def refused(tmp_path, match, **kw):
    hf_dir = make_hf_dir(tmp_path / "hf", **kw)
    with pytest.raises(ConversionError, match=match) as err:
        convert_hf_to_google(hf_dir, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert sorted(os.listdir(tmp_path)) == ["hf"]  # no temporary folder left behind
    return str(err.value)


def test_refuses_wrong_shape(tmp_path):
    t = hf_tensors()
    t["bert.encoder.layer.1.intermediate.dense.weight"] = np.zeros((H, I), np.float32)
    msg = refused(tmp_path, "bert.encoder.layer.1.intermediate.dense.weight", tensors=t)
    assert "shape [8, 16], expected [16, 8]" in msg


def test_refuses_unknown_model_type(tmp_path):
    refused(tmp_path, "model_type is 'roberta'", config=dict(HF_CONFIG, model_type="roberta"))


@pytest.mark.parametrize("act", ["gelu_new", "gelu_pytorch_tanh"])
def test_refuses_approximate_gelu(tmp_path, act):
    msg = refused(tmp_path, act, config=dict(HF_CONFIG, hidden_act=act))
    assert "approximate" in msg and "not be reproduced" in msg


def test_refuses_other_activation(tmp_path):
    refused(tmp_path, "'relu'", config=dict(HF_CONFIG, hidden_act="relu"))


def test_refuses_relative_positions(tmp_path):
    refused(tmp_path, "relative_key", config=dict(HF_CONFIG, position_embedding_type="relative_key"))


def test_refuses_other_layer_norm_eps_unless_allowed(tmp_path):
    msg = refused(tmp_path, "layer_norm_eps", config=dict(HF_CONFIG, layer_norm_eps=1e-5))
    assert "1e-05" in msg and "--ALLOW_LAYER_NORM_EPS_MISMATCH" in msg
    with pytest.warns(UserWarning, match="layer_norm_eps"):
        record = convert_hf_to_google(str(tmp_path / "hf"), str(tmp_path / "out"),
                                      allow_layer_norm_eps_mismatch=True)
    assert record["source_layer_norm_eps"] == 1e-5 and record["warnings"]


@pytest.mark.parametrize("missing", ["vocab.txt", "config.json", "model.safetensors"])
def test_missing_file_is_named(tmp_path, missing):
    hf_dir = make_hf_dir(tmp_path / "hf")
    os.remove(os.path.join(hf_dir, missing))
    with pytest.raises(ConversionError, match=missing.replace(".", r"\.") + " not found"):
        convert_hf_to_google(hf_dir, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_refuses_vocab_longer_than_vocab_size(tmp_path):
    msg = refused(tmp_path, "token ids would fall outside the embedding table",
                  vocab_entries=V + 2)
    assert str(tmp_path / "hf" / "vocab.txt") in msg
    assert "%d entries" % (V + 2) in msg and "only %d" % V in msg


def test_accepts_vocab_shorter_than_vocab_size_with_a_note(tmp_path):
    hf_dir = make_hf_dir(tmp_path / "hf", vocab_entries=V - 3)
    record = convert_hf_to_google(hf_dir, str(tmp_path / "out"))
    assert record["vocab_entries"] == V - 3
    assert any("fewer than vocab_size %d" % V in note for note in record["notes"])
    written = json.loads((tmp_path / "out" / "conversion.json").read_text())
    assert written["notes"] == record["notes"]


def test_refuses_undecodable_vocab(tmp_path):
    hf_dir = make_hf_dir(tmp_path / "hf")
    with open(os.path.join(hf_dir, "vocab.txt"), "ab") as f:
        f.write(b"caf\xe9\n")
    with pytest.raises(ConversionError, match="not valid UTF-8") as err:
        convert_hf_to_google(hf_dir, str(tmp_path / "out"))
    assert os.path.join(hf_dir, "vocab.txt") in str(err.value)


def test_every_table_row_has_a_hugging_face_name_the_converter_maps():
    """The converter's names are the table's: each HF name (and alias) maps to its row."""
    config = {k: HF_CONFIG[k] for k in convert.GOOGLE_CONFIG_KEYS}
    for row in variable_table(config):
        assert row.hf, row.google
        for name in row.hf:
            assert convert.hf_name_to_google(name, config) == (row.google, row.hf_transposed)


def test_refuses_unexpected_encoder_tensor(tmp_path):
    t = hf_tensors()
    t["bert.encoder.layer.0.attention.self.rotary.weight"] = np.zeros((H,), np.float32)
    refused(tmp_path, r"unexpected tensor bert\.encoder\.layer\.0\.attention\.self\.rotary",
            tensors=t)


def test_refuses_extra_layer(tmp_path):
    t = hf_tensors()
    t["bert.encoder.layer.2.output.dense.bias"] = np.zeros((H,), np.float32)
    refused(tmp_path, "layer 2 but config.json says num_hidden_layers=2", tensors=t)


def test_missing_pooler_refused_or_randomised(tmp_path):
    msg = refused(tmp_path, "no pooler", pooler=False)
    assert "--ALLOW_MISSING_POOLER" in msg
    with pytest.warns(UserWarning, match="RANDOMLY"):
        record = convert_hf_to_google(str(tmp_path / "hf"), str(tmp_path / "out"),
                                      allow_missing_pooler=True, seed=5)
    assert record["pooler"] == "random"
    google = read_checkpoint(str(tmp_path / "out" / "bert_model.ckpt"))
    assert google["bert/pooler/dense/kernel"].std() > 0
    assert "RANDOMLY" in json.loads((tmp_path / "out" / "conversion.json").read_text())[
        "warnings"][0]


def _files(folder):
    """Every file under ``folder`` (relative path -> bytes)."""
    return {os.path.relpath(os.path.join(d, f), folder): open(os.path.join(d, f), "rb").read()
            for d, _, names in os.walk(folder) for f in names}


def test_existing_output_refused_then_overwritten(tmp_path):
    hf_dir = make_hf_dir(tmp_path / "hf")
    out = tmp_path / "out"
    out.mkdir()  # an empty folder is taken as it is
    convert_hf_to_google(hf_dir, str(out))
    first = _files(out)
    with pytest.raises(ConversionError, match="not empty; pass --OVERWRITE"):
        convert_hf_to_google(hf_dir, str(out))
    # --OVERWRITE replaces an earlier conversion (here of other weights)
    other = make_hf_dir(tmp_path / "hf2", seed=5)
    convert_hf_to_google(other, str(out), overwrite=True)
    second = _files(out)
    assert sorted(second) == sorted(first) == sorted(
        ["bert_config.json", "vocab.txt", "bert_model.ckpt.index",
         "bert_model.ckpt.data-00000-of-00001", "conversion.json"])
    assert second["bert_model.ckpt.data-00000-of-00001"] != first[
        "bert_model.ckpt.data-00000-of-00001"]
    assert json.loads(second["conversion.json"])["source"] == other
    assert sorted(os.listdir(tmp_path)) == ["hf", "hf2", "out"]


@pytest.mark.parametrize("plant, why", [
    ({"keep.txt": "x"}, "it holds no conversion.json of power-bert convert"),
    ({"conversion.json": '{"converter": "someone else"}', "bert_config.json": "{}"},
     "it holds no conversion.json of power-bert convert"),
    ({"notes.txt": "mine"}, "it also holds notes.txt"),  # beside an earlier conversion
])
def test_overwrite_refuses_a_folder_of_other_files_and_deletes_nothing(tmp_path, plant, why):
    hf_dir = make_hf_dir(tmp_path / "hf")
    out = tmp_path / "out"
    if "notes.txt" in plant:
        convert_hf_to_google(hf_dir, str(out))
    out.mkdir(exist_ok=True)
    for name, text in plant.items():
        (out / name).write_text(text)
    before = _files(out)
    with pytest.raises(ConversionError) as caught:
        convert_hf_to_google(hf_dir, str(out), overwrite=True)
    assert str(caught.value) == (
        "OUTPUT_DIR %s is not an earlier conversion (%s); --OVERWRITE replaces only an empty "
        "folder or an earlier conversion: give another OUTPUT_DIR, or empty it yourself"
        % (out, why))
    assert _files(out) == before
    assert sorted(os.listdir(tmp_path)) == ["hf", "out"]  # no temporary folder either


def test_overwrite_never_touches_hf_dir(tmp_path):
    hf_dir = make_hf_dir(tmp_path / "models" / "hf")
    before = _files(tmp_path)
    # HF_DIR itself, through a symbolic link, a folder holding it, and one inside it
    os.symlink(hf_dir, str(tmp_path / "link"))
    for out, message in ((hf_dir, "must not be HF_DIR"),
                         (str(tmp_path / "link"), "must not be HF_DIR"),
                         (str(tmp_path / "models"), "must not be HF_DIR")):
        with pytest.raises(ConversionError, match=message):
            convert_hf_to_google(hf_dir, out, overwrite=True)
    inner = os.path.join(hf_dir, "google")
    convert_hf_to_google(hf_dir, inner)  # a new folder inside HF_DIR is written...
    with pytest.raises(ConversionError, match="OUTPUT_DIR %s is inside %s, which this command "
                                              "reads" % (inner, hf_dir)):
        convert_hf_to_google(hf_dir, inner, overwrite=True)  # ...but never replaced
    after = _files(tmp_path)
    assert {k: v for k, v in after.items() if "google" not in k} == before


def test_output_dir_is_checked_before_anything_is_read(tmp_path):
    hf_dir = tmp_path / "hf"
    hf_dir.mkdir()  # no config.json: reading it would be the first error otherwise
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConversionError, match="OUTPUT_DIR %s cannot be created: %s is a file, "
                                              "not a folder" % (tmp_path / "file" / "out",
                                                                tmp_path / "file")):
        convert_hf_to_google(str(hf_dir), str(tmp_path / "file" / "out"))


def test_cli(tmp_path, capsys):
    hf_dir = make_hf_dir(tmp_path / "hf")
    assert cli.main(["convert", "--HF_DIR", hf_dir, "--OUTPUT_DIR", str(tmp_path / "out")]) == 0
    assert "tensors written" in capsys.readouterr().out
    assert cli.main(["convert", "--HF_DIR", str(tmp_path / "absent"),
                     "--OUTPUT_DIR", str(tmp_path / "out2")]) == 2
    assert "absent is not a folder" in capsys.readouterr().err
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "power_bert.convert", "--HF_DIR", hf_dir,
                           "--OUTPUT_DIR", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error:" in proc.stderr and "not empty" in proc.stderr


def test_numpy_reference_extraction():
    """The optional PoWER-BERT extraction of the reference (used by model tests)."""
    # significance by hand: 1 example, 1 head, 3 words, last one padding
    probs = np.array([[[[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.3, 0.3, 0.4]]]])
    mask = np.array([[1.0, 1.0, 0.0]])
    # word 0: row 1 -> 0.6; word 1: row 0 -> 0.5; word 2: rows 0, 1 -> 0.3 + 0.3
    np.testing.assert_allclose(significance(probs, mask), [[0.6, 0.5, 0.6]])

    g = google_from_hf_by_hand(hf_tensors())
    ids, seg, mask = inputs()
    plain = bert_forward(g, HF_CONFIG, ids, seg, mask)
    same = bert_forward(g, HF_CONFIG, ids, seg, mask, retention_configuration=[7, 7])
    np.testing.assert_allclose(same["sequence_output"], plain["sequence_output"], atol=1e-12)
    cut = bert_forward(g, HF_CONFIG, ids, seg, mask, retention_configuration=[4, 3])
    assert cut["sequence_output"].shape == (3, 3, H)
    assert cut["attention_probs"][1].shape == (3, HEADS, 4, 4)
    first, second = cut["kept_positions"]
    assert (first[:, 0] == 0).all() and (np.diff(first, axis=1) > 0).all()
    assert set(second[0]) <= set(first[0])
    # example 2 has 3 real words: padding ranks last, so after the second encoder
    # exactly the real words survive (the first keeps one padding word, the lowest)
    assert first[2].tolist() == [0, 1, 2, 3] and second[2].tolist() == [0, 1, 2]
    # encoder 1 sees all words, and the feed-forward is per position: its kept
    # outputs are the unpruned outputs at the kept positions
    np.testing.assert_allclose(cut["attention_probs"][0], plain["attention_probs"][0])
    kept = np.take_along_axis(plain["layer_outputs"][0], first[:, :, None], axis=1)
    np.testing.assert_allclose(cut["layer_outputs"][0], kept, atol=1e-12)


def test_converted_checkpoint_loads_into_the_model_and_matches_numpy(tmp_path):
    """HF safetensors -> convert -> Google checkpoint -> Keras model, against the numpy
    forward pass on the test's own mapping of the HF tensors."""
    from power_bert.backend import keras
    from power_bert.google_ckpt import load_google_checkpoint
    from power_bert.model import build_model

    tensors = hf_tensors(seed=3)
    out = tmp_path / "google"
    convert_hf_to_google(make_hf_dir(tmp_path / "hf", tensors=tensors), str(out))
    config = BertConfig.from_json_file(str(out / "bert_config.json"))
    ids, seg, mask = inputs()
    ids = np.where(mask == 1, ids, 0)  # the model derives its mask from padding id 0
    model = build_model(config, 2, ids.shape[1], "finetune")
    load_google_checkpoint(model, config, str(out / "bert_model.ckpt"), str(out / "vocab.txt"))
    pooled = keras.Model(model.inputs, model.get_layer("Pooler-Dense").output)
    got = pooled([ids.astype(np.int32), seg.astype(np.int32)], training=False).numpy()
    ref = bert_forward(google_from_hf_by_hand(tensors), config.to_dict(), ids, seg, mask)
    np.testing.assert_allclose(got, ref["pooled_output"], atol=1e-4, rtol=0)

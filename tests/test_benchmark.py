"""The inference benchmark end to end on tiny checkpoints (power_bert.benchmark), its
command line (``power-bert benchmark`` and ``python -m power_bert.benchmark``) and its
report against the committed results.

Timings are not checked against each other: they are noisy, and the claim that
PoWER-BERT is faster comes from running the benchmark, not from a unit test.
"""
import dataclasses
import functools
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from power_bert import cli, flops, inference, rawtext, synthetic
from power_bert.backend import keras
from power_bert.benchmark import peers, report, text
from power_bert.checkpoint import StageCheckpoint, file_sha256
from power_bert.data import DataParser
from power_bert.documents import BENCHMARK_DEFINITIONS, BenchmarkResult

from helpers.cli import exit_code, one_error_line
from helpers.tiny import tiny_bert_config, write_vocab

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results")
SEQ_LEN = 64  # the demo task's length; sentences are 12-60 word pieces
RETENTION = [20, 8]
BATCH = 8
NUM_DEV = 20


def _save(checkpoint: StageCheckpoint, model, folder, stage: str) -> str:
    """Saves ``model`` as a stage checkpoint; returns the weights path."""
    return checkpoint.save(model, str(folder), stage).weights_path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    data_dir = str(root / "data")
    synthetic.write_data(data_dir, seed=3, sizes={"train": 4, "dev": NUM_DEV, "test": 4})
    vocab_path = str(root / "vocab.txt")
    write_vocab(vocab_path, synthetic.vocabulary())
    config = tiny_bert_config(vocab_size=len(synthetic.vocabulary()), num_hidden_layers=2,
                              max_position_embeddings=SEQ_LEN, initializer_range=0.5)
    # (large initial weights: class probabilities far from ties, so float rounding
    # between the paddings cannot flip a prediction)
    baseline = StageCheckpoint(config=config, task="demo", num_labels=2, seq_len=SEQ_LEN,
                               mode="finetune", vocab_size=config.vocab_size,
                               vocab_sha256=file_sha256(vocab_path),
                               vocab_path=os.path.abspath(vocab_path))
    keras.utils.set_random_seed(0)
    finetune = baseline.build()
    paths = {"baseline": _save(baseline, finetune, root / "out", "finetune")}
    for key, folder, retention, task in (("power", "out", RETENTION, "demo"),
                                         ("other", "other", [4, 2], "demo"),
                                         ("sst", "sst", RETENTION, "sst-2")):
        checkpoint = dataclasses.replace(baseline.with_retention(retention), task=task)
        model = checkpoint.build()
        model.set_weights(finetune.get_weights())
        paths[key] = _save(checkpoint, model, root / folder, "retrain")
    keras.backend.clear_session()
    return dict(paths, root=root, data_dir=data_dir, vocab=vocab_path, config=config)


def _argv(setup, *extra, baseline=None, power=None):
    return ["--BASELINE", baseline or setup["baseline"], "--POWER", power or setup["power"],
            "--TASK", "demo", "--DATA_DIR", setup["data_dir"], "--VOCAB_PATH", setup["vocab"],
            "--BATCH_SIZE", str(BATCH), "--RUNS", "2", "--VERBOSE", "0",
            "--XLA", "false"] + list(extra)  # (XLA compiles per shape: slow for a test)


@pytest.fixture(scope="module")
def both_run(setup):
    out = setup["root"] / "results"
    code = cli.run_command("benchmark", _argv(
        setup, "--PADDING", "both", "--OUTPUT", str(out / "benchmark.json"),
        "--PLOT", str(out / "plot.png"), "--EXTRA", "lambda_big=%s" % setup["other"]))
    assert code == 0
    with open(out / "benchmark.json", encoding="utf-8") as f:
        return json.load(f), out


def _dev_inputs(setup):
    parser = DataParser(setup["vocab"], "demo", setup["data_dir"], seq_len=SEQ_LEN)
    return parser.get_dev_data()


def _check_model_entry(entry, checkpoint_path, runs=2):
    for key in ("metric_name", "metric", "seconds_per_example", "all_times",
                "word_vectors_per_example", "checkpoint", "speedup", "ideal_speedup"):
        assert key in entry, key
    assert entry["metric_name"] == "accuracy"
    assert 0.0 <= entry["metric"] <= 100.0
    assert entry["seconds_per_example"] > 0
    assert len(entry["all_times"]) == runs and all(t > 0 for t in entry["all_times"])
    assert entry["seconds_per_example"] == pytest.approx(np.median(entry["all_times"]) / NUM_DEV)
    assert entry["checkpoint"] == os.path.abspath(checkpoint_path)
    assert entry["speedup"] > 0


@pytest.mark.slow
def test_json_has_every_field_with_sane_values(setup, both_run):
    result, _ = both_run
    config = setup["config"].to_dict()
    for key in ("task", "batch_size", "padding", "speedup", "ideal_speedup", "num_examples",
                "runs", "xla", "machine", "baseline", "power_bert", "retention_configuration"):
        assert key in result, key
    assert result["task"] == "demo" and result["batch_size"] == BATCH
    assert result["num_examples"] == NUM_DEV and result["xla"] is False
    assert result["retention_configuration"] == RETENTION
    assert result["padding"] == "fixed" and result["speedup"] > 0
    assert result["ideal_speedup"] == pytest.approx(flops.ideal_speedup(config, SEQ_LEN, RETENTION))
    for key in ("platform", "cpu_count", "tensorflow", "devices"):
        assert key in result["machine"]
    assert [run["padding"] for run in result["runs"]] == ["fixed", "dynamic"]
    fixed = result["runs"][0]
    assert fixed["speedup"] == result["speedup"]
    _check_model_entry(result["baseline"], setup["baseline"])
    _check_model_entry(result["power_bert"], setup["power"])
    assert result["baseline"]["word_vectors_per_example"] == 2 * SEQ_LEN
    assert result["power_bert"]["word_vectors_per_example"] == \
        flops.word_vectors_processed(SEQ_LEN, RETENTION)
    assert result["baseline"]["ideal_speedup"] == pytest.approx(1.0)
    extra = fixed["extra"]["lambda_big"]
    _check_model_entry(extra, setup["other"])
    assert extra["ideal_speedup"] == pytest.approx(flops.ideal_speedup(config, SEQ_LEN, [4, 2]))


@pytest.mark.slow
def test_dynamic_padding_counts_each_example_at_its_batch_length(setup, both_run):
    result, _ = both_run
    dynamic = result["runs"][1]
    x, _ = _dev_inputs(setup)
    # the batches take the examples sorted by length, as eval and predict do
    lengths = inference.batch_lengths(x, BATCH, dynamic=True, order=inference.length_order(x[0]))
    assert dynamic["batch_lengths"] == lengths and max(lengths) < SEQ_LEN
    assert dynamic["sorted_by_length"] and lengths == sorted(lengths)
    assert sum(lengths) < sum(inference.batch_lengths(x, BATCH, dynamic=True))
    sizes = [min(BATCH, NUM_DEV - start) for start in range(0, NUM_DEV, BATCH)]
    config = setup["config"].to_dict()
    base_vectors = sum(n * 2 * t for n, t in zip(sizes, lengths)) / NUM_DEV
    power_vectors = sum(n * sum(min(l, t) for l in RETENTION)
                        for n, t in zip(sizes, lengths)) / NUM_DEV
    assert dynamic["baseline"]["word_vectors_per_example"] == pytest.approx(base_vectors)
    assert dynamic["power_bert"]["word_vectors_per_example"] == pytest.approx(power_vectors)
    base_macs = sum(n * flops.encoder_macs(config, t)["total"] for n, t in zip(sizes, lengths))
    power_macs = sum(n * flops.encoder_macs(config, t, [min(l, t) for l in RETENTION])["total"]
                     for n, t in zip(sizes, lengths))
    assert dynamic["ideal_speedup"] == pytest.approx(base_macs / power_macs)
    # Same predictions whatever the padding, so the same metric.
    for name in ("baseline", "power_bert"):
        assert dynamic[name]["metric"] == result["runs"][0][name]["metric"]


@pytest.mark.slow
def test_markdown_table_and_plot_are_written(both_run):
    _, out = both_run
    table = (out / "benchmark.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| fixed")
            or line.startswith("| dynamic")]
    assert len(rows) == 6  # 3 models x 2 paddings
    assert "PoWER-BERT" in table and "lambda_big" in table
    with open(out / "plot.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_first_release_checkpoints_with_the_recorded_vocabulary(setup, tmp_path):
    """Models whose .json is of the first release (as those of the committed results)
    are benchmarked; without --VOCAB_PATH the vocabulary recorded with the baseline is
    used."""
    paths = {}
    for key, stage in (("baseline", "finetune"), ("power", "retrain")):
        with open(setup[key][:-len(".hdf5")] + ".json", encoding="utf-8") as f:
            meta = json.load(f)
        first_release = {k: meta[k] for k in ("bert_config", "task", "num_labels", "seq_len",
                                              "mode", "retention_configuration", "cased",
                                              "vocab_path")}
        (tmp_path / (stage + ".json")).write_text(json.dumps(first_release), encoding="utf-8")
        paths[key] = str(tmp_path / (stage + ".hdf5"))
        shutil.copyfile(setup[key], paths[key])
    output = tmp_path / "out" / "benchmark.json"
    argv = ["--BASELINE", paths["baseline"], "--POWER", paths["power"], "--DATA_DIR",
            setup["data_dir"], "--BATCH_SIZE", str(BATCH), "--RUNS", "1", "--WARMUP", "0",
            "--VERBOSE", "0", "--OUTPUT", str(output), "--XLA", "false"]
    assert cli.run_command("benchmark", argv) == 0
    with open(output, encoding="utf-8") as f:
        result = json.load(f)
    assert result["task"] == "demo" and result["retention_configuration"] == RETENTION
    assert result["power_bert"]["checkpoint"] == paths["power"]
    assert [run["padding"] for run in result["runs"]] == ["fixed"]
    assert (tmp_path / "out" / "benchmark.md").exists()


def _committed_results():
    return sorted(glob.glob(os.path.join(RESULTS, "*", "benchmark.json")))


def _keys(result):
    """The key layout of a benchmark.json, in order."""
    run = result["runs"][0]
    return {"top": list(result), "run": list(run), "model": list(run["baseline"]),
            "machine": list(result["machine"]), "definitions": list(result["definitions"])}


def test_json_keys_are_those_of_the_committed_results(both_run):
    result, _ = both_run
    committed = _committed_results()
    assert committed, "no committed benchmark.json under %s" % RESULTS
    for path in committed:
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        if "format_version" in old:  # written by this release: the same layout
            assert _keys(result) == _keys(old), path
        else:
            # (the release that typed the documents added the format version, first; the
            # next the CPU's model and features after "processor", the environment last)
            machine = _keys(old)["machine"]
            at = machine.index("processor") + 1
            machine = (machine[:at] + ["cpu_model", "cpu_features"] + machine[at:]
                       + ["environment"])
            assert _keys(result) == dict(_keys(old), top=["format_version"] + _keys(old)["top"],
                                         machine=machine), path
        assert old["definitions"] == BENCHMARK_DEFINITIONS
    assert result["definitions"] == BENCHMARK_DEFINITIONS
    for run in result["runs"]:
        for entry in [run["baseline"], run["power_bert"]] + list(run["extra"].values()):
            assert list(entry) == _keys(result)["model"]


@pytest.mark.parametrize("path", _committed_results(), ids=lambda p: p.split(os.sep)[-2])
def test_report_reproduces_the_committed_table(path):
    with open(path, encoding="utf-8") as f:
        result = json.load(f)
    with open(report.markdown_path(path), encoding="utf-8") as f:
        assert report.markdown_table(BenchmarkResult.from_json(result, path)) == f.read()


# all-MiniLM-L6-v2, the model of every committed result
MINILM = {"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6}


@pytest.mark.parametrize("path", _committed_results(), ids=lambda p: p.split(os.sep)[-2])
def test_cost_model_reproduces_the_committed_results(path):
    """flops.model_cost gives the word vectors, MACs and ideal speed-ups that the
    benchmark wrote, from the batch lengths it recorded."""
    with open(path, encoding="utf-8") as f:
        result = json.load(f)
    num, batch = result["num_examples"], result["batch_size"]
    sizes = [min(batch, num - start) for start in range(0, num, batch)]
    for run in result["runs"]:
        entries = dict(run["extra"], baseline=run["baseline"], power_bert=run["power_bert"])
        costs = {name: flops.model_cost(MINILM, entry["retention_configuration"],
                                        run["batch_lengths"], sizes)
                 for name, entry in entries.items()}
        for name, entry in entries.items():
            cost = costs[name]
            assert cost["word_vectors_per_example"] == entry["word_vectors_per_example"]
            assert cost["encoder_macs_per_example"] == entry["encoder_macs_per_example"]
            ideal = costs["baseline"]["encoder_macs_total"] / cost["encoder_macs_total"]
            assert ideal == entry["ideal_speedup"], (run["padding"], name)


# ----- the command line ----------------------------------------------------------------

_exit_code = functools.partial(exit_code, "benchmark")


def test_models_of_different_tasks_are_refused(setup, capsys, tmp_path):
    code = _exit_code(_argv(setup, "--OUTPUT", str(tmp_path / "b.json"), power=setup["sst"]))
    err = one_error_line(capsys.readouterr().err)
    assert code == 2 and "same task" in err and "demo" in err and "sst-2" in err
    assert not (tmp_path / "b.json").exists()


def test_missing_checkpoint_is_an_error(setup, capsys, tmp_path):
    missing = str(tmp_path / "nowhere" / "finetune.hdf5")
    code = _exit_code(_argv(setup, "--OUTPUT", str(tmp_path / "b.json"), baseline=missing))
    err = one_error_line(capsys.readouterr().err)
    assert code == 2 and "--BASELINE" in err and "not found" in err and missing in err
    assert os.listdir(tmp_path) == []


def test_a_vocabulary_of_another_model_is_refused(setup, capsys, tmp_path):
    other = tmp_path / "vocab.txt"
    words = open(setup["vocab"], encoding="utf-8").read().splitlines()
    other.write_text("\n".join(words[:-2] + words[-1:-3:-1]) + "\n", encoding="utf-8")
    argv = _argv(setup, "--OUTPUT", str(tmp_path / "b.json"))
    argv[argv.index("--VOCAB_PATH") + 1] = str(other)
    assert _exit_code(argv) == 2
    err = one_error_line(capsys.readouterr().err)
    assert "SHA-256" in err and str(other) in err
    assert not (tmp_path / "b.json").exists()


@pytest.mark.parametrize("flags,message", [
    (["--RUNS", "0"], "--RUNS must be at least 1, got 0"),
    (["--BATCH_SIZE", "-3"], "--BATCH_SIZE must be at least 1, got -3"),
    (["--BATCH_SIZE", "many"], "argument --BATCH_SIZE: invalid int value: 'many'"),
    (["--WARMUP", "-1"], "--WARMUP must be at least 0, got -1"),
    (["--MAX_EXAMPLES", "0"], "--MAX_EXAMPLES must be at least 1, got 0"),
    (["--EXTRA", "no_equals_sign"], "NAME=PATH"),
    (["--EXTRA", "lambda1e-3,lrs1e-2=x.hdf5"], "may hold only letters"),
    (["--EXTRA", "baseline=x.hdf5"], "used twice"),
    (["--EXTRA", "big=missing/retrain.hdf5"], "--EXTRA big: model weights not found"),
    (["--PADDING", "sometimes"], "--PADDING"),
    (["--DATA_DIR", "no/such/folder"], "--DATA_DIR no/such/folder is not a folder"),
    (["--VOCAB_PATH", "no/vocab.txt"], "--VOCAB_PATH: vocabulary not found"),
    (["--OUTPUT", "results.md"], "give a .json file name"),
    (["--PLOT", "plot.unknown"], "--PLOT plot.unknown: the file name must end in one of"),
    (["--XLA", "maybe"], "--XLA is a switch: true or false, got 'maybe'"),
    (["--PADDING_BUCKETS", "0"], "--PADDING_BUCKETS must be at least 1, got 0"),
    (["--PEERS", "tensorrt"], "argument --PEERS: invalid choice: 'tensorrt'"),
    (["--PEERS", "hf", "--RETENTION_CONFIG", "8,4"],
     "--PEERS needs the PoWER-BERT model: give either --POWER (retrain.hdf5) or "
     "--RETENTION_CONFIG (applied to --BASELINE), not both"),
    (["--PEERS", "hf", "--EXTRA", "big=x.hdf5"], "--EXTRA cannot be used with --PEERS"),
    (["--PEERS", "hf", "--SEQ_LEN", "8"], "--SEQ_LEN is for timing at a shape"),
    (["--FROM_TEXT", "true"], "--FROM_TEXT times peers from raw text: give --PEERS hf"),
    (["--PEERS", "savedmodel", "onnx", "--MIXED_PRECISION", "bfloat16"],
     "--PEERS onnx exports a float32 model"),
    (["--PEERS", "savedmodel", "onnx", "--FROM_TEXT", "true"],
     "--PEERS onnx takes token ids, not text"),
    (["--PEERS", "onnx_int8", "--MIXED_PRECISION", "bfloat16"],
     "--PEERS onnx_int8 exports a float32 model"),
    (["--PEERS", "hf", "onnx_int8", "--FROM_TEXT", "true"],
     "--PEERS onnx_int8 takes token ids, not text"),
    (["--PEERS", "savedmodel", "--HF_TOKENIZER", "."],
     "--HF_TOKENIZER is HF's tokenizer from raw text: give --PEERS hf and --FROM_TEXT true"),
    (["--PEERS", "hf", "--FROM_TEXT", "true", "--HF_TOKENIZER", "no/such"],
     "--HF_TOKENIZER no/such is not a folder"),
])
def test_bad_flags_exit_2(setup, capsys, tmp_path, monkeypatch, flags, message):
    monkeypatch.chdir(tmp_path)
    assert _exit_code(_argv(setup, *flags)) == 2
    err = one_error_line(capsys.readouterr().err)
    assert message in err
    assert os.listdir(tmp_path) == []  # nothing written


@pytest.mark.parametrize("flags,message", [
    (["--RUNS", "0"], "--RUNS must be at least 1, got 0"),
    (["--POWER", "absent/retrain.hdf5"], "--POWER: model weights not found"),
], ids=["runs", "power"])
def test_python_m_benchmark_fails_with_one_line(setup, tmp_path, flags, message):
    """``python -m power_bert.benchmark`` and ``power-bert benchmark``: the same checks."""
    output = tmp_path / "benchmark.json"
    argv = _argv(setup, "--OUTPUT", str(output)) + flags
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for program in (["-m", "power_bert.benchmark"], ["-m", "power_bert.cli", "benchmark"]):
        proc = subprocess.run([sys.executable] + program + argv, capture_output=True,
                              text=True, env=env, cwd=str(tmp_path), timeout=300)
        assert proc.returncode == 2, proc.stderr
        assert message in one_error_line(proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""
        assert os.listdir(tmp_path) == []


def _torch_missing():
    import importlib.util
    return any(importlib.util.find_spec(name) is None for name in ("torch", "transformers"))


@pytest.mark.skipif(not _torch_missing(), reason="torch and transformers are installed")
def test_peers_without_torch_say_how_to_install_it(setup, capsys, tmp_path):
    code = _exit_code(_argv(setup, "--PEERS", "hf", "--OUTPUT", str(tmp_path / "p.json")))
    err = one_error_line(capsys.readouterr().err)
    assert code == 2 and "--PEERS hf needs PyTorch and transformers" in err
    assert "pip install -r requirements-peers.txt" in err
    assert os.listdir(tmp_path) == []


def test_peers_need_a_model_that_drops_vectors(setup, capsys, tmp_path):
    code = _exit_code(_argv(setup, "--PEERS", "hf", "--OUTPUT", str(tmp_path / "p.json"),
                            power=setup["baseline"]))
    err = one_error_line(capsys.readouterr().err)
    assert code == 2 and "--POWER %s drops no word vectors (mode finetune)" % setup[
        "baseline"] in err
    assert os.listdir(tmp_path) == []


def _onnx_missing():
    import importlib.util
    return any(importlib.util.find_spec(name) is None for name in ("tf2onnx", "onnxruntime"))


@pytest.mark.skipif(not _onnx_missing(), reason="tf2onnx and onnxruntime are installed")
def test_peers_onnx_without_its_packages_names_the_requirements_file(setup, capsys, tmp_path):
    code = _exit_code(_argv(setup, "--PEERS", "savedmodel", "onnx",
                            "--OUTPUT", str(tmp_path / "p.json")))
    err = one_error_line(capsys.readouterr().err)
    assert code == 2 and err.startswith("error: --PEERS onnx needs the optional packages "
                                        "tf2onnx and onnxruntime (pip install -r "
                                        "requirements-onnx.txt)")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("peer_names", [
    ["savedmodel"],
    pytest.param(["hf", "savedmodel"], marks=pytest.mark.skipif(
        _torch_missing(), reason="needs requirements-peers.txt")),
], ids=["savedmodel", "hf+savedmodel"])
def test_from_text_times_sentences_to_probabilities(setup, tmp_path, peer_names):
    """--FROM_TEXT: every engine reads the dev sentences (tokenisation included) and the
    engines of one model agree; HF's tokenizer, when timed, is the reference."""
    output = tmp_path / "text.json"
    assert _exit_code(_argv(setup, "--PEERS", *peer_names, "--FROM_TEXT", "true",
                            "--OUTPUT", str(output))) == 0
    with open(output, encoding="utf-8") as reader:
        result = json.load(reader)
    names = ["bert_text", "power_text", "bert_savedmodel_text", "power_savedmodel_text"]
    if "hf" in peer_names:
        names[:0] = ["hf_text", "hf_text_sorted"]
    assert list(result["engines"]) == names and result["from_text"] is True
    assert result["reference"] == ("hf_text" if "hf" in peer_names else None)
    first = "hf_text" if "hf" in peer_names else "bert_text"
    assert result["agreement"]["bert_savedmodel_text"]["reference"] == first
    assert result["agreement"]["power_savedmodel_text"]["reference"] == "power_text"
    assert all(a["max_abs_difference"] < 1e-5 for a in result["agreement"].values())
    # each batch cut to its longest example; the rows sorted by token length (checkpoints,
    # SavedModels by their tokenize signature, HF sorted); hf_text: file order, as HF
    # users send them
    x, _ = _dev_inputs(setup)
    texts = text.dev_texts("demo", setup["data_dir"], NUM_DEV)
    sizes = [min(BATCH, NUM_DEV - start) for start in range(0, NUM_DEV, BATCH)]
    in_file_order = inference.batch_lengths(x, BATCH, dynamic=True)
    by_characters = inference.batch_lengths(x, BATCH, True, order=rawtext.text_order(texts))
    by_tokens = inference.batch_lengths(x, BATCH, True, order=inference.length_order(x[0]))
    assert sum(by_tokens) <= sum(by_characters) < sum(in_file_order)
    assert np.array_equal(rawtext.TokenisedRows.row_order(x, BATCH, True),
                          inference.length_order(x[0]))  # one chunk here
    for name, entry in result["engines"].items():
        lengths = in_file_order if name == "hf_text" else by_tokens
        assert entry["average_batch_length"] == pytest.approx(np.dot(lengths, sizes) / NUM_DEV)
        assert entry["padding"] == "dynamic" + ("" if name == "hf_text" else
                                                ", sorted by length")
    # the metric of the text engines is that of the token-id path
    assert (result["engines"]["power_savedmodel_text"]["metrics"]
            == result["engines"]["power_text"]["metrics"])
    head = open(tmp_path / "text.md", encoding="utf-8").read().splitlines()[0]
    assert "from raw text" in head


@pytest.mark.skipif(_torch_missing(), reason="needs requirements-peers.txt")
def test_peers_in_bfloat16_run_hf_under_autocast_and_agree_to_the_reduced_tolerance(setup,
                                                                                    tmp_path):
    output = tmp_path / "bf16.json"
    assert _exit_code(_argv(setup, "--PEERS", "hf", "savedmodel", "--MIXED_PRECISION",
                            "bfloat16", "--OUTPUT", str(output))) == 0
    with open(output, encoding="utf-8") as reader:
        result = json.load(reader)
    assert result["mixed_precision"] == "bfloat16"
    assert result["agreement_tolerance"] == peers.REDUCED_TOLERANCE
    worst = max(a["max_abs_difference"] for a in result["agreement"].values())
    assert 0 < worst <= peers.REDUCED_TOLERANCE  # (rounded: float32 engines agree to 1e-7)
    head = open(tmp_path / "bf16.md", encoding="utf-8").read().splitlines()[0]
    assert "bfloat16 (HF: torch.autocast)" in head
    assert peers.agreement_tolerance("none") == peers.AGREEMENT_TOLERANCE


@pytest.mark.parametrize("exported", [
    ["savedmodel"],
    pytest.param(["savedmodel", "onnx"], marks=pytest.mark.skipif(
        _onnx_missing(), reason="needs requirements-onnx.txt")),
], ids=["savedmodel", "savedmodel+onnx"])
def test_exported_engines_join_the_peer_rotation_and_agree(setup, tmp_path, monkeypatch,
                                                           exported):
    """The PoWER-BERT model exported into a temporary folder (gone afterwards) is timed
    beside the in-process models, fed the same token ids, and agrees with them; no torch
    is needed."""
    exports = tmp_path / "tmp"
    exports.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(exports))
    output = tmp_path / "peers.json"
    assert _exit_code(_argv(setup, "--PEERS", *exported, "--OUTPUT", str(output))) == 0
    with open(output, encoding="utf-8") as reader:
        result = json.load(reader)
    names = ["power_" + name for name in exported]
    assert list(result["engines"]) == ["bert_fixed", "bert_dynamic", "power_fixed",
                                       "power_dynamic"] + names
    assert result["reference"] is None  # no HF transformers: no speed-ups
    dynamic = result["engines"]["power_dynamic"]
    for name in names:
        entry = result["engines"][name]
        assert result["agreement"][name]["reference"] == "power_fixed"
        assert result["agreement"][name]["max_abs_difference"] < 1e-5
        assert (entry["model"], entry["padding"]) == (peers.POWER, "dynamic, sorted by length")
        assert entry["metrics"] == dynamic["metrics"] and len(entry["all_times"]) == 2
        # the batches of power_dynamic (without XLA: exact lengths), not the full width
        assert entry["average_batch_length"] == dynamic["average_batch_length"] < SEQ_LEN
    assert glob.glob(str(exports / "power-bert-peers-*")) == []  # the exports were deleted


@pytest.mark.skipif(_onnx_missing(), reason="needs requirements-onnx.txt")
def test_the_int8_export_is_timed_as_its_own_model_with_its_dev_metric(setup, tmp_path):
    """--PEERS onnx_int8: the PoWER-BERT export quantized to int8 is another model: its
    difference from PoWER-BERT is reported (not checked) and the table gives its dev
    metric beside PoWER-BERT's."""
    from power_bert.tasks import get_task
    output = tmp_path / "peers.json"
    assert _exit_code(_argv(setup, "--PEERS", "onnx", "onnx_int8", "--OUTPUT",
                            str(output))) == 0
    result = json.loads(output.read_text())
    entry = result["engines"]["power_onnx_int8"]
    assert (entry["model"], entry["label"]) == (peers.POWER_INT8, "PoWER-BERT ONNX Runtime int8")
    assert result["agreement"]["power_onnx"]["max_abs_difference"] < 1e-5
    int8 = result["agreement"]["power_onnx_int8"]
    assert int8["reference"] == "power_fixed" and int8["checked"] is False
    assert 0 < int8["max_abs_difference"] < 0.5  # int8 rounding: near, not equal
    table = (tmp_path / "peers.md").read_text()
    assert "| PoWER-BERT ONNX Runtime int8: dev metric (PoWER-BERT) |" in table
    name = get_task(result["task"]).main_metric
    assert "| %s %.2f (%.2f) |" % (name, entry["metrics"][name],
                                   result["engines"]["power_fixed"]["metrics"][name]) in table

"""The typed JSON documents (``power_bert.documents``): each round-trips, refuses a
value of the wrong type naming the key, and reads a file of the earlier format."""
import json
from pathlib import Path

import pytest

from power_bert.documents import (ExportMetadata, JsonFields, ONNX_FORMAT, RunResults,
                                  SAVED_MODEL_FORMAT, export_format)
from power_bert.errors import ExportError, UsageError

from helpers.tiny import tiny_config

ROOT = Path(__file__).resolve().parent.parent

# assets/power_bert.json as the release before typed documents exported an MRPC model
# (format 1: the sequence length as "max_seq_len").
EXPORT_FORMAT_1 = {
    "format": "power-bert SavedModel", "format_version": 1, "power_bert_version": "1.0.0",
    "task": "mrpc", "labels": ["0", "1"], "output": "probabilities", "pair": True,
    "max_seq_len": 16, "cased": False, "mode": "retrain", "retention_configuration": [9, 4],
    "bert_config": tiny_config(), "xla": False, "source_checkpoint": "/runs/mrpc/retrain.hdf5",
    "source_weights_sha256": "ab" * 32, "vocab_sha256": "cd" * 32, "epoch": 2,
    "dev_metrics": {"accuracy": 0.75, "f1": 0.8},
    "signatures": {"serving_default": ["sentence", "sentence2"],
                   "token_ids": ["input_ids", "segment_ids"]}}


def test_export_metadata_of_format_1_loads_and_is_written_as_format_2(tmp_path):
    meta = ExportMetadata.from_json(EXPORT_FORMAT_1, "power_bert.json")
    assert (meta.format, meta.task, meta.seq_len, meta.retention_configuration) == (
        SAVED_MODEL_FORMAT, "mrpc", 16, [9, 4])
    assert meta.labels == ["0", "1"] and meta.pair and meta.epoch == 2
    assert meta.dev_metrics == {"accuracy": 0.75, "f1": 0.8} and meta.onnx_opset is None
    meta.write(str(tmp_path))
    written = json.loads((tmp_path / "power_bert.json").read_text())
    assert written["format_version"] == 2 and written["seq_len"] == 16
    assert "max_seq_len" not in written and "onnx_opset" not in written
    assert ExportMetadata.read(str(tmp_path / "power_bert.json")) == meta
    assert export_format(str(tmp_path / "power_bert.json")) == SAVED_MODEL_FORMAT


def test_onnx_export_metadata_keeps_its_opset():
    meta = ExportMetadata.from_json(dict(EXPORT_FORMAT_1, format=ONNX_FORMAT, onnx_opset=13),
                                    "power_bert.json")
    assert meta.to_json()["onnx_opset"] == 13
    assert ExportMetadata.from_json(meta.to_json(), "power_bert.json") == meta


@pytest.mark.parametrize("change, text", [
    ({"max_seq_len": "16"}, "'max_seq_len' must be an integer, got '16'"),
    ({"format_version": 2}, "'seq_len' must be an integer, got None"),
    ({"pair": 1}, "'pair' must be true or false, got 1"),
    ({"format_version": 9}, "has format_version 9; this release reads 1, 2"),
])
def test_bad_export_metadata_names_the_file_and_the_key(change, text):
    with pytest.raises(ExportError, match="export metadata power_bert.json") as error:
        ExportMetadata.from_json(dict(EXPORT_FORMAT_1, **change), "power_bert.json")
    assert text in str(error.value)


def test_unreadable_export_metadata_is_an_export_error(tmp_path):
    path = tmp_path / "power_bert.json"
    path.write_text("{not json")
    with pytest.raises(ExportError, match="cannot read the export metadata"):
        ExportMetadata.read(str(path))
    assert export_format(str(path)) is None and export_format(str(tmp_path / "none")) is None


def test_json_fields_accept_an_integer_as_a_number_but_not_a_boolean():
    field = JsonFields({"a": 2, "b": True, "c": None}, "doc", ValueError)
    assert field("a", float) == 2
    assert field("c", int) is None
    with pytest.raises(ValueError, match="doc: 'b' must be a number, got True"):
        field("b", float)
    with pytest.raises(ValueError, match="doc: 'c' must be an integer, got None"):
        field("c", int, optional=False)


# A cell's results.json as the release before typed documents wrote it (no
# format_version), shortened from benchmarks/results/sst-2-sweep.
RESULTS_FORMAT_1 = {
    "selection": {"protocol": "selected and reported on dev", "set": "dev"},
    "updated": "2026-11-22T08:31:39", "task": "sst-2", "main_metric": "accuracy",
    "seq_len": 64,
    "baseline": {"dev_metrics": {"accuracy": 0.868}, "epoch": 3,
                 "checkpoint": "runs/finetune.hdf5",
                 "history": [{"accuracy": 0.845}, {"accuracy": 0.868}],
                 "word_vectors_per_example": 384},
    "search": {"dev_metrics": {"accuracy": 0.861}, "epoch": 3,
               "checkpoint": "runs/search.hdf5", "history": [{"accuracy": 0.861}],
               "lambda": 0.0005, "lr_soft_extract": 0.005, "masses": [39.4, 1.9]},
    "retention_configuration": [39, 1],
    "power_bert": {"dev_metrics": {"accuracy": 0.862}, "epoch": 2,
                   "checkpoint": "runs/retrain.hdf5", "history": None,
                   "tune_metrics": {"accuracy": 0.9}, "word_vectors_per_example": 106},
    "word_vector_reduction": 3.623, "run": "20261122-080336-2932893601",
    "run_dir": "runs/sst-2-sweep/cells/x/runs/20261122-080336-2932893601"}


def test_run_results_of_format_1_load_and_write_back_the_same_keys():
    results = RunResults.from_json(RESULTS_FORMAT_1, "results.json")
    assert (results.task, results.main_metric, results.seq_len) == ("sst-2", "accuracy", 64)
    assert results.search.lambda_ == 0.0005 and results.search.masses == [39.4, 1.9]
    assert results.baseline.word_vectors_per_example == 384
    assert results.power_bert.selection_metrics == {"accuracy": 0.9}  # held out
    assert results.baseline.selection_metrics == {"accuracy": 0.868}  # dev
    assert results.retention_configuration == [39, 1] and not results.selection.held_out
    written = json.loads(json.dumps(results.to_json()))
    assert written == dict(RESULTS_FORMAT_1, format_version=2)
    assert RunResults.from_json(written, "results.json") == results


def test_committed_results_files_load():
    found = sorted(ROOT.glob("benchmarks/results/**/results.json"))
    assert found
    for path in found:
        results = RunResults.read(str(path))
        assert results.power_bert.dev_metrics[results.main_metric] > 0, path


def test_bad_run_results_name_the_stage_and_the_key(tmp_path):
    with pytest.raises(UsageError, match="results r.json: 'search': 'lambda' must be a number"):
        RunResults.from_json(dict(RESULTS_FORMAT_1, search={"lambda": "0.1"}), "r.json")
    assert RunResults.read(str(tmp_path / "absent.json")) == RunResults()


def _timing(label, retention, seconds, vectors, speedup, ideal, **more):
    return dict({"label": label}, **more, retention_configuration=retention,
                seconds_per_example=seconds, seconds_total_median=seconds * 4,
                all_times=[seconds * 4, seconds * 5], word_vectors_per_example=vectors,
                encoder_macs_per_example=vectors * 1000, speedup=speedup,
                ideal_speedup=ideal, speedup_over_ideal=speedup / ideal)


def _run(padding, extra):
    checkpoint = {"metric_name": "accuracy", "metric": 80.0, "metrics": {"accuracy": 80.0}}
    models = {"baseline": _timing("BERT (baseline)", None, 0.01, 384, 1.0, 1.0,
                                  checkpoint="/r/finetune.hdf5", mode="finetune"),
              "power_bert": _timing("PoWER-BERT", [9, 4], 0.004, 13, 2.5, 3.0,
                                    checkpoint="/r/retrain.hdf5", mode="retrain")}
    for document in models.values():  # (in the file's order: metrics after retention)
        retention = document.pop("retention_configuration")
        rest = {k: document.pop(k) for k in list(document) if k not in (
            "label", "checkpoint", "mode")}
        document.update(retention_configuration=retention, **checkpoint, **rest)
    power = models["power_bert"]
    return dict({"padding": padding, "average_batch_length": 64.0, "batch_lengths": [64, 64],
                 "speedup": power["speedup"], "ideal_speedup": power["ideal_speedup"],
                 "speedup_over_ideal": power["speedup_over_ideal"]}, **models,
                extra={"lambda=0.01": dict(power, label="lambda=0.01")} if extra else {})


def _benchmark_format_1():
    """benchmark.json as the release before typed documents wrote it (no
    format_version): the first padding mode repeated at the top, then "runs"."""
    from power_bert.documents import BENCHMARK_DEFINITIONS
    runs = [_run("fixed", True), _run("dynamic", True)]
    first = runs[0]
    return dict({"task": "sst-2", "batch_size": 32, "num_examples": 872, "seq_len": 64,
                 "num_runs": 5, "warmup": 1, "xla": False,
                 "machine": {"platform": "Linux", "cpu_count": 2, "tensorflow": "2.21.0"},
                 "retention_configuration": [9, 4]},
                **{key: first[key] for key in ("padding", "speedup", "ideal_speedup",
                                               "speedup_over_ideal", "average_batch_length",
                                               "baseline", "power_bert", "extra")},
                runs=runs, definitions=dict(BENCHMARK_DEFINITIONS))


def test_benchmark_result_of_format_1_loads_and_writes_back_the_same_file():
    from power_bert.documents import BASELINE, POWER, BenchmarkResult
    document = _benchmark_format_1()
    result = BenchmarkResult.from_json(document, "benchmark.json")
    assert (result.task, result.num_examples, result.paddings) == (
        "sst-2", 872, ["fixed", "dynamic"])
    fixed = result.runs[0]
    assert list(fixed.models) == [BASELINE, POWER, "lambda=0.01"]
    assert fixed.models[POWER].speedup == 2.5 and fixed.models[BASELINE].metric == 80.0
    assert result.timings("lambda=0.01")["dynamic"].retention_configuration == [9, 4]
    written = result.to_json()
    assert written.pop("format_version") == 2
    assert json.dumps(written) == json.dumps(document)  # the same keys, in the same order


def test_committed_benchmark_results_write_back_unchanged():
    from power_bert.documents import BenchmarkResult
    found = sorted(ROOT.glob("benchmarks/results/**/benchmark.json"))
    assert found
    for path in found:
        document = json.loads(path.read_text())
        written = BenchmarkResult.read(str(path)).to_json()
        if "format_version" not in document:  # (written before the documents were typed)
            written.pop("format_version")
        if document.get("timing_only"):  # (written without the definitions until now)
            written.pop("definitions")
        assert json.dumps(written) == json.dumps(document), path


def test_a_benchmark_run_needs_the_baseline_and_power_bert():
    from power_bert.documents import BenchmarkResult
    document = _benchmark_format_1()
    del document["runs"][1]["power_bert"]
    with pytest.raises(UsageError, match="runs\\[1\\]: 'power_bert' is missing"):
        BenchmarkResult.from_json(document, "benchmark.json")


def test_selection_writes_the_keys_of_its_protocol_only():
    from power_bert.documents import Selection
    from power_bert.stages import selection_record
    on_dev = selection_record()
    assert on_dev.to_json() == {"protocol": "selected and reported on dev", "set": "dev"}
    held = selection_record(0.25, 3, [4, 9], 18)
    document = held.to_json()
    assert (document["set"], document["tune_examples"], document["train_examples"]) == (
        "tune", 2, 18)
    assert Selection.from_json(json.loads(json.dumps(document)), "s") == held
    assert held.tune_indices_sha256 != selection_record(0.25, 3, [4, 8], 18).tune_indices_sha256
    with pytest.raises(UsageError, match="s: 'set' must be one of dev, tune, got 'test'"):
        Selection.from_json(dict(document, set="test"), "s")

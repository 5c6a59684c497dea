"""benchmarks/train_step_speed.py: its flag errors (one line, exit 2) and the shape of
its JSON and Markdown on the tiny config."""
import json

import pytest

from power_bert.config import write_bert_config

from helpers.cli import load_benchmark_script


@pytest.fixture(scope="module")
def speed():
    """The script as a module (benchmarks/ is not a package)."""
    return load_benchmark_script("train_step_speed")


@pytest.fixture
def config_path(tmp_path, tiny_config):
    path = str(tmp_path / "bert_config.json")
    write_bert_config(tiny_config, path)
    return path


@pytest.mark.parametrize("flags, message", [
    (["--ROUNDS", "0"], "error: --ROUNDS must be at least 1, got 0"),
    (["--STEPS", "0"], "error: --STEPS must be at least 1, got 0"),
    (["--VARIANTS", "float32,bf16"], "error: --VARIANTS must be distinct names of float32,"),
    (["--VARIANTS", "bfloat16"], "error: --VARIANTS must include float32"),
    (["--STAGES", "finetune,finetune"], "error: --STAGES must be distinct names of"),
    (["--RETENTION_CONFIG", "8,4"], "error: --RETENTION_CONFIG: "),
    (["--SEQ_LEN", "65"], "error: --SEQ_LEN must be at most 64 (max_position_embeddings"),
])
def test_flag_errors(speed, config_path, tmp_path, capsys, flags, message):
    argv = ["--BERT_CONFIG", config_path, "--SEQ_LEN", "8", "--RETENTION_CONFIG", "6,4,2",
            "--OUTPUT", str(tmp_path / "out.json")] + flags
    with pytest.raises(SystemExit) as exit_info:
        speed.parse_args(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in last
    assert not (tmp_path / "out.json").exists()


def test_missing_config(speed, tmp_path, capsys):
    with pytest.raises(SystemExit):
        speed.parse_args(["--BERT_CONFIG", str(tmp_path / "none.json"),
                          "--OUTPUT", str(tmp_path / "out.json")])
    assert "error: --BERT_CONFIG: " in capsys.readouterr().err


@pytest.mark.slow
def test_json_and_markdown(speed, config_path, tmp_path):
    output = tmp_path / "res" / "train.json"
    assert speed.main(["--BERT_CONFIG", config_path, "--SEQ_LEN", "8", "--BATCH_SIZE", "2",
                       "--RETENTION_CONFIG", "6,4,2", "--STAGES", "retrain",
                       "--VARIANTS", "float32,bfloat16", "--WARMUP", "0", "--ROUNDS", "3",
                       "--STEPS", "1", "--OUTPUT", str(output)]) == 0
    doc = json.loads(output.read_text())
    assert (doc["seq_len"], doc["batch_size"], doc["rounds"]) == (8, 2, 3)
    assert doc["retention_configuration"] == [6, 4, 2]
    assert [(r["stage"], r["variant"], r["mixed_precision"]) for r in doc["results"]] == [
        ("retrain", "float32", "none"), ("retrain", "bfloat16", "bfloat16")]
    for row in doc["results"]:
        assert len(row["round_s_per_step"]) == 3
        assert row["s_per_step"] == sorted(row["round_s_per_step"])[1]  # the median
        assert row["first_step_s"] > 0 and row["xla"] is False
    base, half = doc["results"]
    assert base["ratio_to_float32"] == 1.0
    assert half["ratio_to_float32"] == pytest.approx(half["s_per_step"] / base["s_per_step"])
    table = (tmp_path / "res" / "train.md").read_text()
    assert "| retrain | bfloat16 | %.3f | %.2f |" % (half["s_per_step"],
                                                     half["ratio_to_float32"]) in table

"""``--DISTRIBUTE mirrored``: ``MirroredStrategy`` over 2 logical CPU devices trains every
stage to the same weights and retention parameters as one device with the same global
batch, and counts the mass term once per global batch (not once per replica).

Logical devices must be configured before TensorFlow initialises its devices, so the
training runs in a subprocess (``tests/distribute_worker.py``).
"""
import json
import os
import subprocess
import sys

import pytest

from power_bert.errors import UsageError
from power_bert.options import Options, validate

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


@pytest.fixture(scope="module")
def report():
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(HERE, "distribute_worker.py"), "1e-3"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["finetune", "search", "retrain"])
def test_mirrored_training_equals_one_device(report, stage):
    result = report[stage]
    assert result["replicas"] == 2
    assert result["moved"] > 1e-3  # the steps changed the weights
    assert result["difference"] < 1e-5
    if stage == "search":
        assert result["retention_moved"] > 1e-3 and result["retention_difference"] < 1e-5


@pytest.mark.slow
def test_mass_term_is_counted_once_per_global_batch(report):
    """Counted once per replica, the mass term would act as lambda x 2 on 2 replicas: the
    mirrored weights would then match one-device training with 2 x lambda, which they
    must not (the comparison can fail: the two differ by far more than 1e-5)."""
    assert report["search"]["difference_from_lambda_x2"] > 1e-4


def test_bad_strategy_is_refused_with_the_flag(tmp_path):
    with pytest.raises(UsageError, match="--DISTRIBUTE must be one of auto, none, mirrored, "
                                         "got 'tpu'"):
        validate(Options(task="demo", output_dir=str(tmp_path), distribute="tpu"))


@pytest.mark.slow
def test_three_stages_run_under_the_mirrored_strategy(tmp_path):
    """The whole pipeline inside the strategy's scope (one CPU device here: one replica)."""
    from test_pipeline import tiny_run
    out = tiny_run(tmp_path, "--DISTRIBUTE", "mirrored")
    results = json.loads((out / "results.json").read_text())
    assert len(results["retention_configuration"]) == 3
    assert "mirrored" in (out / "latest" / "run.json").read_text()

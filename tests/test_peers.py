"""The peer benchmark (power_bert.benchmark.peers): engines of one model must agree before
anything is timed, the results table, and the Hugging Face model built from this project's
weights (that test needs torch and transformers, requirements-peers.txt, and is skipped
without them)."""
import numpy as np
import pytest

from power_bert.benchmark import peers
from power_bert.benchmark.timing import time_runners
from power_bert.errors import BenchmarkError

PROBS = np.array([[0.9, 0.1], [0.3, 0.7], [0.5, 0.5]])


class Counted:
    """A fake engine's runner: fixed outputs, counts its passes."""

    def __init__(self, outputs):
        self.outputs, self.calls = np.asarray(outputs), 0

    def __call__(self, verbose=0):
        self.calls += 1
        return self.outputs


def engine(name, model, outputs, padding="fixed"):
    return peers.Engine(name, name, model, padding, Counted(outputs), [3])


def test_engines_of_one_model_within_the_tolerance_agree():
    engines = [engine("hf_fixed", peers.BERT, PROBS),
               engine("bert_fixed", peers.BERT, PROBS + 5e-5),
               engine("power_fixed", peers.POWER, PROBS[::-1]),  # another model: not compared
               engine("power_dynamic", peers.POWER, PROBS[::-1] - 2e-5, "dynamic")]
    report = peers.check_agreement(engines, {e.name: e.run() for e in engines})
    assert set(report) == {"bert_fixed", "power_dynamic"}
    assert report["bert_fixed"]["reference"] == "hf_fixed"
    assert report["bert_fixed"]["max_abs_difference"] == pytest.approx(5e-5)
    assert report["power_dynamic"]["reference"] == "power_fixed"


@pytest.mark.parametrize("outputs,message", [
    (PROBS + np.array([[0, 0], [0, 0], [2e-4, -2e-4]]),
     "refusing to time: bert_fixed and hf_fixed do not compute the same BERT model "
     "(max |difference| 0.0002 > 0.0001, first at dev example 2)"),
    (np.where(PROBS == 0.3, np.nan, PROBS), "do not compute the same BERT model (max "
                                            "|difference| nan > 0.0001, first at dev example 1)"),
    (PROBS[:2], "bert_fixed gives outputs of shape (2, 2) but hf_fixed gives (3, 2)"),
], ids=["difference", "nan", "shape"])
def test_a_mismatched_engine_is_refused_before_anything_is_timed(outputs, message):
    engines = [engine("hf_fixed", peers.BERT, PROBS), engine("bert_fixed", peers.BERT, outputs)]
    with pytest.raises(BenchmarkError) as error:
        time_runners([(e.name, e.run) for e in engines], runs=3, warmup=0, verbose=0,
                     after_warmup=lambda out: peers.check_agreement(engines, out))
    assert message in str(error.value)
    assert [e.run.calls for e in engines] == [1, 1]  # the check pass only, no timed pass


def test_agreeing_engines_are_timed_after_one_warm_up():
    engines = [engine("hf_fixed", peers.BERT, PROBS), engine("bert_fixed", peers.BERT, PROBS)]
    seen = {}
    timings = time_runners([(e.name, e.run) for e in engines], runs=2, warmup=0, verbose=0,
                           after_warmup=seen.update)
    assert set(seen) == {"hf_fixed", "bert_fixed"}
    assert [e.run.calls for e in engines] == [3, 3]
    assert all(len(t["times"]) == 2 for t in timings.values())


def _result(task, batch, seconds):
    names = ["hf_fixed", "hf_dynamic", "power_dynamic"]
    reference = seconds[1]
    return {"task": task, "num_examples": 10, "batch_size": batch, "num_runs": 5,
            "reference": "hf_dynamic", "padding_bucket": 16, "xla": True,
            "retention_configuration": [4, 2],
            "machine": {"platform": "Linux", "cpu_count": 2, "tensorflow": "2.21.0",
                        "intra_op_threads": 0, "thread_environment": {}},
            "engines": {n: {"label": "L-" + n, "padding": n.split("_")[1],
                            "seconds_total_median": s, "speedup_vs_reference": reference / s}
                        for n, s in zip(names, seconds)}}


def test_markdown_table_has_a_row_per_run_and_speed_ups_over_the_reference():
    table = peers.markdown_table([_result("mrpc", 32, [4.0, 2.0, 0.5]),
                                  _result("sst-2", 128, [3.0, 1.5, 1.0])])
    lines = table.strip().splitlines()
    assert lines[-4] == ("| task (examples) | batch | retention | L-hf_fixed, fixed | "
                         "L-hf_dynamic, dynamic | L-power_dynamic, dynamic |")
    assert lines[-3] == "|---|---:|---|---:|---:|---:|"
    assert lines[-2] == ("| mrpc (10) | 32 | 4,2 | 4.00 s (0.50x) | 2.00 s (1.00x) | "
                         "0.50 s (4.00x) |")
    assert lines[-1] == ("| sst-2 (10) | 128 | 4,2 | 3.00 s (0.50x) | 1.50 s (1.00x) | "
                         "1.00 s (1.50x) |")
    assert "speed-up over hf_dynamic" in lines[0] and "multiples of 16, XLA" in lines[0]
    plain = _result("mrpc", 32, [4.0, 2.0, 0.5])
    plain.update(xla=False, padding_bucket=1)  # the default path: exact lengths
    assert ("dynamic padding cuts each batch to its longest example, no XLA. Linux"
            in peers.markdown_table([plain]).splitlines()[0])
    plain["sort_by_length"] = True
    assert ("dynamic padding cuts each batch to its longest example, the examples sorted "
            "by length, no XLA." in peers.markdown_table([plain]).splitlines()[0])



def test_the_table_names_the_cpu_and_its_features_and_reads_earlier_results():
    result = _result("mrpc", 32, [4.0, 2.0, 0.5])
    result["machine"].update(cpu_model="Intel(R) Xeon(R) Processor",
                             cpu_features=["avx512f", "amx_bf16"],
                             environment={"TF_NUM_INTRAOP_THREADS": "1"})
    head = peers.markdown_table([result]).splitlines()[0]
    assert "Intel(R) Xeon(R) Processor (avx512f, amx_bf16), 2 CPUs" in head
    assert "(1 intra-op threads)" in head
    earlier = _result("mrpc", 32, [4.0, 2.0, 0.5])  # "thread_environment", no CPU model
    earlier["machine"]["thread_environment"] = {"TF_NUM_INTRAOP_THREADS": "2"}
    head = peers.markdown_table([earlier]).splitlines()[0]
    assert "Linux, 2 CPUs" in head and "(2 intra-op threads)" in head


def test_cpu_description_reads_the_model_and_the_features_that_pick_kernels():
    from power_bert.benchmark.timing import cpu_description
    cpuinfo = ("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
               "flags\t\t: fpu sse avx2 fma avx512f avx512_bf16 amx_tile amx_bf16 amx_int8\n\n"
               "processor\t: 1\nmodel name\t: other\nflags\t\t: fpu\n")
    assert cpu_description(cpuinfo) == {
        "cpu_model": "Intel(R) Xeon(R) Platinum 8480+",
        "cpu_features": ["avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16",
                         "amx_int8"]}
    assert cpu_description("") == {"cpu_model": "", "cpu_features": []}

@pytest.fixture(scope="module")
def tiny_baseline():
    from power_bert.backend import keras
    from power_bert.model import build_model
    from helpers.padded_inputs import CONFIG
    keras.utils.set_random_seed(3)
    return build_model(CONFIG, 3, None), CONFIG


def test_hf_state_dict_has_every_weight_under_transformers_names(tiny_baseline):
    model, config = tiny_baseline
    state = peers.hf_state_dict(model, config, 3)
    h, inner = config.hidden_size, config.intermediate_size
    assert len(state) == 5 + 16 * config.num_hidden_layers + 2 + 2
    assert state["bert.encoder.layer.0.intermediate.dense.weight"].shape == (inner, h)
    np.testing.assert_array_equal(state["bert.encoder.layer.1.attention.self.query.weight"],
                                  model.get_layer("Encoder-2-MultiHeadSelfAttention").Wq.numpy().T)
    np.testing.assert_array_equal(state["classifier.weight"],
                                  model.get_layer("Output").get_weights()[0].T)
    assert state["bert.embeddings.LayerNorm.weight"].shape == (h,)


def test_hf_model_gives_the_projects_probabilities(tiny_baseline):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from power_bert import inference
    from helpers.inputs import make_inputs
    from helpers.padded_inputs import LENGTHS, SEQ_LEN
    model, config = tiny_baseline
    x = make_inputs(LENGTHS, SEQ_LEN).inputs
    want = inference.predict(model, x, 4, dynamic=True)
    engines = peers.hf_engines(model, config, 3, x, 4, sort=True)
    assert [(e.name, e.padding) for e in engines] == [
        ("hf_fixed", "fixed"), ("hf_dynamic", "dynamic"),
        ("hf_sorted", "dynamic, sorted by length")]
    assert engines[2].lengths == sorted(engines[2].lengths)  # shortest batches first
    for engine_ in engines:  # every engine's outputs in the input order
        np.testing.assert_allclose(engine_.run(0), want, atol=1e-5, rtol=0)

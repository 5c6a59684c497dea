"""Where one encoder's time goes: each part of this project's encoder as a ``tf.function``,
then compiled with XLA, beside the matching PyTorch module of transformers' ``BertLayer``
(benchmarks/README.md, "Where the time goes").

  OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 /work/venv-peers/bin/python \
      benchmarks/profile_parts.py runs/minilm_google/bert_config.json --BATCH 32 --SEQ_LEN 128

Needs the packages of requirements-peers.txt. Random weights and inputs (seeded): the
time of a part does not depend on its values. Real lengths are drawn between a sixth of
SEQ_LEN and SEQ_LEN; the Extract layer keeps half of SEQ_LEN. Each part runs twice
untimed, then the engines alternate for --CALLS calls; medians in milliseconds.
"""
import argparse
import time

import numpy as np


def median_ms(functions, calls):
    """Alternates the functions (after two untimed calls each); median ms of each."""
    for function in functions:
        function()
        function()
    times = [[] for _ in functions]
    for _ in range(calls):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            function()
            times[index].append(time.perf_counter() - start)
    return [1000.0 * float(np.median(t)) for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bert_config", help="bert_config.json of the model")
    parser.add_argument("--BATCH", type=int, default=32)
    parser.add_argument("--SEQ_LEN", type=int, default=128)
    parser.add_argument("--CALLS", type=int, default=7)
    args = parser.parse_args()

    import torch
    import transformers

    from power_bert.backend import tf  # first: it selects the Keras 2 API
    from keras_layer_normalization import LayerNormalization
    from keras_position_wise_feed_forward import FeedForward
    from power_bert.config import BertConfig
    from power_bert.layers import Extract, SelfAttention, gelu_exact
    from power_bert.model import LAYER_NORM_EPSILON

    config = BertConfig.from_json_file(args.bert_config)
    batch, length, hidden = args.BATCH, args.SEQ_LEN, config.hidden_size
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, length, hidden)).astype(np.float32)
    inner = rng.standard_normal((batch, length, config.intermediate_size)).astype(np.float32)
    real = rng.integers(max(1, length // 6), length + 1, batch)
    mask = (np.arange(length)[None] < real[:, None]).astype(np.float32)  # [B, T]
    x_tf, mask_tf, inner_tf = tf.constant(x), tf.constant(mask), tf.constant(inner)

    norm = LayerNormalization(epsilon=LAYER_NORM_EPSILON)
    attention = SelfAttention(config.num_attention_heads)
    feed_forward = FeedForward(units=config.intermediate_size, activation=gelu_exact)
    extract = Extract(max(1, length // 2))
    probs = attention([x_tf, mask_tf])[1]  # [B, N, T, T]
    tf_parts = {
        "LayerNorm": lambda: norm(x_tf),
        "self-attention (+ probabilities)": lambda: attention([x_tf, mask_tf]),
        "feed-forward (2 dense + exact GELU)": lambda: feed_forward(x_tf),
        "exact GELU on [B, T, intermediate]": lambda: gelu_exact(inner_tf),
        "significance + top-k + gather": lambda: extract([x_tf, probs, mask_tf]),
    }

    hf_config = transformers.BertConfig(
        hidden_size=hidden, num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size, hidden_act="gelu",
        layer_norm_eps=LAYER_NORM_EPSILON, attn_implementation="sdpa")  # the model's default
    layer = transformers.models.bert.modeling_bert.BertLayer(hf_config).eval()
    x_pt, inner_pt = torch.from_numpy(x), torch.from_numpy(inner)
    additive = (1.0 - torch.from_numpy(mask))[:, None, None, :] * -10000.0  # [B, 1, 1, T]
    torch_norm = torch.nn.LayerNorm(hidden, eps=LAYER_NORM_EPSILON)
    torch_parts = {
        "LayerNorm": lambda: torch_norm(x_pt),
        "self-attention (+ probabilities)": lambda: layer.attention(x_pt, attention_mask=additive),
        "feed-forward (2 dense + exact GELU)": lambda: layer.output.dense(layer.intermediate(x_pt)),
        "exact GELU on [B, T, intermediate]": lambda: torch.nn.functional.gelu(inner_pt),
    }

    def run_tf(function):
        return lambda: tf.nest.map_structure(lambda t: t.numpy(), function())

    print("| part | TensorFlow graph (ms) | TensorFlow XLA (ms) | PyTorch (ms) |")
    print("|---|---:|---:|---:|")
    with torch.inference_mode():
        for name, part in tf_parts.items():
            functions = [run_tf(tf.function(part)), run_tf(tf.function(part, jit_compile=True))]
            if name in torch_parts:
                functions.append(torch_parts[name])
            times = median_ms(functions, args.CALLS) + [None]
            print("| %s | %.1f | %.1f | %s |" % (name, times[0], times[1],
                                                 "-" if times[2] is None else "%.1f" % times[2]),
                  flush=True)


if __name__ == "__main__":
    main()

"""How fast an encoder's dense layers can run on this CPU: the rate (GFLOPS) of one
[M, K] x [K, N] product alone, with its bias, and with the bias and the exact GELU, as
``layers.dense_2d`` and ``layers.gelu_exact`` compute them (TensorFlow fuses them into
one oneDNN op), for the shapes of one encoder (Q, K, V and the attention output: H -> H;
the feed-forward: H -> I with GELU, I -> H), and the rate of the whole encoder's dense
layers; with ``--TORCH``, PyTorch's ``linear`` and ``gelu`` on the same shapes (what
Hugging Face's BertLayer calls). Each call computes the product on ``--REPEAT``
different inputs (one TensorFlow graph), so that the cost of a call from Python does not
count; random values; alternated calls, medians (benchmarks/README.md, "Tokenising
faster; bfloat16 from raw text at the line").

  python benchmarks/dense_rates.py [--BERT_CONFIG runs/minilm_google/bert_config.json]
      [--ROWS 416 1600 2144] [--PRECISIONS bfloat16 float32] [--TORCH]
"""
import argparse
import json
import statistics
import time


def _median_ms(functions, calls):
    """Median ms per call of each function, the functions called in turn."""
    for function in functions.values():
        function()
        function()
    times = {name: [] for name in functions}
    for _ in range(calls):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(values) for name, values in times.items()}


def tensorflow_cases(rows, k, n, precision, repeat):
    """TensorFlow functions of ``repeat`` [rows, k] x [k, n] products (one graph each;
    a corner of every result is summed, so none is pruned)."""
    from power_bert.backend import tf
    from power_bert.layers import dense_2d, gelu_exact
    dtype = tf.as_dtype(precision)
    xs = tf.cast(tf.random.stateless_normal([repeat, rows, k], seed=[0, 1]), dtype)
    kernel = tf.Variable(tf.cast(tf.random.stateless_normal([k, n], seed=[1, 2]) * 0.05, dtype))
    bias = tf.Variable(tf.cast(tf.random.stateless_normal([n], seed=[2, 3]), dtype))
    layers = {"product": lambda x: dense_2d(x, kernel),
              "+ bias": lambda x: dense_2d(x, kernel, bias),
              "+ bias + GELU": lambda x: gelu_exact(dense_2d(x, kernel, bias))}

    def graph(layer):
        function = tf.function(lambda: tf.add_n([layer(xs[i])[:1, :1] for i in range(repeat)]))
        return lambda: function().numpy()
    return {name: graph(layer) for name, layer in layers.items()}


def torch_cases(rows, k, n, precision, repeat):
    """PyTorch functions of the same ``repeat`` products (``linear``, then ``gelu``), no
    gradients."""
    import torch
    torch.manual_seed(0)
    dtype = getattr(torch, precision)
    xs = torch.randn(repeat, rows, k).to(dtype)
    kernel = (torch.randn(n, k) * 0.05).to(dtype)
    bias = torch.randn(n).to(dtype)
    linear, gelu = torch.nn.functional.linear, torch.nn.functional.gelu
    layers = {"product": lambda x: linear(x, kernel),
              "+ bias": lambda x: linear(x, kernel, bias),
              "+ bias + GELU": lambda x: gelu(linear(x, kernel, bias))}

    def run(layer):
        def call():
            with torch.inference_mode():
                return [layer(xs[i]) for i in range(repeat)]
        return call
    return {name: run(layer) for name, layer in layers.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--BERT_CONFIG", default=None,
                        help="bert_config.json giving hidden_size and intermediate_size")
    parser.add_argument("--HIDDEN", type=int, default=384, help="without --BERT_CONFIG")
    parser.add_argument("--INTERMEDIATE", type=int, default=1536, help="without --BERT_CONFIG")
    parser.add_argument("--ROWS", type=int, nargs="+", default=[96, 416, 1600, 2144],
                        help="M: batch x words")
    parser.add_argument("--PRECISIONS", nargs="+", default=["bfloat16", "float32"],
                        choices=["bfloat16", "float32"])
    parser.add_argument("--TORCH", action="store_true", help="also time PyTorch")
    parser.add_argument("--CALLS", type=int, default=15)
    parser.add_argument("--REPEAT", type=int, default=10, help="products per call")
    args = parser.parse_args(argv)
    hidden, intermediate = args.HIDDEN, args.INTERMEDIATE
    if args.BERT_CONFIG:
        with open(args.BERT_CONFIG) as f:
            config = json.load(f)
        hidden, intermediate = config["hidden_size"], config["intermediate_size"]
    import power_bert.backend  # noqa: F401  (quiet TensorFlow start-up)
    engines = {"TensorFlow": tensorflow_cases}
    if args.TORCH:
        import torch
        engines["PyTorch"] = torch_cases
        print("PyTorch %s, %d threads" % (torch.__version__, torch.get_num_threads()))
    # (k, n, GELU after it, how many per encoder)
    shapes = [(hidden, hidden, False, 4), (hidden, intermediate, True, 1),
              (intermediate, hidden, False, 1)]
    print("| precision | engine | M | K x N | product | + bias | + bias + GELU |")
    print("|---|---|---:|---|---:|---:|---:|")
    for precision in args.PRECISIONS:
        for rows in args.ROWS:
            for engine, cases in engines.items():
                encoder_ms = encoder_flop = product_ms = 0.0
                for k, n, gelu, count in shapes:
                    ms = {name: value / args.REPEAT for name, value in _median_ms(
                        cases(rows, k, n, precision, args.REPEAT), args.CALLS).items()}
                    flop = 2.0 * rows * k * n
                    rate = {name: flop / (value * 1e-3) / 1e9 for name, value in ms.items()}
                    print("| %s | %s | %d | %d x %d | %.0f | %.0f | %.0f |" % (
                        precision, engine, rows, k, n, rate["product"], rate["+ bias"],
                        rate["+ bias + GELU"]))
                    encoder_ms += count * ms["+ bias + GELU" if gelu else "+ bias"]
                    product_ms += count * ms["product"]
                    encoder_flop += count * flop
                print("| %s | %s | %d | one encoder | %.0f | | %.0f (as the model) |" % (
                    precision, engine, rows, encoder_flop / (product_ms * 1e-3) / 1e9,
                    encoder_flop / (encoder_ms * 1e-3) / 1e9))
    print("GFLOPS: 2 M K N / (median time of a call / products per call).")


if __name__ == "__main__":
    main()

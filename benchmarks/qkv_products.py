"""Whether one fused Q/K/V product would pay: the three [M, H] x [H, H] products with
their biases, as ``layers.SelfAttention`` computes them, against one [M, H] x [H, 3H]
product split in three (its kernel stored fused, or concatenated on every call), in
float32 and bfloat16, for M = batch x kept words (benchmarks/README.md, "bfloat16
variables for inference"). Random values; alternated calls, medians in ms.

  python benchmarks/qkv_products.py [--HIDDEN 384] [--ROWS 32 96 416 1120 2144]
"""
import argparse
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--HIDDEN", type=int, default=384)
    parser.add_argument("--ROWS", type=int, nargs="+", default=[32, 96, 416, 1120, 2144])
    parser.add_argument("--CALLS", type=int, default=40)
    args = parser.parse_args(argv)
    import power_bert.backend  # noqa: F401  (quiet TensorFlow start-up)
    from power_bert.backend import tf
    hidden = args.HIDDEN
    for dtype in (tf.float32, tf.bfloat16):
        for rows in args.ROWS:
            x = tf.cast(tf.random.stateless_normal([rows, hidden], seed=[0, 1]), dtype)
            kernels = [tf.cast(tf.random.stateless_normal([hidden, hidden], seed=[1, i]), dtype)
                       for i in range(3)]
            biases = [tf.cast(tf.random.stateless_normal([hidden], seed=[2, i]), dtype)
                      for i in range(3)]
            kernel, bias = tf.concat(kernels, 1), tf.concat(biases, 0)
            functions = {
                "three products": tf.function(lambda x: [
                    tf.nn.bias_add(tf.matmul(x, k), b) for k, b in zip(kernels, biases)]),
                "one, stored fused": tf.function(lambda x: tf.split(
                    tf.nn.bias_add(tf.matmul(x, kernel), bias), 3, axis=1)),
                "one, concatenated per call": tf.function(lambda x: tf.split(tf.nn.bias_add(
                    tf.matmul(x, tf.concat(kernels, 1)), tf.concat(biases, 0)), 3, axis=1)),
            }
            for function in functions.values():
                function(x)
                function(x)
            times = {name: [] for name in functions}
            for _ in range(args.CALLS):
                for name, function in functions.items():
                    start = time.perf_counter()
                    [output.numpy() for output in function(x)]
                    times[name].append(time.perf_counter() - start)
            print("%-8s M=%-5d %s" % (dtype.name, rows, "  ".join(
                "%s %.3f ms" % (name, 1000 * np.median(t)) for name, t in times.items())),
                flush=True)


if __name__ == "__main__":
    main()

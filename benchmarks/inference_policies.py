"""A trained model under Keras' mixed half-precision policy (what training builds: float32
variables, each kernel cast on every call) beside the plain one that eval, predict, the
export and the benchmark build (``precision.policy(..., inference=True)``: the variables
stored in the half type): the largest difference of their dev predictions (0 expected)
and their time, alternated (benchmarks/README.md, "bfloat16 variables for inference").

  python benchmarks/inference_policies.py runs/peers-untrained-mrpc/finetune.hdf5 \\
      --DATA_DIR ../shared/glue/MRPC --RETENTION_CONFIG 67,51,44,13,3,1

The dev set of the checkpoint's task, batched as ``power-bert eval`` batches it (dynamic
padding, sorted by length); BERT and, with --RETENTION_CONFIG, PoWER-BERT on the same
weights. Each model passes over the dev set twice untimed, then the four alternate for
--RUNS passes; medians in seconds.
"""
import argparse
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a stage checkpoint (finetune.hdf5, retrain.hdf5)")
    parser.add_argument("--DATA_DIR", required=True)
    parser.add_argument("--RETENTION_CONFIG", default=None)
    parser.add_argument("--MIXED_PRECISION", default="bfloat16", choices=["bfloat16", "float16"])
    parser.add_argument("--BATCH_SIZE", type=int, default=32)
    parser.add_argument("--RUNS", type=int, default=5)
    args = parser.parse_args(argv)

    import power_bert.backend  # noqa: F401  (quiet TensorFlow start-up)
    from power_bert import inference
    from power_bert.data import DataParser
    from power_bert.precision import policy
    from power_bert.trained import apply_overrides, check_trained, read_checkpoint

    baseline = read_checkpoint(args.checkpoint)
    trained = check_trained(baseline, "checkpoint")
    x, _ = DataParser(trained.vocab_path, trained.task, args.DATA_DIR, seq_len=baseline.seq_len,
                      cased=baseline.cased).get_dev_data()
    checkpoints = {"BERT": baseline}
    if args.RETENTION_CONFIG:
        checkpoints["PoWER-BERT"] = apply_overrides(
            baseline, [int(v) for v in args.RETENTION_CONFIG.split(",")])
    models = {}
    for inference_policy in (False, True):
        with policy(args.MIXED_PRECISION, inference=inference_policy):
            for name, checkpoint in checkpoints.items():
                model = checkpoint.load_model(dynamic=True, name="model%d" % len(models))
                models[(name, model.dtype_policy.name)] = model

    def run(model):
        return inference.predict(model, x, args.BATCH_SIZE, dynamic=True)

    outputs = {key: run(model) for key, model in models.items()}
    for name in checkpoints:
        mixed, plain = [outputs[key] for key in models if key[0] == name]
        print("%s: largest difference of the dev predictions, mixed against plain: %g"
              % (name, float(np.abs(mixed - plain).max())))
    times = {key: [] for key in models}
    for _ in range(args.RUNS):
        for key, model in models.items():
            start = time.perf_counter()
            run(model)
            times[key].append(time.perf_counter() - start)
    for (name, policy_name), seconds in times.items():
        print("%-10s %-15s %.3f s" % (name, policy_name, float(np.median(seconds))))


if __name__ == "__main__":
    main()

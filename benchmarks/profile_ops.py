"""Per-op time of one dev pass on the default inference path, from TensorFlow's profiler
(benchmarks/README.md, "Where the time goes on this CPU").

  TF_NUM_INTEROP_THREADS=1 python benchmarks/profile_ops.py \
      --BASELINE runs/peers-untrained-sst-2/finetune.hdf5 --DATA_DIR ../shared/glue/SST-2 \
      --BATCH_SIZE 32 [--RETENTION_CONFIG 39,30,19,8,4,1] [--MIXED_PRECISION bfloat16]

Two untimed passes, then one profiled pass; prints the ops of TensorFlow's compute
threads by total milliseconds. The profiler adds overhead: compare ops, not seconds.
"""
import argparse
import collections
import glob
import tempfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--BASELINE", required=True, help="a stage checkpoint (.hdf5)")
    parser.add_argument("--DATA_DIR", required=True, help="the task's GLUE folder")
    parser.add_argument("--BATCH_SIZE", type=int, default=32)
    parser.add_argument("--RETENTION_CONFIG", default=None,
                        help="apply this retention configuration (PoWER-BERT)")
    parser.add_argument("--MIXED_PRECISION", default="none",
                        choices=["none", "bfloat16", "float16"],
                        help="build the model as eval and predict do under this precision")
    parser.add_argument("--TOP", type=int, default=25, help="ops to print")
    args = parser.parse_args()

    from power_bert.backend import tf
    from power_bert.data import DataParser
    from power_bert.inference import prepare_batches, run_batches
    from power_bert.precision import policy
    from power_bert.trained import open_trained
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    retention = ([int(v) for v in args.RETENTION_CONFIG.split(",")]
                 if args.RETENTION_CONFIG else None)
    checkpoint = open_trained(args.BASELINE, "--BASELINE",
                              retention_configuration=retention).checkpoint
    x, _ = DataParser(checkpoint.vocab_path, checkpoint.task, args.DATA_DIR,
                      seq_len=checkpoint.seq_len, cased=checkpoint.cased).get_dev_data()
    batches = prepare_batches(x, args.BATCH_SIZE, True, 1)  # dynamic padding, exact lengths
    with policy(args.MIXED_PRECISION, inference=True):
        model = checkpoint.load_model(dynamic=True)
    for _ in range(2):
        run_batches(model, batches)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        run_batches(model, batches)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        with open(glob.glob(logdir + "/**/*.xplane.pb", recursive=True)[0], "rb") as f:
            space.ParseFromString(f.read())
    total, count = collections.Counter(), collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name.split(":")[-1]
                total[name] += event.duration_ps / 1e9
                count[name] += 1
    print("%d batches of at most %d; ms over the pass (op: calls)" % (len(batches),
                                                                      args.BATCH_SIZE))
    for name, ms in total.most_common(args.TOP):
        print("%-32s %9.1f ms  x%d" % (name, ms, count[name]))


if __name__ == "__main__":
    main()

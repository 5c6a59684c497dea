"""The SavedModel with its weights as constants of the graph (the default export,
``export.WEIGHTS_AS_CONSTANTS``) against the same export with the weights as variables:
export and load seconds, the first call, the folder's size, the largest difference of the
dev predictions, then the ``token_ids`` signature over the dev set timed alternately
(eval batches: dynamic padding, sorted by length), medians in seconds
(benchmarks/README.md, "Weights as constants in the SavedModel").

  python benchmarks/constant_weights.py runs/peers-untrained-mrpc/finetune.hdf5 \\
      ../shared/glue/MRPC 67,51,44,13,3,1 bfloat16 11 /tmp/constant-weights

Arguments: a fine-tuned checkpoint, the task's GLUE folder, the retention configuration
(or "none": BERT), the precision (none or bfloat16), the timed passes and a scratch
folder for the two exports (replaced).
"""
import os
import sys
import time

import numpy as np


def folder_mb(folder: str) -> float:
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(folder) for name in names) / 1e6


def main():
    checkpoint_path, data_dir, retention, precision, passes, scratch = sys.argv[1:7]
    from power_bert import export
    from power_bert.backend import tf
    from power_bert.benchmark.timing import time_runners
    import tensorflow_text  # noqa: F401  (the tokeniser's ops, for loading)
    from power_bert.data import DataParser
    from power_bert.inference import batch_order, prepare_batches
    from power_bert.trained import open_trained

    retention = None if retention == "none" else [int(v) for v in retention.split(",")]
    checkpoint = open_trained(checkpoint_path, "checkpoint",
                              retention_configuration=retention).checkpoint
    x, _ = DataParser(checkpoint.vocab_path, checkpoint.task, data_dir,
                      seq_len=checkpoint.seq_len, cased=checkpoint.cased).get_dev_data()
    batches = [(tf.constant(tokens), tf.constant(segments)) for tokens, segments
               in prepare_batches(x, 32, True, 1, batch_order(x, True, True))]
    served = {}
    for constants in (False, True):
        name = "constants" if constants else "variables"
        export.WEIGHTS_AS_CONSTANTS = constants
        folder = os.path.join(scratch, name)
        start = time.perf_counter()
        export.export_checkpoint(checkpoint, folder, mixed_precision=precision,
                                 overwrite=os.path.isdir(folder))
        exported = time.perf_counter() - start
        start = time.perf_counter()
        signature = tf.saved_model.load(folder).signatures["token_ids"]
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        signature(input_ids=batches[0][0], segment_ids=batches[0][1])
        first = time.perf_counter() - start
        print("%-9s export %.1f s, load %.1f s, first call %.2f s, %.1f MB"
              % (name, exported, loaded, first, folder_mb(folder)), flush=True)
        served[name] = signature
    key = "score" if checkpoint.num_labels == 1 else "probabilities"

    def run(signature):
        return np.concatenate([signature(input_ids=tokens, segment_ids=segments)[key].numpy()
                               for tokens, segments in batches])

    def compare(outputs):
        print("largest difference of the predictions: %.3g"
              % np.abs(outputs["constants"] - outputs["variables"]).max())

    results = time_runners([(name, lambda verbose=0, signature=signature: run(signature))
                            for name, signature in served.items()],
                           int(passes), warmup=1, verbose=0, after_warmup=compare)
    medians = {name: float(np.median(result["times"])) for name, result in results.items()}
    print("seconds a pass (median of %s): variables %.3f, constants %.3f; constants %.3fx "
          "as fast" % (passes, medians["variables"], medians["constants"],
                       medians["variables"] / medians["constants"]))


if __name__ == "__main__":
    main()

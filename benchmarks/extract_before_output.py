"""Whether eliminating before the attention's output projection would pay: a prototype
inference graph in which encoder j's attention selects the kept words itself (the
significance of ``layers.Extract``) and projects, adds the residual and normalises only
those, against the default PoWER-BERT graph (everything on all words, then ``Extract``)
with the same weights: the largest difference of the dev predictions, then both timed
alternately, as eval batches (dynamic padding, sorted), medians in seconds
(benchmarks/README.md, "Tokenising faster; bfloat16 from raw text at the line").

  python benchmarks/extract_before_output.py runs/peers-untrained-mrpc/finetune.hdf5 \\
      ../shared/glue/MRPC 67,51,44,13,3,1 bfloat16 11

Arguments: a fine-tuned checkpoint, the task's GLUE folder, the retention configuration,
the precision (none or bfloat16) and the timed passes. Attention word selection only.
"""
import sys

import numpy as np


def build_reordered(config, num_labels, retention):
    """The PoWER-BERT graph (dynamic padding) with each encoder's elimination moved
    before its attention output projection; layer names (and weights) as ``build_model``."""
    from keras_layer_normalization import LayerNormalization

    from power_bert import layers
    from power_bert import model as power_model
    from power_bert.backend import keras, tf

    class ExtractingSelfAttention(layers.SelfAttention):
        """``SelfAttention`` that keeps ``retain`` words by significance before its
        output projection: outputs [kept output, kept positions, kept mask]."""

        def __init__(self, head_num, retain, **kwargs):
            super().__init__(head_num, **kwargs)
            self.extract = layers.Extract(retain, "attention", dtype="float32")

        def call(self, inputs, training=None):
            x, mask = inputs  # [B, T, H], [B, T]
            context, probs = self.attend(x, mask, training)  # [B, T, H], [B, N, T, T]
            kept = self.extract.kept_positions(probs, mask)  # [B, K]
            hidden = x.shape[-1]
            context = tf.reshape(tf.gather(context, kept, batch_dims=1), [-1, hidden])
            output = layers.dense_2d(context, self.Wo, self.bo)  # [B*K, H]
            return [tf.reshape(output, [tf.shape(x)[0], tf.shape(kept)[1], hidden]), kept,
                    tf.gather(mask, kept, batch_dims=1)]

    initializer = power_model._seeded_initializers(config)
    tokens = keras.layers.Input(shape=(None,), dtype="int32", name="Input-Token")
    segments = keras.layers.Input(shape=(None,), dtype="int32", name="Input-Segment")
    mask = layers.PaddingMask(name="Input-Mask")(tokens)
    x = power_model._embeddings(config, tokens, segments, initializer)
    for j in range(1, config.num_hidden_layers + 1):
        prefix = "Encoder-%d-MultiHeadSelfAttention" % j
        attended, kept, mask = ExtractingSelfAttention(
            config.num_attention_heads, retention[j - 1], name=prefix)([x, mask])
        x = keras.layers.Lambda(lambda a: tf.gather(a[0], a[1], batch_dims=1),
                                dtype="float32")([x, kept])
        x = keras.layers.Add(name=prefix + "-Add")([x, attended])
        x = LayerNormalization(epsilon=power_model.LAYER_NORM_EPSILON, dtype="float32",
                               name=prefix + "-Norm")(x)
        x = power_model._feed_forward_block(config, j, x, initializer)
    output = power_model._classifier(config, num_labels, x, initializer)
    return keras.Model([tokens, segments], output)


def main(argv):
    checkpoint_path, data_dir, retention, precision, runs = argv
    import power_bert.backend  # noqa: F401  (quiet TensorFlow start-up)
    from power_bert import inference
    from power_bert.benchmark.timing import time_runners
    from power_bert.data import DataParser
    from power_bert.precision import policy
    from power_bert.trained import apply_overrides, check_trained, read_checkpoint

    retention = [int(v) for v in retention.split(",")]
    baseline = read_checkpoint(checkpoint_path)
    trained = check_trained(baseline, "checkpoint")
    x, _ = DataParser(trained.vocab_path, trained.task, data_dir, seq_len=baseline.seq_len,
                      cased=baseline.cased).get_dev_data()
    power = apply_overrides(baseline, retention)
    with policy(precision, inference=True):
        default = power.load_model(dynamic=True, name="default")
        reordered = build_reordered(power.config, power.num_labels, retention)
        by_name = {layer.name: layer for layer in default.layers}
        for layer in reordered.layers:
            if layer.weights:
                layer.set_weights(by_name[layer.name].get_weights())
    models = {"default": default, "eliminate before the output projection": reordered}

    def run(model):
        return inference.predict(model, x, 32, dynamic=True)

    def compare(outputs):
        first, second = outputs.values()
        print("largest difference of the dev predictions: %g" % np.abs(first - second).max())

    results = time_runners([(name, lambda verbose=0, model=model: run(model))
                            for name, model in models.items()],
                           int(runs), warmup=1, verbose=0, after_warmup=compare)
    for name, result in results.items():
        print("%-40s %.3f s" % (name, float(np.median(result["times"]))))

if __name__ == "__main__":
    main(sys.argv[1:])

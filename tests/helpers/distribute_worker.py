"""Run by tests/test_distribute.py in a subprocess of its own (``python -m
helpers.distribute_worker LAMBDA`` with tests/ on the path): logical CPU devices must be
configured before TensorFlow initialises them, which any earlier test would have done.

Trains each stage a few steps on one device and with ``MirroredStrategy`` over 2 logical
CPU devices (the same global batch, dropout off, the same starting weights) and prints,
as JSON, the largest difference of any weight; for the search also the difference from
one-device training with lambda x 2, which is what counting the mass term once per
replica would give, and the training logs (loss, accuracy, mass term) of both.
"""
import json
import sys

import numpy as np


def main():
    import power_bert  # noqa: F401  (selects tf-keras)
    from power_bert.backend import keras, tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    from power_bert import distribute
    from power_bert.model import build_model
    from power_bert.training import compile_for_stage, make_dataset
    from helpers.tiny import tiny_bert_config

    config = tiny_bert_config(vocab_size=30, num_hidden_layers=2, max_position_embeddings=16,
                              hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                              initializer_range=0.02)
    seq_len, batch, steps, lambda_ = 12, 8, 3, float(sys.argv[1])
    rng = np.random.RandomState(0)
    lengths = rng.randint(3, seq_len + 1, size=batch * steps)
    tokens = rng.randint(1, 30, (batch * steps, seq_len))
    tokens[np.arange(seq_len)[None, :] >= lengths[:, None]] = 0
    x = [tokens.astype(np.int32), np.zeros_like(tokens, dtype=np.int32)]
    y = rng.randint(0, 2, batch * steps)
    keras.utils.set_random_seed(0)
    start = {mode: build_model(config, 2, seq_len, mode=mode, retention_configuration=(
        [8, 4] if mode == "retrain" else None)).get_weights()
        for mode in ("finetune", "search", "retrain")}

    def train(mode, strategy_name, lambda_):
        with distribute.scope(strategy_name) as strategy:
            replicas = strategy.num_replicas_in_sync if strategy else 1
            model = build_model(config, 2, seq_len, mode=mode, retention_configuration=(
                [8, 4] if mode == "retrain" else None))
            model.set_weights(start[mode])
            compile_for_stage(model, 2, lr_bert=1e-3, total_steps=10, warmup_steps=1,
                              lr_soft_extract=0.05 if mode == "search" else None,
                              lambda_=lambda_)
        dataset = make_dataset(x, y, batch, seed=0, epochs=1)
        history = model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0).history
        return replicas, model.get_weights(), {k: v[-1] for k, v in history.items()}

    def largest(a, b):
        return max(float(np.max(np.abs(u - v))) for u, v in zip(a, b))

    report = {}
    for mode in ("finetune", "search", "retrain"):
        _, single, single_logs = train(mode, "none", lambda_)
        replicas, mirrored, mirrored_logs = train(mode, "mirrored", lambda_)
        report[mode] = {"replicas": replicas, "difference": largest(single, mirrored),
                        "moved": largest(single, start[mode]),
                        "logs": [single_logs, mirrored_logs]}
        if mode == "search":
            _, doubled, _ = train(mode, "none", 2 * lambda_)
            report[mode]["difference_from_lambda_x2"] = largest(doubled, mirrored)
            retention_index = [i for i, w in enumerate(start[mode]) if w.shape == (seq_len,)
                               and np.all(w == 1.0)]
            report[mode]["retention_difference"] = max(
                float(np.max(np.abs(single[i] - mirrored[i]))) for i in retention_index)
            report[mode]["retention_moved"] = max(
                float(np.max(np.abs(single[i] - 1.0))) for i in retention_index)
    print("RESULT " + json.dumps(report))


if __name__ == "__main__":
    main()

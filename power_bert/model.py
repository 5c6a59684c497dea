"""One way to build BERT for every stage of PoWER-BERT.

``build_model(config, ..., mode=...)`` builds the same BERT classifier with, in
every encoder j between the attention block and the feed-forward block:
  * ``finetune``: nothing;
  * ``search``: a ``SoftExtract`` layer (retention parameters, mass regulariser);
  * ``retrain``: an ``Extract`` layer keeping ``retention_configuration[j - 1]`` vectors,
    chosen by attention (PoWER-BERT), or for the ablation by position (Head-WS) or at
    random (Rand-WS): ``word_selection``. A model built for inference only keeps the
    same words inside the attention layer, before its output projection
    (``layers.ExtractingSelfAttention``; ``build_model(..., inference=True)``).

Layer names follow keras-bert (``Encoder-%d-MultiHeadSelfAttention``,
``Encoder-%d-FeedForward-Norm``, ...), so weights move between stages by name.
"""
import zlib
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.backend import keras, tf  # first: keras-bert's packages import TensorFlow

from keras_layer_normalization import LayerNormalization
from keras_pos_embd import PositionEmbedding

from power_bert.config import BertConfig
from power_bert.precision import FLOAT32, loss_scaled, needs_loss_scaling
from power_bert.retention import validate_retention_configuration
from power_bert.layers import (Extract, ExtractingSelfAttention, FeedForward, PaddingMask,
                               SelfAttention, SoftExtract, StepDropout, dropout_key,
                               gelu_exact, mass_regularizer, soft_extract_layers)

MODES = ("finetune", "search", "retrain")
LAYER_NORM_EPSILON = 1e-12  # Google BERT's value.


@keras.utils.register_keras_serializable(package="PowerBert")
class PowerBertModel(keras.Model):
    """A functional BERT classifier whose training step knows PoWER-BERT's search stage.

    In the search stage the loss is ``task loss + lambda * sum_j j * mass(j)`` and the
    retention parameters get their own Adam optimizer (``LR_SOFT_EXTRACT``) while every
    other weight uses the compiled optimizer (``LR_BERT``): a true per-variable rate.
    After each update retention parameters are clipped to [0, 1].
    """

    def configure_search(self, lambda_: float, retention_optimizer):
        """Sets lambda and the optimizer of the retention parameters (search stage); under
        ``mixed_float16`` it scales the loss, as Keras makes the compiled optimizer do."""
        self.lambda_ = float(lambda_)
        if needs_loss_scaling(self):
            retention_optimizer = loss_scaled(retention_optimizer)
        self.retention_optimizer = retention_optimizer

    def configure_dropout(self, seed: int, stream: str):
        """Makes every dropout mask of a training step a function of (``seed``, ``stream``,
        the optimizer's step count, the replica, the layer) (``layers.StepDropout``), so
        that training restored from a saved state (weights, optimizer moments and step)
        continues exactly as it would have. ``stream``: e.g. the stage's name."""
        self.dropout_seed = (int(seed) & 0x7FFFFFFFFFFFFFFF,
                             zlib.crc32(stream.encode("utf-8")) & 0x7FFFFFFF)

    def _dropout_key(self):
        """The step's dropout key (None: Keras' own dropout)."""
        seed = getattr(self, "dropout_seed", None)
        if seed is None:
            return None
        key = tf.random.experimental.stateless_fold_in(
            tf.constant(seed, tf.int64), tf.cast(self.optimizer.iterations, tf.int64))
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            key = tf.random.experimental.stateless_fold_in(
                key, tf.cast(replica.replica_id_in_sync_group, tf.int64))
        return key

    def build_optimizers(self):
        """Creates the optimizers' variables (moments, step) for the variables each one
        updates, as the first training step would, so that a saved state can be restored
        into them."""
        _, retention_parameters, others = self._split_variables()
        self.optimizer.build(others)
        if retention_parameters and getattr(self, "retention_optimizer", None) is not None:
            self.retention_optimizer.build(retention_parameters)

    def _split_variables(self):
        """(the Soft-Extract layers, their retention parameter vectors ``r``, the other
        trainable variables)."""
        soft = soft_extract_layers(self)
        retention_parameters = [layer.retention for layer in soft]
        ids = {id(v) for v in retention_parameters}
        others = [v for v in self.trainable_variables if id(v) not in ids]
        return soft, retention_parameters, others

    def train_step(self, data):
        x, y = data[0], data[1]
        soft, retention_parameters, others = self._split_variables()
        lambda_ = getattr(self, "lambda_", 0.0)
        optimizer = getattr(self, "retention_optimizer", None)
        if retention_parameters and optimizer is None:
            raise RuntimeError("search-stage model needs configure_search() before fit()")
        scaled = needs_loss_scaling(self)
        with tf.GradientTape(persistent=scaled) as tape, dropout_key(self._dropout_key()):
            y_pred = self(x, training=True)
            task_loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            regulariser = mass_regularizer(self, lambda_, soft)
            # Keras divides the task loss of each replica by the replicas, whose
            # gradients are then summed: the mass term must be divided alike to be
            # counted once per global batch (1 replica without a strategy).
            loss = task_loss + regulariser / tf.cast(
                tf.distribute.get_strategy().num_replicas_in_sync, regulariser.dtype)
            if scaled:  # float16: each optimizer scales the loss by its own factor
                scaled_losses = [self.optimizer.get_scaled_loss(loss)]
                if retention_parameters:
                    scaled_losses.append(optimizer.get_scaled_loss(loss))
        if scaled:
            grads = self.optimizer.get_unscaled_gradients(
                tape.gradient(scaled_losses[0], others))
            if retention_parameters:
                grads += optimizer.get_unscaled_gradients(
                    tape.gradient(scaled_losses[1], retention_parameters))
            del tape
        else:
            grads = tape.gradient(loss, others + retention_parameters)
        mirrored = tf.distribute.has_strategy() and not tf.distribute.in_cross_replica_context()
        if mirrored:
            # One all-reduce of every gradient: two optimizers reducing their own
            # gradients can order their collectives differently on each replica.
            # (dense: gathered rows give IndexedSlices, reduced apart from the rest)
            grads = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, [tf.convert_to_tensor(g) for g in grads])
            kwargs = {"skip_gradients_aggregation": True}
        else:
            kwargs = {}
        self.optimizer.apply_gradients(zip(grads[:len(others)], others), **kwargs)
        if retention_parameters:
            optimizer.apply_gradients(zip(grads[len(others):], retention_parameters), **kwargs)
            if mirrored:
                # a mirrored variable is updated on every replica at once
                tf.distribute.get_replica_context().merge_call(_clip_mirrored,
                                                               args=(retention_parameters,))
            else:
                for var in retention_parameters:
                    var.assign(tf.clip_by_value(var, 0.0, 1.0))
        self.compiled_metrics.update_state(y, y_pred)
        logs = {m.name: m.result() for m in self.metrics}
        if retention_parameters:
            logs["mass_loss"] = regulariser
        return logs


def _clip_mirrored(strategy, variables):
    """Clips retention parameters to [0, 1] on every replica (cross-replica context)."""
    for var in variables:
        strategy.extended.update(var, lambda v: v.assign(tf.clip_by_value(v, 0.0, 1.0)),
                                 group=False)


def build_model(config: BertConfig, num_labels: int, seq_len: Optional[int],
                mode: str = "finetune", retention_configuration: Optional[Sequence[int]] = None,
                max_len: Optional[int] = None, name: str = "PoWER-BERT",
                word_selection: str = "attention", selection_seed: int = 0,
                inference: bool = False) -> PowerBertModel:
    """Builds the BERT classifier for one stage.

    Args:
      config: the BERT sizes.
      num_labels: classes of the task; 1 means regression (one linear output).
      seq_len: static input length, or None for inputs padded per batch (dynamic
        padding; then ``max_len`` must be given for the search stage).
      mode: one of ``MODES``.
      retention_configuration: l_j per encoder, required for ``retrain``.
      max_len: the longest input the model takes (the task's ``seq_len``): the size of
        the Soft-Extract retention vectors and of Rand-WS's priorities. A name of its
        own because a model for any length has ``seq_len`` None; defaults to ``seq_len``.
      word_selection: which words the Extract layers keep (``layers.WORD_SELECTIONS``):
        "attention" (default), "head" or "random".
      selection_seed: the seed of "random" selection (``layers.random_priorities``).
      inference: for a model that only predicts (eval, predict, export, benchmarks): in
        ``retrain`` each encoder keeps its words before the attention's output
        projection (``layers.ExtractingSelfAttention``), the same outputs with fewer
        multiply-adds. Training builds the order above (its dropout masks depend on it).

    Returns:
      A ``PowerBertModel`` with inputs ``[Input-Token, Input-Segment]`` (int32
      ``[B, T]``) and output class probabilities ``[B, C]`` or scores ``[B, 1]``.

    Raises:
      ValueError: unknown mode, missing retention configuration, or sizes that do not
        fit the configuration.
    """
    max_len, retention_configuration = _check_stage(config, seq_len, mode,
                                                    retention_configuration, max_len)
    initializer = _seeded_initializers(config)
    token_ids = keras.layers.Input(shape=(seq_len,), dtype="int32", name="Input-Token")
    segment_ids = keras.layers.Input(shape=(seq_len,), dtype="int32", name="Input-Segment")
    mask = PaddingMask(name="Input-Mask")(token_ids)  # [B, T]
    x = _embeddings(config, token_ids, segment_ids, initializer)  # [B, T, H]
    for j in range(1, config.num_hidden_layers + 1):
        selection = None
        if mode == "retrain":
            selection = dict(retain=retention_configuration[j - 1], selection=word_selection,
                             seed=selection_seed, layer_index=j, max_len=max_len or seq_len)
        if selection and inference:  # elimination inside the attention layer
            x, _, mask = _attention_block(config, j, x, mask, initializer, selection)
        else:
            x, probs, _ = _attention_block(config, j, x, mask, initializer)
            if mode == "search":
                x = SoftExtract(max_len, j, dtype=FLOAT32,
                                name="Encoder-%d-Soft-Extract" % j)([x, probs, mask])
            elif selection:
                x, mask, _ = Extract(**selection, dtype=FLOAT32,
                                     name="Encoder-%d-Extract" % j)([x, probs, mask])
        x = _feed_forward_block(config, j, x, initializer)
    output = _classifier(config, num_labels, x, initializer)
    return PowerBertModel(inputs=[token_ids, segment_ids], outputs=output, name=name)


def _check_stage(config: BertConfig, seq_len: Optional[int], mode: str,
                 retention_configuration: Optional[Sequence[int]], max_len: Optional[int]
                 ) -> Tuple[Optional[int], Optional[List[int]]]:
    """Checks ``build_model``'s stage arguments against the configuration.

    Returns:
      (the retention vectors' length: ``max_len`` or ``seq_len``; the validated
      retention configuration as a list, for ``retrain``, else as given).

    Raises:
      ValueError: see ``build_model``.
    """
    if mode not in MODES:
        raise ValueError("mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if seq_len is not None and seq_len > config.max_position_embeddings:
        raise ValueError("sequence length %d is above max_position_embeddings %d of the BERT "
                         "config" % (seq_len, config.max_position_embeddings))
    max_len = max_len or seq_len
    if mode == "search" and not max_len:
        raise ValueError("the search stage needs a maximum length for its retention parameters")
    if mode == "retrain":
        if retention_configuration is None:
            raise ValueError("the retrain mode needs a retention configuration")
        retention_configuration = list(validate_retention_configuration(
            retention_configuration, max_len or config.max_position_embeddings,
            config.num_hidden_layers))
    return max_len, retention_configuration


def _seeded_initializers(config: BertConfig) -> Callable[[], keras.initializers.Initializer]:
    """A maker of weight initializers: a new seeded instance per call.

    Seeds are drawn from numpy's global generator (seeded by
    ``keras.utils.set_random_seed``): reproducible, and no two layers share values (an
    unseeded instance called twice repeats its values). The weights of a model depend on
    the order of the calls, so the builders below call it in the order of the layers.
    """
    def initializer():
        return keras.initializers.TruncatedNormal(stddev=config.initializer_range,
                                                  seed=int(np.random.randint(0, 2 ** 30)))
    return initializer


def _embeddings(config: BertConfig, token_ids, segment_ids, initializer):
    """Token + segment + position embeddings, normalised, then dropout: [B, T, H]."""
    tokens = keras.layers.Embedding(config.vocab_size, config.hidden_size,
                                    embeddings_initializer=initializer(),
                                    name="Embedding-Token")(token_ids)
    segments = keras.layers.Embedding(config.type_vocab_size, config.hidden_size,
                                      embeddings_initializer=initializer(),
                                      name="Embedding-Segment")(segment_ids)
    x = keras.layers.Add(name="Embedding-Token-Segment")([tokens, segments])
    x = PositionEmbedding(input_dim=config.max_position_embeddings,
                          output_dim=config.hidden_size, mode=PositionEmbedding.MODE_ADD,
                          embeddings_initializer=initializer(), name="Embedding-Position")(x)
    # Google BERT: LayerNorm, then dropout.
    x = LayerNormalization(epsilon=LAYER_NORM_EPSILON, dtype=FLOAT32, name="Embedding-Norm")(x)
    return StepDropout(config.hidden_dropout_prob, name="Embedding-Dropout")(x)


def _attention_block(config: BertConfig, j: int, x, mask, initializer,
                     selection: Optional[dict] = None):
    """Encoder j's self-attention, dropout, residual and LayerNorm.

    Args:
      selection: for a model that only predicts, ``Extract``'s arguments: the
        attention layer (``ExtractingSelfAttention``) then keeps those words before its
        output projection, and the rest of the block runs on them.

    Returns:
      (the block's output [B, T, H], the attention probabilities [B, N, T, T], the mask
      [B, T]); with ``selection``: ([B, K, H], None, the kept words' mask [B, K]).
    """
    prefix = "Encoder-%d-MultiHeadSelfAttention" % j
    probs = None
    if selection is None:
        attended, probs = SelfAttention(
            config.num_attention_heads, config.attention_probs_dropout_prob,
            kernel_initializer=initializer(), name=prefix)([x, mask])
    else:
        attended, x, mask, _ = ExtractingSelfAttention(
            config.num_attention_heads, attention_dropout=config.attention_probs_dropout_prob,
            kernel_initializer=initializer(), name=prefix, **selection)([x, mask])
    attended = StepDropout(config.hidden_dropout_prob, name=prefix + "-Dropout")(attended)
    x = keras.layers.Add(name=prefix + "-Add")([x, attended])
    x = LayerNormalization(epsilon=LAYER_NORM_EPSILON, dtype=FLOAT32, name=prefix + "-Norm")(x)
    return x, probs, mask


def _feed_forward_block(config: BertConfig, j: int, x, initializer):
    """Encoder j's feed-forward network, dropout, residual and LayerNorm: [B, T', H]."""
    prefix = "Encoder-%d-FeedForward" % j
    feed_forward = FeedForward(units=config.intermediate_size, activation=gelu_exact,
                               kernel_initializer=initializer(), name=prefix)
    ffn = feed_forward(x)
    # keras-position-wise-feed-forward draws W1 and W2 from one initializer instance,
    # which repeats its values: give W2 its own draw.
    feed_forward.W2.assign(initializer()(feed_forward.W2.shape, dtype=feed_forward.W2.dtype))
    ffn = StepDropout(config.hidden_dropout_prob, name=prefix + "-Dropout")(ffn)
    x = keras.layers.Add(name=prefix + "-Add")([x, ffn])
    return LayerNormalization(epsilon=LAYER_NORM_EPSILON, dtype=FLOAT32,
                              name=prefix + "-Norm")(x)


def _classifier(config: BertConfig, num_labels: int, x, initializer):
    """The pooler on [CLS] and the output layer: probabilities [B, C] or scores [B, 1]."""
    cls = _take_first(x)  # [B, H]
    pooled = keras.layers.Dense(config.hidden_size, activation="tanh",
                                kernel_initializer=initializer(), name="Pooler-Dense")(cls)
    pooled = StepDropout(config.hidden_dropout_prob, name="Output-Dropout")(pooled)
    if num_labels == 1:
        return keras.layers.Dense(1, kernel_initializer=initializer(), dtype=FLOAT32,
                                  name="Output")(pooled)
    # float32 under any policy: predictions and loss in float32
    return keras.layers.Dense(num_labels, activation="softmax", dtype=FLOAT32,
                              kernel_initializer=initializer(), name="Output")(pooled)


def custom_objects():
    """Every custom class and function a model of this package may contain."""
    from power_bert import layers
    objects = layers.custom_objects()
    objects["PowerBertModel"] = PowerBertModel
    return objects


def model_from_json(text: str) -> PowerBertModel:
    """Rebuilds a model (architecture only) from ``model.to_json()``."""
    return keras.models.model_from_json(text, custom_objects=custom_objects())


def _take_first(x):
    """The [CLS] vector, with keras-bert's Extract layer (index 0)."""
    from keras_bert.layers import Extract as KerasBertExtract
    return KerasBertExtract(index=0, name="Extract-CLS")(x)

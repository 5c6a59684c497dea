"""Keras layers of PoWER-BERT: self-attention that returns its probabilities,
significance scores, Extract (hard elimination) and Soft-Extract (search).

Shape legend used in comments:
  B = batch size, F = "from" (query) length, T = "to" (key) length,
  N = attention heads, D = head size, H = hidden size = N * D.
Inside an encoder F == T: the self-attention is over the vectors still alive.

All layers receive tensors (attention probabilities, masks) as call inputs and
carry only plain Python values in their configuration, so a model built from them
can be rebuilt from ``model.get_config()``.
"""
import contextlib
import math
import threading
import zlib

from power_bert.backend import keras, tf  # first: keras-bert's packages import TensorFlow

from keras_position_wise_feed_forward import FeedForward as KerasBertFeedForward

from power_bert.retention import WORD_SELECTIONS

_PACKAGE = "PowerBert"
_MASK_ADDER = -10000.0  # Google BERT's additive attention mask for padded keys.


@keras.utils.register_keras_serializable(package=_PACKAGE)
def gelu_exact(x):
    """Google BERT's GELU, exact erf form: 0.5 x (1 + erf(x / sqrt(2)))."""
    return 0.5 * x * (1.0 + tf.math.erf(x / math.sqrt(2.0)))


def dense_2d(x, kernel, bias=None):
    """``x [M, K] @ kernel [K, N] + bias``: MatMul and BiasAdd, the pair (with an
    activation after it) that TensorFlow's graph optimizer fuses into one oneDNN op."""
    y = tf.matmul(x, kernel)
    return y if bias is None else tf.nn.bias_add(y, bias)


@keras.utils.register_keras_serializable(package=_PACKAGE)
class FeedForward(KerasBertFeedForward):
    """keras-position-wise-feed-forward's layer (the same weights W1, b1, W2, b2, the same
    configuration), computed on the vectors flattened to ``[B*T, H]``: two 2-D products
    with BiasAdd and the activation between them, which TensorFlow's graph optimizer
    fuses into one oneDNN op each (``_MklNativeFusedMatMul``, the GELU inside the
    first), where the parent's ``K.dot`` leaves a MatMul, a BiasAdd and the five ops of
    the exact GELU (benchmarks/README.md, "Where the time goes on this CPU")."""

    def call(self, x, mask=None, training=None):
        shape = tf.shape(x)
        h = dense_2d(tf.reshape(x, [-1, x.shape[-1]]), self.W1,
                     self.b1 if self.use_bias else None)  # [B*T, I]
        if self.activation is not None:
            h = self.activation(h)
        if 0.0 < self.dropout_rate < 1.0:
            h = keras.backend.in_train_phase(
                lambda: keras.backend.dropout(h, self.dropout_rate), h, training=training)
        y = dense_2d(h, self.W2, self.b2 if self.use_bias else None)
        return tf.reshape(y, tf.concat([shape[:-1], tf.shape(y)[-1:]], axis=0))


_dropout_keys = threading.local()


@contextlib.contextmanager
def dropout_key(key):
    """Within the block, every ``StepDropout`` draws its mask from ``key`` (an int64
    ``[2]`` tensor) and its own name. The key belongs to the thread: under a mirrored
    strategy each replica's thread sets its own (``PowerBertModel.train_step``)."""
    previous = getattr(_dropout_keys, "key", None)
    _dropout_keys.key = key
    try:
        yield
    finally:
        _dropout_keys.key = previous


@keras.utils.register_keras_serializable(package=_PACKAGE)
class StepDropout(keras.layers.Dropout):
    """Dropout whose masks are a function of the training step, not of a random state.

    Inside ``dropout_key(key)`` (a PowerBertModel training step: the key folds the run's
    seed, the stage and the optimizer's step count) the mask is
    ``stateless_dropout(seed=fold_in(key, crc32(layer name)))``: the same step of the same
    run draws the same mask in any process, so a run resumed from its saved state trains
    exactly as if it had never stopped. Outside such a block (a model trained by plain
    ``fit``), it is Keras' Dropout.
    """

    def call(self, inputs, training=None):
        key = getattr(_dropout_keys, "key", None)
        if key is None or self.rate == 0:
            return super().call(inputs, training=training)
        if training is None:
            training = keras.backend.learning_phase()

        def dropped():
            seed = tf.random.experimental.stateless_fold_in(
                key, zlib.crc32(self.name.encode("utf-8")) & 0x7FFFFFFF)
            return tf.nn.experimental.stateless_dropout(
                inputs, rate=self.rate, seed=seed, noise_shape=self._get_noise_shape(inputs))

        if isinstance(training, bool) or isinstance(training, int):
            return dropped() if training else tf.identity(inputs)
        return tf.cond(tf.cast(training, tf.bool), dropped, lambda: tf.identity(inputs))


@keras.utils.register_keras_serializable(package=_PACKAGE)
class PaddingMask(keras.layers.Layer):
    """Turns token ids into a float mask: 1.0 for real tokens, 0.0 for padding (id 0)."""

    def call(self, token_ids):
        return tf.cast(tf.not_equal(token_ids, 0), self.compute_dtype)  # [B, T]

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.utils.register_keras_serializable(package=_PACKAGE)
class SelfAttention(keras.layers.Layer):
    """Multi-head self-attention that also returns its attention probabilities.

    Weights follow keras-multi-head's order and names (Wq, bq, Wk, bk, Wv, bv, Wo, bo)
    so Google checkpoints map onto it as in keras-bert.

    Call inputs: ``[x, mask]`` with x ``[B, T, H]`` and mask ``[B, T]`` (1 real, 0 pad).
    Call outputs: ``[output [B, T, H], probs [B, N, T, T]]``. The probabilities are
    returned before attention dropout, always float32 (softmax in float32 under a
    mixed-precision policy; the projections run in the policy's compute type).
    """

    def __init__(self, head_num: int, attention_dropout: float = 0.0,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.head_num = int(head_num)
        self.attention_dropout = float(attention_dropout)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.dropout = StepDropout(self.attention_dropout, name=self.name + "-Attention-Dropout")

    def get_config(self):
        config = super().get_config()
        config.update(head_num=self.head_num, attention_dropout=self.attention_dropout,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config

    def build(self, input_shape):
        hidden = int(input_shape[0][-1])
        if hidden % self.head_num:
            raise ValueError(
                "The hidden size (%d) is not a multiple of the number of attention heads (%d)"
                % (hidden, self.head_num))
        for index, name in enumerate(("q", "k", "v", "o")):
            # A fresh initializer per kernel (one instance repeats its values), with a
            # distinct seed when the given one is seeded.
            init_config = self.kernel_initializer.get_config()
            if init_config.get("seed") is not None:
                init_config["seed"] = int(init_config["seed"]) + index
            initializer = self.kernel_initializer.__class__.from_config(init_config)
            setattr(self, "W" + name, self.add_weight(
                name="W" + name, shape=(hidden, hidden), initializer=initializer))
            setattr(self, "b" + name, self.add_weight(
                name="b" + name, shape=(hidden,), initializer="zeros"))
        super().build(input_shape)

    def _split_heads(self, x, batch, length):
        """[B*T, H] -> [B, N, T, D]."""
        head_size = x.shape[-1] // self.head_num
        x = tf.reshape(x, [batch, length, self.head_num, head_size])  # [B, T, N, D]
        return tf.transpose(x, [0, 2, 1, 3])  # [B, N, T, D]

    def call(self, inputs, training=None):
        x, mask = inputs  # [B, T, H], [B, T]
        context, probs = self.attend(x, mask, training)  # [B, F, H], [B, N, F, T]
        return [self.project(context), probs]

    def project(self, context):
        """The output projection of the context vectors ``[B, F, H]``, as one 2-D
        product."""
        hidden = context.shape[-1]
        output = dense_2d(tf.reshape(context, [-1, hidden]), self.Wo, self.bo)  # [B*F, H]
        return tf.reshape(output, tf.shape(context))

    def attend(self, x, mask, training=None):
        """Everything before the output projection: (the heads' context vectors
        ``[B, T, H]``, the attention probabilities ``[B, N, T, T]`` in float32)."""
        hidden = x.shape[-1]
        head_size = hidden // self.head_num
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        # The projections as 2-D products on [B*T, H] with BiasAdd: one fused oneDNN
        # MatMul each, where [B, T, H] x [H, H] is a broadcast BatchMatMul and an AddV2.
        flat = tf.reshape(x, [-1, hidden])  # [B*T, H]
        q = self._split_heads(dense_2d(flat, self.Wq, self.bq), batch, length)  # [B, N, F, D]
        k = self._split_heads(dense_2d(flat, self.Wk, self.bk), batch, length)  # [B, N, T, D]
        v = self._split_heads(dense_2d(flat, self.Wv, self.bv), batch, length)  # [B, N, T, D]
        scores = tf.matmul(q, k, transpose_b=True) / math.sqrt(head_size)  # [B, N, F, T]
        # Scores, mask and softmax in float32 whatever the policy (mixed precision):
        # the probabilities also feed the significance scores.
        scores = tf.cast(scores, tf.float32)
        mask = tf.cast(mask, tf.float32)
        scores += (1.0 - mask[:, None, None, :]) * _MASK_ADDER
        probs = tf.nn.softmax(scores, axis=-1)  # [B, N, F, T], float32
        dropped = tf.cast(self.dropout(probs, training=training), v.dtype)
        context = tf.matmul(dropped, v)  # [B, N, F, D]
        context = tf.transpose(context, [0, 2, 1, 3])  # [B, F, N, D]
        return tf.reshape(context, [batch, length, hidden]), probs

    def compute_output_shape(self, input_shape):
        x_shape = tf.TensorShape(input_shape[0])
        return [x_shape, tf.TensorShape([x_shape[0], self.head_num, x_shape[1], x_shape[1]])]


def significance_scores(probs, mask):
    """Significance of each word: the attention it receives from the other real words.

    Averaged over heads, summed over real (non-padding) query rows, excluding each
    word's attention to itself. Padding words get -1, below any real word's score
    (real scores are >= 0), so they always rank last.

    Args:
      probs: attention probabilities ``[B, N, T, T]``.
      mask: ``[B, T]``, 1 for real words, 0 for padding.

    Returns:
      ``[B, T]`` float32 scores; no gradient flows through them.
    """
    probs = tf.cast(tf.stop_gradient(probs), tf.float32)
    mask = tf.cast(mask, probs.dtype)
    mean = tf.reduce_mean(probs, axis=1)  # [B, F, T]
    length = tf.shape(mean)[-1]
    off_diagonal = 1.0 - tf.eye(length, dtype=mean.dtype)  # [F, T]
    mean = mean * off_diagonal[None] * mask[:, :, None]  # drop diagonal and padded queries
    scores = tf.reduce_sum(mean, axis=1)  # [B, T]
    return tf.where(mask > 0, scores, -tf.ones_like(scores))


def _validate_triplet(input_shape, name):
    if len(input_shape) != 3:
        raise ValueError("%s takes [hidden, attention_probs, mask], got %d inputs"
                         % (name, len(input_shape)))


_CLS_SCORE = 1e9  # above every significance, priority and padding score


def random_priorities(seed: int, layer_index: int, max_len: int):
    """Rand-WS: the fixed random priority of each position of encoder ``layer_index``.

    A permutation of ``0..max_len - 1`` drawn by numpy from ``SeedSequence([seed,
    layer_index])``: the same for every example and every run with the same seed (a
    static strategy, like Head-WS), different per encoder, and independent of the
    batch's padding, so fixed and dynamic padding keep the same words.

    Returns:
      float32 numpy ``[max_len]``; a higher value is kept first.
    """
    import numpy as np
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(layer_index)]))
    return rng.permutation(int(max_len)).astype("float32")


@keras.utils.register_keras_serializable(package=_PACKAGE)
class Extract(keras.layers.Layer):
    """Hard word-vector elimination: keeps [CLS] and ``retain - 1`` other words, in their
    original order.

    Which other words (``selection``, the paper's word-selection strategies):
      * ``"attention"``: the most significant ones (PoWER-BERT);
      * ``"head"`` (Head-WS): the first ones, positions 0..retain-1 of the current
        sequence;
      * ``"random"`` (Rand-WS): a fixed random subset, by ``random_priorities(seed,
        layer_index, max_len)``.
    Padding words always rank after real ones (by position among themselves, as top-k
    breaks ties by the lower index), so every strategy keeps the same real words with
    fixed and with dynamic padding. For ``"head"`` this is exactly positions
    0..retain-1: real words come before padding.

    Call inputs: ``[x [B, T, H], probs [B, N, T, T], mask [B, T]]``.
    Call outputs: ``[x' [B, K, H], mask' [B, K], indices [B, K]]`` with K = min(retain,
    T); ``indices`` (int32, increasing) are the kept positions of the current sequence,
    and the mask is gathered with them as the vectors are.
    """

    def __init__(self, retain: int, selection: str = "attention", seed: int = 0,
                 layer_index: int = 1, max_len: int = None, **kwargs):
        super().__init__(**kwargs)
        self.retain = int(retain)
        if self.retain < 1:
            raise ValueError("Extract must retain at least 1 word vector, got %d" % self.retain)
        if selection not in WORD_SELECTIONS:
            raise ValueError("word selection must be one of %s, got %r"
                             % (", ".join(WORD_SELECTIONS), selection))
        if selection == "random" and not max_len:
            raise ValueError("random word selection needs max_len (the task's length)")
        self.selection = selection
        self.seed = int(seed)
        self.layer_index = int(layer_index)
        self.max_len = None if max_len is None else int(max_len)
        self._priorities = (random_priorities(self.seed, self.layer_index, self.max_len)
                            if selection == "random" else None)

    def get_config(self):
        config = super().get_config()
        config.update(retain=self.retain, selection=self.selection, seed=self.seed,
                      layer_index=self.layer_index, max_len=self.max_len)
        return config

    def _scores(self, probs, mask):
        """[B, T] float32: a higher score is kept first; padding -1, [CLS] above all."""
        mask = tf.cast(mask, tf.float32)
        if self.selection == "attention":
            scores = significance_scores(probs, mask)  # padding already -1
        else:
            length = tf.shape(mask)[1]
            if self.selection == "head":  # earlier positions first: T, T-1, ..., 1
                row = tf.cast(length - tf.range(length), tf.float32)
            else:  # priorities are >= 0
                row = tf.constant(self._priorities)[:length]
            scores = tf.where(mask > 0, tf.broadcast_to(row[None], tf.shape(mask)),
                              -tf.ones_like(mask))  # padding below every real word
        cls_score = tf.fill([tf.shape(scores)[0], 1], tf.constant(_CLS_SCORE, scores.dtype))
        return tf.concat([cls_score, scores[:, 1:]], axis=1)

    def kept_positions(self, probs, mask):
        """The positions kept, increasing: int32 ``[B, K]``, K = min(retain, T)."""
        scores = self._scores(probs, mask)  # [B, T]
        keep = tf.minimum(self.retain, tf.shape(scores)[1])
        _, indices = tf.math.top_k(scores, k=keep, sorted=True)  # [B, K]
        return tf.sort(indices, axis=-1)  # original left-to-right order

    def call(self, inputs):
        x, probs, mask = inputs
        indices = self.kept_positions(probs, mask)  # [B, K]
        kept, kept_mask = self.gather([x, mask], indices)  # [B, K, H], [B, K]
        return [kept, kept_mask, self.set_length(indices, x.shape[1])]

    def set_length(self, tensor, static_len):
        """``tensor`` ([B, K, ...]) with K = min(retain, static_len) set where the input
        length is static."""
        if static_len is None:
            return tensor
        shape = [None, min(self.retain, static_len)] + tensor.shape[2:].as_list()
        return tf.ensure_shape(tensor, shape)

    def gather(self, tensors, indices):
        """The kept positions (``kept_positions``) of each ``[B, T, ...]`` tensor:
        ``[B, K, ...]`` each."""
        return [self.set_length(tf.gather(tensor, indices, batch_dims=1), tensor.shape[1])
                for tensor in tensors]

    def compute_output_shape(self, input_shape):
        x_shape = tf.TensorShape(input_shape[0])
        length = x_shape[1]
        length = None if length is None else min(self.retain, length)
        return [tf.TensorShape([x_shape[0], length, x_shape[2]]),
                tf.TensorShape([x_shape[0], length]), tf.TensorShape([x_shape[0], length])]


@keras.utils.register_keras_serializable(package=_PACKAGE)
class ExtractingSelfAttention(SelfAttention):
    """``SelfAttention`` then ``Extract``, for a model that only predicts: the words are
    chosen before the attention's output projection, so the projection (and the
    residual and LayerNorm after it) run on the kept words only.

    Every step after the attention probabilities works word by word, so the outputs are
    those of ``SelfAttention`` -> residual -> LayerNorm -> ``Extract`` with fewer
    multiply-adds. Training keeps that order (``model.build_model``): its dropout after
    the projection would draw other masks here. Weights as ``SelfAttention``'s, so a
    checkpoint loads by name.

    Call inputs: ``[x [B, T, H], mask [B, T]]``.
    Call outputs: ``[output [B, K, H], x' [B, K, H], mask' [B, K], indices [B, K]]``:
    the projected context of the kept words, the kept rows of x (for the residual) and of
    the mask, and their positions (``Extract``'s third output).
    """

    def __init__(self, head_num: int, retain: int, selection: str = "attention",
                 seed: int = 0, layer_index: int = 1, max_len: int = None, **kwargs):
        super().__init__(head_num, **kwargs)
        self.extract = Extract(retain, selection, seed, layer_index, max_len,
                               dtype="float32", name=self.name + "-Extract")

    def get_config(self):
        config = super().get_config()
        config.update(retain=self.extract.retain, selection=self.extract.selection,
                      seed=self.extract.seed, layer_index=self.extract.layer_index,
                      max_len=self.extract.max_len)
        return config

    def call(self, inputs, training=None):
        x, mask = inputs  # [B, T, H], [B, T]
        context, probs = self.attend(x, mask, training)  # [B, T, H], [B, N, T, T]
        indices = self.extract.kept_positions(probs, mask)  # [B, K]
        kept_context, kept_x, kept_mask = self.extract.gather([context, x, mask], indices)
        return [self.project(kept_context), kept_x, kept_mask,
                self.extract.set_length(indices, x.shape[1])]

    def compute_output_shape(self, input_shape):
        kept_x, kept_mask, indices = self.extract.compute_output_shape(
            [input_shape[0], None, input_shape[1]])
        return [kept_x, kept_x, kept_mask, indices]


@keras.utils.register_keras_serializable(package=_PACKAGE)
def clip_retention(value):
    """Constraint of the retention parameters: clip to [0, 1]."""
    return tf.clip_by_value(value, 0.0, 1.0)


@keras.utils.register_keras_serializable(package=_PACKAGE)
class SoftExtract(keras.layers.Layer):
    """Soft elimination for the configuration search.

    Holds retention parameters ``r`` in [0, 1]^max_len (initialised to 1). Words are
    ranked by significance (descending; [CLS] ranked like any other word, padding
    last) and the word of rank k is multiplied by ``r[k]``.

    Call inputs: ``[x [B, T, H], probs [B, N, T, T], mask [B, T]]`` with T <= max_len.
    Call output: ``x`` scaled, ``[B, T, H]``.

    Args:
      max_len: the longest input the model takes (the task's ``seq_len``; the size of
        ``r``, as ``model.build_model``'s ``max_len``).
      layer_index: 1-based index j of the encoder; the mass regulariser weights this
        layer's mass by j.
    """

    def __init__(self, max_len: int, layer_index: int, **kwargs):
        super().__init__(**kwargs)
        self.max_len = int(max_len)
        self.layer_index = int(layer_index)

    def get_config(self):
        config = super().get_config()
        config.update(max_len=self.max_len, layer_index=self.layer_index)
        return config

    def build(self, input_shape):
        _validate_triplet(input_shape, self.__class__.__name__)
        self.retention = self.add_weight(
            name="retention", shape=(self.max_len,), initializer="ones",
            constraint=clip_retention)
        super().build(input_shape)

    def call(self, inputs):
        x, probs, mask = inputs
        scores = significance_scores(probs, mask)  # [B, T]
        order = tf.argsort(scores, axis=-1, direction="DESCENDING", stable=True)  # [B, T]
        ranks = tf.argsort(order, axis=-1, stable=True)  # rank of each position, [B, T]
        multiplier = tf.gather(self.retention, ranks)  # [B, T]
        return x * tf.cast(multiplier, x.dtype)[:, :, None]

    def mass(self):
        """Sum of the retention parameters: the expected number of words kept."""
        return tf.reduce_sum(self.retention)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape[0])


def custom_objects():
    """Every custom class a saved model of this package may contain (for from_config)."""
    import keras_bert
    # keras-bert's classes are not registered; ours are, under "PowerBert>" names, so
    # they cannot clash with keras-bert's own "Extract".
    return dict(keras_bert.get_custom_objects())


def mass_regularizer(model, lambda_: float, layers=None):
    """lambda * sum_j j * mass(j) over the model's Soft-Extract layers (0 if none)."""
    layers = soft_extract_layers(model) if layers is None else layers
    if not layers:
        return tf.constant(0.0)
    return lambda_ * tf.add_n([float(layer.layer_index) * layer.mass() for layer in layers])


def soft_extract_layers(model):
    return [layer for layer in model.layers if isinstance(layer, SoftExtract)]

"""``--MIXED_PRECISION none|float16|bfloat16``: Keras mixed-precision policies.

With ``float16`` or ``bfloat16`` the matrix products (embeddings, attention projections,
feed-forward, pooler) compute in that type while every variable stays float32
(``mixed_float16`` / ``mixed_bfloat16``). These stay float32 whatever the policy:
  * attention scores, the mask and the softmax (``layers.SelfAttention``): the
    probabilities it returns are float32;
  * significance scores, Extract and Soft-Extract (the retention parameters and the
    mass regulariser);
  * every LayerNorm;
  * the output layer, hence the predictions and the loss.
``float16`` also scales the loss (``keras.mixed_precision.LossScaleOptimizer``) for both
optimizers of the search stage; bfloat16 has float32's exponent range and needs none.

A model that only infers (``policy(..., inference=True)``: eval, predict, export, the
benchmark) is built under the plain ``float16`` / ``bfloat16`` policy instead: the same
float32 layers and the same products, with every other variable stored in the half type
(a Keras mixed policy casts each float32 kernel to it on every call). Its predictions are
those of the mixed model with the same weights, bit for bit.
"""
import contextlib
from typing import Iterator

from power_bert.backend import keras
from power_bert.runtime import INFERENCE_POLICIES, POLICIES, PRECISIONS
FLOAT32 = "float32"  # dtype of the layers that never run in half precision


def policy_name(precision: str, inference: bool = False) -> str:
    """The Keras policy of a ``--MIXED_PRECISION`` value (``inference``: for models that
    are never trained).

    Raises:
      ValueError: not one of ``PRECISIONS``.
    """
    if precision not in POLICIES:
        raise ValueError("precision must be one of %s, got %r" % (", ".join(PRECISIONS),
                                                                 precision))
    return (INFERENCE_POLICIES if inference else POLICIES)[precision]


@contextlib.contextmanager
def policy(precision: str, inference: bool = False) -> Iterator[None]:
    """Models built inside use ``precision``'s policy (``inference``: the one for models
    that are never trained); the previous global policy is restored on leaving (also on
    an error)."""
    name = policy_name(precision, inference)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def needs_loss_scaling(model) -> bool:
    """A model built under ``mixed_float16``."""
    return model.dtype_policy.name == "mixed_float16"


def loss_scaled(optimizer):
    """``optimizer`` wrapped in a dynamic ``LossScaleOptimizer`` (once)."""
    if isinstance(optimizer, keras.mixed_precision.LossScaleOptimizer):
        return optimizer
    return keras.mixed_precision.LossScaleOptimizer(optimizer)


__all__ = ["PRECISIONS", "POLICIES", "FLOAT32", "policy_name", "policy",
           "needs_loss_scaling", "loss_scaled"]

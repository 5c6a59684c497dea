"""The one place that imports TensorFlow and checks that ``tf.keras`` is Keras 2.

keras-bert and its sibling packages do ``from tensorflow import keras``; with
TensorFlow >= 2.16 that is Keras 3 unless ``TF_USE_LEGACY_KERAS=1`` is set
before TensorFlow is imported and the ``tf-keras`` package is installed. The package's
entry point (``power_bert/__init__.py``, run before any of its modules) sets it.
"""
import os

import tensorflow as tf

keras = tf.keras
K = keras.backend


def _check_keras_2():
    version = getattr(keras, "__version__", "") or ""
    name = getattr(keras, "__name__", "")
    if not (name.startswith("tf_keras") or version.startswith("2.")):
        raise ImportError(
            "power_bert needs the Keras 2 API, but tf.keras is %s %s. Install tf-keras "
            "(pip install -r requirements.txt) and set TF_USE_LEGACY_KERAS=1 before "
            "TensorFlow is first imported (TF_USE_LEGACY_KERAS is now %r)."
            % (name, version, os.environ.get("TF_USE_LEGACY_KERAS")))


_check_keras_2()

__all__ = ["tf", "keras", "K"]

# The package's entry point selects the Keras 2 API (tf-keras) before any test imports
# TensorFlow; nothing else sets TF_USE_LEGACY_KERAS.
import power_bert  # noqa: F401


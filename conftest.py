# The package's entry point selects the Keras 2 API (tf-keras) before any test imports
# TensorFlow; nothing else sets TF_USE_LEGACY_KERAS.
import power_bert  # noqa: F401


def pytest_configure(config):
    # The quick subset: python -m pytest -q -m "not slow" tests
    config.addinivalue_line(
        "markers", "slow: end-to-end runs of the command lines and training-equivalence "
                   "tests (minutes in all); deselect with -m \"not slow\"")

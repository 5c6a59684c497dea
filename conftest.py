import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config):
    # The quick subset: python -m pytest -q -m "not slow" tests
    config.addinivalue_line(
        "markers", "slow: end-to-end runs of the command lines and training-equivalence "
                   "tests (minutes in all); deselect with -m \"not slow\"")

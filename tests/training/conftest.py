import pytest

from yolov12.data.embedded import embedded_dataset


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory):
    """8 train / 4 val real-digit images (composed from the shipped MNIST subset)."""
    return embedded_dataset("digits", root=tmp_path_factory.mktemp("digits"), n_train=8, n_val=4, seed=1)

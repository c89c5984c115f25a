import numpy as np
import pytest


def make_leaky_data(n_samples=800, n_groups=2, seed=0):
    """y and s independent; column 0 carries y, column 1 carries s, the rest is noise."""
    rng = np.random.RandomState(seed)
    s = rng.randint(0, n_groups, n_samples)
    y = rng.randint(0, 2, n_samples)
    X = np.c_[
        2.0 * y + 0.6 * rng.randn(n_samples),
        2.0 * s + 1.0 * rng.randn(n_samples),
        rng.randn(n_samples, 2),
    ]
    return X.astype(np.float64), y, s


@pytest.fixture
def leaky_data():
    return make_leaky_data()


@pytest.fixture(autouse=True, scope="session")
def single_torch_thread():
    """Tiny matrices run fastest on one thread, and parallel test runs do not oversubscribe."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

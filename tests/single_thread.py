"""An autouse fixture for the tests of small models: one CPU thread (import it into a test module).

A second thread only adds synchronisation for tensors this small, and on a busy 2-core machine
it stalls badly (measured: a 150-update test took 133 s with 2 threads, 11 s with 1).
"""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# covers on the CPU stay on PyTorch unless a test asks for OpenVINO by name (#20)
os.environ.setdefault("ALBUMSTUDIO_CPU_BACKEND", "torch")
# librosa's first import JIT-compiles for ~30 s: share that work across tests and sessions
# (and with the CLI subprocesses) instead of redoing it in each test's fresh ALBUMSTUDIO_HOME
os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".pytest_cache",
                 "numba"),
)

import pytest  # noqa: E402


def pytest_configure(config):
    """tqdm (used by diffusers and transformers while loading) starts a process-wide monitor
    thread on first use; off, so the thread-leak check below sees only threads we start."""
    try:
        import tqdm
    except ImportError:
        return
    tqdm.tqdm.monitor_interval = 0


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """A fresh AlbumStudio data and cache folder for every test."""
    home = tmp_path / "albumstudio-home"
    monkeypatch.setenv("ALBUMSTUDIO_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_thread_leaks():
    """Fail a test that leaves a Python thread or a Qt pool thread running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        extra = [
            t for t in threading.enumerate()
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"
    import sys

    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        pool = QThreadPool.globalInstance()
        pool.waitForDone(3000)
        assert pool.activeThreadCount() == 0, "test left QThreadPool work running"
    if "albumstudio.jobs.runner" in sys.modules:
        from albumstudio.jobs.runner import JobRunner

        deadline = time.monotonic() + 3.0
        while JobRunner.running_anywhere() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert JobRunner.running_anywhere() == 0, "test left a JobRunner worker running"


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models run fastest on one thread, and do not stall when other work shares the CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory) -> str:
    """A tiny random-weight MusicGen folder, built once per module."""
    from tests.support.tiny_musicgen import build_tiny_musicgen

    return str(build_tiny_musicgen(tmp_path_factory.mktemp("tiny-musicgen")))


@pytest.fixture
def kits(tmp_path):
    """A release-kit service on this test's own data folder, without a history."""
    from albumstudio.services import Services
    from albumstudio.services.kit import KitService
    from albumstudio.store.paths import DataPaths

    services = Services.open(DataPaths(tmp_path / "data", tmp_path / "cache").ensure(),
                             with_history=False)
    yield KitService(services)
    services.close()


def pytest_collection_modifyitems(config, items):
    """Skip ``@pytest.mark.gpu`` tests without a CUDA GPU (torch loads only if there are any)."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if not has_cuda:
        skip = pytest.mark.skip(reason="needs a CUDA GPU")
        for item in gpu_items:
            item.add_marker(skip)

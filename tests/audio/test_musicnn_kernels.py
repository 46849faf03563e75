"""The tagger's compiled front end (audio/_kernels.c) against numpy's products."""

from __future__ import annotations

import sys
import threading
from importlib import resources

import numpy as np
import pytest
from safetensors.numpy import load_file

from albumstudio.audio import kernels, musicnn_numpy, tagger


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


@pytest.fixture(scope="module")
def weights():
    with resources.as_file(tagger._resource(f"{tagger.DEFAULT_MODEL}.safetensors")) as path:
        return load_file(str(path))


def test_the_kernels_are_built_and_run_on_this_processor():
    """The install built the extension (a C compiler is there), and a processor with AVX2 and
    FMA runs it: the tags are not silently back on numpy's slower products."""
    if not sys.platform.startswith("linux") or not {"avx2", "fma"} <= _cpu_flags():
        pytest.skip("the kernels are written for x86 processors with AVX2 and FMA")
    from albumstudio.audio import _kernels  # type: ignore[attr-defined]

    assert _kernels.simd == 1
    assert kernels.simd_kernels() is not None
    assert tagger._load(tagger.DEFAULT_MODEL)._timbral._native is not None


@pytest.mark.parametrize("frames", [1, 5, 6, 7, 12, 13, 16, 17, 31, 187, 200])
def test_the_compiled_front_end_equals_numpys_products(weights, frames):
    """Frame counts off every tile (6 and 12 frames, 16 for the temporal kernels), and inputs
    large enough for other signs at the max; the same sums in another order."""
    if kernels.simd_kernels() is None:
        pytest.skip("the compiled kernels do not run here")
    native = musicnn_numpy.NumpyMusicnn(weights)
    plain = musicnn_numpy.NumpyMusicnn(weights, native=False)
    assert native._timbral._native is not None and plain._timbral._native is None
    x = np.random.default_rng(frames).standard_normal((2, frames, 96)).astype(np.float32)
    x[1] *= 4.0
    got, want = native.features(x), plain.features(x)
    scale = float(np.abs(want).max())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * scale)


def test_probabilities_with_and_without_the_kernels(weights):
    if kernels.simd_kernels() is None:
        pytest.skip("the compiled kernels do not run here")
    batch = np.random.default_rng(7).standard_normal((3, 187, 96)).astype(np.float32)
    native = musicnn_numpy.NumpyMusicnn(weights).predict(batch)
    plain = musicnn_numpy.NumpyMusicnn(weights, native=False).predict(batch)
    np.testing.assert_allclose(native, plain, atol=1e-6)


def test_two_threads_at_once_give_each_ones_own_answer(weights):
    """ctypes lets go of the interpreter lock: the tagging workers run the kernels at once,
    each with its own scratch."""
    net = musicnn_numpy.NumpyMusicnn(weights)
    inputs = [np.random.default_rng(seed).standard_normal((2, 187, 96)).astype(np.float32)
              for seed in (1, 2)]
    alone = [net.features(x) for x in inputs]
    together: list[np.ndarray | None] = [None, None]

    def run(i: int) -> None:
        for _ in range(3):
            together[i] = net.features(inputs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(together, alone, strict=True):
        np.testing.assert_array_equal(got, want)


def test_shapes_the_kernels_are_not_written_for_are_refused():
    native = kernels.simd_kernels()
    if native is None:
        pytest.skip("the compiled kernels do not run here")
    windows = np.zeros((49, 4, 14), dtype=np.float32)
    weights = np.zeros((1, 96, 14, 16), dtype=np.float32)
    bin_index = np.zeros(96, dtype=np.int32)
    counts = np.array([25, 23, 24, 24], dtype=np.int32)
    inverse = np.zeros(96 * 25, dtype=np.float32)
    peak = np.zeros((4, 16), dtype=np.float32)
    scratch = np.zeros(96 * native.frame_block * native.tile, dtype=np.float32)

    def timbral(base: int = 25, counts: np.ndarray = counts, bin_index: np.ndarray = bin_index,
                valid: int = 59) -> int:
        return native._timbral(windows.ctypes.data, 49, 4, 14, weights.ctypes.data,
                               bin_index.ctypes.data, 96, counts.ctypes.data,
                               inverse.ctypes.data, 48, base, valid, 16, peak.ctypes.data, 16,
                               scratch.ctypes.data)

    assert timbral() == 0
    assert timbral(base=24) == -1  # not whole register rows
    assert timbral(counts=np.array([25, 23, 24, 23], dtype=np.int32)) == -1  # not 96 rows
    assert timbral(bin_index=np.full(96, 49, dtype=np.int32)) == -1  # past the last bin
    assert timbral(valid=97) == -1  # more positions than the frame has
    bands = np.zeros((96, 10), dtype=np.float32)  # too short for 4 frames of a 32-frame kernel
    taps = np.zeros((1, 32, native.temporal_channels), dtype=np.float32)
    status = native._temporal(bands.ctypes.data, 96, 10, 4, taps.ctypes.data, 32, 6,
                              peak.ctypes.data, 16)
    assert status == -1


def test_without_the_extension_numpys_products_give_the_tags(weights, monkeypatch):
    """An install without a C compiler (the extension is optional): the numpy front end."""
    import albumstudio.audio

    monkeypatch.setitem(sys.modules, "albumstudio.audio._kernels", None)
    monkeypatch.delattr(albumstudio.audio, "_kernels", raising=False)
    monkeypatch.setattr(kernels, "_loaded", [])
    assert kernels.kernels() is None and kernels.simd_kernels() is None
    net = musicnn_numpy.NumpyMusicnn(weights)
    assert net._timbral._native is None
    assert all(temporal._native is None for temporal in net._temporal)
    batch = np.random.default_rng(3).standard_normal((1, 187, 96)).astype(np.float32)
    want = musicnn_numpy.NumpyMusicnn(weights, native=False).predict(batch)
    np.testing.assert_array_equal(net.predict(batch), want)

"""The FFT module: scipy.fft's transforms, bit for bit, without importing scipy.fft."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.fft

from albumstudio.audio import fft


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int16, ">f4"])
def test_real_transforms_equal_scipy_fft_bit_for_bit(dtype):
    x = (np.random.default_rng(1).standard_normal((7, 300)) * 50).astype(dtype)
    for n in (None, 256, 512, 301):
        ours, theirs = fft.rfft(x, n=n, axis=1), scipy.fft.rfft(x, n=n, axis=1)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (dtype, n)
    spectrum = scipy.fft.rfft(x, axis=1)
    for n in (300, 299, 128, 1024):
        ours, theirs = fft.irfft(spectrum, n=n, axis=1), scipy.fft.irfft(spectrum, n=n, axis=1)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (dtype, n)
    column = np.ascontiguousarray(x.T)
    assert np.array_equal(fft.rfft(column, axis=0), scipy.fft.rfft(column, axis=0))


def test_bad_lengths_and_complex_input_are_refused_as_scipy_does():
    with pytest.raises(ValueError):
        fft.rfft(np.zeros((2, 0), np.float32), axis=1)
    with pytest.raises(ValueError):
        fft.rfft(np.zeros(8), n=0)
    with pytest.raises(ValueError):
        fft.irfft(np.zeros(8, np.complex64), n=0)
    with pytest.raises(TypeError):
        fft.rfft(np.zeros(8, np.complex64))


def test_without_the_extension_the_public_functions_give_the_same(monkeypatch):
    x = np.random.default_rng(2).standard_normal((3, 100)).astype(np.float32)
    direct = fft.rfft(x, n=128, axis=1)
    inverse = fft.irfft(direct, n=128, axis=1)

    def missing():
        raise ImportError("moved")

    monkeypatch.setattr(fft, "_backend", None)
    monkeypatch.setattr(fft, "_load_extension", missing)
    assert np.array_equal(fft.rfft(x, n=128, axis=1), direct)
    assert np.array_equal(fft.irfft(direct, n=128, axis=1), inverse)
    assert fft._backend is False

    class Changed:  # an extension whose calling convention changed: caught by the check
        @staticmethod
        def r2c(x, axes, forward, norm, out, workers):
            return np.fft.rfft(x) * 2

        c2r = r2c

    monkeypatch.setattr(fft, "_backend", None)
    monkeypatch.setattr(fft, "_load_extension", lambda: Changed)
    assert np.array_equal(fft.rfft(x, n=128, axis=1), direct)
    assert fft._backend is False


def test_a_fresh_process_loads_the_extension_alone_and_scipy_fft_after_it_agrees():
    code = (
        "import sys, numpy as np\n"
        "from albumstudio.audio import fft\n"
        "x = np.random.default_rng(3).standard_normal((5, 2048)).astype(np.float32)\n"
        "ours = fft.rfft(x, axis=1)\n"
        "back = fft.irfft(ours, n=2048, axis=1)\n"
        "alone = fft._backend is not False and 'scipy.fft' not in sys.modules\n"
        "import scipy.fft\n"
        "same = np.array_equal(ours, scipy.fft.rfft(x, axis=1)) and "
        "np.array_equal(back, scipy.fft.irfft(ours, n=2048, axis=1))\n"
        "print(alone, same)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.split() == ["True", "True"]

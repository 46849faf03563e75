"""The real FFTs of the analysis and the tagger's log-mel: scipy's pocketfft, without scipy.fft.

scipy's pocketfft runs several transforms at once with SIMD: a 4-minute track's spectra take a
third of numpy's time (0.05 s against 0.16 s for 10,000 frames of 2,048). But ``import
scipy.fft`` costs 0.34–0.42 s of CPU in every fresh process (measured with ``-X importtime``),
almost all of it outside the FFT: its array-API layer copies every attribute of numpy, which
imports numpy.testing, numpy.f2py (and with it charset_normalizer), numpy.ma and
numpy.random, and its fftlog imports scipy.special. A fresh ``albumstudio analyze`` paid that
on the tagging thread while the interpreter lock was wanted by the decode beside it.

So the compiled extension that scipy.fft itself calls is loaded on its own (1 ms), under its
own module name: a later ``import scipy.fft`` in the same process shares the same compiled
module, and the transforms are the ones scipy.fft gives, bit for bit
(``tests/audio/test_fft.py``). Anything unexpected (a scipy that moved or changed it, a bundle
laid out otherwise) falls back to ``scipy.fft`` itself, checked once per process on a small
transform against numpy's.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_EXTENSION = "scipy.fft._pocketfft.pypocketfft"
_lock = threading.Lock()
_backend: Any = None  # the extension module, or False for scipy.fft's public functions


def _load_extension() -> Any:
    import importlib.machinery
    import importlib.util
    import os
    import sys

    loaded = sys.modules.get(_EXTENSION)
    if loaded is not None:  # scipy.fft is imported already: the same module
        return loaded
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("scipy is not installed")
    for location in spec.submodule_search_locations:
        folder = os.path.join(location, "fft", "_pocketfft")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "pypocketfft" + suffix)
            if os.path.isfile(path):
                loader = importlib.machinery.ExtensionFileLoader(_EXTENSION, path)
                module_spec = importlib.util.spec_from_file_location(_EXTENSION, path,
                                                                     loader=loader)
                if module_spec is None:
                    break
                module = importlib.util.module_from_spec(module_spec)
                loader.exec_module(module)
                return module
    raise ImportError("scipy's pocketfft extension was not found")


def _agrees(module: Any) -> bool:
    """The extension's calling convention is what this module passes (a small check)."""
    x = np.sin(np.arange(24.0) * 0.7) + np.cos(np.arange(24.0) * 1.9)
    forward = module.r2c(x, (0,), True, 0, None, 1)
    back = module.c2r(forward, (0,), 24, False, 2, None, 1)
    return bool(np.allclose(forward, np.fft.rfft(x), atol=1e-9) and np.allclose(back, x, atol=1e-9))


def _pocketfft() -> Any:
    global _backend
    with _lock:
        if _backend is None:
            try:
                module = _load_extension()
                _backend = module if _agrees(module) else False
            except Exception as exc:  # noqa: BLE001 - any surprise: the public functions
                log.info("using scipy.fft: pocketfft's extension did not load alone (%s)", exc)
                _backend = False
        return _backend


def _native(x: np.ndarray, least: type) -> np.ndarray:
    """``x`` aligned, in native byte order, at the precision scipy.fft computes it: single
    for float16/float32/complex64, double for the rest (integers included)."""
    x = np.asarray(x)
    start = x.dtype if x.dtype.kind in "fc" else np.float64
    x = np.asarray(x, dtype=np.result_type(start, least))
    return x if x.flags.aligned else x.copy()


def _to_length(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """``x`` cut or zero-padded to ``n`` along ``axis`` (scipy.fft's ``n=``)."""
    have = x.shape[axis]
    if have >= n:
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, n)
        return x[tuple(index)]
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, n - have)
    return np.pad(x, pad)


def rfft(x: np.ndarray, n: int | None = None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.rfft(x, n=n, axis=axis)``: complex64 for float32 input, else complex128."""
    module = _pocketfft()
    if module is False:
        import scipy.fft

        return scipy.fft.rfft(x, n=n, axis=axis)
    if np.iscomplexobj(x):
        raise TypeError("x must be a real sequence")
    x = _native(x, np.float32)
    if n is not None:
        if n < 1:
            raise ValueError(f"invalid number of data points ({n}) specified")
        x = _to_length(x, n, axis)
    elif x.shape[axis] < 1:
        raise ValueError(f"invalid number of data points ({x.shape[axis]}) specified")
    return module.r2c(x, (axis,), True, 0, None, 1)


def irfft(x: np.ndarray, n: int, axis: int = -1) -> np.ndarray:
    """``scipy.fft.irfft(x, n=n, axis=axis)`` of a complex array (scaled by 1/n)."""
    module = _pocketfft()
    if module is False:
        import scipy.fft

        return scipy.fft.irfft(x, n=n, axis=axis)
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    x = _native(x, np.complex64)
    return module.c2r(_to_length(x, n // 2 + 1, axis), (axis,), n, False, 2, None, 1)

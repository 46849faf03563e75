"""The built-in music tagger: musicnn (MTT or MSD) with weights shipped in the app.

The forward pass runs in numpy (``albumstudio.audio.musicnn_numpy``, equal to the PyTorch port
``albumstudio.audio.musicnn`` to 1e-6), so tagging never imports torch. Each 187-frame (3 s)
patch of the 16 kHz log-mel spectrogram gives one taggram row; the UI and the prompt builder
use ``TagResult.top``.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol

import numpy as np

from albumstudio.core.errors import CancelledError
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model, models_for
from albumstudio.core.tagging import TagResult

MODELS = tuple(entry.id for entry in models_for("tagger"))  # the bundled musicnn weights
DEFAULT_MODEL = default_model("tagger")
SAMPLE_RATE = 16000
SEGMENT_S = 3.0
BATCH_PATCHES = 8  # patches per forward pass: 4-8 measured fastest on 2 cores (1-2 and 16+ slower)

Progress = Callable[[float, str], None]


class JsonCache(Protocol):
    """What ``tag_file`` needs of a cache (one ``ContentCache`` folder per model)."""

    def get_json(self, key: str) -> dict[str, Any] | None: ...

    def put_json(self, key: str, value: dict[str, Any]) -> None: ...


def is_cached(content_hash: str, model: str, cache: JsonCache | None) -> bool:
    """Whether ``tag_file`` would answer from the cache (no torch needed)."""
    if cache is None or not content_hash:
        return False
    hit = cache.get_json(content_hash)
    if hit is None:
        return False
    try:  # an entry of the wrong shape is no hit: it is recomputed and replaced
        return TagResult.from_dict(hit).model == model
    except ValueError:
        return False


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown tagger model {model!r}; choose one of {', '.join(MODELS)}")


def _resource(name: str) -> Any:
    return resources.files("albumstudio.resources") / "musicnn" / name


@functools.cache
def _all_tag_names() -> dict[str, tuple[str, ...]]:
    data = json.loads(_resource("tags.json").read_text(encoding="utf-8"))
    return {model: tuple(data[model]) for model in MODELS}


def tag_names(model: str = DEFAULT_MODEL) -> tuple[str, ...]:
    """The model's tag names in taggram column order (no torch needed)."""
    _check_model(model)
    return _all_tag_names()[model]


_OWN_MODELS = ModelCache()  # for callers that pass no model cache (tests, scripts)


def _load(model: str) -> Any:
    from albumstudio.audio import musicnn_numpy

    with resources.as_file(_resource(f"{model}.safetensors")) as path:
        return musicnn_numpy.load_model(str(path))


def _loaded_model(model: str, models: ModelCache | None = None) -> Any:
    return (models or _OWN_MODELS).get("tagger", model, "cpu", lambda: _load(model))


def preload(model: str = DEFAULT_MODEL, models: ModelCache | None = None) -> None:
    """Load the model now (the app does this while idle after start-up)."""
    _check_model(model)
    _loaded_model(model, models)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError()


def tag_samples(y16k_mono: np.ndarray, model: str = DEFAULT_MODEL,
                cancel: threading.Event | None = None,
                progress: Progress | None = None, models: ModelCache | None = None) -> TagResult:
    """Tag 16 kHz mono samples: one taggram row per non-overlapping 3 s patch.

    Anything shorter than a patch (silence, 0.5 s, even no samples) is repeat-padded to one
    patch. Raises CancelledError when ``cancel`` is set (checked between batches).
    """
    _check_model(model)
    _check(cancel)
    return _tag_spectrogram(_spectrogram(y16k_mono), model, cancel, progress, models)


def _spectrogram(y16k_mono: np.ndarray) -> np.ndarray:
    """musicnn's log-mel input of 16 kHz mono samples (non-finite samples made silent)."""
    from albumstudio.audio import musicnn_input

    y = np.asarray(y16k_mono, dtype=np.float32).reshape(-1)
    if not all(np.isfinite(y[i:i + (1 << 22)]).all() for i in range(0, y.size, 1 << 22)):
        y = np.nan_to_num(y, nan=0.0, posinf=1.0, neginf=-1.0)  # a copy only when needed
    return musicnn_input.log_mel(y)


def _tag_spectrogram(rep: np.ndarray, model: str, cancel: threading.Event | None,
                     progress: Progress | None, models: ModelCache | None) -> TagResult:
    from albumstudio.audio import musicnn_input

    batch = musicnn_input.patches(rep)
    net = _loaded_model(model, models)

    rows: list[np.ndarray] = []
    for start in range(0, batch.shape[0], BATCH_PATCHES):
        _check(cancel)
        rows.append(net.predict(batch[start:start + BATCH_PATCHES]))
        if progress is not None:
            done = min(batch.shape[0], start + BATCH_PATCHES)
            progress(done / batch.shape[0], f"Tagging {done}/{batch.shape[0]} segments")
    _check(cancel)
    taggram = np.concatenate(rows).astype(np.float64)
    return TagResult(model, tag_names(model), SEGMENT_S,
                     tuple(tuple(float(v) for v in row) for row in taggram))


def tag_file(path: str, model: str = DEFAULT_MODEL, cache: JsonCache | None = None,
             content_hash: str | None = None, progress: Progress | None = None,
             cancel: threading.Event | None = None,
             models: ModelCache | None = None,
             samples: np.ndarray | None = None) -> TagResult:
    """Tag an audio file, or return the cached result for ``content_hash``.

    ``samples``, the file's 16 kHz mono mix when the caller has it already (the analysis
    makes it in its pass), saves decoding the file again.

    ``cache`` must be dedicated to ``model`` (keys are bare content hashes); a cached entry
    for another model or tagging version is recomputed. ``progress(fraction, words)`` is
    called from this thread. Raises InputError for unusable files, CancelledError on cancel.
    """
    _check_model(model)
    if cache is not None and content_hash:
        hit = cache.get_json(content_hash)
        if hit is not None:
            try:
                result = TagResult.from_dict(hit)
            except ValueError:
                result = None
            if result is not None and result.model == model:
                return result
    from albumstudio.audio.decode import decode_all

    if samples is not None:
        y = samples
    else:
        if progress is not None:
            progress(0.0, "Decoding for the tagger")
        y, _ = decode_all(path, target_sr=SAMPLE_RATE, mono=True, cancel=cancel)

    def tagging_progress(fraction: float, words: str) -> None:
        if progress is not None:
            progress(0.3 + 0.7 * fraction, words)

    if progress is not None:
        progress(0.3, "Tagging")
    _check_model(model)
    _check(cancel)
    rep = _spectrogram(y)
    del y  # the samples go before the network runs (an hour at 16 kHz is 230 MB)
    result = _tag_spectrogram(rep, model, cancel, tagging_progress, models)
    if cache is not None and content_hash:
        cache.put_json(content_hash, result.to_dict())
    return result

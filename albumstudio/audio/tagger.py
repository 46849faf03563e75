"""The built-in music tagger: musicnn (MTT or MSD) with weights shipped in the app.

The forward pass runs in numpy (``albumstudio.audio.musicnn_numpy``, equal to the PyTorch port
``albumstudio.audio.musicnn`` to 1e-6), so tagging never imports torch. Each 187-frame (3 s)
patch of the 16 kHz log-mel spectrogram gives one taggram row; the UI and the prompt builder
use ``TagResult.top``.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, Iterator
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
# batches predicted at once on threads of our own, each product on one BLAS thread (see
# audio/blas.py): OpenBLAS's own second thread spun on a loaded machine, doubling the CPU time
WORKERS = max(1, min(2, os.cpu_count() or 1))

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
    from albumstudio.audio.blas import one_blas_thread

    batch = musicnn_input.patches(rep)
    net = _loaded_model(model, models)
    with one_blas_thread(), _Predictions(net, WORKERS) as predictions:
        for start in range(0, batch.shape[0], BATCH_PATCHES):
            predictions.submit(batch[start:start + BATCH_PATCHES])
        rows: list[np.ndarray] = []
        for row in predictions.in_order(cancel):
            rows.append(row)
            if progress is not None:
                done = min(batch.shape[0], len(rows) * BATCH_PATCHES)
                progress(done / batch.shape[0], f"Tagging {done}/{batch.shape[0]} segments")
    _check(cancel)
    return _result(model, rows)


class _Batch:
    """One batch's prediction: a task per patch (its front end, nine tenths of the work),
    then the batch's head, run by whichever thread ends the batch's last patch."""

    def __init__(self, patches: np.ndarray) -> None:
        self.patches = patches
        self.front: list[Any] = [None] * patches.shape[0]
        self.left = patches.shape[0]
        self.rows: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class _Predictions:
    """Batches predicted in the order given: inline (``predict``) or on up to ``workers``
    threads of their own (``submit``; numpy's products let go of the interpreter lock).

    The work is handed out a patch at a time (about 30 ms each), not a batch at a time (a
    quarter of a second): the two workers end within a patch of each other, and an inline batch
    gives the rest of its patches to the workers as soon as ``hand_over`` is set, instead of
    keeping a core idle until it ends. Every patch's front end is computed apart from the
    others' (``NumpyMusicnn.features``) and each batch's head on the whole batch, so the
    probabilities are the same bits however the patches were shared out."""

    def __init__(self, net: Any, workers: int) -> None:
        from collections import deque

        self._net, self._workers = net, workers
        self._batches: list[_Batch] = []
        self._tasks: deque[tuple[_Batch, int]] = deque()
        self._lock = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closing = False
        self.segments = 0  # patches handed over so far

    def __enter__(self) -> _Predictions:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._closing = True
            self._tasks.clear()  # a cancel: what has not started never starts
            self._lock.notify_all()
        for thread in self._threads:
            thread.join()

    def predict(self, batch: np.ndarray, hand_over: threading.Event | None = None) -> None:
        """Predict ``batch`` on this thread; once ``hand_over`` is set, the patches not yet
        started go to the workers instead."""
        entry = self._add(batch)
        for index in range(batch.shape[0]):
            if hand_over is not None and hand_over.is_set() and self._workers > 1:
                self._queue(entry, range(index, batch.shape[0]))
                return
            self._run(entry, index)
            if entry.error is not None:
                raise entry.error

    def submit(self, batch: np.ndarray) -> None:
        if self._workers < 2:
            self.predict(batch)
            return
        self._queue(self._add(batch), range(batch.shape[0]))

    def count(self) -> int:
        return len(self._batches)

    def _add(self, batch: np.ndarray) -> _Batch:
        self.segments += batch.shape[0]
        entry = _Batch(batch)
        self._batches.append(entry)
        return entry

    def _queue(self, entry: _Batch, indices: range) -> None:
        with self._lock:
            self._tasks.extend((entry, index) for index in indices)
            while len(self._threads) < self._workers:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"musicnn_{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
            self._lock.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._tasks and not self._closing:
                    self._lock.wait()
                if not self._tasks:
                    return
                entry, index = self._tasks.popleft()
            self._run(entry, index)

    def _run(self, entry: _Batch, index: int) -> None:
        if entry.error is None:
            try:
                entry.front[index] = self._net.features(entry.patches[index:index + 1])
            except BaseException as exc:  # handed to in_order, on the caller's thread
                entry.error = exc
        with self._lock:
            entry.left -= 1
            last = entry.left == 0
        if not last:
            return
        if entry.error is None:
            try:
                entry.rows = self._net.head(np.concatenate(entry.front))
            except BaseException as exc:
                entry.error = exc
        entry.front = []
        entry.done.set()

    def in_order(self, cancel: threading.Event | None) -> Iterator[np.ndarray]:
        """Every batch's rows so far, in order, waiting for those still running
        (CancelledError on cancel)."""
        for entry in self._batches:
            while not entry.done.wait(0.2):
                _check(cancel)
            if entry.error is not None:
                raise entry.error
            assert entry.rows is not None
            yield entry.rows


def _result(model: str, rows: list[np.ndarray]) -> TagResult:
    taggram = np.concatenate(rows).astype(np.float64)
    return TagResult(model, tag_names(model), SEGMENT_S,
                     tuple(tuple(float(v) for v in row) for row in taggram))


class TagStream:
    """Tags 16 kHz mono audio while it is still being decoded, on a thread of its own.

    The decoding thread calls ``feed(chunk)`` for each stretch of samples and ``feed(None)``
    at the end (``abort()`` when it stops early); ``run()``, on the tagging thread, turns the
    samples into log-mel rows as they arrive, predicts each batch of BATCH_PATCHES patches as
    soon as it is complete, and returns what ``tag_samples`` returns for the whole signal (the
    same frames and the same batches), or None when aborted. Overlapping the tagger's network
    with the analysis uses the second core while the first one decodes; set ``spare_core``
    when the analysis ends, and the rest of the batches run on two workers.
    """

    _ABORT = object()
    _FAIL = object()

    def __init__(self, model: str = DEFAULT_MODEL, models: ModelCache | None = None,
                 cancel: threading.Event | None = None) -> None:
        import queue

        _check_model(model)
        self.model, self._models, self._cancel = model, models, cancel
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.closed = threading.Event()  # set once the end (or an abort) has been fed
        # set when the work beside the stream (the analysis) has ended: from then on the
        # batches go to two workers, the backlog having both cores (before, one each)
        self.spare_core = threading.Event()

    def feed(self, chunk: np.ndarray | None) -> None:
        if chunk is None:
            self.closed.set()
        self._queue.put(chunk)

    def abort(self) -> None:
        """Nothing (more) will be fed, and the decode did not fail (its result was cached):
        ``run`` returns None, and the caller tags the file another way."""
        self.closed.set()
        self._queue.put(self._ABORT)

    def fail(self) -> None:
        """The decode stopped (a bad file, a cancel): ``run`` raises CancelledError."""
        self.closed.set()
        self._queue.put(self._FAIL)

    def run(self, progress: Progress | None = None,
            cancel: threading.Event | None = None) -> TagResult | None:
        from albumstudio.audio.blas import one_blas_thread

        cancel = cancel or self._cancel

        net = _loaded_model(self.model, self._models)
        with one_blas_thread(), _Predictions(net, WORKERS) as predictions:
            if not self._read(predictions, progress, cancel):
                return None
            rows = list(predictions.in_order(cancel))
        _check(cancel)
        return _result(self.model, rows)

    def _read(self, predictions: _Predictions, progress: Progress | None,
              cancel: threading.Event | None) -> bool:
        """Make the log-mel rows of what is fed and predict each batch as it is complete:
        inline while the analysis runs (it has the other core), on the workers once it has
        ended (``spare_core``: the backlog then has both). False when aborted."""
        import queue

        from albumstudio.audio import musicnn_input as mi

        half = mi.N_FFT // 2
        pending = np.zeros(half, dtype=np.float32)  # the centred first frame's zero padding
        frames: list[np.ndarray] = []
        n_frames = total = buffered = 0
        batch_frames = mi.N_FRAMES * BATCH_PATCHES
        while True:
            try:  # a cancel is seen even while the decode has not started (a queued job)
                chunk = self._queue.get(timeout=0.2)
            except queue.Empty:
                _check(cancel)
                continue
            if chunk is self._ABORT:
                return False
            if chunk is self._FAIL:
                raise CancelledError("tagging: the track could not be read")
            _check(cancel)
            last = chunk is None
            if last:  # the centred last frames' zero padding
                pending = np.concatenate([pending, np.zeros(half, dtype=np.float32)])
            else:
                chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
                if not np.isfinite(chunk).all():
                    chunk = np.nan_to_num(chunk, nan=0.0, posinf=1.0, neginf=-1.0)
                total += chunk.size
                pending = np.concatenate([pending, chunk])
            usable = (pending.size - mi.N_FFT) // mi.HOP + 1 if pending.size >= mi.N_FFT else 0
            if last:  # log_mel's frame count for the whole signal
                usable = min(usable, 1 + total // mi.HOP - n_frames)
            if usable > 0:
                frames.append(mi.log_mel_frames(pending[:(usable - 1) * mi.HOP + mi.N_FFT]))
                n_frames += usable
                buffered += usable
                pending = pending[usable * mi.HOP:]
            while buffered >= batch_frames or (last and buffered >= mi.N_FRAMES):
                rep = np.concatenate(frames) if len(frames) > 1 else frames[0]
                take = min(batch_frames, buffered // mi.N_FRAMES * mi.N_FRAMES)
                if self.spare_core.is_set():
                    predictions.submit(mi.patches(rep[:take]))
                else:  # the rest of it goes to the workers if the analysis ends meanwhile
                    predictions.predict(mi.patches(rep[:take]), hand_over=self.spare_core)
                frames, buffered = [rep[take:]], buffered - take
                if progress is not None:
                    progress(0.0, f"Tagging {predictions.segments} segments")
            if last:
                break
        if not predictions.count():  # shorter than one patch: repeat-padded, as tag_samples
            predictions.predict(mi.patches(np.concatenate(frames)))
        return True


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

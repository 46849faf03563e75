"""The tagger's prediction scheduler: a task per patch, each batch's head on the whole batch."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from albumstudio.audio import tagger
from albumstudio.audio.musicnn_input import N_FRAMES, log_mel, patches


def _patches(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    signal = (0.2 * rng.standard_normal(int(16000 * 3 * count + 800))).astype(np.float32)
    batch = patches(log_mel(signal))
    assert batch.shape[0] == count and batch.shape[1] == N_FRAMES
    return np.ascontiguousarray(batch)


class _Recording:
    """The real network, recording which thread ran each patch's front end."""

    def __init__(self, after_first: threading.Event | None = None) -> None:
        self.net = tagger._loaded_model(tagger.DEFAULT_MODEL)
        self.threads: list[str] = []
        self._after_first = after_first

    def features(self, batch: np.ndarray) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        out = self.net.features(batch)
        if self._after_first is not None:
            self._after_first.set()  # as if the analysis ended during the first patch
        return out

    def head(self, front: np.ndarray) -> np.ndarray:
        return self.net.head(front)


def test_features_patch_by_patch_then_the_head_give_the_batch_prediction_bit_for_bit():
    net = tagger._loaded_model(tagger.DEFAULT_MODEL)
    batch = _patches(5, 1)
    apart = net.head(np.concatenate([net.features(batch[i:i + 1]) for i in range(5)]))
    np.testing.assert_array_equal(apart, net.predict(batch))


def test_an_inline_batch_hands_the_rest_of_its_patches_to_the_workers():
    hand_over = threading.Event()
    recording = _Recording(after_first=hand_over)
    batch = _patches(6, 2)
    with tagger._Predictions(recording, workers=2) as predictions:
        predictions.predict(batch, hand_over=hand_over)
        rows = list(predictions.in_order(None))
    main = threading.current_thread().name
    assert recording.threads[0] == main  # the first patch inline, the rest on the workers
    assert all(name.startswith("musicnn_") for name in recording.threads[1:])
    assert len(recording.threads) == 6
    np.testing.assert_array_equal(np.concatenate(rows), recording.net.predict(batch))


def test_one_worker_keeps_every_patch_inline_even_when_asked_to_hand_over():
    hand_over = threading.Event()
    hand_over.set()
    recording = _Recording()
    batch = _patches(3, 3)
    with tagger._Predictions(recording, workers=1) as predictions:
        predictions.predict(batch, hand_over=hand_over)
        predictions.submit(batch)
        rows = list(predictions.in_order(None))
    assert set(recording.threads) == {threading.current_thread().name}
    assert len(rows) == 2


class _Slow:
    """A stand-in network: each patch sleeps (letting go of the interpreter lock, as numpy's
    products do) and gives its patch number; patch ``fail`` raises."""

    def __init__(self, fail: int | None = None) -> None:
        self.threads: set[str] = set()
        self.fail = fail

    def features(self, batch: np.ndarray) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        time.sleep(0.02)
        if self.fail is not None and int(batch[0, 0, 0]) == self.fail:
            raise ValueError(f"patch {self.fail} cannot be read")
        return batch[:, :1, :1].copy()

    def head(self, front: np.ndarray) -> np.ndarray:
        return front.reshape(front.shape[0], 1)


def _numbered(first: int, count: int) -> np.ndarray:
    return np.arange(first, first + count, dtype=np.float32)[:, None, None] * np.ones(
        (1, 2, 2), dtype=np.float32)


def test_submitted_patches_are_shared_by_both_workers_and_come_back_in_order():
    net = _Slow()
    with tagger._Predictions(net, workers=2) as predictions:
        for first in (0, 4, 8):
            predictions.submit(_numbered(first, 4))
        rows = np.concatenate(list(predictions.in_order(None)))
    assert rows.ravel().tolist() == list(range(12))
    assert net.threads == {"musicnn_0", "musicnn_1"}


def test_a_patch_that_fails_on_a_worker_is_raised_where_its_batch_is_read():
    net = _Slow(fail=5)
    with tagger._Predictions(net, workers=2) as predictions:
        predictions.submit(_numbered(0, 4))
        predictions.submit(_numbered(4, 4))
        read = predictions.in_order(None)
        assert next(read).ravel().tolist() == [0, 1, 2, 3]
        with pytest.raises(ValueError, match="patch 5"):
            next(read)

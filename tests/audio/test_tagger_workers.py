"""The tagger's network runs on workers of its own, one batch at a time while the analysis has
the other core and two once it ends, with the rows in order and the streamed tags equal to the
whole signal's."""

import threading
import time

import numpy as np

from albumstudio.audio import tagger


class _Watching:
    """A net that records the concurrency its predictions ran at."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.running = self.most = 0
        self._lock = threading.Lock()
        self._seconds = seconds

    def predict(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self._seconds)
        with self._lock:
            self.running -= 1
        return batch[:, :1, :1].reshape(batch.shape[0], 1) + 0.0


def _batches(count: int) -> list[np.ndarray]:
    return [np.full((2, 187, 96), i, np.float32) for i in range(count)]


def test_limited_predictions_run_one_at_a_time_until_widened():
    net = _Watching(seconds=0.05)
    widen = threading.Event()
    with tagger._Predictions(net, 2, limited=True) as predictions:
        for batch in _batches(4):
            predictions.submit(batch)
        first = next(predictions.in_order(None))
        assert net.most == 1  # the analysis still has the other core
        for batch in _batches(6):
            predictions.submit(batch)
        widen.set()
        rows = list(predictions.in_order(None, widen_when=widen))
    assert float(first[0, 0]) == 0.0 and len(rows) == 10
    assert net.most == 2  # both cores once the analysis ended


def test_streamed_tags_still_equal_whole_signal_tags():
    rng = np.random.default_rng(3)
    y = (rng.standard_normal(16000 * 40) * 0.1).astype(np.float32)  # 13 patches: two batches
    whole = tagger.tag_samples(y)
    stream = tagger.TagStream()
    result: dict = {}
    worker = threading.Thread(target=lambda: result.setdefault("tags", stream.run()))
    worker.start()
    for start in range(0, y.size, 12345):
        stream.feed(y[start:start + 12345])
    stream.feed(None)
    stream.spare_core.set()
    worker.join()
    assert result["tags"].taggram == whole.taggram

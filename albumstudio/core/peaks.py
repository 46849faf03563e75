"""Multi-resolution min/max/RMS peak summaries of a track, as Audacity and audiowaveform keep them.

The base level holds one (min, max, rms) triple per channel for every ``BASE_BIN`` frames;
each coarser level merges ``LEVEL_FACTOR`` bins of the one below. A waveform view asks for
pixel columns and gets them from the coarsest level that still has at least one bin per pixel,
so redrawing costs the same at any zoom.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass

import numpy as np

BASE_BIN = 256
LEVEL_FACTOR = 4
COARSEST_BIN = 65536
FORMAT_VERSION = 1


@dataclass(frozen=True)
class PeakLevel:
    samples_per_bin: int
    mins: np.ndarray  # (channels, bins) float32
    maxs: np.ndarray
    rms: np.ndarray

    @property
    def bins(self) -> int:
        return int(self.mins.shape[1])


def _reduce_level(level: PeakLevel, factor: int, frames: int) -> PeakLevel:
    n = level.bins
    starts = np.arange(0, n, factor)
    spb = level.samples_per_bin * factor
    if n == 0:
        empty = np.zeros((level.mins.shape[0], 0), np.float32)
        return PeakLevel(spb, empty, empty.copy(), empty.copy())
    mins = np.minimum.reduceat(level.mins, starts, axis=1)
    maxs = np.maximum.reduceat(level.maxs, starts, axis=1)
    # weight each lower bin by the frames it really holds (the last one may be partial)
    counts = np.full(n, level.samples_per_bin, np.float64)
    counts[-1] = frames - level.samples_per_bin * (n - 1) if frames else level.samples_per_bin
    counts = np.clip(counts, 1, None)
    energy = np.add.reduceat(level.rms.astype(np.float64) ** 2 * counts, starts, axis=1)
    weights = np.add.reduceat(counts, starts)
    rms = np.sqrt(energy / weights).astype(np.float32)
    return PeakLevel(spb, mins, maxs, rms)


class PeakPyramid:
    """Peak summaries at several resolutions; may be partial while a track is still decoding."""

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        base: PeakLevel,
        frames_done: int,
        total_frames: int,
        complete: bool,
    ) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.frames_done = int(frames_done)
        self.total_frames = int(max(total_frames, frames_done))
        self.complete = bool(complete)
        self.levels: list[PeakLevel] = [base]
        while self.levels[-1].samples_per_bin < COARSEST_BIN and self.levels[-1].bins > 1:
            self.levels.append(_reduce_level(self.levels[-1], LEVEL_FACTOR, self.frames_done))

    @property
    def duration(self) -> float:
        return self.total_frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def nbytes(self) -> int:
        return sum(lv.mins.nbytes + lv.maxs.nbytes + lv.rms.nbytes for lv in self.levels)

    def level_for(self, frames_per_pixel: float) -> PeakLevel:
        """The coarsest level with at least one bin per pixel."""
        chosen = self.levels[0]
        for level in self.levels:
            if level.samples_per_bin <= frames_per_pixel:
                chosen = level
        return chosen

    def columns(
        self, start_frame: float, frames_per_pixel: float, width: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mins, maxs, rms), each (channels, width); NaN where the track has no data (yet)."""
        width = max(0, int(width))
        out = [np.full((self.channels, width), np.nan, np.float32) for _ in range(3)]
        if width == 0 or frames_per_pixel <= 0:
            return out[0], out[1], out[2]
        level = self.level_for(frames_per_pixel)
        spb = level.samples_per_bin
        n = level.bins
        edges = (start_frame + np.arange(width + 1, dtype=np.float64) * frames_per_pixel) / spb
        first = np.floor(edges[:-1]).astype(np.int64)
        valid = (first >= 0) & (first < n)
        if not valid.any() or n == 0:
            return out[0], out[1], out[2]
        idx = first[valid]
        last_end = int(min(n, max(idx[-1] + 1, math.floor(edges[1:][valid][-1]))))
        if frames_per_pixel < spb:
            picks = [arr[:, idx] for arr in (level.mins, level.maxs, level.rms)]
        else:
            picks = [
                np.minimum.reduceat(level.mins[:, :last_end], idx, axis=1),
                np.maximum.reduceat(level.maxs[:, :last_end], idx, axis=1),
                np.sqrt(np.maximum.reduceat(level.rms[:, :last_end] ** 2, idx, axis=1)),
            ]
        for target, values in zip(out, picks, strict=True):
            target[:, valid] = values
        return out[0], out[1], out[2]

    def to_bytes(self) -> bytes:
        base = self.levels[0]
        meta = {
            "version": FORMAT_VERSION,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "frames_done": self.frames_done,
            "total_frames": self.total_frames,
            "complete": self.complete,
            "samples_per_bin": base.samples_per_bin,
        }
        buf = io.BytesIO()
        np.savez(buf, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
                 mins=base.mins, maxs=base.maxs, rms=base.rms)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PeakPyramid:
        """Rebuild from ``to_bytes`` output; raises ValueError on a foreign or old format."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                meta = json.loads(npz["meta"].tobytes().decode())
                if meta.get("version") != FORMAT_VERSION:
                    raise ValueError("peak cache format changed")
                base = PeakLevel(int(meta["samples_per_bin"]), npz["mins"], npz["maxs"], npz["rms"])
        except (OSError, KeyError, ValueError, TypeError, AttributeError, RecursionError,
                zipfile.BadZipFile) as exc:
            raise ValueError(f"unreadable peak data: {exc}") from exc
        return cls(meta["sample_rate"], meta["channels"], base, meta["frames_done"],
                   meta["total_frames"], meta["complete"])


class PeakBuilder:
    """Accumulates base-level peaks block by block while a track streams in."""

    def __init__(self, sample_rate: int, channels: int, expected_frames: int = 0,
                 base_bin: int = BASE_BIN) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.expected_frames = max(0, int(expected_frames))
        self.base_bin = base_bin
        capacity = max(16, self.expected_frames // base_bin + 2)
        self._mins = np.empty((channels, capacity), np.float32)
        self._maxs = np.empty((channels, capacity), np.float32)
        self._rms = np.empty((channels, capacity), np.float32)
        self._bins = 0
        self._carry = np.zeros((0, channels), np.float32)
        self.frames_done = 0

    def _ensure(self, extra: int) -> None:
        need = self._bins + extra
        if need <= self._mins.shape[1]:
            return
        capacity = max(need, self._mins.shape[1] * 2)
        for name in ("_mins", "_maxs", "_rms"):
            old = getattr(self, name)
            new = np.empty((self.channels, capacity), np.float32)
            new[:, : self._bins] = old[:, : self._bins]
            setattr(self, name, new)

    def _append(self, frames: np.ndarray) -> None:
        nb = frames.shape[0] // self.base_bin if frames.shape[0] >= self.base_bin else 0
        if nb == 0:
            return
        # channel-major so each bin's frames are contiguous: ~20x faster reductions
        blocks = np.ascontiguousarray(frames[: nb * self.base_bin].T).reshape(
            self.channels, nb, self.base_bin)
        self._ensure(nb)
        sl = slice(self._bins, self._bins + nb)
        self._mins[:, sl] = blocks.min(axis=2)
        self._maxs[:, sl] = blocks.max(axis=2)
        self._rms[:, sl] = np.sqrt(np.einsum("cbf,cbf->cb", blocks, blocks) / self.base_bin)
        self._bins += nb

    def add(self, block: np.ndarray) -> None:
        """Add (frames, channels) float samples in [-1, 1]."""
        block = np.asarray(block, np.float32)
        if block.ndim == 1:
            block = block[:, None]
        if block.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {block.shape[1]}")
        self.frames_done += block.shape[0]
        if self._carry.shape[0]:
            block = np.concatenate([self._carry, block])
        whole = (block.shape[0] // self.base_bin) * self.base_bin
        self._append(block[:whole])
        self._carry = block[whole:].copy()

    def pyramid(self, complete: bool = False) -> PeakPyramid:
        """A snapshot of what has streamed in so far (the partial last bin only when complete)."""
        bins = self._bins
        mins, maxs, rms = (a[:, :bins] for a in (self._mins, self._maxs, self._rms))
        if complete and self._carry.shape[0]:
            tail = self._carry
            mins = np.concatenate([mins, tail.min(axis=0)[:, None]], axis=1)
            maxs = np.concatenate([maxs, tail.max(axis=0)[:, None]], axis=1)
            rms = np.concatenate([rms, np.sqrt((tail**2).mean(axis=0))[:, None]], axis=1)
        base = PeakLevel(self.base_bin, mins.copy(), maxs.copy(), rms.copy())
        total = self.frames_done if complete else max(self.expected_frames, self.frames_done)
        return PeakPyramid(self.sample_rate, self.channels, base, self.frames_done, total, complete)

"""Synthesized audio for tests: no downloads, every fixture made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float, sr: int = 44100, freq: float = 440.0, amp: float = 0.5,
         channels: int = 2) -> np.ndarray:
    """A sine, (frames, channels) float32; channel k is scaled by 1/(k+1) so lanes differ."""
    t = np.arange(int(seconds * sr)) / sr
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono / (k + 1) for k in range(channels)], axis=1)


def music(seconds: float, sr: int = 22050, bpm: float = 120.0, key_root_hz: float = 220.0,
          minor: bool = True, channels: int = 2, seed: int = 0) -> np.ndarray:
    """A beat (decaying noise bursts on every beat) over a sustained triad: tempo and key are known."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    third = 2 ** (3 / 12) if minor else 2 ** (4 / 12)
    chord = sum(np.sin(2 * np.pi * key_root_hz * r * t) for r in (1.0, third, 2 ** (7 / 12), 2.0))
    out = 0.08 * chord
    period = 60.0 / bpm
    burst_len = int(0.06 * sr)
    env = np.exp(-np.linspace(0, 8, burst_len))
    for beat in np.arange(0, seconds, period):
        i = int(beat * sr)
        seg = min(burst_len, n - i)
        out[i:i + seg] += 0.6 * env[:seg] * rng.standard_normal(seg)
    out = np.clip(out, -1, 1).astype(np.float32)
    return np.stack([out] * channels, axis=1)


def write(path: Path | str, data: np.ndarray, sr: int, fmt: str | None = None,
          subtype: str | None = None) -> Path:
    sf.write(str(path), data, sr, format=fmt, subtype=subtype)
    return Path(path)


# ---------------------------------------------------------------- music of a known tempo

TEMPO_TEXTURES = ("drums", "piano", "strings", "slow-subdivisions", "swing", "tempo-change")


def _pluck(sr: int, freq: float, seconds: float, decay: float, rng: np.random.Generator,
           harmonics: int = 5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    tone = sum(np.sin(2 * np.pi * freq * h * t + rng.uniform(0, 6.28)) / h ** 1.5
               for h in range(1, harmonics + 1))
    return tone * np.exp(-t / decay) * np.minimum(1.0, t / 0.004)


def _drum(sr: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "kick":
        t = np.arange(int(0.25 * sr)) / sr
        return np.sin(2 * np.pi * (50 + 90 * np.exp(-t / 0.03)) * t) * np.exp(-t / 0.08)
    if kind == "snare":
        t = np.arange(int(0.2 * sr)) / sr
        return (0.6 * rng.standard_normal(t.size) + 0.4 * np.sin(2 * np.pi * 190 * t)) \
            * np.exp(-t / 0.05)
    t = np.arange(int(0.05 * sr)) / sr  # closed hi-hat: high noise
    noise = rng.standard_normal(t.size)
    return np.diff(noise, prepend=0.0) * np.exp(-t / 0.012) * 0.5


def _add(out: np.ndarray, at_s: float, sound: np.ndarray, gain: float, sr: int) -> None:
    i = int(at_s * sr)
    if 0 <= i < out.size:
        n = min(sound.size, out.size - i)
        out[i:i + n] += gain * sound[:n]


def tempo_piece(texture: str, bpm: float, seconds: float = 30.0, sr: int = 22050,
                seed: int = 0) -> tuple[np.ndarray, float]:
    """(mono float32 samples, the tempo a musician would tap) for one of TEMPO_TEXTURES.

    Beats carry the accents (kick and snare, the bass and chord changes); subdivisions are
    quieter. "tempo-change" plays ``bpm`` for two thirds and 25 % faster after, and its tap
    tempo is that of the longer part. "swing" swings the eighth notes 2:1.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * sr))
    roots = (110.0, 146.8, 130.8, 98.0)  # A, D, C, G
    beats: list[float] = []
    at, period = 0.0, 60.0 / bpm
    while at < seconds:
        beats.append(at)
        if texture == "tempo-change" and at >= 2 * seconds / 3:
            period = 60.0 / (1.25 * bpm)
        at += period
    kick, snare, hat = (_drum(sr, k, rng) for k in ("kick", "snare", "hat"))
    for n, beat in enumerate(beats):
        root = roots[(n // 4) % len(roots)]
        step = (beats[n + 1] if n + 1 < len(beats) else beat + period) - beat
        if texture in ("drums", "swing", "tempo-change"):
            _add(out, beat, kick if n % 2 == 0 else snare, 0.8, sr)
            late = beat + step * (2 / 3 if texture == "swing" else 0.5)
            _add(out, beat, hat, 0.35, sr)
            _add(out, late, hat, 0.25, sr)
            _add(out, beat, _pluck(sr, root / 2, step, 0.25, rng), 0.35, sr)
        elif texture == "piano":
            decay = 0.6
            for ratio in (1.0, 1.26, 1.5):
                _add(out, beat, _pluck(sr, 2 * root * ratio, 1.5, decay, rng), 0.25, sr)
            _add(out, beat, _pluck(sr, root, 1.5, decay, rng), 0.35, sr)
            if n % 2 == 1:
                _add(out, beat + step / 2, _pluck(sr, 4 * root, 0.6, 0.3, rng), 0.1, sr)
        elif texture == "strings":
            t = np.arange(int(step * sr)) / sr
            swell = np.minimum(1.0, t / 0.04) * np.exp(-t / (2 * step))
            for ratio in (1.0, 1.19, 1.5, 2.0):
                tone = np.sin(2 * np.pi * root * 2 * ratio * t + 0.3 * np.sin(2 * np.pi * 5 * t))
                _add(out, beat, tone * swell, 0.15, sr)
            _add(out, beat, _pluck(sr, root / 2, step, 0.4, rng), 0.3, sr)
        elif texture == "slow-subdivisions":
            for ratio in (1.0, 1.26, 1.5):
                _add(out, beat, _pluck(sr, 2 * root * ratio, 2.0, 0.8, rng), 0.3, sr)
            _add(out, beat, _pluck(sr, root / 2, 2.0, 0.8, rng), 0.5, sr)
            for k in range(1, 4):  # soft sixteenth-note arpeggio between the beats
                note = 4 * root * (1.0, 1.26, 1.5)[k - 1]
                _add(out, beat + k * step / 4, _pluck(sr, note, 0.3, 0.1, rng), 0.08, sr)
        else:
            raise ValueError(f"unknown texture {texture!r}")
    out += 0.002 * rng.standard_normal(out.size)
    out *= 0.5 / max(1e-9, float(np.abs(out).max()))
    return out.astype(np.float32), float(bpm)


def tempo_cases() -> list[tuple[str, float]]:
    """The tempo benchmark's and tests' set: (texture, bpm) pairs over 60–180 BPM."""
    cases = [("drums", float(b)) for b in (60, 75, 90, 100, 110, 120, 128, 140, 150, 165, 180)]
    cases += [("piano", float(b)) for b in (60, 72, 84, 96, 108, 120, 135, 150)]
    cases += [("strings", float(b)) for b in (66, 80, 95, 110, 126)]
    cases += [("slow-subdivisions", float(b)) for b in (56, 62, 68, 74)]
    cases += [("swing", float(b)) for b in (96, 112, 128)]
    cases += [("tempo-change", float(b)) for b in (92, 116)]
    return cases

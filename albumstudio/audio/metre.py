"""Which metrical level is the beat: the tempo a musician would tap, and the other octave.

The tempogram's best lag under a prior around 120 BPM (librosa's estimate) is often a
subdivision of a slow piece (136 for a piece felt at 68) or half of a fast one. Three checks on
the onset envelope, each a reason a musician would give, correct it:

- **a non-octave lock** (a grid of three sixteenths instead of the beat): a slower lag at 3/4
  or 2/3 of the estimate whose multiples land on onsets clearly more often is the beat;
- **every other beat much weaker, and the weak ones are subdivisions**: the tracked beats are
  every onset there is (a hi-hat between kick and snare, a soft note between chords), or
  the gaps between the weak beats are filled as densely (sixteenths under a slow melody);
  then the beat is half as fast. Kick and snare on alternate beats with hi-hats between
  are not enough: that is the beat of a rock groove;
- **the midpoints as strong as the beats, and no alternation** (kick and snare both fall on
  tracked beats and between them): the beat is twice as fast, up to FASTEST_BPM.

The figures behind the choice travel with it as words, so the reason can be shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from albumstudio.audio import dsp

SLOWEST_BPM = 40.0
FASTEST_BPM = 200.0
HALVE_ALTERNATION = 1.6  # strong/weak ratio of alternate beats above which the beat may be half
ONSETS_ARE_BEATS = 0.8  # … when beats per second are at least this share of onsets per second
FILLED_GAPS = 0.9  # … or the midpoints are at least this strong against the weak beats
DOUBLE_MIDPOINTS = 0.6  # midpoint/beat onset strength above which the beat may be double …
DOUBLE_MAX_ALTERNATION = 1.1  # … when alternate beats are this alike
# a slower non-octave lag (3/4 or 2/3 of the estimate) replaces it when its autocorrelation is
# at least this share of the estimate's (two thirds must be clearly better: 2/3 of a slow
# piece's beat is often a strong sixteenth-note grid too)
NON_OCTAVE_GAIN = {0.75: 1.0, 2 / 3: 1.1}


@dataclass(frozen=True)
class MetricalLevel:
    tempo_bpm: float  # the beat's tempo from the tempogram (before refining from beats)
    beats: np.ndarray  # beat frames at that tempo
    alternative_bpm: float  # the other octave a listener might tap (0: none)
    reason: str


def _strength(env: np.ndarray, frames: np.ndarray) -> np.ndarray:
    frames = frames[(frames >= 2) & (frames < env.size - 2)]
    if frames.size == 0:
        return np.zeros(0)
    return np.lib.stride_tricks.sliding_window_view(env, 5)[frames - 2].max(axis=1)


def lag_salience(mean_tg: np.ndarray, bpm: float, frame_rate: float) -> float:
    """The tempogram at the lag of ``bpm``, corrected for the window's shrinking overlap (so a
    long lag is not disfavoured just for being long)."""
    window = dsp.hann(mean_tg.size).astype(np.float64)
    overlap = np.correlate(window, window, "full")[mean_tg.size - 1:]
    unbiased = mean_tg / np.maximum(overlap / overlap[0], 0.05)
    lag = 60.0 * frame_rate / bpm
    if not 0 < lag < mean_tg.size - 1:
        return 0.0
    return float(np.interp(lag, np.arange(mean_tg.size), unbiased))


def _alternation(env: np.ndarray, beats: np.ndarray) -> tuple[float, float, float]:
    """(stronger/weaker mean onset strength of alternate beats, midpoints against all beats,
    midpoints against the weaker beats)."""
    at_beats = _strength(env, beats)
    if at_beats.size < 4 or at_beats.mean() <= 0:
        return 1.0, 0.0, 0.0
    even, odd = at_beats[0::2].mean(), at_beats[1::2].mean()
    weaker = max(min(even, odd), 1e-12)
    midpoints = _strength(env, (beats[:-1] + beats[1:]) // 2).mean()
    return float(max(even, odd) / weaker), float(midpoints / at_beats.mean()), \
        float(midpoints / weaker)


def choose_level(onset_env: np.ndarray, mean_tg: np.ndarray, estimate_bpm: float,
                 frame_rate: float, onsets_per_s: float) -> MetricalLevel:
    """The beat level of a track from its onset envelope, mean tempogram, librosa-style
    estimate (``dsp.tempo_from_tempogram``) and onset density."""
    tempo = estimate_bpm
    reasons: list[str] = []
    base = lag_salience(mean_tg, tempo, frame_rate)
    for ratio, name in ((0.75, "three quarters"), (2 / 3, "two thirds")):
        slower = estimate_bpm * ratio
        if slower >= SLOWEST_BPM and base > 0:
            gain = lag_salience(mean_tg, slower, frame_rate) / base
            if gain >= NON_OCTAVE_GAIN[ratio]:
                tempo = slower
                reasons.append(f"onsets repeat at {name} of {estimate_bpm:.0f} BPM's period "
                               f"as strongly ({gain:.2f}x)")
                break
    beats = dsp.beat_track(onset_env, tempo, frame_rate)
    alternation, midpoints, filled = _alternation(onset_env, beats)
    figures = f"alternate beats {alternation:.2f}:1, midpoints {midpoints:.2f} of the beats"
    every_onset = tempo / 60.0 >= ONSETS_ARE_BEATS * onsets_per_s
    if (alternation >= HALVE_ALTERNATION and tempo / 2 >= SLOWEST_BPM
            and (every_onset or filled >= FILLED_GAPS)):
        what = (f"{onsets_per_s:.1f} onsets per second, one per beat" if every_onset
                else f"the gaps as strong as the weak beats ({filled:.2f})")
        reasons.append(f"every other beat at {tempo:.0f} BPM is weak ({figures}; {what})")
        tempo /= 2
        beats = dsp.beat_track(onset_env, tempo, frame_rate)
        alternative = 2 * tempo
    elif (midpoints >= DOUBLE_MIDPOINTS and alternation <= DOUBLE_MAX_ALTERNATION
          and 2 * tempo <= FASTEST_BPM):
        reasons.append(f"as strong between the beats as on them at {tempo:.0f} BPM ({figures})")
        tempo *= 2
        beats = dsp.beat_track(onset_env, tempo, frame_rate)
        alternative = tempo / 2
    else:
        reasons.append(figures)
        alternative = tempo / 2 if tempo >= 100 else 2 * tempo
    return MetricalLevel(tempo, beats, alternative, "; ".join(reasons))

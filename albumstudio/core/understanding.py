"""Figures and tags made to agree before anything is written about a track.

The analysis chooses a metrical level from the audio alone; the tagger's "slow" and "fast"
can move it to the other octave. Tags are named only above their calibrated threshold, and
a tag that contradicts the figures ("fast" on a slow tempo, "drums" with no steady beat) is
left out with its reason, so the description, the prompt and the design engine read one
consistent account of the track.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.tagging import TagResult, tag_threshold

TAG_TEMPO_EVIDENCE = 0.3  # "slow"/"fast" at least this likely …
TAG_TEMPO_MARGIN = 2.0  # … and this many times likelier than the other, to move the octave
HALF_TIME_ABOVE_BPM = 100.0  # "slow" moves only a tempo this fast down an octave
DOUBLE_TIME_BELOW_BPM = 90.0  # "fast" moves only a tempo this slow up an octave
SPARSE_MARGIN = 1.05  # onsets per second × this still below beats per second: sparse
SLOWEST_BPM, FASTEST_BPM = 40.0, 200.0


@dataclass(frozen=True)
class Understanding:
    """The analysis at the chosen metrical level, and the tags worth naming."""

    analysis: AnalysisResult
    tags: tuple[tuple[str, float], ...]  # named tags, most likely first
    left_out: tuple[tuple[str, str], ...] = ()  # (tag, why) for likely tags not named


def octave_name(bpm: float, alternative: float) -> str:
    """"double-time" or "half-time": how ``alternative`` relates to ``bpm``."""
    return "double-time" if alternative > bpm else "half-time"


def _tag_means(music_tags: TagResult | None) -> dict[str, float]:
    if music_tags is None:
        return {}
    return dict(zip(music_tags.tag_names, music_tags.mean(), strict=True))


def with_tempo(analysis: AnalysisResult, means: Mapping[str, float]) -> AnalysisResult:
    """The analysis with its tempo moved to the other octave when the tagger clearly hears
    the music as slow (or fast) and the figures' tempo says the opposite."""
    bpm, other = analysis.tempo_bpm, analysis.tempo_alternative_bpm
    if bpm <= 0 or other <= 0 or not SLOWEST_BPM <= other <= FASTEST_BPM:
        return analysis
    slow, fast = means.get("slow", 0.0), means.get("fast", 0.0)
    beats_per_s, onsets = bpm / 60.0, analysis.onset_density
    moved = None
    # the tags alone are not enough (musicnn calls sustained piano "slow" at any tempo): the
    # onsets must agree, fewer than one per beat to slow down, two per beat to speed up
    if (other < bpm and bpm >= HALF_TIME_ABOVE_BPM and slow >= TAG_TEMPO_EVIDENCE
            and slow >= TAG_TEMPO_MARGIN * fast and onsets * SPARSE_MARGIN < beats_per_s):
        moved = (f"the tagger hears it as slow ({slow:.2f} against fast {fast:.2f}) and there "
                 f"are fewer onsets ({onsets:.1f}/s) than beats")
    elif (other > bpm and bpm < DOUBLE_TIME_BELOW_BPM and fast >= TAG_TEMPO_EVIDENCE
          and fast >= TAG_TEMPO_MARGIN * slow and onsets >= 2 * beats_per_s):
        moved = (f"the tagger hears it as fast ({fast:.2f} against slow {slow:.2f}) and there "
                 f"are two onsets or more ({onsets:.1f}/s) per beat")
    if moved is None:
        return analysis
    return replace(analysis, tempo_bpm=other, tempo_alternative_bpm=bpm,
                   tempo_reason=f"{moved}; the beats alone said {bpm:.0f} BPM")


def other_octave(bpm: float) -> float:
    """The octave a listener might also tap: half a fast tempo, double a slow one."""
    return round(bpm / 2 if bpm >= 100.0 else bpm * 2, 1)


def _regrid(beats: tuple[float, ...], factor: float) -> tuple[float, ...]:
    """The beat grid at ``factor`` times its tempo (2: a beat between each two; 0.5: every
    other beat)."""
    if factor == 2.0 and len(beats) > 1:
        between = [round((a + b) / 2, 3) for a, b in zip(beats, beats[1:], strict=False)]
        return tuple(sorted((*beats, *between)))
    if factor == 0.5:
        return tuple(beats[::2])
    return tuple(beats)


def _octave_factor(bpm: float, target: float) -> float | None:
    """2, 1 or 0.5 when ``target`` is within 6 % of that multiple of ``bpm``, else None."""
    for factor in (1.0, 2.0, 0.5):
        if bpm > 0 and abs(target / (bpm * factor) - 1.0) <= 0.06:
            return factor
    return None


def artist_tempo(analysis: AnalysisResult, tempo_bpm: float | None = None,
                 bpm_range: tuple[float, float] | None = None) -> AnalysisResult:
    """The analysis at the artist's tempo: the one they set (×2, ÷2, tapped) or, else, the
    chosen tempo folded by octaves into their preferred range. The beat grid follows an
    octave move; a tapped tempo that is not an octave of the beats keeps the grid as found."""
    bpm = analysis.tempo_bpm
    if tempo_bpm is not None and tempo_bpm > 0:
        factor = _octave_factor(bpm, tempo_bpm)
        beats = _regrid(analysis.beat_times, factor) if factor else analysis.beat_times
        found = f"the beats said {bpm:.0f} BPM" if bpm > 0 else "no steady tempo was found"
        return replace(analysis, tempo_bpm=round(tempo_bpm, 1),
                       tempo_alternative_bpm=other_octave(tempo_bpm), beat_times=beats,
                       tempo_reason=f"you set it; {found}")
    if bpm_range is None or bpm <= 0:
        return analysis
    low, high = bpm_range
    folded = bpm
    while folded > high:
        folded /= 2
    while folded < low and folded * 2 <= high * 1.0001:
        folded *= 2
    if folded == bpm:
        return analysis
    factor = folded / bpm
    beats = analysis.beat_times
    while factor >= 2.0:
        beats, factor = _regrid(beats, 2.0), factor / 2
    while factor <= 0.5:
        beats, factor = _regrid(beats, 0.5), factor * 2
    return replace(analysis, tempo_bpm=round(folded, 1), tempo_alternative_bpm=round(bpm, 1),
                   beat_times=beats,
                   tempo_reason=(f"in your preferred range {low:.0f}–{high:.0f} BPM; the "
                                 f"beats said {bpm:.0f} BPM"))


def understand(analysis: AnalysisResult, music_tags: TagResult | None,
               hidden: frozenset[str] = frozenset(), limit: int = 4,
               tempo_bpm: float | None = None,
               bpm_range: tuple[float, float] | None = None) -> Understanding:
    """The chosen tempo and the tags to name (above threshold, not hidden by the artist,
    most likely first); what was left out and why is kept for the reasons. The artist's own
    tempo or preferred range (``artist_tempo``) wins over the level the tags suggest."""
    from albumstudio.core.description import contradiction

    means = _tag_means(music_tags)
    chosen = with_tempo(analysis, means)
    if tempo_bpm is not None or bpm_range is not None:
        chosen = artist_tempo(analysis if tempo_bpm is not None else chosen, tempo_bpm,
                              bpm_range)
    named: list[tuple[str, float]] = []
    left_out: list[tuple[str, str]] = []
    for name, p in sorted(means.items(), key=lambda item: (-item[1], item[0])):
        if name in hidden or p < 0.1:
            continue
        threshold = tag_threshold(name)
        if p < threshold:
            left_out.append((name, f"{p:.2f} is below its threshold {threshold:.2f}"))
            continue
        why = contradiction(chosen, name)
        if why:
            left_out.append((name, why))
        elif len(named) < limit:
            named.append((name, p))
    return Understanding(chosen, tuple(named), tuple(left_out))

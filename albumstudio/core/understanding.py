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


def understand(analysis: AnalysisResult, music_tags: TagResult | None,
               hidden: frozenset[str] = frozenset(), limit: int = 4) -> Understanding:
    """The chosen tempo and the tags to name (above threshold, not hidden by the artist,
    most likely first); what was left out and why is kept for the reasons."""
    from albumstudio.core.description import contradiction

    means = _tag_means(music_tags)
    chosen = with_tempo(analysis, means)
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

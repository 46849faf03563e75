"""A plain-words description of an analysed track, every word traceable to the figure behind it.

"a bright, driving 128 BPM track in A minor, loud and dense, building to a peak in the
second half" comes from fixed thresholds on the analysis figures, so the same track always
reads the same and the UI can show why each word is there (``describe_parts``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.text import format_time

# (upper bound, word): the first bound the figure is below picks the word
TEMPO_WORDS = ((70.0, "slow"), (95.0, "relaxed"), (115.0, "moderate"), (135.0, "driving"),
               (160.0, "fast"), (math.inf, "very fast"))
BRIGHTNESS_WORDS = ((1000.0, "dark"), (1800.0, "warm"), (3000.0, "balanced"),
                    (4500.0, "bright"), (math.inf, "brilliant"))
LOUDNESS_WORDS = ((-28.0, "very quiet"), (-20.0, "quiet"), (-14.0, "moderately loud"),
                  (-9.0, "loud"), (math.inf, "very loud"))
DENSITY_WORDS = ((1.5, "sparse"), (3.0, "measured"), (5.0, "busy"), (math.inf, "dense"))
MIN_KEY_CONFIDENCE = 0.3  # below this the key is too uncertain to name
MIN_ARC_POINTS = 16  # an energy arc needs at least this many curve points (8 s)
STEADY_SPREAD = 0.15  # thirds of the energy curve closer than this: "holding steady"
SHORT_CLIP_S = 2.0
MAX_TAGS = 5


def _word(value: float, table: Sequence[tuple[float, str]]) -> str:
    for bound, word in table:
        if value < bound:
            return word
    return table[-1][1]


def _article(word: str) -> str:
    first = word.split()[0] if word.strip() else ""
    if first[:1].isdigit():
        return "an" if first.startswith("8") or first in ("11", "18") else "a"
    return "an" if first[:1].lower() in "aeiou" and first[:1] else "a"


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _clean_tags(tags: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        text = " ".join(str(tag).split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out[:MAX_TAGS]


def is_silent(a: AnalysisResult) -> bool:
    """True when the analysis found no signal at all."""
    return not math.isfinite(a.true_peak_dbtp) or (
        not math.isfinite(a.loudness_lufs) and a.energy <= 0.0
    )


def _energy_arc(curve: Sequence[float], hop_s: float) -> tuple[str, str] | None:
    values = np.asarray(curve, dtype=np.float64)
    if values.size < MIN_ARC_POINTS or not np.all(np.isfinite(values)) or values.max() <= 0:
        return None
    values = values / values.max()
    first, middle, last = (float(part.mean()) for part in np.array_split(values, 3))
    width = max(1, min(values.size // 6, 16))
    smooth = np.convolve(values, np.ones(width) / width, mode="valid")
    peak_index = int(np.argmax(smooth)) + width // 2
    peak_at = peak_index / values.size
    figures = (f"energy by thirds {first:.2f} / {middle:.2f} / {last:.2f}, "
               f"peak at {format_time(peak_index * hop_s)}")
    if max(first, middle, last) - min(first, middle, last) < STEADY_SPREAD:
        return "holding steady throughout", figures
    if last >= middle and last - first >= STEADY_SPREAD and peak_at >= 0.5:
        return "building to a peak in the second half", figures
    if first >= middle and first - last >= STEADY_SPREAD:
        return "winding down after a strong start", figures
    if middle - max(first, last) >= 0.5 * STEADY_SPREAD:
        return "peaking in the middle", figures
    return "shifting in energy throughout", figures


def _phrases(a: AnalysisResult, tags: Sequence[str]) -> list[tuple[str, str, str]]:
    """(slot, phrase, reason) in sentence order; slots: noun, colour, tempo, key, level, arc, tags."""
    out: list[tuple[str, str, str]] = []
    if is_silent(a):
        out.append(("noun", "silent track", "no signal: true peak and loudness are -inf"))
    elif a.duration < SHORT_CLIP_S:
        out.append(("noun", "very short clip", f"duration {a.duration:.2f} s"))
    else:
        if a.brightness_hz > 0:
            out.append(("colour", _word(a.brightness_hz, BRIGHTNESS_WORDS),
                        f"spectral centroid {a.brightness_hz:,.0f} Hz"))
        if a.tempo_bpm > 0:
            out.append(("tempo", f"{_word(a.tempo_bpm, TEMPO_WORDS)} {round(a.tempo_bpm)} BPM",
                        f"tempo {a.tempo_bpm:.1f} BPM"))
        else:
            out.append(("tempo", "beatless", "no steady beat found"))
        if a.key_confidence >= MIN_KEY_CONFIDENCE:
            out.append(("key", f"in {a.key} {a.mode}",
                        f"key-profile correlation {a.key_confidence:.2f}"))
        if math.isfinite(a.loudness_lufs):
            out.append(("level", _word(a.loudness_lufs, LOUDNESS_WORDS),
                        f"integrated loudness {a.loudness_lufs:.1f} LUFS"))
        out.append(("level", _word(a.onset_density, DENSITY_WORDS),
                    f"{a.onset_density:.1f} onsets per second"))
        arc = _energy_arc(a.energy_curve, a.curve_hop_s)
        if arc is not None:
            out.append(("arc", *arc))
    clean = _clean_tags(tags)
    if clean:
        out.append(("tags", f"with {_listing(clean)}", "tags: " + ", ".join(clean)))
    return out


def describe_parts(a: AnalysisResult, tags: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The description's phrases in sentence order, each with the figure that produced it."""
    return [(phrase, reason) for _, phrase, reason in _phrases(a, tags)]


def describe(a: AnalysisResult, tags: Sequence[str] = ()) -> str:
    """One deterministic sentence describing the track (``describe_parts`` says why)."""
    slots: dict[str, list[str]] = {}
    for slot, phrase, _ in _phrases(a, tags):
        slots.setdefault(slot, []).append(phrase)
    noun = " ".join(slots.get("noun", ["track"]))
    head = " ".join(slots.get("tempo", []) + [noun])
    if "colour" in slots:
        head = f"{slots['colour'][0]}, {head}"
    sentence = " ".join([_article(head), head, *slots.get("key", [])])
    clauses = [" and ".join(slots["level"])] if "level" in slots else []
    clauses += slots.get("arc", []) + slots.get("tags", [])
    return ", ".join([sentence, *clauses])

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

# which words contradict which: a description never holds words from both sides of a pair
SLOW_WORDS = frozenset({"slow", "relaxed", "calm", "mellow", "chillout", "chill"})
FAST_WORDS = frozenset({"fast", "very fast", "driving", "uptempo", "energetic", "party"})
QUIET_WORDS = frozenset({"quiet", "very quiet", "soft"})
LOUD_WORDS = frozenset({"loud", "very loud", "moderately loud", "aggressive", "heavy"})
TEMPO_TAGS = frozenset({"slow", "fast"})  # the tempo figure says these (tags chose its octave)
LEVEL_TAGS = frozenset({"loud", "quiet", "soft"})  # the loudness figure says these
OPPOSITES = ((SLOW_WORDS, FAST_WORDS), (QUIET_WORDS, LOUD_WORDS))
RHYTHM_TAGS = frozenset({"drums", "beat", "beats", "techno", "dance", "house"})

# how a tag reads in a sentence: style ("classical in style"), sound ("with strings"),
# voice ("with a female voice"), feel ("mellow in feel"); unlisted tags read as a style
_SOUND = {"guitar": "guitar", "strings": "strings", "drums": "drums", "piano": "piano",
          "violin": "violin", "synth": "synth", "harpsichord": "harpsichord", "flute": "flute",
          "sitar": "sitar", "harp": "harp", "cello": "cello", "beat": "a steady beat",
          "beats": "beats", "acoustic": "acoustic instruments"}
_VOICE = {"female": "a female voice", "woman": "a female voice", "female vocal": "a female voice",
          "female voice": "a female voice", "female vocalists": "a female voice",
          "female vocalist": "a female voice", "male": "a male voice", "man": "a male voice",
          "male vocal": "a male voice", "male voice": "a male voice",
          "male vocalists": "a male voice", "vocal": "vocals", "vocals": "vocals",
          "singing": "vocals", "voice": "vocals", "choir": "a choir", "choral": "a choir"}
_INSTRUMENTAL = frozenset({"no vocals", "no vocal", "no voice", "instrumental"})
_FEEL = {"slow": "slow", "fast": "fast", "loud": "loud", "quiet": "quiet", "soft": "soft",
         "weird": "unusual", "solo": "solo", "beautiful": "beautiful", "mellow": "mellow",
         "chill": "chilled", "chillout": "chilled", "sexy": "sensual", "catchy": "catchy",
         "party": "upbeat", "sad": "sad", "happy": "happy", "easy listening": "easy-going"}
_STYLE = {"classic": "classical", "00s": "2000s", "hip-hop": "hip-hop", "rnb": "R&B",
          "electronica": "electronic", "electro": "electronic"}


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
    return out


def _side(word: str) -> int | None:
    """Which side of an opposite pair ``word`` is on (index*2 + side), or None."""
    for index, (first, second) in enumerate(OPPOSITES):
        if word in first:
            return 2 * index
        if word in second:
            return 2 * index + 1
    return None


def _figure_words(a: AnalysisResult) -> list[tuple[str, str]]:
    """(word, figure) for the tempo and level words the figures give."""
    words = []
    if a.tempo_bpm > 0:
        words.append((_word(a.tempo_bpm, TEMPO_WORDS), f"tempo {a.tempo_bpm:.0f} BPM"))
    if math.isfinite(a.loudness_lufs):
        words.append((_word(a.loudness_lufs, LOUDNESS_WORDS),
                      f"loudness {a.loudness_lufs:.1f} LUFS"))
    return words


def contradiction(a: AnalysisResult, tag: str) -> str:
    """Why ``tag`` may not be named with these figures ("" when it may)."""
    key = " ".join(tag.lower().split())
    if key in RHYTHM_TAGS and (a.tempo_bpm <= 0 or a.onset_density < DENSITY_WORDS[0][0]):
        return (f"'{key}' needs a steady beat and onsets ({a.onset_density:.1f} per second"
                + (", no steady tempo)" if a.tempo_bpm <= 0 else ")"))
    side = _side(key)
    if side is None or is_silent(a):
        return ""
    for word, figure in _figure_words(a):
        if (key in TEMPO_TAGS and figure.startswith("tempo")) or (
                key in LEVEL_TAGS and figure.startswith("loudness")):
            return f"'{key}': the figures say it ({figure}: {word})" if _side(word) == side \
                else f"'{key}' contradicts {figure} ({word})"
        other = _side(word)
        if other is not None and other // 2 == side // 2:
            if other == side:
                return f"'{key}' is said already by the figures ({figure}: {word})"
            return f"'{key}' contradicts {figure} ({word})"
    return ""


def _tag_clauses(a: AnalysisResult, tags: Sequence[str]) -> list[tuple[str, str]]:
    """(clause, reason) for the tags that agree with the figures, in readable English."""
    styles: list[str] = []
    sounds: list[str] = []
    feels: list[str] = []
    used: list[str] = []
    dropped: list[str] = []
    sides: dict[int, str] = {}
    for tag in _clean_tags(tags):
        key = tag.lower()
        why = contradiction(a, key)
        side = _side(key)
        if not why and side is not None and side ^ 1 in sides:  # the likelier tag came first
            why = f"'{key}' contradicts the tag '{sides[side ^ 1]}'"
        if why:
            dropped.append(why)
            continue
        if side is not None:
            sides.setdefault(side, key)
        if len(used) == MAX_TAGS:
            break
        used.append(tag)
        if key in _INSTRUMENTAL:
            words, into = "instrumental", feels
        elif key in _VOICE:
            words, into = _VOICE[key], sounds
        elif key in _SOUND:
            words, into = _SOUND[key], sounds
        elif key in _FEEL:
            words, into = _FEEL[key], feels
        else:
            words, into = _STYLE.get(key, tag), styles
        if words not in into:
            into.append(words)
    reason = "tags: " + ", ".join(used)
    if dropped:
        reason += "; left out: " + "; ".join(dropped)
    clauses = []
    if styles:
        clauses.append(f"{_listing(styles)} in style")
    if feels:
        clauses.append(f"{_listing(feels)} in feel")
    if sounds:
        clauses.append(f"with {_listing(sounds)}")
    if not clauses:
        return [("", reason)] if dropped else []
    return [(clauses[0], reason)] + [(clause, "") for clause in clauses[1:]]


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
    """(slot, phrase, reason) in sentence order; slots: noun, colour, tempo, key, steady,
    level, arc, tags."""
    out: list[tuple[str, str, str]] = []
    if is_silent(a):
        out.append(("noun", "silent track", "no signal: true peak and loudness are -inf"))
    elif a.duration < SHORT_CLIP_S:
        out.append(("noun", "very short clip", f"duration {a.duration:.2f} s"))
        if a.tempo_bpm <= 0 and a.duration >= 1.0:  # long enough to have been looked at
            out.append(("steady", "with no steady tempo",
                        a.tempo_reason or "no steady beat found"))
    else:
        if a.brightness_hz > 0:
            out.append(("colour", _word(a.brightness_hz, BRIGHTNESS_WORDS),
                        f"spectral centroid {a.brightness_hz:,.0f} Hz"))
        if a.tempo_bpm > 0:
            out.append(("tempo", f"{_word(a.tempo_bpm, TEMPO_WORDS)} {round(a.tempo_bpm)} BPM",
                        _tempo_reason(a)))
        else:
            out.append(("steady", "with no steady tempo",
                        a.tempo_reason or "no steady beat found"))
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
    out.extend(("tags", clause, reason) for clause, reason in _tag_clauses(a, tags))
    return out


def _tempo_reason(a: AnalysisResult) -> str:
    reason = f"tempo {a.tempo_bpm:.1f} BPM"
    if a.tempo_alternative_bpm > 0:
        reason += (f", or {a.tempo_alternative_bpm:.0f} "
                   f"{'double' if a.tempo_alternative_bpm > a.tempo_bpm else 'half'}-time")
    return reason + (f" ({a.tempo_reason})" if a.tempo_reason else "")


def describe_parts(a: AnalysisResult, tags: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The description's phrases in sentence order, each with the figure that produced it
    (a tag left out for contradicting the figures is named in the tags' reason)."""
    return [(phrase, reason) for _, phrase, reason in _phrases(a, tags) if phrase or reason]


def describe(a: AnalysisResult, tags: Sequence[str] = ()) -> str:
    """One deterministic sentence describing the track (``describe_parts`` says why)."""
    slots: dict[str, list[str]] = {}
    for slot, phrase, _ in _phrases(a, tags):
        slots.setdefault(slot, []).append(phrase)
    noun = " ".join(slots.get("noun", ["track"]))
    head = " ".join(slots.get("tempo", []) + [noun])
    if "colour" in slots:
        head = f"{slots['colour'][0]}{', ' if 'tempo' in slots else ' '}{head}"
    sentence = " ".join([_article(head), head, *slots.get("key", []), *slots.get("steady", [])])
    clauses = [" and ".join(slots["level"])] if "level" in slots else []
    clauses += slots.get("arc", []) + [t for t in slots.get("tags", []) if t]
    return ", ".join([sentence, *clauses])

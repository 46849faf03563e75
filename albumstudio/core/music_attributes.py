"""From a picture or a track to explainable musical attributes, and from those to a MusicGen prompt.

The rules are data (``resources/music_attributes.json``): each numeric attribute is a base value
plus weighted figures of the source plus small steps for words in its caption or tags, clamped
to 0..1, and it keeps the reason it took its value. The genre comes from words first, then
from the figures; the key from the picture's largest colour (or the track's own key); the tempo
from the energy (or the track's own tempo). The same input always gives the same attributes,
and the same attributes always give the same prompt. Pure Python: no Qt, no torch, no images.
"""

from __future__ import annotations

import colorsys
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.errors import InputError

ATTRIBUTES_VERSION = 1
NUMERIC = ("valence", "energy", "danceability", "acousticness", "instrumentalness")
NAMES = ("genre", "key", "tempo", *NUMERIC, "instruments")
KEY_PATTERN = re.compile(r"^([A-G])([#b]?) (major|minor)$")
TEMPO_RANGE = (40, 220)
MAX_GENRE_CHARS = 60
EDITED = "set by you"


@functools.cache
def rules() -> dict[str, Any]:
    """The mapping, as read from the data file."""
    text = resources.files("albumstudio.resources").joinpath("music_attributes.json").read_text(
        "utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class PictureFigures:
    """What the attributes read of a picture: its measured look and, when a captioning model is
    installed, its caption. ``palette`` is (colour name, hex, share), largest first."""

    brightness: float
    contrast: float
    colourfulness: float
    palette: tuple[tuple[str, str, float], ...] = ()
    caption: str = ""
    description: str = ""  # the look in words, shown with the reasons


@dataclass(frozen=True)
class MusicAttributes:
    """Genre, key, tempo, five 0..1 figures and instruments, each with the reason for its value."""

    source: str  # "picture" or "track"
    genre: str
    key: str  # "E minor"
    tempo: int  # BPM
    valence: float
    energy: float
    danceability: float
    acousticness: float
    instrumentalness: float
    instruments: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def reason(self, name: str) -> str:
        return dict(self.reasons).get(name, "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON the window shows and the CLI prints: every value with its reason."""
        values = {name: getattr(self, name) for name in NAMES}
        values["instruments"] = list(self.instruments)
        return {"version": ATTRIBUTES_VERSION, "source": self.source,
                "attributes": {name: {"value": values[name], "reason": self.reason(name)}
                               for name in NAMES}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MusicAttributes:
        """Read (and check) attributes as ``to_dict`` writes them; InputError in one sentence."""
        if not isinstance(data, Mapping) or not isinstance(data.get("attributes"), Mapping):
            raise InputError("The music attributes need an \"attributes\" object with genre, key, "
                             "tempo and the five 0–1 figures.")
        found = data["attributes"]
        values: dict[str, Any] = {}
        reasons: list[tuple[str, str]] = []
        for name in NAMES:
            entry = found.get(name)
            if entry is None and name == "instruments":
                entry = {"value": []}
            if not isinstance(entry, Mapping) or "value" not in entry:
                raise InputError(f"The music attributes have no value for {name}; give "
                                 f"{{\"{name}\": {{\"value\": …}}}}.")
            values[name] = entry["value"]
            reasons.append((name, str(entry.get("reason", ""))))
        return checked(cls(source=str(data.get("source", "picture")), reasons=tuple(reasons),
                           **_coerce(values)))

    def edited(self, **changes: Any) -> MusicAttributes:
        """These attributes with the artist's values; each changed one's reason says so."""
        unknown = sorted(set(changes) - set(NAMES))
        if unknown:
            raise InputError(f"There is no music attribute called '{unknown[0]}'; the attributes "
                             f"are {', '.join(NAMES)}.")
        coerced = _coerce({**{n: getattr(self, n) for n in NAMES}, **changes})
        moved = {n for n in changes if coerced[n] != getattr(self, n)}
        reasons = tuple((n, EDITED if n in moved else r) for n, r in self.reasons)
        reasons += tuple((n, EDITED) for n in moved if n not in dict(self.reasons))
        return checked(replace(self, reasons=reasons, **coerced))


def _coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        try:
            if name in NUMERIC:
                out[name] = round(float(value), 3)
            elif name == "tempo":
                out[name] = int(round(float(value)))
            elif name == "instruments":
                items = value.split(",") if isinstance(value, str) else list(value)
                out[name] = tuple(w for w in (str(i).strip().lower() for i in items) if w)
            else:
                out[name] = " ".join(str(value).split())
        except (TypeError, ValueError):
            raise InputError(f"The music attribute {name} must be "
                             f"{'a number' if name in (*NUMERIC, 'tempo') else 'text'}, "
                             f"not {value!r}.") from None
    return out


def checked(attributes: MusicAttributes) -> MusicAttributes:
    """``attributes`` if every value is in range, else InputError naming the first one that is not."""
    for name in NUMERIC:
        value = getattr(attributes, name)
        if not 0.0 <= value <= 1.0:
            raise InputError(f"The music attribute {name} must be between 0 and 1, not {value:g}.")
    low, high = TEMPO_RANGE
    if not low <= attributes.tempo <= high:
        raise InputError(f"The tempo must be between {low} and {high} BPM, not "
                         f"{attributes.tempo}.")
    if not KEY_PATTERN.match(attributes.key):
        raise InputError(f"'{attributes.key}' is not a key; write it like \"E minor\" or "
                         "\"F# major\".")
    if not attributes.genre or len(attributes.genre) > MAX_GENRE_CHARS:
        raise InputError(f"The genre must be a few words (at most {MAX_GENRE_CHARS} characters).")
    return attributes


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)


def _words_in(text: str) -> list[str]:
    """The rule words found in ``text`` (multi-word rules first), each once, in table order."""
    lowered = f" {' '.join(re.findall(r'[a-z0-9&/-]+', text.lower()))} "
    table: set[str] = set()
    for group in rules()["words"].values():
        table.update(group)
    return sorted(w for w in table if f" {w} " in lowered)


def _linear(name: str, spec: Mapping[str, Any], figures: Mapping[str, float],
            words: Sequence[str], about: str) -> tuple[float, str]:
    value = float(spec["base"])
    parts: list[str] = []
    for figure, (centre, weight) in spec["terms"].items():
        step = float(weight) * (figures[figure] - float(centre))
        value += step
        if abs(step) >= 0.005:
            parts.append(f"{figure} {figures[figure]:.2f} ({step:+.2f})")
    steps = rules()["words"].get(name, {})
    for word in words:
        if word in steps:
            value += float(steps[word])
            parts.append(f"'{word}' in the {about} ({float(steps[word]):+.2f})")
    clamped = _clamp(value)
    reason = f"from {spec['base']:g}: " + ", ".join(parts) if parts else \
        f"the starting value {spec['base']:g}; nothing in the {about} moved it"
    if clamped != round(value, 3):
        reason += f" (held to {clamped:g})"
    return clamped, reason


def _word_for(value: float, table: Sequence[Sequence[Any]]) -> str:
    for bound, word in table:
        if value < float(bound):
            return str(word)
    return str(table[-1][1])


def _matches(when: Mapping[str, Sequence[float]], values: Mapping[str, float]) -> bool:
    return all(lo <= values[name] <= hi for name, (lo, hi) in when.items())


def _genre(words_text: Sequence[str], values: Mapping[str, float], about: str) -> tuple[str, str]:
    lowered = [f" {' '.join(re.findall(r'[a-z0-9&/-]+', t.lower()))} " for t in words_text]
    for word, genre in rules()["genres"]["from_words"]:
        if any(f" {word} " in text for text in lowered):
            return str(genre), f"'{word}' in the {about}"
    for rule in rules()["genres"]["from_figures"]:
        if _matches(rule["when"], values):
            limits = ", ".join(f"{n} {values[n]:.2f} within {lo:g}–{hi:g}"
                               for n, (lo, hi) in rule["when"].items())
            return str(rule["genre"]), (f"no genre word in the {about}; {limits}" if limits
                                        else f"no genre word in the {about} and no figure rule "
                                             "matched: the fallback")
    return "cinematic", "the fallback"


def _instruments(words: Sequence[str], about: str) -> tuple[tuple[str, ...], str]:
    found = tuple(i for i in rules()["instruments"] if i in words)
    return found, (f"named in the {about}" if found else f"none named in the {about}")


def _hue_warmth(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    hue, _light, sat = colorsys.rgb_to_hls(r, g, b)
    degrees = hue * 360.0
    if degrees < 70 or degrees >= 300:
        return sat
    if 150 <= degrees < 270:
        return -sat
    return 0.0


def picture_figures(figures: PictureFigures) -> dict[str, float]:
    """The 0..1 (warmth −1..1) figures the rules read, from the picture's measurements."""
    spec = rules()["picture"]
    names = [(name, share) for name, _hex, share in figures.palette]
    total = sum(share for _n, share in names) or 1.0
    warmth = sum(_hue_warmth(h) * s for _n, h, s in figures.palette) / total
    return {
        "brightness": round(min(1.0, max(0.0, figures.brightness)), 3),
        "contrast": round(min(1.0, figures.contrast / float(spec["scales"]["contrast"])), 3),
        "colourfulness": round(min(1.0, figures.colourfulness
                                   / float(spec["scales"]["colourfulness"])), 3),
        "warmth": round(max(-1.0, min(1.0, warmth)), 3),
        "natural": round(sum(s for n, s in names if n in spec["natural_colours"]) / total, 3),
        "neon": round(sum(s for n, s in names if n in spec["neon_colours"]) / total, 3),
    }


def from_picture(figures: PictureFigures) -> MusicAttributes:
    """The attributes of a picture: its caption's words when there is a caption, its colours
    and texture always."""
    about = "caption" if figures.caption else "picture"
    measured = picture_figures(figures)
    words = _words_in(figures.caption)
    values: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for name, spec in rules()["picture"]["attributes"].items():
        values[name], reasons[name] = _linear(name, spec, measured, words, about)
    tempo_rule = rules()["tempo"]
    slowest, fastest = float(tempo_rule["slowest"]), float(tempo_rule["fastest"])
    tempo = int(round(slowest + values["energy"] * (fastest - slowest)))
    reasons["tempo"] = (f"energy {values['energy']:.2f} between {slowest:g} BPM (calm) and "
                        f"{fastest:g} BPM (intense)")
    keys = rules()["keys"]
    colour = figures.palette[0][0] if figures.palette else ""
    tonic = keys["by_colour"].get(colour, keys["default"])
    mode = "major" if values["valence"] >= 0.5 else "minor"
    reasons["key"] = (f"the largest colour, {colour}, is {tonic} in Scriabin's colour table; "
                      if colour else f"no named colour, so {tonic}; ") + \
        f"valence {values['valence']:.2f} {'≥' if mode == 'major' else '<'} 0.5 gives {mode}"
    genre, reasons["genre"] = _genre([figures.caption], values, about)
    instruments, reasons["instruments"] = _instruments(words, about)
    return MusicAttributes(
        source="picture", genre=genre, key=f"{tonic} {mode}", tempo=tempo,
        instruments=instruments, reasons=tuple((n, reasons[n]) for n in NAMES),
        **{n: values[n] for n in NUMERIC})


def track_figures(analysis: AnalysisResult | None) -> dict[str, float]:
    """The 0..1 figures the track rules read (a neutral 0.5 for each without an analysis)."""
    if analysis is None:
        return {"major": 0.5, "brightness": 0.5, "energy": 0.5, "pulse": 0.5}
    confident = analysis.key_confidence >= float(rules()["track"]["min_key_confidence"])
    major = (1.0 if analysis.mode == "major" else 0.0) if confident else 0.5
    brightness = min(1.0, max(0.0, (analysis.brightness_hz - 1000.0) / 3500.0))
    pulse = 0.0 if analysis.tempo_bpm <= 0 else max(0.0, 1.0 - abs(analysis.tempo_bpm - 120.0)
                                                    / 60.0)
    return {"major": major, "brightness": round(brightness, 3),
            "energy": round(min(1.0, max(0.0, analysis.energy)), 3), "pulse": round(pulse, 3)}


def from_track(analysis: AnalysisResult | None, tags: Sequence[str] = (),
               description: str = "") -> MusicAttributes:
    """The attributes of a track: its own tempo and key, its figures, its tags' words; the
    description's words name the genre when the tags do not."""
    measured = track_figures(analysis)
    words = _words_in(", ".join(f" {t} " for t in tags))
    values: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for name, spec in rules()["track"]["attributes"].items():
        values[name], reasons[name] = _linear(name, spec, measured, words, "tags")
    low, high = TEMPO_RANGE
    if analysis is not None and analysis.tempo_bpm > 0:
        tempo = int(round(min(high, max(low, analysis.tempo_bpm))))
        reasons["tempo"] = f"the track's own tempo ({analysis.tempo_bpm:.1f} BPM)"
    else:
        slowest, fastest = float(rules()["tempo"]["slowest"]), float(rules()["tempo"]["fastest"])
        tempo = int(round(slowest + values["energy"] * (fastest - slowest)))
        reasons["tempo"] = f"no steady tempo in the track; energy {values['energy']:.2f} gives it"
    confident = analysis is not None and analysis.key_confidence >= float(
        rules()["track"]["min_key_confidence"])
    if analysis is not None and confident:
        key = f"{analysis.key} {analysis.mode}"
        reasons["key"] = f"the track's own key (confidence {analysis.key_confidence:.2f})"
    else:
        mode = "major" if values["valence"] >= 0.5 else "minor"
        key = f"{rules()['keys']['default']} {mode}"
        reasons["key"] = (f"the track's key is uncertain; valence {values['valence']:.2f} "
                          f"gives {mode}")
    genre, reasons["genre"] = _genre([" ".join(tags)], values, "tags")
    if reasons["genre"].startswith("no genre word") and description:
        from_description = _genre([description], values, "description")
        if not from_description[1].startswith("no genre word"):
            genre, reasons["genre"] = from_description
    instruments, reasons["instruments"] = _instruments(words, "tags")
    return MusicAttributes(
        source="track", genre=genre, key=key, tempo=tempo, instruments=instruments,
        reasons=tuple((n, reasons[n]) for n in NAMES), **{n: values[n] for n in NUMERIC})


def _article(word: str) -> str:
    return "An" if word[:1].lower() in "aeiou" else "A"


def prompt_for(attributes: MusicAttributes) -> str:
    """The MusicGen text prompt for ``attributes`` (the same attributes, the same prompt)."""
    spec = rules()["prompt"]
    mood = next((m["words"] for m in spec["mood_words"]
                 if _matches(m["when"], {"valence": attributes.valence})),
                spec["mood_words"][-1]["words"])
    instruments = ""
    if attributes.instruments:
        names = list(attributes.instruments)
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        instruments = f", featuring {listed}"
    return str(spec["template"]).format(
        genre_article=_article(attributes.genre), genre=attributes.genre,
        vocal=_word_for(attributes.instrumentalness, spec["vocal_words"]),
        key=attributes.key, tempo=attributes.tempo,
        tempo_word=_word_for(attributes.tempo, spec["tempo_words"]), mood=mood,
        energy_word=_word_for(attributes.energy, spec["energy_words"]),
        dance_word=_word_for(attributes.danceability, spec["dance_words"]),
        sound_word=_word_for(attributes.acousticness, spec["sound_words"]),
        instruments=instruments)


MUSIC_REQUEST_VERSION = 1
SECONDS_RANGE = (1.0, 120.0)  # a window is at most 30 s; longer clips continue window by window
GUIDANCE_RANGE = (1.0, 15.0)
MUSIC_DEVICES = ("auto", "cuda", "mps", "cpu")
MELODY_MAX_SECONDS = 30.0  # one window: MusicGen melody reads the melody of one 30 s chunk


@dataclass(frozen=True)
class MusicRequest:
    """Everything one MusicGen clip needs, the seed included (same request, same clip)."""

    prompt: str
    seconds: float = 10.0
    seed: int = 0
    guidance: float = 3.0
    model: str = ""  # hub id or folder; "" is the registry's default MusicGen
    device: str = "auto"
    top_k: int = 250
    temperature: float = 1.0
    attributes: dict[str, Any] | None = None  # what the prompt was made from (kept in the record)
    melody_path: str = ""  # a track whose melody MusicGen melody follows (from its start)
    version: int = MUSIC_REQUEST_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "seconds": self.seconds, "seed": self.seed,
                "guidance": self.guidance, "model": self.model, "device": self.device,
                "top_k": self.top_k, "temperature": self.temperature,
                "attributes": self.attributes, "melody_path": self.melody_path,
                "version": self.version}


def check_request(request: MusicRequest) -> MusicRequest:
    """``request`` if it can run, else InputError naming what to change."""
    if not request.prompt.strip():
        raise InputError("The music prompt is empty; give a picture, a track or your own words.")
    low, high = SECONDS_RANGE
    if not low <= request.seconds <= high:
        raise InputError(f"A generated clip lasts {low:g} to {high:g} seconds, not "
                         f"{request.seconds:g}.")
    g_low, g_high = GUIDANCE_RANGE
    if not g_low <= request.guidance <= g_high:
        raise InputError(f"The guidance must be between {g_low:g} and {g_high:g}, not "
                         f"{request.guidance:g}.")
    if request.device not in MUSIC_DEVICES:
        raise InputError(f"Unknown device '{request.device}': use one of "
                         f"{', '.join(MUSIC_DEVICES)}.")
    if request.top_k < 1 or not 0.05 <= request.temperature <= 5.0:
        raise InputError("top-k must be at least 1 and the temperature between 0.05 and 5.")
    if request.seed < 0:
        raise InputError(f"The seed must be 0 or more, not {request.seed}.")
    if request.melody_path and request.seconds > MELODY_MAX_SECONDS:
        raise InputError(f"A clip that follows a melody lasts at most {MELODY_MAX_SECONDS:g} "
                         f"seconds, not {request.seconds:g}.")
    return request

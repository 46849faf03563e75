"""The figures an analysis of a track produces (pure data; computed in ``albumstudio.audio.analysis``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

ANALYSIS_VERSION = 2  # 2: the metrical level is chosen, with the other octave


@dataclass(frozen=True)
class AnalysisResult:
    duration: float
    sample_rate: int
    channels: int
    tempo_bpm: float  # the beat a musician would tap; 0 when there is no steady tempo
    beat_times: tuple[float, ...]
    key: str  # "C", "C#", … "B"
    mode: str  # "major" or "minor"
    key_confidence: float  # 0..1, correlation with the best key profile
    loudness_lufs: float  # ITU-R BS.1770-4 integrated loudness; -inf for silence
    true_peak_dbtp: float  # 4x-oversampled true peak, dBTP; -inf for silence
    energy: float  # 0..1 overall energy (mean RMS mapped to a perceptual scale)
    energy_curve: tuple[float, ...]  # 0..1 RMS envelope, one value per ``curve_hop_s``
    brightness_hz: float  # mean spectral centroid
    onset_density: float  # onsets per second
    novelty_curve: tuple[float, ...]  # 0..1 section novelty, one value per ``curve_hop_s``
    section_times: tuple[float, ...]  # section boundaries, seconds
    curve_hop_s: float = 0.5
    tempo_alternative_bpm: float = 0.0  # the other octave a listener might tap (0: none)
    tempo_reason: str = ""  # why this metrical level (figures), for the description's reasons
    version: int = ANALYSIS_VERSION
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> AnalysisResult:
        """Rebuild from ``to_dict`` output; raises ValueError for another version or shape."""
        if data.get("version") != ANALYSIS_VERSION:
            raise ValueError("analysis format changed")
        kwargs = {}
        for f in fields(cls):
            if f.name not in data:
                raise ValueError(f"missing field {f.name}")
            value = data[f.name]
            if not _fits(str(f.type), value):  # a damaged or edited cache entry
                raise ValueError(f"field {f.name} has the wrong type")
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)  # type: ignore[arg-type]


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fits(hint: str, value: object) -> bool:
    """Whether a JSON value can be the field typed ``hint`` ("float", "tuple[float, ...]" …)."""
    if hint == "float":
        return _number(value)
    if hint == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if hint == "str":
        return isinstance(value, str)
    if hint.startswith("tuple"):
        return isinstance(value, (list, tuple)) and all(_number(v) for v in value)
    if hint.startswith("dict"):
        return isinstance(value, dict) and all(_number(v) for v in value.values())
    return True

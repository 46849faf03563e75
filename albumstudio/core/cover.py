"""What a cover engine is asked for and what it gives back (pure data, no Qt, no torch).

One frozen :class:`CoverRequest` holds every input, the seed included, so the same request
always gives the same cover and a history entry can be re-run exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from albumstudio.core.analysis import AnalysisResult

COVER_REQUEST_VERSION = 1

ENGINES = ("design", "diffusion")
CONDITION_KINDS = ("canny", "seg")
LAYOUTS = ("bottom-left", "centered", "top-band", "stacked", "none")
TREATMENTS = ("duotone", "gradient-map", "halftone", "blur", "natural")
SCHEDULERS = ("unipc", "ddim", "euler-a", "dpm++", "lcm")
DIFFUSION_MODES = ("txt2img", "img2img")

DEFAULT_SD_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
DEFAULT_CONTROLNETS = {
    "canny": "lllyasviel/control_v11p_sd15_canny",
    "seg": "lllyasviel/control_v11p_sd15_seg",
}
DEFAULT_LCM_LORA = "latent-consistency/lcm-lora-sdv1-5"
DEFAULT_NEGATIVE = "monochrome, lowres, bad anatomy, worst quality, low quality, text, watermark"
QUALITY_SUFFIX = "best quality, extremely detailed album cover"


@dataclass(frozen=True)
class CropBox:
    """A square region of the reference image, in the (EXIF-rotated) image's pixels."""

    left: int
    top: int
    size: int


@dataclass(frozen=True)
class Condition:
    """One ControlNet condition derived from the reference image."""

    kind: str  # "canny" | "seg"
    weight: float = 1.0  # controlnet_conditioning_scale for this condition
    low: int = 100  # Canny thresholds (Music2P used cv2.Canny(100, 200))
    high: int = 200


@dataclass(frozen=True)
class MusicMood:
    """The track figures the design engine and prompt builder read (a slice of the analysis)."""

    energy: float = 0.5  # 0..1
    tempo_bpm: float = 110.0
    brightness_hz: float = 2200.0
    mode: str = "major"  # "major" | "minor"
    key: str = "C"
    loudness_lufs: float = -14.0
    onset_density: float = 3.0
    energy_curve: tuple[float, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def from_analysis(cls, analysis: AnalysisResult | None,
                      tags: tuple[str, ...] = ()) -> MusicMood:
        if analysis is None:
            return cls(tags=tuple(tags))
        loud = analysis.loudness_lufs
        return cls(
            energy=float(analysis.energy),
            tempo_bpm=float(analysis.tempo_bpm),
            brightness_hz=float(analysis.brightness_hz),
            mode=analysis.mode,
            key=analysis.key,
            loudness_lufs=float(loud) if loud == loud and loud > -200 else -60.0,
            onset_density=float(analysis.onset_density),
            energy_curve=tuple(float(v) for v in analysis.energy_curve),
            tags=tuple(tags),
        )


@dataclass(frozen=True)
class LoraFile:
    path: str  # a .safetensors LoRA file or a hub id
    scale: float = 0.8


@dataclass(frozen=True)
class CoverRequest:
    """Everything a cover engine needs; ``replace(request, seed=…)`` makes a variant."""

    engine: str = "design"
    prompt: str = ""
    negative_prompt: str = DEFAULT_NEGATIVE
    image_path: str | None = None  # the reference image, loaded safely by albumstudio.vision
    crop: CropBox | None = None  # None: centred square crop
    title: str = ""
    artist: str = ""
    genre: str = ""
    mood: MusicMood = field(default_factory=MusicMood)
    size: int = 3000  # output side in pixels (square)
    seed: int = 0
    variants: int = 1
    # design engine
    layout: str = "bottom-left"
    treatment: str = "duotone"
    palette: tuple[str, ...] = ()  # "#rrggbb"; empty: chosen from the music's mood
    grain: float = 0.25  # 0..1
    vignette: float = 0.35  # 0..1
    # diffusion engine
    model: str = DEFAULT_SD_MODEL  # hub id or local pipeline folder
    conditions: tuple[Condition, ...] = ()
    controlnets: tuple[tuple[str, str], ...] = tuple(DEFAULT_CONTROLNETS.items())  # kind → id/path
    mode: str = "txt2img"  # img2img starts from the reference image
    scheduler: str = "unipc"
    steps: int = 20
    guidance: float = 7.5
    strength: float = 0.75  # img2img only
    lcm: bool = False  # LCM-LoRA fast mode: 4 steps, guidance ~1
    lcm_lora: str = DEFAULT_LCM_LORA
    loras: tuple[LoraFile, ...] = ()
    device: str = "auto"  # "auto" | "cuda" | "mps" | "cpu"
    version: int = COVER_REQUEST_VERSION

    def controlnet_for(self, kind: str) -> str:
        return dict(self.controlnets).get(kind, DEFAULT_CONTROLNETS.get(kind, ""))

    def with_seed(self, seed: int) -> CoverRequest:
        return replace(self, seed=int(seed))

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CoverRequest:
        data = dict(data)
        if data.get("version") != COVER_REQUEST_VERSION:
            raise ValueError("cover request format changed")
        if data.get("crop") is not None:
            data["crop"] = CropBox(**data["crop"])  # type: ignore[arg-type]
        data["mood"] = MusicMood(**{k: tuple(v) if isinstance(v, list) else v
                                    for k, v in dict(data.get("mood") or {}).items()})
        data["conditions"] = tuple(Condition(**c) for c in data.get("conditions") or ())
        data["controlnets"] = tuple(tuple(p) for p in data.get("controlnets") or ())
        data["loras"] = tuple(LoraFile(**lf) for lf in data.get("loras") or ())
        data["palette"] = tuple(data.get("palette") or ())
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CoverImage:
    """One generated cover: RGB pixels as PNG bytes plus how it was made."""

    png: bytes
    width: int
    height: int
    seed: int
    notes: tuple[str, ...] = ()  # e.g. "ran out of GPU memory; retried with CPU offload"
    # the same pixels at screen size (RGB uint8 array), so nobody decodes the PNG to show it
    display: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CoverResult:
    request: CoverRequest
    images: tuple[CoverImage, ...]
    seconds: float
    device: str = "cpu"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoverProgress:
    """One step of a running engine; ``preview`` is a small RGB uint8 array (H, W, 3) or None."""

    step: int
    total: int
    text: str = ""
    preview: object = None  # numpy.ndarray | None (kept untyped: core does not need numpy here)
    image_index: int = 0  # which variant is running

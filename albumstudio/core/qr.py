"""What a poster engine is asked for and what it gives back (pure data, no Qt, no torch).

A :class:`QrRequest` holds every input of a QR poster: the payload, the picture, the artist's
words, the size by name, the format, the seed and ``options`` (the engine's own dataclass:
:class:`PlainQrOptions` or :class:`ArtQrOptions`). A :class:`PosterResult` carries the file's
bytes and the :class:`ScanReport` that proves the code in it scans.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from albumstudio.core.mood_palette import hex_to_rgb, relative_luminance
from albumstudio.core.requests import request_from_dict, request_to_dict

QR_REQUEST_VERSION = 1
QR_STYLES = ("square", "rounded", "dots")
POSTER_FORMATS = ("png", "pdf")
ART_MODES = ("txt2img", "img2img")
MIN_CONTRAST = 4.5  # WCAG AA: below it a dim phone capture loses the modules
MM = 300 / 25.4  # pixels per millimetre at 300 dpi


@dataclass(frozen=True)
class PosterSize:
    """A poster size: the trimmed page in pixels, its resolution, the bleed added on every
    side (print only) and the safe margins inside the trim (left, top, right, bottom)."""

    name: str
    label: str
    trim_w: int
    trim_h: int
    dpi: int
    bleed: int = 0
    safe: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def width(self) -> int:
        return self.trim_w + 2 * self.bleed

    @property
    def height(self) -> int:
        return self.trim_h + 2 * self.bleed

    @property
    def print(self) -> bool:
        return self.bleed > 0


def _print_size(name: str, label: str, w_mm: float, h_mm: float) -> PosterSize:
    safe = round(8 * MM)
    return PosterSize(name, label, round(w_mm * MM), round(h_mm * MM), 300, round(3 * MM),
                      (safe, safe, safe, safe))


POSTER_SIZES: dict[str, PosterSize] = {
    "square": PosterSize("square", "Square post 1080×1080", 1080, 1080, 72, 0,
                         (64, 64, 64, 64)),
    # the top and bottom 250 px of a story sit under the app's own buttons
    "story": PosterSize("story", "Story 1080×1920", 1080, 1920, 72, 0, (64, 250, 64, 250)),
    "a4": _print_size("a4", "A4 print (210×297 mm, 300 dpi)", 210, 297),
    "a3": _print_size("a3", "A3 print (297×420 mm, 300 dpi)", 297, 420),
    "letter": _print_size("letter", "US Letter print (8.5×11 in, 300 dpi)", 215.9, 279.4),
    "tabloid": _print_size("tabloid", "Tabloid print (11×17 in, 300 dpi)", 279.4, 431.8),
}


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 … 21)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@dataclass(frozen=True)
class PlainQrOptions:
    """The plain tier: module shape, colours ("" = from the picture's palette), a centre logo."""

    style: str = field(default="square", metadata={"label": "Modules", "choices": QR_STYLES})
    dark: str = field(default="", metadata={"label": "Dark colour"})
    light: str = field(default="", metadata={"label": "Light colour"})
    logo_path: str = field(default="", metadata={"label": "Centre logo", "editor": "file"})


@dataclass(frozen=True)
class ArtQrOptions:
    """The art tier: ControlNet QR over Stable Diffusion 1.5 (the knobs Music2P exposes)."""

    model: str = field(default="", metadata={"label": "Model", "editor": "model"})
    controlnet: str = field(default="", metadata={"label": "QR ControlNet", "editor": "model"})
    mode: str = field(default="txt2img", metadata={"label": "Mode", "choices": ART_MODES})
    strength: float = field(default=0.9, metadata={"label": "Strength", "min": 0.05, "max": 1.0})
    guidance: float = field(default=7.0, metadata={"label": "Guidance", "min": 0.0, "max": 30.0})
    conditioning: float = field(default=1.5, metadata={"label": "QR visibility",
                                                       "min": 0.0, "max": 5.0})
    steps: int = field(default=30, metadata={"label": "Steps", "min": 1, "max": 150})
    module_px: int = field(default=16, metadata={"label": "Pixels per module", "min": 2,
                                                 "max": 32, "hidden": True})
    device: str = field(default="auto", metadata={"label": "Device",
                                                  "choices": ("auto", "cuda", "mps", "cpu")})
    retries: int = field(default=2, metadata={"label": "Retries at higher visibility",
                                              "min": 0, "max": 5})


OPTIONS_TYPES: dict[str, type] = {"plain": PlainQrOptions, "art": ArtQrOptions}


@dataclass(frozen=True)
class QrRequest:
    """Every input of one poster, the seed included."""

    engine: str
    payload: str
    options: Any
    image_path: str = ""
    title: str = ""
    artist: str = ""
    cta: str = "Scan to listen"
    prompt: str = ""  # the artist's words for the art tier's look
    size: str = "square"
    format: str = "png"
    seed: int = 0
    code_only: bool = False  # the code alone (with its quiet zone), no poster around it
    version: int = QR_REQUEST_VERSION

    def to_dict(self) -> dict[str, Any]:
        return request_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QrRequest:
        return request_from_dict(cls, data, OPTIONS_TYPES)

    def with_options(self, **changes: Any) -> QrRequest:
        return replace(self, options=replace(self.options, **changes))


@dataclass(frozen=True)
class ScanCheck:
    """One decode: which view of the image (``full``, ``50%``, ``25%``, ``capture``) and
    which decoder; ``ok`` when the decoded text equals the payload exactly."""

    view: str
    decoder: str
    ok: bool
    found: str = ""  # what was decoded when it was not the payload ("" = nothing)


@dataclass(frozen=True)
class ScanReport:
    checks: tuple[ScanCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def failed(self) -> tuple[ScanCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def merged(self, other: ScanReport) -> ScanReport:
        return ScanReport(self.checks + other.checks)

    def summary(self) -> str:
        if self.ok:
            views = ", ".join(dict.fromkeys(c.view for c in self.checks))
            decoders = " and ".join(dict.fromkeys(c.decoder for c in self.checks))
            return f"scans with {decoders} ({views})"
        bad = ", ".join(f"{c.decoder} at {c.view}" for c in self.failed())
        return f"does not scan: {bad}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


@dataclass(frozen=True)
class RepairReport:
    """What the art tier did to make its code scan."""

    conditioning: float  # the conditioning scale of the image kept
    retries: int = 0  # images made again at a higher scale
    rounds: int = 0  # rounds of per-module correction
    mean_change: float = 0.0  # mean absolute change per pixel channel (0–255) by correction
    changed_modules: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PosterResult:
    """One poster (or code): its file, its pixels' size, and the proof it scans."""

    data: bytes
    media: str  # image/png or application/pdf
    width: int
    height: int
    scan: ScanReport
    png: bytes = b""  # the PNG (equals data for a PNG; empty for a PDF poster)
    qr_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # the code with its quiet zone, in px
    colours: tuple[str, str] = ("#000000", "#ffffff")
    notes: tuple[str, ...] = ()
    models: tuple[tuple[str, str], ...] = ()
    device: str = ""
    repair: RepairReport | None = None
    before_repair: Any = field(default=None, compare=False, repr=False)  # RGB array (art tier)
    preview: Any = field(default=None, compare=False, repr=False)  # small RGB array of a PDF


def colour_or_error(colour: str, what: str) -> str:
    """``colour`` as ``#rrggbb``; ValueError with a sentence naming ``what``."""
    try:
        r, g, b = hex_to_rgb(colour)
    except ValueError:
        raise ValueError(f"The {what} colour '{colour}' is not a colour like #1a2b3c; give "
                         "it as #rrggbb.") from None
    return f"#{r:02x}{g:02x}{b:02x}"


def check_art_options(options: ArtQrOptions) -> None:
    """InputError (one sentence) for art settings out of range."""
    from albumstudio.core.errors import InputError

    if options.mode not in ART_MODES:
        raise InputError(f"Unknown mode '{options.mode}': use txt2img or img2img.")
    if not 0.0 <= options.conditioning <= 5.0:
        raise InputError("The QR visibility (conditioning scale) must be between 0 and 5.")
    if not 0.0 <= options.guidance <= 30.0:
        raise InputError("Guidance must be between 0 and 30.")
    if not 1 <= options.steps <= 150:
        raise InputError("Steps must be between 1 and 150.")
    if not 0 <= options.retries <= 5:
        raise InputError("Retries at a higher QR visibility must be between 0 and 5.")
    if options.mode == "img2img" and (not 0.0 < options.strength <= 1.0
                                      or int(options.steps * options.strength) < 1):
        raise InputError("Strength must be above 0 and at most 1, and leave at least one step.")

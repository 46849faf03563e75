"""Cover generation as queued jobs: engine choice, progress with ETA, previews, history.

``CoverWorker`` is used only from the model queue's one thread; it keeps the diffusion engine
(and so the loaded pipeline) alive between requests, because loading is the slow part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from albumstudio.core.cover import CoverProgress, CoverRequest, CoverResult
from albumstudio.core.errors import InputError
from albumstudio.jobs.runner import JobContext
from albumstudio.store.history import HistoryItem, HistoryStore

CAPTION_SIDE = 384  # BLIP base reads 384×384


@dataclass(frozen=True)
class CoverPreview:
    """A ``partial`` payload: the running step and a small RGB preview (numpy) or None."""

    step: int
    total: int
    image_index: int
    variants: int
    preview: object
    eta_s: float | None


@dataclass(frozen=True)
class CoverOutcome:
    result: CoverResult
    items: tuple[HistoryItem, ...]  # empty when no history store was given


def display_array(png: bytes):
    """A stored cover's pixels at screen size (decoding a 3000² PNG is too slow for the GUI)."""
    import io

    from PIL import Image

    from albumstudio.vision.crop import SCREEN_SIDE, screen_copy

    with Image.open(io.BytesIO(png)) as img:
        img.draft("RGB", (SCREEN_SIDE, SCREEN_SIDE))
        return screen_copy(img)


class StepClock:
    """ETA from the steps seen so far; the first step (warm-up, loading) is not counted."""

    def __init__(self, total_steps: int) -> None:
        self.total_steps = max(1, total_steps)
        self._first: float | None = None
        self._first_done = 0
        self._last_done = 0
        self._last: float | None = None

    def tick(self, done: int, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        if self._first is None:
            self._first, self._first_done = now, done
            return None
        self._last, self._last_done = now, done
        steps = self._last_done - self._first_done
        if steps <= 0:
            return None
        per_step = (self._last - self._first) / steps
        return max(0.0, per_step * (self.total_steps - done))


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left…"
    if seconds < 1.5:
        return "about a second left"
    if seconds < 90:
        return f"about {round(seconds)} s left"
    return f"about {round(seconds / 60)} min left"


class CoverWorker:
    """Runs cover requests (design offline, or diffusion) and files the results in history."""

    def __init__(self, history: HistoryStore | None = None) -> None:
        self.history = history
        self._diffusion = None  # DiffusionCoverEngine, created on first use (imports torch)
        self._captioner = None  # ImageCaptioner (BLIP), created on first use

    def caption(self, image_path: str, crop, model: str, ctx: JobContext) -> str:
        """BLIP's caption of the cropped picture (the captioner stays loaded for the next one)."""
        from albumstudio.engines.captioning import ImageCaptioner
        from albumstudio.vision.crop import apply_crop
        from albumstudio.vision.image_load import load_image

        picture = apply_crop(load_image(image_path), crop, CAPTION_SIDE)
        ctx.check_cancel()
        if self._captioner is None or self._captioner.model_id != model:
            self._captioner = ImageCaptioner(model, "auto")
        return self._captioner.caption(picture)

    def diffusion_engine(self):
        if self._diffusion is None:
            from albumstudio.engines.diffusion_cover import DiffusionCoverEngine

            self._diffusion = DiffusionCoverEngine()
        return self._diffusion

    def unload(self) -> None:
        if self._diffusion is not None:
            self._diffusion.unload()
            self._diffusion = None
        if self._captioner is not None:
            self._captioner.unload()
            self._captioner = None

    def run(self, request: CoverRequest, ctx: JobContext, track_hash: str = "") -> CoverOutcome:
        variants = max(1, request.variants)
        clock: StepClock | None = None

        def on_progress(p: CoverProgress) -> None:
            nonlocal clock
            total = max(1, p.total) * variants
            done = p.image_index * max(1, p.total) + p.step
            if clock is None or clock.total_steps != total:
                clock = StepClock(total)
            eta = clock.tick(done)
            what = f"image {p.image_index + 1} of {variants}, " if variants > 1 else ""
            text = p.text or f"step {p.step} of {p.total}"
            ctx.progress(min(1.0, done / total), f"{what}{text} · {format_eta(eta)}")
            if p.preview is not None:
                ctx.partial(CoverPreview(p.step, p.total, p.image_index, variants, p.preview, eta))

        ctx.check_cancel()
        if request.engine == "design":
            from albumstudio.engines.design_cover import run as run_design

            result = run_design(request, on_progress, ctx.cancel)
        elif request.engine == "diffusion":
            result = self.diffusion_engine().run(request, on_progress, ctx.cancel)
        else:
            raise InputError(f"There is no '{request.engine}' cover engine; choose design or diffusion.")
        ctx.check_cancel()
        items = tuple(self._file(result, track_hash)) if self.history is not None else ()
        return CoverOutcome(result, items)

    def _file(self, result: CoverResult, track_hash: str) -> list[HistoryItem]:
        assert self.history is not None
        items = []
        for image in result.images:
            stored = replace(result.request, seed=image.seed, variants=1)
            items.append(self.history.add(
                "cover", image.png, ".png", width=image.width, height=image.height,
                seed=image.seed, engine=result.request.engine, track_hash=track_hash,
                request=stored.to_dict(), notes="; ".join(image.notes or result.notes),
            ))
        return items


def preload_diffusion_libraries(ctx: JobContext) -> bool:
    """Import diffusers and transformers while the window is idle, when a Stable Diffusion model
    is installed (the import holds the interpreter lock for about half a second, which is better
    spent before the first Generate than during it). True when it imported them."""
    from albumstudio.core.cover import DEFAULT_SD_MODEL
    from albumstudio.engines.models import is_installed

    if not is_installed(DEFAULT_SD_MODEL):
        return False
    ctx.check_cancel()
    import diffusers  # noqa: F401
    from diffusers import StableDiffusionControlNetPipeline  # noqa: F401

    return True

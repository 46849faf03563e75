"""The offline design cover engine: a finished square cover with no model at all.

With a reference image the picture gets a treatment (duotone, gradient map, halftone, soft
blur, natural grade); without one a generative background is drawn from the music's figures.
Colours come from the music (``core.mood_palette``) unless the request names a palette; then
vignette, artist and title, and film grain. Everything is seeded: the same request gives
byte-identical PNGs, variant ``i`` uses seed ``request.seed + i``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import cast

import numpy as np
from PIL import Image

from albumstudio.core.cover import (
    LAYOUTS,
    TREATMENTS,
    CoverImage,
    CoverRequest,
    CoverResult,
    DesignOptions,
)
from albumstudio.core.cover_options import AUTO
from albumstudio.core.design_plan import choose_pairing, decide
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import ProgressFn, steps_progress
from albumstudio.core.mood_palette import (
    hex_to_rgb,
    relative_luminance,
)
from albumstudio.engines.design_backgrounds import STYLE_LABELS, render_background
from albumstudio.engines.design_fonts import PAIRINGS, TypePairing
from albumstudio.engines.design_png import encode_png
from albumstudio.engines.design_treatments import (
    apply_treatment,
    film_grain,
    palette_rgb,
    vignette,
)
from albumstudio.engines.typography import draw_text, layout_text
from albumstudio.vision.crop import screen_copy

MIN_SIZE, MAX_SIZE = 256, 6000
MAX_VARIANTS = 16
PREVIEW_SIDE = 256
STAGES_PER_VARIANT = 5  # load or colours, picture, type, grain, encode (steps per variant)


DEFAULT_LAYOUT, DEFAULT_TREATMENT = "bottom-left", "duotone"  # what "auto" is without a preset


def resolved(options: DesignOptions) -> DesignOptions:
    """The options with "auto" layout and treatment made concrete."""
    from dataclasses import replace

    return replace(options,
                   layout=DEFAULT_LAYOUT if options.layout == AUTO else options.layout,
                   treatment=DEFAULT_TREATMENT if options.treatment == AUTO else options.treatment)


def run(request: CoverRequest, progress: ProgressFn | None = None,
        cancel: threading.Event | None = None) -> CoverResult:
    """``request.variants`` finished covers (PNG, ``request.size`` square) for the request."""
    started = time.perf_counter()
    if not isinstance(request.options, DesignOptions):
        raise InputError("The design engine was given another engine's settings; choose the "
                         "engine again.")
    request = replace_options(request, resolved(request.options))
    _validate(request)
    _check_palette(request)
    step = 0

    def report(text: str, index: int, preview: object = None) -> None:
        nonlocal step
        if cancel is not None and cancel.is_set():
            raise CancelledError("the cover was cancelled")
        step = step % STAGES_PER_VARIANT + 1
        if progress is not None:
            progress(steps_progress(step, STAGES_PER_VARIANT, text, index, request.variants,
                                    preview))

    picture = None
    images = []
    for index in range(request.variants):
        seed = request.seed + index
        if request.image_path and picture is None:
            report("Loading the reference image", index)
            picture = load_reference(request)
        else:
            report("Choosing the colours", index)
        cover, notes = render_cover(request, seed, picture, partial(report, index=index))
        preview = np.asarray(cover.resize((PREVIEW_SIDE, PREVIEW_SIDE),
                                          Image.Resampling.BILINEAR, reducing_gap=2.0))
        report("Saving the cover", index, preview)
        images.append(CoverImage(encode_png(cover), cover.width, cover.height, seed, notes,
                                 display=screen_copy(cover)))
    if cancel is not None and cancel.is_set():
        raise CancelledError("the cover was cancelled")
    # the first variant's design plan explains the job; each output keeps its own
    first_notes = images[0].notes if images else ()
    return CoverResult(request, tuple(images), time.perf_counter() - started, "cpu",
                       tuple(first_notes))


def replace_options(request: CoverRequest, options: DesignOptions) -> CoverRequest:
    from dataclasses import replace

    return replace(request, options=options)


def _validate(request: CoverRequest) -> None:
    if not MIN_SIZE <= int(request.size) <= MAX_SIZE:
        raise InputError(f"The cover size must be between {MIN_SIZE} and {MAX_SIZE} pixels, "
                         f"not {request.size}; choose a size in that range (3000 for stores).")
    if request.options.layout not in LAYOUTS:
        raise InputError(f"'{request.options.layout}' is not a type layout; choose one of: "
                         f"{', '.join(LAYOUTS)}.")
    if request.options.treatment not in TREATMENTS:
        raise InputError(f"'{request.options.treatment}' is not a treatment; choose one of: "
                         f"{', '.join(TREATMENTS)}.")
    if not 1 <= int(request.variants) <= MAX_VARIANTS:
        raise InputError(f"Ask for between 1 and {MAX_VARIANTS} variants, not "
                         f"{request.variants}.")


def _check_palette(request: CoverRequest) -> None:
    for colour in request.options.palette:
        try:
            hex_to_rgb(str(colour))
        except ValueError:
            raise InputError(f"'{colour}' is not a colour; write palette colours as #rrggbb, "
                             "for example #1a2b3c.") from None


def load_reference(request: CoverRequest) -> Image.Image:
    """The request's reference image cropped square: scaled down to the cover size when larger,
    left at its own size when smaller (the treatments scale it up after their colour work)."""
    from albumstudio.vision.crop import apply_crop, clamp_crop, default_crop
    from albumstudio.vision.image_load import load_image

    image = load_image(cast(str, request.image_path))  # callers pass a request with a picture
    crop = default_crop(*image.size) if request.crop is None else clamp_crop(request.crop,
                                                                             *image.size)
    image = apply_crop(image, crop, min(crop.size, int(request.size)))
    return image if image.mode == "RGB" else image.convert("RGB")


def pairing_for(request: CoverRequest, seed: int) -> TypePairing:
    """The fonts :func:`core.design_plan.choose_pairing` picks for this variant."""
    return PAIRINGS[choose_pairing(request, seed).value]


def render_cover(request: CoverRequest, seed: int, picture: Image.Image | None,
                 stage: Callable[[str], None] | None = None) -> tuple[Image.Image, tuple[str, ...]]:
    """One finished cover (an RGB image, before encoding) and notes on how it was made;
    ``stage`` is called as each of three stages starts."""
    def say(text: str) -> None:
        if stage is not None:
            stage(text)

    plan = decide(request, seed, picture is not None)
    palette = plan.palette
    size = int(request.size)
    if picture is not None:
        say(f"Applying the {plan.ground.value} treatment")
        cover = apply_treatment(plan.ground.value, picture, palette, seed, size)
    else:
        say(f"Drawing the background ({STYLE_LABELS[plan.ground.value]})")
        cover = render_background(plan.ground.value, size, palette, request.mood, seed)
    say("Setting the type")
    edge = palette_rgb(palette.shadow)
    if relative_luminance(palette.shadow) > 0.04:
        edge = tuple(round(v * 0.4) for v in edge)  # type: ignore[assignment]
    if request.options.vignette > 0:
        cover = Image.fromarray(vignette(np.asarray(cover), float(request.options.vignette), edge))
    pairing = PAIRINGS[plan.pairing.value]
    boxes = layout_text(size, request.title, request.artist, plan.layout.value, pairing)
    if boxes:
        draw_text(cover, boxes, palette)
    say("Adding film grain")
    if request.options.grain > 0:
        cover = Image.fromarray(film_grain(np.asarray(cover), float(request.options.grain), seed))
    notes = plan.notes() if boxes else tuple(n for n in plan.notes() if not n.startswith("type:"))
    return cover, notes

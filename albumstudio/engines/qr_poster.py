"""The plain poster engine (offline): a styled code in the cover's colours, checked by two
decoders, placed on a poster with the cover art and the artist's words.

Nothing is handed back unless the code in the very pixels returned scans in every view (see
:mod:`albumstudio.engines.qr_scan`); a PDF is the vector twin of the PNG that was checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from PIL import Image

from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import Progress, ProgressFn
from albumstudio.core.qr import (
    POSTER_FORMATS,
    POSTER_SIZES,
    PlainQrOptions,
    PosterResult,
    QrRequest,
    ScanReport,
)
from albumstudio.engines.design_png import encode_png
from albumstudio.engines.qr_code import (
    QrSymbol,
    make_symbol,
    palette_of,
    pick_colours,
    render_code,
    symbols,
)
from albumstudio.engines.qr_scan import scan

CODE_MODULE_PX = 16  # the code alone: 16 px modules, as the QR ControlNet's card advises


class ScanFailedError(InputError):
    """The code would not scan; nothing is written."""


def check_request(request: QrRequest) -> None:
    """The cheap checks, before anything is loaded or drawn (InputError with one sentence)."""
    if request.size not in POSTER_SIZES:
        raise InputError(f"There is no poster size '{request.size}'; choose one of: "
                         f"{', '.join(POSTER_SIZES)}.")
    if request.format not in POSTER_FORMATS:
        raise InputError(f"Posters are saved as PNG or PDF, not '{request.format}'.")
    make_symbol(request.payload)


def load_picture(path: str) -> Image.Image | None:
    if not path:
        return None
    from albumstudio.vision.image_load import load_image

    return load_image(path)


def poster_from_code(request: QrRequest, symbol: QrSymbol,
                     code_at: Callable[[int], np.ndarray],
                     cover: Image.Image | None, colours: tuple[str, str], style: str,
                     logo: Image.Image | None = None,
                     vector_code: bool = True) -> PosterResult:
    """Place the code drawn by ``code_at(module_px)`` on the request's poster, check the
    poster's own pixels, and encode it (the PDF draws the code as vectors when
    ``vector_code``, else as the checked image)."""
    from albumstudio.engines.poster_layout import layout, render_png

    dark, light = colours
    size = POSTER_SIZES[request.size]
    plan = layout(size, symbol, has_cover=cover is not None, title=request.title,
                  artist=request.artist, cta=request.cta, text_colour=_text_colour(light),
                  background=dark)
    module = plan.qr[2]
    code = code_at(module)
    sheet = render_png(plan, cover, code, light)
    pixels = np.asarray(sheet)
    x, y = plan.qr[0], plan.qr[1]
    left, top, right, bottom = scan_region((x, y, plan.qr_side, plan.qr_side), module, pixels)
    crop = pixels[top:bottom, left:right]
    report = scan(crop, request.payload, module, fail_fast=True)
    if not report.ok:
        raise ScanFailedError(_unscannable(report, logo is not None))
    png = b""
    preview = None
    if request.format == "pdf":
        from albumstudio.engines.poster_pdf import render_pdf

        preview = preview_of(sheet)  # the gallery's thumbnail: a PDF is not a picture

        if vector_code:
            data = render_pdf(plan, cover, symbol, style, dark, light, logo)
        else:
            data = render_pdf(plan, cover, symbol, style, dark, light, logo,
                              code_image=Image.fromarray(code))
        media = "application/pdf"
    else:
        png = encode_png(sheet)
        data, media = png, "image/png"
    return PosterResult(data, media, size.width, size.height, report, png,
                        (x, y, plan.qr_side, plan.qr_side), colours, preview=preview)


PREVIEW_SIDE = 512


def preview_of(sheet: Image.Image) -> np.ndarray:
    """A small RGB copy of a poster (longest side ``PREVIEW_SIDE``), kept beside a PDF."""
    small = sheet.convert("RGB")
    small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(small)


def scan_region(qr_box: tuple[int, int, int, int], module: int,
                pixels: np.ndarray) -> tuple[int, int, int, int]:
    """What a phone frames when it reads a poster: the code with its quiet zone and four
    modules of the poster around it (left, top, right, bottom in pixels)."""
    x, y, w, h = qr_box
    margin = 4 * module
    return (max(0, x - margin), max(0, y - margin), min(pixels.shape[1], x + w + margin),
            min(pixels.shape[0], y + h + margin))


class CodeDrawer:
    """Draws one code at any module size (the plain tier's styled modules)."""

    def __init__(self, symbol: QrSymbol, style: str, dark: str, light: str,
                 logo: Image.Image | None) -> None:
        self.symbol, self.style, self.dark, self.light, self.logo = symbol, style, dark, light, logo

    def __call__(self, module_px: int) -> np.ndarray:
        return render_code(self.symbol, self.style, self.dark, self.light, module_px, self.logo)


def _text_colour(light: str) -> str:
    from albumstudio.core.qr import contrast_ratio

    return light if contrast_ratio(light, "#1e1e1e") >= 7 else "#f5f5f5"


def _unscannable(report: ScanReport, with_logo: bool) -> str:
    failed = report.failed()[0]
    why = f"{failed.decoder} could not read it at {failed.view}"
    if with_logo:
        return (f"The code with this logo does not scan ({why}); use a simpler logo, a shorter "
                "link, or no logo.")
    return (f"The code does not scan ({why}); choose the square style or colours with more "
            "contrast.")


def checked_code(payload: str, style: str, dark: str, light: str, module_px: int,
                 logo: Image.Image | None = None) -> tuple[QrSymbol, np.ndarray, ScanReport]:
    """The code alone, drawn and read back in every view; when a decoder stumbles, the same
    data with another mask pattern (ScanFailedError when none scans)."""
    first: ScanReport | None = None
    for symbol in symbols(payload):
        image = render_code(symbol, style, dark, light, module_px, logo)
        report = scan(image, payload, module_px, fail_fast=True)
        if report.ok:
            return symbol, image, report
        first = first or report
    raise ScanFailedError(_unscannable(first or ScanReport(), logo is not None))


def run(request: QrRequest, progress: ProgressFn | None = None,
        cancel: threading.Event | None = None) -> PosterResult:
    """Make the poster (or the code alone) of ``request``."""
    from dataclasses import replace

    options = request.options
    if not isinstance(options, PlainQrOptions):
        raise InputError("The plain poster engine was given another engine's settings.")
    check_request(request)

    def step(fraction: float, text: str) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError("making the poster")
        if progress is not None:
            progress(Progress(fraction, text))

    step(0.0, "reading the picture")
    cover = load_picture(request.image_path)
    logo = load_picture(options.logo_path)
    dark, light = pick_colours(palette_of(cover), options.dark, options.light)
    step(0.3, "drawing the code")
    notes = (f"palette: code in {dark} on {light}"
             + (" (from the picture)" if cover is not None and not options.dark else ""),)
    if request.code_only:
        symbol, code, report = checked_code(request.payload, options.style, dark, light,
                                            CODE_MODULE_PX, logo)
        step(0.9, "saving")
        png = encode_png(code)
        data, media = png, "image/png"
        if request.format == "pdf":
            from albumstudio.engines.poster_pdf import code_pdf

            data = code_pdf(symbol, options.style, dark, light, CODE_MODULE_PX, logo)
            media = "application/pdf"
        side = code.shape[0]
        return PosterResult(data, media, side, side, report, png, (0, 0, side, side),
                            (dark, light), notes,
                            preview=preview_of(Image.fromarray(code)) if media != "image/png"
                            else None)
    step(0.4, "laying out the poster")
    failure: ScanFailedError | None = None
    for symbol in symbols(request.payload):
        drawer = CodeDrawer(symbol, options.style, dark, light, logo)
        try:
            result = poster_from_code(request, symbol, drawer, cover, (dark, light),
                                      options.style, logo)
        except ScanFailedError as exc:
            failure = failure or exc
            step(0.5, "trying another mask pattern")
            continue
        step(1.0, "done")
        return replace(result, notes=notes)
    assert failure is not None
    raise failure

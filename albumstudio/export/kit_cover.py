"""The release kit's cover files: the profile's size, sRGB JPEG under its size cap, PNG master.

A cover smaller than the profile's size is enlarged by the super-resolution model when one is
installed (``enlarge``, passed in by the service: engines.upscale), then brought to the
profile's size with Lanczos; without one (or when it cannot be loaded, which a note says) it
is enlarged with Lanczos and a mild unsharp mask. The JPEG
carries an embedded sRGB ICC profile and nothing else (no EXIF, no XMP); its quality is the
highest that fits the profile's file cap, found by binary search. The PNG master gets the same
ICC profile as an ``iCCP`` chunk added to the PNG the engine made, so its pixels are not
encoded twice.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageFilter

JPEG_QUALITY_MAX = 95
JPEG_QUALITY_MIN = 60
SR_NOTE = "no super-resolution model installed: enlarged with Lanczos and mild sharpening"
SR_USED = "enlarged by the super-resolution model"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@functools.cache
def srgb_icc() -> bytes:
    """The ICC profile of sRGB (Little CMS's built-in one; made once, so every file of a run
    carries the same bytes). Little CMS stamps the header's creation date (bytes 24-35) with
    the clock; a fixed date makes the same kit the same bytes in every run and process (the
    profile has no ID hash over the header to keep in step)."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    fixed_date = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)
    return icc[:24] + fixed_date + icc[36:] if icc[84:100] == bytes(16) else icc


@dataclass(frozen=True)
class CoverFiles:
    jpeg: bytes
    png: bytes
    side: int
    quality: int
    upscaled_from: int  # the side before enlarging (== side when not enlarged)
    notes: tuple[str, ...] = ()
    super_resolution: bool = False  # enlarged by the super-resolution model


Enlarge = Callable[[Image.Image], Image.Image]  # a picture enlarged by a super-resolution model


def fit_side(image: Image.Image, side: int, enlarge: Enlarge | None = None,
             model: str = "") -> tuple[Image.Image, tuple[str, ...]]:
    """``image`` as RGB at ``side``×``side``: enlarged by ``enlarge`` (the super-resolution
    model ``model``) then Lanczos, or with Lanczos plus a mild unsharp mask, or reduced with
    Lanczos; a non-square picture is centre-cropped first."""
    from albumstudio.core.errors import UserFacingError

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    notes: list[str] = []
    w, h = rgb.size
    if w != h:
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        rgb = rgb.crop((left, top, left + s, top + s))
        notes.append(f"cropped to the centre square ({w}×{h} → {s}×{s})")
    if rgb.width == side:
        return rgb, tuple(notes)
    enlarging = rgb.width < side
    if enlarging and enlarge is not None:
        try:
            larger = enlarge(rgb)
        except UserFacingError as exc:  # the kit stands: Lanczos, and the note says why
            notes.append(f"super-resolution not used: {exc.message}")
        else:
            notes.append(f"{SR_USED} {model} ({rgb.width} → {larger.width} px), then Lanczos "
                         f"to {side} px")
            return larger.resize((side, side), Image.Resampling.LANCZOS), tuple(notes)
    out = rgb.resize((side, side), Image.Resampling.LANCZOS)
    if enlarging:
        out = out.filter(ImageFilter.UnsharpMask(radius=2, percent=60, threshold=2))
        notes.append(f"{SR_NOTE} ({rgb.width} → {side} px)")
    return out, tuple(notes)


def encode_jpeg(image: Image.Image, quality: int, icc: bytes, optimize: bool = True) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2,
               optimize=optimize, icc_profile=icc)
    return out.getvalue()


def jpeg_under(image: Image.Image, max_bytes: int | None, icc: bytes) -> tuple[bytes, int]:
    """The highest-quality JPEG (``JPEG_QUALITY_MIN``..``JPEG_QUALITY_MAX``) no larger than
    ``max_bytes`` (binary search), and its quality; the smallest one tried when none fits (the
    file-size check then says so). Under a cap the trials are encoded without Huffman
    optimisation (three times faster, a few per cent larger) and the best that fits is kept
    as it is."""
    if max_bytes is None:
        return encode_jpeg(image, JPEG_QUALITY_MAX, icc), JPEG_QUALITY_MAX
    cap = max_bytes
    tried: dict[int, bytes] = {}

    def fits(quality: int) -> bool:
        tried[quality] = encode_jpeg(image, quality, icc, optimize=False)
        return len(tried[quality]) <= cap

    quality = JPEG_QUALITY_MAX
    if not fits(quality):
        found, low, high = JPEG_QUALITY_MIN, JPEG_QUALITY_MIN, JPEG_QUALITY_MAX - 1
        while low <= high:
            mid = (low + high) // 2
            if fits(mid):
                found, low = mid, mid + 1
            else:
                high = mid - 1
        quality = found
    data = tried.get(quality) or encode_jpeg(image, quality, icc, optimize=False)
    return data, quality


def with_icc(png: bytes, icc: bytes) -> bytes:
    """``png`` with an ``iCCP`` chunk (profile "sRGB") after its header, unless it already
    carries a colour profile (iCCP or sRGB chunk)."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    (length,) = struct.unpack(">I", png[8:12])
    header_end = 8 + 12 + length
    at = header_end
    while at + 8 <= len(png):
        (size,) = struct.unpack(">I", png[at:at + 4])
        kind = png[at + 4:at + 8]
        if kind in (b"iCCP", b"sRGB"):
            return png
        if kind in (b"IDAT", b"IEND"):
            break
        at += 12 + size
    data = b"sRGB\0\0" + zlib.compress(icc, 9)
    chunk = (struct.pack(">I", len(data)) + b"iCCP" + data
             + struct.pack(">I", zlib.crc32(data, zlib.crc32(b"iCCP"))))
    return png[:header_end] + chunk + png[header_end:]


_METADATA_TEXT = (b"XML:com.adobe.xmp\0", b"Raw profile type exif\0", b"Raw profile type xmp\0")


def without_metadata(png: bytes) -> bytes:
    """``png`` without EXIF (``eXIf``) and XMP or raw-EXIF text chunks: what a camera or an
    editor put there stays out of the kit. Other chunks, pixels included, are kept as they are."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    parts, at = [png[:8]], 8
    while at + 12 <= len(png):
        (size,) = struct.unpack(">I", png[at:at + 4])
        kind = png[at + 4:at + 8]
        end = at + 12 + size
        body = png[at + 8:at + 8 + size]
        drop = kind == b"eXIf" or (kind in (b"tEXt", b"iTXt", b"zTXt")
                                   and body.startswith(_METADATA_TEXT))
        if not drop:
            parts.append(png[at:end])
        at = end
        if kind == b"IEND":
            break
    return b"".join(parts)


def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def make_cover_files(png: bytes, side: int, max_bytes: int | None,
                     enlarge: Enlarge | None = None, model: str = "") -> CoverFiles:
    """The kit's cover.jpg and cover.png from the cover the engine made (PNG bytes): enlarged
    (by ``enlarge``, the super-resolution model ``model``, when given) or reduced to ``side``
    when needed, the JPEG within ``max_bytes``."""
    from albumstudio.core.errors import InputError

    icc = srgb_icc()
    try:
        with Image.open(io.BytesIO(png)) as source:
            source.load()
            original = source.width
            fitted, notes = fit_side(source, side, enlarge, model)
            unchanged = not notes and source.mode == "RGB" and source.format == "PNG"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"The cover could not be read as a picture ({exc}); make it again "
                         "or choose another.") from None
    jpeg, quality = jpeg_under(fitted, max_bytes, icc)
    master = with_icc(without_metadata(png) if unchanged else png_of(fitted), icc)
    used = any(n.startswith(SR_USED) for n in notes)
    return CoverFiles(jpeg, master, side, quality, original, notes, used)


def gray_pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32)

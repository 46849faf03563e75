"""Open a reference picture safely: every bad file becomes one sentence, every good one plain RGB.

EXIF orientation is applied, colour profiles are converted to sRGB where possible and then
dropped with the rest of the metadata, alpha is laid over white, and 16-bit or float pixels are
scaled (not clipped) to 8 bits. Animated files give their first frame.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, UnidentifiedImageError

from albumstudio.core.errors import InputError
from albumstudio.core.text import display_name

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own decompression-bomb error limit
MIN_SIDE = 64
SNIFF_BYTES = 1024

_ORIENTATION_TAG = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_HEVC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm",
                          b"hevs"})
_HEIF_GENERIC_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HIGH_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
_READABLE = "JPEG, PNG, WebP, GIF, BMP or TIFF"
# raster formats whose Pillow decoders are built in and self-contained (EPS, for one, would
# hand the file to Ghostscript); HEIF exists only once pillow-heif registers it
PILLOW_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "DIB", "TIFF", "ICO", "TGA",
                  "PPM", "JPEG2000", "AVIF", "HEIF")
_EXPORT_HINT = "export the photo as JPEG or PNG"
_MAGIC_KINDS = (
    (b"%PDF", "a PDF document"), (b"%!PS", "a PostScript or EPS drawing"), (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"ID3", "an MP3 audio file"), (b"\xff\xfb", "an MP3 audio file"),
    (b"fLaC", "a FLAC audio file"), (b"OggS", "an Ogg audio file"),
    (b"\x1a\x45\xdf\xa3", "a video file"),
)
_IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def load_image(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS,
               ) -> Image.Image:
    """The picture at ``path`` as a fully loaded, upright RGB image with no metadata.

    Raises InputError (one sentence) for a missing, empty, unreadable, damaged, oversized or
    too-small file, and for formats that need a plugin that is not installed. The pixel limit
    is checked from the header, before any pixels are decoded.
    """
    text_path = os.fspath(path)
    with _opened(text_path, max_pixels) as im:
        try:
            im.load()
            orientation = _orientation(im)
            rgb = _to_rgb(im)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb_error(text_path, im.size, max_pixels, exc) from None
        except MemoryError:
            raise _out_of_memory(text_path) from None
        except Exception:
            raise _damaged(text_path) from None
    transpose = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    if transpose is not None:
        rgb = rgb.transpose(transpose)
    rgb.info.clear()
    return rgb


def image_info(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS,
               ) -> tuple[int, int]:
    """``(width, height)`` of the upright picture, read from its header (same errors as load).

    A PNG whose EXIF comes after its pixel data is taken as unrotated (reading it would mean
    decoding the whole picture).
    """
    text_path = os.fspath(path)
    with _opened(text_path, max_pixels) as im:
        width, height = im.size
        exif_after_pixels = im.format == "PNG" and "exif" not in im.info
        if not exif_after_pixels and _orientation(im) in (5, 6, 7, 8):
            width, height = height, width
    return width, height


@contextmanager
def _quiet_decoding() -> Iterator[None]:
    """Pillow's size warning (we check the size ourselves) and its EXIF grumbles stay silent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


@contextmanager
def _opened(path: str, max_pixels: int) -> Iterator[Image.Image]:
    _check_file(path)
    head = _read_head(path)
    _check_kind(path, head)
    with _quiet_decoding():
        try:
            im = Image.open(path, formats=_available_formats())
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb_error(path, None, max_pixels, exc) from None
        except UnidentifiedImageError:
            raise _not_an_image(path, head) from None
        except PermissionError:
            raise _permission_error(path) from None
        except FileNotFoundError:
            raise _missing(path) from None
        except MemoryError:
            raise _out_of_memory(path) from None
        except Exception:
            raise _damaged(path) from None
        with im:
            _check_size(path, im, max_pixels)
            _check_memory(path, im)
            yield im


def _available_formats() -> list[str]:
    Image.init()
    return [name for name in PILLOW_FORMATS if name in Image.OPEN]


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise _missing(path)
    if os.path.isdir(path):
        raise InputError(f"{_quoted(path)} is a folder, not an image; choose an image file "
                         "inside it.")
    try:
        size = os.path.getsize(path)
    except OSError:
        raise _missing(path) from None
    if size == 0:
        raise InputError(f"{_quoted(path)} is empty (0 bytes); export the image again or choose "
                         "another file.")


def _read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(SNIFF_BYTES)
    except PermissionError:
        raise _permission_error(path) from None
    except FileNotFoundError:
        raise _missing(path) from None
    except OSError as exc:
        reason = (exc.strerror or "read error").lower()
        raise InputError(f"{_quoted(path)} could not be opened ({reason}); check the name and "
                         "the drive, then try again.") from None


def _check_kind(path: str, head: bytes) -> None:
    """Formats Pillow cannot read here get a sentence that says what to do instead."""
    if _looks_like_svg(head):
        raise InputError(f"{_quoted(path)} is a vector drawing (SVG); export it as a PNG and "
                         "choose that instead.")
    brands = _ftyp_brands(head)
    if brands & _AVIF_BRANDS and not brands & _HEVC_BRANDS:
        if not _avif_supported() and not _register_heif():
            raise InputError(f"{_quoted(path)} is an AVIF image, which this installation cannot "
                             f"read; {_EXPORT_HINT} and choose that instead.")
    elif brands & (_HEVC_BRANDS | _HEIF_GENERIC_BRANDS):
        if not _register_heif():
            raise InputError(f"{_quoted(path)} is a HEIC/HEIF photo, which needs the optional "
                             f"pillow-heif plugin; install it, or {_EXPORT_HINT}.")


def _ftyp_brands(head: bytes) -> frozenset[bytes]:
    """The major and compatible brands of an ISO media file (HEIC, AVIF, MP4), else empty."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return frozenset()
    box_end = min(int.from_bytes(head[0:4], "big"), len(head))
    compatible = (head[i:i + 4] for i in range(16, box_end - 3, 4))
    return frozenset({head[8:12], *compatible})


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<svg", b"<?xml", b"<!doctype svg", b"<!--")) and b"<svg" in text


def _avif_supported() -> bool:
    from PIL import features

    try:
        return bool(features.check("avif"))
    except Exception:
        return False


def _register_heif() -> bool:
    try:
        import pillow_heif  # type: ignore[import-not-found]

        pillow_heif.register_heif_opener()
    except Exception:
        return False
    return True


def _check_size(path: str, im: Image.Image, max_pixels: int) -> None:
    width, height = im.size
    if width * height > max_pixels:
        raise _bomb_error(path, im.size, max_pixels, None)
    if min(width, height) < MIN_SIDE:
        raise InputError(f"{_quoted(path)} is only {width}×{height} pixels, too small to make a "
                         f"cover from; choose an image at least {MIN_SIDE} pixels on each side.")


# bytes per pixel of each decoded mode; the upright RGB result and a conversion's working copy
# (an RGBA over white for a picture with transparency) come on top
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "PA": 2, "LA": 2, "La": 2, "I;16": 2, "I;16L": 2,
               "I;16B": 2, "I;16N": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3}
_WORKING_BYTES = 8


def memory_budget() -> int:
    """What one picture may take while it is opened: a quarter of this computer's memory, at
    least 1 GiB (so a small laptop refuses what a workstation opens)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 8 << 30
    return max(1 << 30, total // 4)


def _check_memory(path: str, im: Image.Image) -> None:
    """Judged by the memory the decoded picture would need, before a pixel is decoded."""
    width, height = im.size
    need = width * height * (_MODE_BYTES.get(im.mode, 4) + _WORKING_BYTES)
    budget = memory_budget()
    if need > budget:
        raise InputError(f"{_quoted(path)} would need about {_gigabytes(need)} of memory to "
                         f"open ({width}×{height} pixels), more than this computer can spare for "
                         f"a picture ({_gigabytes(budget)}); use a smaller image.")


def _gigabytes(size: int) -> str:
    return f"{size / (1 << 30):.1f} GB"


def _bomb_error(path: str, size: tuple[int, int] | None, max_pixels: int,
                exc: BaseException | None) -> InputError:
    pixels = size[0] * size[1] if size else None
    limit = max_pixels
    if exc is not None:  # Pillow's own limit: "Image size (N pixels) exceeds limit of M pixels"
        numbers = [int(n) for n in re.findall(r"\d+", str(exc))]
        if pixels is None and numbers:
            pixels = numbers[0]
        if len(numbers) >= 2:
            limit = min(limit, numbers[1])
    size_text = f"is {_megapixels(pixels)}" if pixels else "is too large"
    return InputError(f"{_quoted(path)} {size_text}, more than the limit of "
                      f"{_megapixels(limit)}; use a smaller image.")


def _megapixels(pixels: int) -> str:
    value = pixels / 1_000_000
    if value >= 10:
        text = f"{value:.0f}"
    elif value >= 1:
        text = f"{value:.1f}".removesuffix(".0")
    else:
        text = f"{value:.2g}"
    return f"{text} megapixel" + ("" if text == "1" else "s")


def _quoted(path: str) -> str:
    name = "".join(c if c.isprintable() else "?" for c in display_name(path))
    return f"'{name}'"


def _missing(path: str) -> InputError:
    return InputError(f"{_quoted(path)} was not found; check that the file still exists or "
                      "choose it again.")


def _permission_error(path: str) -> InputError:
    return InputError(f"{_quoted(path)} cannot be read because you do not have permission to "
                      "open it; check its permissions or copy it to a folder you own.")


def _out_of_memory(path: str) -> InputError:
    return InputError(f"{_quoted(path)} is too large to open with the memory available; use a "
                      "smaller image.")


def _damaged(path: str) -> InputError:
    return InputError(f"{_quoted(path)} is damaged or incomplete and cannot be read; export "
                      "the image again or choose another file.")


def _not_an_image(path: str, head: bytes) -> InputError:
    if head.startswith(_IMAGE_MAGICS) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return _damaged(path)
    kind = next((k for magic, k in _MAGIC_KINDS if head.startswith(magic)), None)
    if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        kind = "a WAV audio file"
    if kind is None and _ftyp_brands(head):
        kind = "an audio or video file"
    if kind is None:
        kind = "a text file" if _is_text(head) else "something else"
    return InputError(f"{_quoted(path)} is not an image (it looks like {kind}); choose a "
                      f"{_READABLE} file.")


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1 when absent or unreadable: a bad EXIF never fails the load)."""
    try:
        value = int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:
        return 1
    return value if value in _TRANSPOSE_FOR_ORIENTATION else 1


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in _HIGH_BIT_MODES:
        return Image.fromarray(_scaled_to_bytes(np.asarray(im))).convert("RGB")
    if im.mode in ("RGB", "CMYK") and im.info.get("icc_profile"):
        converted = _to_srgb(im)
        if converted is not None:
            return converted
    if im.mode == "RGB" and not im.has_transparency_data:
        return im.copy()
    if im.has_transparency_data and im.mode != "CMYK":
        return _over_white(im.convert("RGBA"))
    return im.convert("RGB")


def _scaled_to_bytes(values: np.ndarray) -> np.ndarray:
    """16-bit, 32-bit or float samples mapped onto 0..255 by their nominal range.

    Worked through in bands of rows, so a 13000² 16-bit picture costs its 8-bit result and one
    band of floats, not five full-size float64 copies."""
    out = np.zeros(values.shape, np.uint8)
    found = _finite_range(values)
    if found is None:
        return out
    low, high = found
    scale: float | None = None
    if values.dtype.kind == "f" and low >= 0.0 and high <= 1.0:
        scale = 255.0
    elif low >= 0 and high <= 255 and values.dtype.itemsize > 2:
        scale = 1.0
    elif low >= 0 and high <= 65535:
        scale = 255.0 / 65535.0
    for rows in _row_bands(values):
        data = values[rows].astype(np.float64)
        if scale is None:
            data = (data - low) * (255.0 / (high - low)) if high > low else np.zeros_like(data)
        else:
            data *= scale
        data = np.nan_to_num(data, nan=0.0, posinf=255.0, neginf=0.0)
        out[rows] = np.clip(np.rint(data), 0, 255).astype(np.uint8)
    return out


def _row_bands(values: np.ndarray, elements: int = 1 << 22) -> Iterator[slice]:
    rows = max(1, elements // max(1, values[0].size if values.shape[0] else 1))
    for start in range(0, values.shape[0], rows):
        yield slice(start, start + rows)


def _finite_range(values: np.ndarray) -> tuple[float, float] | None:
    """The smallest and largest finite sample (None when there is none), band by band."""
    if values.dtype.kind in "iub":
        return (float(values.min()), float(values.max())) if values.size else None
    low, high = math.inf, -math.inf
    for rows in _row_bands(values):
        band = values[rows]
        finite = band[np.isfinite(band)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return (low, high) if low <= high else None


def _over_white(rgba: Image.Image) -> Image.Image:
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _to_srgb(im: Image.Image) -> Image.Image | None:
    """The image converted from its embedded ICC profile to sRGB, or None if that fails."""
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        if im.mode == "RGB" and "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        result = ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"),
                                           outputMode="RGB")
    except Exception:
        return None
    return result if isinstance(result, Image.Image) else None

"""A fast, deterministic PNG writer for 8-bit RGB covers.

Every row uses the "Up" filter (computed with numpy in one pass) and the filtered rows are
deflated at level 1 in a fixed number of slices, compressed in parallel (zlib releases the
interpreter lock) and joined into one zlib stream the way pigz does: each slice but the last
ends on a full flush, so the next slice can start a fresh raw deflate stream. The slice count
does not depend on the machine, so the bytes are the same everywhere. About twice as fast as
Pillow's encoder at ``compress_level=1`` on a 3000² cover with grain, and files as small.
"""

from __future__ import annotations

import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PIL import Image

SLICES = 4
LEVEL = 1
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _filtered_rows(pixels: np.ndarray) -> np.ndarray:
    """(height, 1 + width·3) uint8: filter byte 2 ("Up") then each row minus the row above."""
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError("expected (height, width, 3) RGB pixels")
    pixels = pixels.reshape(pixels.shape[0], pixels.shape[1] * 3)
    rows = np.empty((pixels.shape[0], pixels.shape[1] + 1), dtype=np.uint8)
    rows[:, 0] = 2
    rows[0, 1:] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])
    return rows


SAVE_LEVEL = 6  # the file the artist keeps: no larger than Pillow's default PNG (#12)
_NOISY_LEVEL = 5  # grain and photos: 2-13 % below Pillow's size, in half level 6's time
_SMOOTH_LEVEL = 7  # flat art: 2-3 % below Pillow's size (level 6 only ties with it)
_MAX_RAW = 6000 * (1 + 6000 * 3)  # the largest cover an engine makes (6000²)
_NOISY_RATIO = 0.1  # compressed/raw above this at level 5: the picture is "noisy"
_ZLIB_HEADERS = {1: b"\x78\x01", 6: b"\x78\x9c", 9: b"\x78\xda"}  # FLEVEL hints only


def _deflate(data: memoryview, last: bool, level: int = LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else
                                                        zlib.Z_FULL_FLUSH)


def _libdeflate() -> Any:
    try:
        import deflate  # libdeflate (MIT): better matches than zlib's at the same level, faster
    except ImportError:  # pragma: no cover - a dependency; zlib's slices are the fallback
        return None
    return deflate


def encode_png(image: Image.Image | np.ndarray, level: int = LEVEL) -> bytes:
    """PNG bytes (no metadata) of an RGB image or (H, W, 3) uint8 array; identical bytes for
    identical pixels. ``level`` 1 (fast, for the history) or :data:`SAVE_LEVEL` for saving,
    which libdeflate compresses as one stream: 2-10 % smaller than Pillow's default PNG of
    the same pixels (film grain included) in a quarter of its time."""
    if isinstance(image, Image.Image) and image.mode != "RGB":
        image = image.convert("RGB")
    rows = _filtered_rows(np.asarray(image, dtype=np.uint8))
    # numpy's stubs give ndarray __buffer__ (the Buffer protocol) only for Python 3.12+
    data = memoryview(rows.reshape(-1))  # type: ignore[arg-type]
    libdeflate = _libdeflate() if level >= SAVE_LEVEL else None
    if libdeflate is not None:
        return _png(rows, [_saved_stream(libdeflate, data, level)])
    bounds = [round(rows.shape[0] * i / SLICES) * rows.shape[1] for i in range(SLICES + 1)]
    parts = [(data[bounds[i]:bounds[i + 1]], i == SLICES - 1, level) for i in range(SLICES)]
    workers = max(1, min(SLICES, os.cpu_count() or 1))
    if workers == 1:
        deflated = [_deflate(*part) for part in parts]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            deflated = list(pool.map(lambda job: _deflate(*job), parts))
    return _png(rows, [_ZLIB_HEADERS.get(level, b"\x78\x5e"), *deflated,
                       struct.pack(">I", zlib.adler32(data))])


def _saved_stream(libdeflate: Any, data: memoryview, level: int) -> bytes:
    """The zlib stream of the saved PNG (``level`` :data:`SAVE_LEVEL`): libdeflate at level 5
    for noisy pictures (film grain, photos), already 2-13 % under Pillow's default PNG in half
    level 6's time, and at level 7 for smooth ones, which compress quickly at any level and
    where Pillow's per-row filters would tie with level 6. Depends on the pixels only."""
    if level != SAVE_LEVEL:
        return bytes(libdeflate.zlib_compress(data, level))
    quick = bytes(libdeflate.zlib_compress(data, _NOISY_LEVEL))
    if len(quick) > _NOISY_RATIO * len(data):
        return quick
    return bytes(libdeflate.zlib_compress(data, _SMOOTH_LEVEL))


def _png(rows: np.ndarray, idat: list[bytes]) -> bytes:
    """The PNG file of filtered ``rows`` whose zlib stream is the pieces of ``idat``."""
    crc = zlib.crc32(b"IDAT")
    for piece in idat:
        crc = zlib.crc32(piece, crc)
    height, width = rows.shape[0], (rows.shape[1] - 1) // 3
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join((_SIGNATURE, _chunk(b"IHDR", header),
                     struct.pack(">I", sum(len(p) for p in idat)), b"IDAT", *idat,
                     struct.pack(">I", crc), _chunk(b"IEND", b"")))


def recompressed(png: bytes, level: int = SAVE_LEVEL) -> bytes | None:
    """``encode_png(pixels, level)`` of a PNG this writer made (8-bit RGB, every row "Up"
    filtered), without decoding its pixels: the inflated rows are already the filtered rows.
    None for any other PNG (the caller decodes it)."""
    if not png.startswith(_SIGNATURE):
        return None
    pos, header, idat = len(_SIGNATURE), b"", []
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if len(header) != 13 or header[8:] != b"\x08\x02\x00\x00\x00":  # 8-bit RGB, plain
        return None
    width, height = struct.unpack(">II", header[:8])
    stride = 1 + 3 * width
    if height == 0 or stride * height > _MAX_RAW:
        return None  # left to the decoder and its own size limits
    libdeflate = _libdeflate() if level >= SAVE_LEVEL else None
    try:
        if libdeflate is not None:  # about three times zlib's speed; the size is known
            raw = libdeflate.zlib_decompress(b"".join(idat), stride * height)
        else:
            raw = zlib.decompress(b"".join(idat))
    except (zlib.error, ValueError, getattr(libdeflate, "DeflateError", ValueError)):
        return None
    if len(raw) != stride * height:
        return None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride)
    if not (rows[:, 0] == 2).all():
        return None  # another writer's filters: decode and encode again
    data = memoryview(raw)
    if libdeflate is not None:
        return _png(rows, [_saved_stream(libdeflate, data, level)])
    return encode_png(_unfiltered(rows), level)


def _unfiltered(rows: np.ndarray) -> np.ndarray:
    """(height, width, 3) pixels of "Up"-filtered rows (sums down the columns, modulo 256)."""
    pixels = np.cumsum(rows[:, 1:], axis=0, dtype=np.uint8)
    return pixels.reshape(rows.shape[0], -1, 3)

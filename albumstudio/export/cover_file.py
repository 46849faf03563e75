"""Writing a finished cover to the artist's chosen file: PNG or sRGB JPEG, atomically, never over their work."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from albumstudio.core.errors import InputError
from albumstudio.core.png_settings import with_settings
from albumstudio.core.text import display_name
from albumstudio.store.storage import check_place, write_users_file

COVER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
JPEG_QUALITY = 95


def check_output_path(path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Raise InputError when ``path`` cannot take a cover (bad type, folder missing, file there)."""
    target = Path(path)
    if target.suffix.lower() not in COVER_FORMATS:
        raise InputError(f"'{display_name(str(target))}' needs a .png or .jpg name; covers are "
                         "saved as PNG or JPEG.")
    check_place(target, "cover.png", overwrite)
    return target


def encode_cover(png: bytes, suffix: str, settings: Mapping[str, Any] | None = None) -> bytes:
    """PNG bytes (carrying ``settings``, the request that made them, when given), or re-encoded
    as an RGB JPEG (no EXIF or other metadata carried)."""
    fmt = COVER_FORMATS[suffix.lower()]
    if fmt == "PNG":
        return png if settings is None else with_settings(png, settings)
    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=True)
    return out.getvalue()


def write_cover(png: bytes, path: str | os.PathLike[str], overwrite: bool = False,
                settings: Mapping[str, Any] | None = None) -> Path:
    """Save a cover; a PNG carries ``settings`` (the request as a dict) in its text chunks."""
    target = check_output_path(path, overwrite)
    write_users_file(target, encode_cover(png, target.suffix, settings), overwrite)
    return target


def numbered(path: Path, index: int) -> Path:
    """cover.png, cover-2.png, cover-3.png … for variants."""
    return path if index == 0 else path.with_name(f"{path.stem}-{index + 1}{path.suffix}")

"""Generation settings carried inside a PNG, so they travel with the picture.

Two text chunks go right after the header (before the pixels, where readers look first):

- ``parameters``: the convention other image generators and image sites read. The prompt,
  then ``Negative prompt: …``, then one line ``Steps: 20, Sampler: …, CFG scale: 7.5,
  Seed: 1, Size: 512x512, Model: …`` (the keys an engine has; the design engine has no steps).
- ``albumstudio``: the whole request as JSON (``CoverRequest.to_dict``), which gives the exact
  request back (``CoverRequest.from_dict``).

Each is ``tEXt`` when its text is Latin-1 and ``iTXt`` (UTF-8) otherwise, as Pillow decides.
Nothing depends on the time or the machine, so the same request and pixels give the same bytes.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

PARAMETERS_KEY = "parameters"
ALBUMSTUDIO_KEY = "albumstudio"
SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")
MAX_TEXT = 1 << 20  # a settings chunk larger than this is not ours


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def text_chunk(key: str, text: str) -> bytes:
    name = key.encode("latin-1")
    try:
        return _chunk(b"tEXt", name + b"\0" + text.encode("latin-1"))
    except UnicodeEncodeError:
        # keyword, no compression (flag 0, method 0), no language tag, no translated keyword
        return _chunk(b"iTXt", name + b"\0\0\0\0\0" + text.encode("utf-8"))


def _chunks(png: bytes) -> list[tuple[bytes, bytes, int, int]]:
    """(type, data, start, end) of every chunk; ValueError when ``png`` is not a PNG."""
    if not png.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    out = []
    at = len(SIGNATURE)
    while at + 12 <= len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind = png[at + 4:at + 8]
        end = at + 12 + length
        if end > len(png):
            raise ValueError("the PNG file is cut short")
        out.append((kind, png[at + 8:at + 8 + length], at, end))
        at = end
        if kind == b"IEND":
            break
    if not out or out[0][0] != b"IHDR":
        raise ValueError("the PNG file has no header")
    return out


def _decode(kind: bytes, data: bytes) -> tuple[str, str] | None:
    key, sep, rest = data.partition(b"\0")
    if not sep:
        return None
    try:
        if kind == b"tEXt":
            return key.decode("latin-1"), rest.decode("latin-1")
        if kind == b"zTXt":
            text = zlib.decompressobj().decompress(rest[1:], MAX_TEXT)
            return key.decode("latin-1"), text.decode("latin-1")
        compressed, _method = rest[0], rest[1]
        _language, _, rest = rest[2:].partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        if compressed:
            text = zlib.decompressobj().decompress(text, MAX_TEXT)
        return key.decode("latin-1"), text.decode("utf-8")
    except (UnicodeDecodeError, zlib.error, IndexError):
        return None


def read_texts(png: bytes) -> dict[str, str]:
    """Every text chunk's key and text (ValueError when ``png`` is not a PNG)."""
    texts: dict[str, str] = {}
    for kind, data, _start, _end in _chunks(png):
        if kind in TEXT_TYPES and len(data) <= MAX_TEXT:
            found = _decode(kind, data)
            if found is not None:
                texts.setdefault(*found)
    return texts


def embed_texts(png: bytes, texts: Mapping[str, str]) -> bytes:
    """``png`` with these text chunks right after its header; chunks with the same keys are
    replaced, everything else (the pixels too) is kept byte for byte."""
    chunks = _chunks(png)
    header_end = chunks[0][3]
    added = [text_chunk(key, text) for key, text in texts.items()]
    rest = _without(png, chunks, set(texts))
    return b"".join((png[:header_end], *added, rest))


def _without(png: bytes, chunks: list[tuple[bytes, bytes, int, int]], keys: set[str]) -> bytes:
    kept = []
    for kind, data, start, end in chunks[1:]:
        if kind in TEXT_TYPES:
            found = _decode(kind, data)
            if found is not None and found[0] in keys:
                continue
        kept.append(png[start:end])
    return b"".join(kept)


def strip_settings(png: bytes) -> bytes:
    """``png`` without the settings chunks: the bytes the engine made."""
    chunks = _chunks(png)
    return png[:chunks[0][3]] + _without(png, chunks, {PARAMETERS_KEY, ALBUMSTUDIO_KEY})


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parameters_text(request: Mapping[str, Any], width: int = 0, height: int = 0) -> str:
    """The ``parameters`` text for a cover request (as ``CoverRequest.to_dict`` gives it)."""
    options = request.get("options") or {}
    if not isinstance(options, Mapping):
        options = {}
    lines = [str(request.get("prompt") or "")]
    negative = str(request.get("negative_prompt") or "")
    if negative:
        lines.append(f"Negative prompt: {negative}")
    size = int(request.get("size") or 0)
    pairs = [("Steps", options.get("steps")), ("Sampler", options.get("scheduler")),
             ("CFG scale", options.get("guidance")), ("Seed", request.get("seed")),
             ("Size", f"{width or size}x{height or size}" if (width or size) else None),
             ("Model", options.get("model") or f"AlbumStudio {request.get('engine', 'design')}"),
             ("Engine", request.get("engine"))]
    lines.append(", ".join(f"{key}: {_number(value)}" for key, value in pairs
                           if value is not None and value != ""))
    return "\n".join(lines)


def with_settings(png: bytes, request: Mapping[str, Any], width: int = 0,
                  height: int = 0) -> bytes:
    """``png`` carrying ``request`` both ways (``parameters`` and ``albumstudio``)."""
    return embed_texts(png, {
        PARAMETERS_KEY: parameters_text(request, width, height),
        ALBUMSTUDIO_KEY: json.dumps(request, ensure_ascii=False, sort_keys=True,
                                    separators=(",", ":")),
    })


def settings_of(png: bytes) -> dict[str, Any] | None:
    """The request an AlbumStudio PNG carries (None when it carries none; ValueError when the
    bytes are not a PNG)."""
    text = read_texts(png).get(ALBUMSTUDIO_KEY)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

"""How reading an audio file goes wrong: one sentence for people per failure, and the guarded
file that records I/O trouble instead of raising it into a decoder's C callbacks.

Shared by the front door (``decode``) and both backends, so it imports none of them.
"""

from __future__ import annotations

import io
import os
from typing import Any

from albumstudio.core import formats
from albumstudio.core.errors import InputError
from albumstudio.core.text import display_name

_FORMATS_WE_READ = formats.READABLE_LIST

_MAGIC_KINDS = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"),
)

_MESSAGES = {
    "missing": "{name} was not found; check that the file still exists or choose it again.",
    "folder": "{name} is a folder, not an audio file; choose a file inside it.",
    "format": "{name} is not a format we read; choose a " + _FORMATS_WE_READ + " file.",
    "empty": "{name} is empty (0 bytes); export the track again or choose another file.",
    "permission": "{name} cannot be read because you do not have permission to open it; "
                  "check its permissions or copy it to a folder you own.",
    "os": "{name} could not be opened ({reason}); check the name and the drive, then try again.",
    "looks_like": "{name} is not an audio file (it looks like {kind}); choose a "
                  + _FORMATS_WE_READ + " file.",
    "no_stream": "{name} has no audio stream (it may be a video without sound); "
                 "choose a file that contains sound.",
    "wav_header": "{name} has a damaged WAV header and cannot be read; "
                  "export it again from your audio editor.",
    "damaged": "{name} is damaged or not really an audio file; "
               "export it again or choose another file.",
    "vanished": "{name} disappeared or became unreadable while loading; check that the file "
                "and its drive are still there and try again.",
    "truncated": "{name} ends before its audio does (the file is cut short or damaged); "
                 "export or copy it again.",
    "no_audio": "{name} contains no audio (0 samples); choose a file that contains sound.",
    "rate": "{name} declares a sample rate of {rate} Hz, outside the 8–384 kHz that audio "
            "uses; it is damaged or not really a track, so export it again.",
    "channels": "{name} declares {channels} channels, more than the {limit} AlbumStudio "
                "reads; export a stereo or mono mix.",
}


def quoted_name(path: str) -> str:
    """The file's display name in single quotes, with control characters made harmless."""
    name = "".join(c if c.isprintable() else "?" for c in display_name(path))
    return f"'{name}'"


def input_error(key: str, path: str, **extra: str) -> InputError:
    """The InputError whose sentence is ``_MESSAGES[key]`` for ``path``."""
    return InputError(_MESSAGES[key].format(name=quoted_name(path), **extra))


def vanished_error(path: str) -> InputError:
    """The error for a file that went away or failed to read part-way through."""
    return input_error("vanished", path)


def read_error(path: str, handle: GuardedFile) -> InputError:
    """The error for a decoder that failed part-way: the drive's fault when reading the file
    failed or it shrank under us, else the file's own (it is cut short or damaged)."""
    return vanished_error(path) if handle.error is not None else input_error("truncated", path)


def no_audio_error(path: str) -> InputError:
    """The error for a file that opens but decodes to zero samples."""
    return input_error("no_audio", path)


def os_reason(exc: BaseException) -> str:
    """An OS error's reason in lower case without a trailing full stop, for a sentence."""
    return str(getattr(exc, "strerror", None) or "input/output error").rstrip(".").lower()


class GuardedFile:
    """A read-only file that never raises into C callbacks: it records the first I/O error
    (or the file shrinking under us) and reports end of file instead."""

    def __init__(self, raw: io.BufferedIOBase, size: int) -> None:
        self._raw = raw
        self._size = size
        self.error: BaseException | None = None

    def _short_read(self, asked: int, got: int) -> None:
        if self.error is None and got < asked:
            try:
                if os.fstat(self._raw.fileno()).st_size < self._size:
                    self.error = OSError("the file shrank while it was being read")
            except OSError as exc:
                self.error = exc

    def readinto(self, buffer: Any) -> int:
        if self.error is not None:
            return 0
        try:
            got = self._raw.readinto(buffer) or 0
        except (OSError, ValueError) as exc:
            self.error = exc
            return 0
        self._short_read(memoryview(buffer).nbytes, got)
        return got

    def read(self, size: int = -1) -> bytes:
        buf = bytearray(size if size is not None and size >= 0 else self._size)
        return bytes(buf[: self.readinto(buf)])

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        try:
            return self._raw.seek(offset, whence)
        except (OSError, ValueError) as exc:
            self.error = self.error or exc
            return self._raw.tell()

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()


def _sniff(handle: GuardedFile) -> str:
    handle.seek(0)
    head = handle.read(512)
    for magic, kind in _MAGIC_KINDS:
        if head.startswith(magic):
            return kind
    if head and sum(32 <= b < 127 or b in (9, 10, 13) for b in head) > 0.95 * len(head):
        return "text"
    return ""


def unreadable_error(path: str, handle: GuardedFile, no_stream: bool = False) -> InputError:
    """The most helpful error for a file neither backend could decode."""
    if handle.error is not None:
        return vanished_error(path)
    kind = _sniff(handle)
    if kind:
        return input_error("looks_like", path, kind=kind)
    if no_stream:
        return input_error("no_stream", path)
    handle.seek(0)
    head = handle.read(12)
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return input_error("wav_header", path)
    return input_error("damaged", path)

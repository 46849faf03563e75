"""When the disk says no: read-only drives, full disks, quotas and permissions as sentences.

A cache that cannot be written is not an error: the result is used and not kept, and one
warning per folder says so (:func:`note_unwritable`, :func:`take_warnings`). Saving the artist's
own file into such a place is an error, :class:`StorageError`, with one sentence.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

from albumstudio.core.errors import InputError, UserFacingError
from albumstudio.core.text import display_name

_REASONS = {
    errno.EROFS: ("the drive is read-only", "choose a folder on a drive you can write to"),
    errno.ENOSPC: ("the disk is full", "free some space or choose another drive"),
    errno.EDQUOT: ("your disk quota is used up", "free some space or choose another drive"),
    errno.EACCES: ("you do not have permission to write there",
                   "choose a folder you own or change its permissions"),
    errno.EPERM: ("you do not have permission to write there",
                  "choose a folder you own or change its permissions"),
    errno.EFBIG: ("the file is larger than the drive allows",
                  "choose a drive formatted for large files"),
    errno.EIO: ("the drive reported an input/output error",
                "check that the drive is still connected"),
}

_lock = threading.Lock()
_warnings: dict[str, str] = {}  # what -> sentence, in the order they were noted
_told: set[str] = set()  # those already handed to a listener or taken: never said twice
_listener: Callable[[str], None] | None = None


class StorageError(UserFacingError):
    """Saving failed because of the place, not the work (read-only, full, no permission)."""


def is_storage_fault(exc: BaseException) -> bool:
    """True for the OS errors that mean "this place cannot be written" rather than a bug."""
    return isinstance(exc, OSError) and exc.errno in _REASONS


def reason(exc: OSError) -> str:
    """Why, in words ("the disk is full"); the OS's own words for errors we do not name."""
    known = _REASONS.get(exc.errno or 0)
    if known:
        return known[0]
    return str(exc.strerror or "it could not be written").rstrip(".").lower()


def storage_error(exc: OSError, path: str | os.PathLike[str]) -> StorageError:
    """The one sentence for saving ``path`` failing with ``exc``."""
    known = _REASONS.get(exc.errno or 0)
    advice = known[1] if known else "check the folder and try again"
    return StorageError(f"Could not save '{display_name(os.fspath(path))}': {reason(exc)}; "
                        f"{advice}.")


def check_place(target: Path, example: str, overwrite: bool) -> None:
    """InputError (one sentence) when the artist's file cannot go at ``target``: a folder, a
    folder that does not exist, or a file already there without ``overwrite``. ``example`` is
    the file name suggested in place of a folder ("cover.png")."""
    name = display_name(str(target))
    if target.is_dir():
        raise InputError(f"'{name}' is a folder; give a file name such as {example}.")
    if not target.parent.is_dir():
        raise InputError(f"The folder for '{name}' does not exist; create it or choose another "
                         "place.")
    if target.exists() and not overwrite:
        raise InputError(f"'{name}' already exists; choose another name or pass --overwrite "
                         "to replace it.")


def write_users_file(target: Path, data: bytes, overwrite: bool) -> None:
    """Write the artist's file atomically: an existing one is replaced only with ``overwrite``
    (even against a write racing this one), and a read-only, full or forbidden place is a
    StorageError sentence with the old file kept and no temporary left."""
    from albumstudio.store.files import atomic_write_bytes

    try:
        atomic_write_bytes(target, data, replace=overwrite)
    except FileExistsError:  # made by someone else since the check: still not replaced
        raise InputError(f"'{display_name(str(target))}' already exists; choose another name "
                         "or pass --overwrite to replace it.") from None
    except OSError as exc:
        if is_storage_fault(exc):
            raise storage_error(exc, target) from None
        raise


def folder_problem(exc: OSError, folder: str | os.PathLike[str], what: str) -> str:
    """One sentence for a folder of ours (``what``: "the cache folder") that cannot be written."""
    return f"{_capital(what)} ({_shown(folder)}) cannot be written: {reason(exc)}."


def note_unwritable(folder: str | os.PathLike[str], exc: OSError, what: str,
                    consequence: str) -> None:
    """Remember, once per folder, that ``folder`` could not be written and what that means."""
    key = what  # one warning for all the cache's folders
    sentence = (f"{_capital(what)} ({_shown(folder)}) cannot be written ({reason(exc)}); "
                f"{consequence}.")
    with _lock:
        if key in _warnings:
            return
        _warnings[key] = sentence
        listener = _listener
        if listener is not None:
            _told.add(key)
    if listener is not None:
        listener(sentence)


def set_listener(listener: Callable[[str], None] | None) -> None:
    """Call ``listener`` (from whichever thread noted it) with each new warning; the window
    passes a Qt signal's emit, so the banner shows it on the main thread."""
    global _listener
    with _lock:
        _listener = listener


def take_warnings() -> list[str]:
    """The storage warnings not yet told, oldest first (each is told once per process)."""
    with _lock:
        found = [(k, s) for k, s in _warnings.items() if k not in _told]
        _told.update(k for k, _ in found)
    return [s for _, s in found]


def forget_warnings() -> None:
    """Start again as if nothing had been noted (tests; a folder that became writable)."""
    with _lock:
        _warnings.clear()
        _told.clear()


def _shown(folder: str | os.PathLike[str]) -> str:
    path = Path(folder)
    home = Path.home()
    try:
        text = "~/" + str(path.relative_to(home))
    except ValueError:
        text = str(path)
    return "".join(c if c.isprintable() else "?" for c in text)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]

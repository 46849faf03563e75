"""What the artist decided about models: licences acknowledged and local folders chosen per role.

One small JSON file in the data folder (``model_settings.json``), read afresh before every change
and written to a temporary name then moved into place, so two windows (or the window and the
CLI) never lose each other's choices and a crash never leaves half a file. A damaged file reads
as "nothing decided yet" and is kept aside.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from albumstudio.core.errors import UserFacingError
from albumstudio.store.files import atomic_write_bytes

FILE_NAME = "model_settings.json"
_LOCK = threading.Lock()


class ModelSettings:
    """Licence acknowledgements (model id → when), local folders (role → folder), what the
    last check of each model found and what its first download recorded."""

    def __init__(self, data_folder: str | os.PathLike[str]) -> None:
        self.path = Path(data_folder) / FILE_NAME

    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError):
            try:
                os.replace(self.path, self.path.with_suffix(".damaged.json"))
            except OSError:
                pass
            return {}
        return raw if isinstance(raw, dict) else {}

    def _section(self, name: str) -> dict[str, Any]:
        value = self._read().get(name, {})
        return value if isinstance(value, dict) else {}

    def _update(self, name: str, key: str, value: Any) -> None:
        with _LOCK:
            data = self._read()
            section = data.get(name)
            if not isinstance(section, dict):
                section = {}
            if value is None:
                section.pop(key, None)
            else:
                section[key] = value
            data[name] = section
            text = json.dumps(data, indent=2, ensure_ascii=True, sort_keys=True)
            try:
                atomic_write_bytes(self.path, text.encode("ascii"))
            except OSError as exc:
                raise UserFacingError(
                    f"Your model choices could not be saved in {self.path.parent} "
                    f"({exc.strerror or exc}): free some space or make the folder writable, "
                    "then try again.") from exc

    def acknowledged(self, model_id: str) -> bool:
        return model_id in self._section("acknowledged")

    def acknowledge(self, model_id: str) -> None:
        self._update("acknowledged", model_id, round(time.time(), 3))

    def last_check(self, model_id: str) -> dict[str, Any]:
        """What the last download or verify of ``model_id`` checked: ``commit``, ``when`` and
        ``files`` (name → ``{"etag", "result"}``, result ok, damaged or unchecked)."""
        value = self._section("checks").get(model_id)
        return value if isinstance(value, dict) else {}

    def record_check(self, model_id: str, check: dict[str, Any] | None) -> None:
        self._update("checks", model_id, check)

    def first_download(self, model_id: str) -> dict[str, Any]:
        """What the first complete, verified download of ``model_id`` found (trust on first
        download, for files the registry pins no hash for): ``commit``, ``when`` and ``files``
        (name → ``{"sha256", "size"}``); {} when none was recorded."""
        value = self._section("first_download").get(model_id)
        return value if isinstance(value, dict) else {}

    def record_first_download(self, model_id: str, record: dict[str, Any] | None) -> None:
        self._update("first_download", model_id, record)

    def flag(self, name: str) -> bool:
        """A one-time choice, such as having seen the first-run offer of the recommended pack."""
        return bool(self._section("flags").get(name))

    def set_flag(self, name: str) -> None:
        self._update("flags", name, True)

    def local_folders(self) -> dict[str, str]:
        """The folder the artist chose for each role (only roles with one)."""
        return {str(k): str(v) for k, v in self._section("local_folders").items()
                if isinstance(v, str)}

    def set_local_folder(self, role: str, folder: str | None) -> None:
        """Use ``folder`` for ``role`` (None: back to the registry's model)."""
        self._update("local_folders", role, None if folder is None else str(folder))

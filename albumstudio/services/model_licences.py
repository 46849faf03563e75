"""Licences of the models a job uses: ask once before a non-commercial model's first use, and
record the licence with every output made with it.

The API other services call (MusicGen, segmentation):

* :func:`needs_acknowledgement` ``(model_or_role)`` — True until the artist has acknowledged the
  licence of a model whose licence forbids commercial use (MusicGen's CC-BY-NC 4.0 weights,
  SegFormer's research-only weights). A role name ("musicgen") means that role's default model;
  a local folder for a role should be asked about by its role.
* :func:`acknowledge` ``(model_or_role)`` — remember the acknowledgement (in the data folder).
* :func:`require_acknowledgement` ``(model_or_role)`` — raise :class:`LicenceNotAcknowledged`
  (one sentence, an InputError) when it is still needed: call it before loading the model.
* :func:`licence_notes` ``(models)`` — the notes to add to a job record's ``notes`` for the
  models it used (``ModelUse`` items or (role, id) pairs), so the history says, for every
  output, "made with … licensed CC-BY-NC 4.0: not for commercial use".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from albumstudio.core.errors import InputError
from albumstudio.core.jobs import ModelUse, Note
from albumstudio.core.model_registry import find_model, role_name
from albumstudio.store.model_settings import ModelSettings
from albumstudio.store.paths import DataPaths, default_paths

LICENCE_PREFIX = "licence:"


class LicenceNotAcknowledged(InputError):
    """A non-commercial model's licence has not been acknowledged yet."""


@dataclass(frozen=True)
class Licence:
    model_id: str
    role: str
    licence: str
    commercial_use: bool
    url: str

    @property
    def sentence(self) -> str:
        """What the acknowledgement asks the artist to accept."""
        name = role_name(self.role)
        return (f"{name[:1].upper()}{name[1:]} ({self.model_id}) is licensed {self.licence}, "
                "which does not allow commercial use: what you make with it is for "
                f"non-commercial use only (see {self.url}).")


def licence_of(model_or_role: str) -> Licence | None:
    """The registry's licence for a model id or a role (None for a model the app does not list)."""
    entry = find_model(model_or_role)
    if entry is None:
        return None
    return Licence(entry.id, entry.role, entry.license, entry.commercial_use, entry.url)


def _settings(paths: DataPaths | None) -> ModelSettings:
    return ModelSettings((paths or default_paths()).data)


def needs_acknowledgement(model_or_role: str, paths: DataPaths | None = None) -> bool:
    """True when the model's licence forbids commercial use and the artist has not yet said
    they understand (asked once per model, remembered in the data folder)."""
    licence = licence_of(model_or_role)
    if licence is None or licence.commercial_use:
        return False
    return not _settings(paths).acknowledged(licence.model_id)


def acknowledge(model_or_role: str, paths: DataPaths | None = None) -> None:
    """Remember that the artist has read the model's licence (InputError for an unknown model)."""
    licence = licence_of(model_or_role)
    if licence is None:
        raise InputError(f"'{model_or_role}' is not a model or role AlbumStudio knows: "
                         "run `albumstudio models list` to see them.")
    _settings(paths).acknowledge(licence.model_id)


def require_acknowledgement(model_or_role: str, paths: DataPaths | None = None) -> None:
    """Raise :class:`LicenceNotAcknowledged` while the licence still needs acknowledging."""
    if needs_acknowledgement(model_or_role, paths):
        licence = licence_of(model_or_role)
        assert licence is not None
        raise LicenceNotAcknowledged(
            f"{licence.sentence[:-1]}; acknowledge it once in the Models dialog or with "
            f"`albumstudio models acknowledge {licence.role}`.")


def licence_notes(used: Iterable[ModelUse | tuple[str, str]]) -> tuple[Note, ...]:
    """One warning note per model used whose licence forbids commercial use (a model in a local
    folder counts as its role's default model, whose weights it almost always is)."""
    notes: list[Note] = []
    for item in used:
        role, model_id = (item.role, item.id) if isinstance(item, ModelUse) else item
        licence = licence_of(model_id) or licence_of(role)
        if licence is None or licence.commercial_use:
            continue
        source = model_id if model_id == licence.model_id else f"{model_id}, {licence.model_id}"
        notes.append(Note(f"{LICENCE_PREFIX} made with {role_name(licence.role)} ({source}), "
                          f"licensed {licence.licence}: not for commercial use.", "warning"))
    return tuple(dict.fromkeys(notes))

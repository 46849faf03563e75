"""Licences: a non-commercial model asks once, the answer is kept, and outputs record it."""

from __future__ import annotations

import json

import pytest

from albumstudio.core.jobs import ModelUse
from albumstudio.core.model_registry import models
from albumstudio.services.model_licences import (
    LicenceNotAcknowledged,
    acknowledge,
    licence_notes,
    needs_acknowledgement,
    require_acknowledgement,
)
from albumstudio.store.model_settings import ModelSettings
from albumstudio.store.paths import default_paths


def test_non_commercial_models_ask_once_and_the_answer_is_kept():
    assert needs_acknowledgement("facebook/musicgen-small")
    assert needs_acknowledgement("musicgen")  # a role means its default model
    assert needs_acknowledgement("segmenter")
    assert not needs_acknowledgement("stable-diffusion-v1-5/stable-diffusion-v1-5")
    assert not needs_acknowledgement("some/unlisted-model")
    with pytest.raises(LicenceNotAcknowledged, match="CC-BY-NC 4.0"):
        require_acknowledgement("musicgen")
    acknowledge("musicgen")
    assert not needs_acknowledgement("facebook/musicgen-small")
    require_acknowledgement("facebook/musicgen-small")
    assert needs_acknowledgement("segmenter")  # each model is asked about on its own
    saved = json.loads((default_paths().data / "model_settings.json").read_text())
    assert "facebook/musicgen-small" in saved["acknowledged"]


def test_every_non_commercial_registry_entry_needs_acknowledgement():
    for entry in models():
        assert needs_acknowledgement(entry.id) == (not entry.commercial_use)


def test_an_unknown_model_cannot_be_acknowledged():
    from albumstudio.core.errors import InputError

    with pytest.raises(InputError, match="not a model or role"):
        acknowledge("nobody/nothing")


def test_licence_notes_name_the_licence_of_each_non_commercial_model():
    notes = licence_notes([ModelUse("musicgen", "facebook/musicgen-small"),
                           ModelUse("sd15", "stable-diffusion-v1-5/stable-diffusion-v1-5"),
                           ("musicgen", "/home/me/my-musicgen")])
    texts = [n.text for n in notes]
    assert len(texts) == 2 and all(n.kind == "warning" for n in notes)
    assert "CC-BY-NC 4.0" in texts[0] and "not for commercial use" in texts[0]
    assert "/home/me/my-musicgen" in texts[1]


def test_a_damaged_settings_file_reads_as_nothing_decided(tmp_path):
    settings = ModelSettings(tmp_path)
    settings.path.write_text("{not json")
    assert not settings.acknowledged("facebook/musicgen-small")
    assert (tmp_path / "model_settings.damaged.json").exists()
    settings.set_local_folder("sd15", str(tmp_path / "sd"))
    settings.acknowledge("facebook/musicgen-small")
    assert settings.local_folders() == {"sd15": str(tmp_path / "sd")}
    assert settings.acknowledged("facebook/musicgen-small")
    settings.set_local_folder("sd15", None)
    assert settings.local_folders() == {}


def test_an_unwritable_data_folder_is_one_sentence(tmp_path):
    from albumstudio.core.errors import UserFacingError

    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be")  # fails even for root
    with pytest.raises(UserFacingError, match="could not be saved"):
        ModelSettings(blocked).acknowledge("facebook/musicgen-small")
    assert not ModelSettings(blocked).acknowledged("facebook/musicgen-small")

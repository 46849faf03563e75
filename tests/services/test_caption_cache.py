"""Captions are kept per track (its content, the exact model files, device, seed, settings): a
second run reads them without loading a model, and a changed model captions again (#18)."""

from __future__ import annotations

import json
import shutil

import pytest

from albumstudio.core.model_registry import use_local_folders
from albumstudio.engines.lp_musiccaps_weights import convert_checkpoint
from albumstudio.services.captions import (
    CAPTIONER,
    SUMMARIZER,
    SUMMARY_MEASURED,
    CaptionService,
)
from albumstudio.services.model_licences import acknowledge
from albumstudio.store.paths import default_paths
from tests.support import synth, tiny_captions


@pytest.fixture
def captioner_folder(tiny_caption_models, tmp_path):
    """A copy: these tests convert into it again."""
    return shutil.copytree(tiny_caption_models / "lpmc", tmp_path / "lpmc")


@pytest.fixture
def track(tmp_path):
    path = tmp_path / "song.wav"
    synth.write(path, synth.music(11.0, sr=22050), 22050)
    return str(path)


class Counted:
    """Counts the captioner loads and caption runs of a service."""

    def __init__(self, service: CaptionService, monkeypatch) -> None:
        self.runs = 0
        real = service._captioner

        def captioner(weights, device):
            made = real(weights, device)
            outer = self

            class Watched:
                def caption(self, *args, **kwargs):
                    outer.runs += 1
                    return made.caption(*args, **kwargs)

            return Watched()

        monkeypatch.setattr(service, "_captioner", captioner)


def _settings():
    return tiny_captions.generation_settings()


def _service(monkeypatch) -> tuple[CaptionService, Counted]:
    service = CaptionService(default_paths().ensure())
    acknowledge(CAPTIONER, service.paths)
    return service, Counted(service, monkeypatch)


def test_a_second_run_reads_the_kept_captions_without_a_model(caption_folders, track, monkeypatch):
    service, counted = _service(monkeypatch)
    assert service.kept(track, device="cpu", settings=_settings()) is None
    first = service.caption(track, device="cpu", settings=_settings())
    assert counted.runs == 1 and not first.kept
    seen = []
    again = service.caption(track, device="cpu", settings=_settings(), progress=seen.append)
    assert counted.runs == 1 and again.kept  # nothing captioned again
    assert again.segments == first.segments and again.summary == first.summary
    assert again.models == first.models and again.notes == first.notes  # licences too
    assert seen[-1].fraction == 1.0 and "kept" in seen[-1].text
    # the window's look-up: no model loaded, the same captions
    fresh = CaptionService(service.paths)
    monkeypatch.setattr(fresh, "_captioner", lambda *a: pytest.fail("a model was loaded"))
    shown = fresh.kept(track, device="cpu", settings=_settings())
    assert shown is not None and shown.segments == first.segments and shown.kept
    assert json.loads(json.dumps(shown.to_dict()))["kept"] is True


def test_the_same_track_content_under_another_name_is_the_same_entry(caption_folders, track,
                                                                      tmp_path, monkeypatch):
    service, counted = _service(monkeypatch)
    service.caption(track, device="cpu", settings=_settings())
    copy = tmp_path / "renamed.wav"
    shutil.copy(track, copy)
    assert service.caption(str(copy), device="cpu", settings=_settings()).kept
    assert counted.runs == 1


def test_a_changed_model_seed_or_setting_captions_again(caption_folders, tiny_caption_models,
                                                         track, tmp_path, monkeypatch):
    service, counted = _service(monkeypatch)
    service.caption(track, device="cpu", settings=_settings())
    assert not service.caption(track, device="cpu", seed=1, settings=_settings()).kept
    assert not service.caption(track, device="cpu",
                               settings=tiny_captions.generation_settings(max_length=10)).kept
    assert counted.runs == 3
    # a new download of LP-MusicCaps, converted again: the kept captions are not used
    convert_checkpoint(tiny_caption_models / "pth" / "transfer.pth",
                       tmp_path / "lpmc" / "weights.safetensors",
                       tiny_captions.caption_overrides())
    assert service.kept(track, device="cpu", settings=_settings()) is None
    assert not service.caption(track, device="cpu", settings=_settings()).kept
    assert counted.runs == 4
    # without BART large CNN the summary is the description of now, and the entry is another
    use_local_folders({**caption_folders, SUMMARIZER: str(tmp_path / "no-such-model")})
    first = service.caption(track, device="cpu", settings=_settings(), description="Slow.")
    again = service.caption(track, device="cpu", settings=_settings(), description="Fast.")
    assert counted.runs == 5 and again.kept and again.summary_source == SUMMARY_MEASURED
    assert (first.summary, again.summary) == ("Slow.", "Fast.")


def test_a_damaged_cache_entry_is_captioned_again(caption_folders, track, monkeypatch):
    service, counted = _service(monkeypatch)
    service.caption(track, device="cpu", settings=_settings())
    for entry in (service.paths.cache / "captions").rglob("*.json"):
        entry.write_text('{"segments": "not a list"}')
    assert not service.caption(track, device="cpu", settings=_settings()).kept
    assert counted.runs == 2

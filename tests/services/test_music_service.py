"""MusicService: picture or track → attributes → prompt → a MusicGen clip in the history (#16)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile
from PIL import Image

from albumstudio.core.errors import CancelledError, InputError, ModelMissingError
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.music_attributes import from_picture, prompt_for
from albumstudio.services.music import MusicService, picture_figures_of, save_clip
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths
from tests.support.tiny_musicgen import build_tiny_musicgen, pickle_only_copy


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory) -> str:
    return str(build_tiny_musicgen(tmp_path_factory.mktemp("tiny-musicgen")))


@pytest.fixture
def service(tmp_path):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    paths = default_paths().ensure()
    history = HistoryStore(paths.history)
    made = MusicService(ModelCache(), history, None, paths)
    yield made
    made.unload()
    history.close()
    torch.set_num_threads(threads)


@pytest.fixture
def empty_hub_cache(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))


def _picture(tmp_path, colour=(10, 20, 70)) -> str:
    path = tmp_path / "art.png"
    img = Image.new("RGB", (96, 96), colour)
    for x in range(0, 96, 8):
        img.paste((200, 200, 220), (x, 0, x + 2, 96))
    img.save(path)
    return str(path)


def test_real_pictures_read_through_the_app_look():
    dark = Image.new("RGB", (64, 64), (10, 20, 70))
    bright = Image.new("RGB", (64, 64), (250, 170, 60))
    dark_attrs, bright_attrs = (from_picture(picture_figures_of(i)) for i in (dark, bright))
    assert dark_attrs.valence < bright_attrs.valence
    assert dark_attrs.key.endswith("minor") and bright_attrs.key.endswith("major")
    assert from_picture(picture_figures_of(dark.copy())) == dark_attrs


def test_picture_to_clip_in_the_history(service, tiny_musicgen, tmp_path, empty_hub_cache):
    source = service.from_picture(_picture(tmp_path))
    assert source.words_source == "look" and source.attributes.source == "picture"
    request = service.request(source, seconds=1.0, seed=4, model=tiny_musicgen, device="cpu",
                              top_k=50)
    assert request.prompt == prompt_for(source.attributes)
    record = service.generate(request)
    assert record.id and (record.kind, record.engine, record.status) == ("clip", "musicgen",
                                                                          "finished")
    output = record.outputs[0]
    assert output.media == "audio/wav" and output.duration_s == 1.0 and output.seed == 4
    samples, rate = soundfile.read(output.path, dtype="float32", always_2d=True)
    assert rate == 32000 and samples.shape == (32000, 1) and np.abs(samples).max() > 0.01
    licence = [n.text for n in record.notes if n.text.startswith("licence:")]
    assert licence and "CC-BY-NC 4.0" in licence[0]
    assert any("CC-BY-NC 4.0" in n.text for n in output.notes)
    assert record.request["attributes"]["attributes"]["genre"]["value"] == source.attributes.genre
    assert any(n.text.startswith("loudness: ") for n in record.notes)
    kept = service.history.get(record.id)
    assert kept is not None and kept.models[0].id == tiny_musicgen
    assert kept.outputs[0].duration_s == 1.0
    again = service.generate(request, record=False)
    with open(output.path, "rb") as kept_file:  # same request, same seed: the same bytes
        assert kept_file.read() == again.outputs[0].data

    flac = save_clip(record, str(tmp_path / "clip.flac"))
    back, _ = soundfile.read(flac, dtype="float32", always_2d=True)
    assert np.allclose(back, samples, atol=1e-4)
    with pytest.raises(InputError, match="already exists|exists"):
        save_clip(record, flac)
    with pytest.raises(InputError, match="WAV, FLAC, MP3 or Ogg Opus"):
        save_clip(record, str(tmp_path / "clip.mp4"))
    assert not (tmp_path / "clip.mp4").exists()
    from albumstudio.export.audio_export import read_back

    for ext in (".mp3", ".opus"):
        written = save_clip(record, str(tmp_path / f"clip{ext}"))
        decoded, rate = read_back(open(written, "rb").read(), ext)
        assert abs(decoded.shape[0] / rate - 1.0) < 0.05


def test_cancel_keeps_nothing(service, tiny_musicgen):
    cancel = threading.Event()

    def stop(report):
        if report.step >= 3:
            cancel.set()

    request = service.request(from_picture(picture_figures_of(Image.new("RGB", (8, 8)))),
                              seconds=1.0, model=tiny_musicgen, device="cpu")
    with pytest.raises(CancelledError):
        service.generate(request, progress=stop, cancel=cancel)
    assert service.history.records(kind="clip") == []


def test_missing_or_unsafe_weights_are_one_sentence(service, tiny_musicgen, tmp_path,
                                                    empty_hub_cache):
    attrs = from_picture(picture_figures_of(Image.new("RGB", (8, 8), (200, 90, 30))))
    with pytest.raises(ModelMissingError) as caught:
        service.generate(service.request(attrs))
    message = str(caught.value)
    assert "facebook/musicgen-small" in message and "hf download" in message
    unsafe = pickle_only_copy(tiny_musicgen, tmp_path / "unsafe")
    with pytest.raises(ModelMissingError, match="pickle"):
        service.generate(service.request(attrs, model=str(unsafe)))
    with pytest.raises(InputError, match="1 to 120 seconds"):
        service.generate(service.request(attrs, seconds=500))
    assert service.history.records() == []


def test_licence_is_asked_once(service, tiny_musicgen):
    sentence = service.licence_to_acknowledge()
    assert sentence and "CC-BY-NC 4.0" in sentence and "commercial" in sentence
    assert service.licence_to_acknowledge(tiny_musicgen) == sentence  # a folder: its role's
    service.acknowledge()
    assert service.licence_to_acknowledge() is None


def test_track_to_attributes(tmp_path):
    from albumstudio.services.tracks import TrackService
    from tests.support.synth import music, write

    track = write(tmp_path / "song.wav", music(12.0, bpm=120.0, minor=True), 22050)
    paths = default_paths().ensure()
    service = MusicService(ModelCache(), None, TrackService(paths, ModelCache()), paths)
    source = service.from_track(str(track))
    attrs = source.attributes
    assert source.kind == "track" and source.track_hash
    assert 100 <= attrs.tempo <= 140 and "own tempo" in attrs.reason("tempo")
    assert str(attrs.tempo) in prompt_for(attrs)
    assert service.from_track(str(track)).attributes == attrs
    with pytest.raises(InputError):
        service.from_track(str(tmp_path / "missing.wav"))
    with pytest.raises(InputError):
        service.from_picture(str(track))


def test_a_blip_caption_moves_the_attributes(service, tmp_path, monkeypatch):
    """With the captioner installed the picture's words come from BLIP (stood in for here:
    the captioner's own tests run the tiny BLIP), and its words name genre and instruments."""
    from albumstudio.services import pictures

    path = _picture(tmp_path)
    plain = service.from_picture(path).attributes
    monkeypatch.setattr(pictures, "describe_picture", lambda *a, **k: pictures.PictureWords(
        "a woman singing with a guitar at a jazz concert", "blip"))
    source = service.from_picture(path)
    assert source.words_source == "blip" and source.attributes.genre == "jazz"
    assert source.attributes.instruments == ("guitar",)
    assert source.attributes.instrumentalness < plain.instrumentalness
    assert "'singing' in the caption" in source.attributes.reason("instrumentalness")
    assert source.attributes.key == plain.key  # the colours still choose the key

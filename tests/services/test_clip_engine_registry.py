"""Clip engines are engines of kind "clip" in the one engine registry, MusicGen among them, and
the music and clip services (so the CLI and the window) build them from it (#16)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image

from albumstudio.core.model_cache import ModelCache
from albumstudio.core.music_attributes import MusicRequest
from albumstudio.engines.registry import EngineRegistry, engines
from albumstudio.services.music import MusicService


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Tiny models run fastest on one thread (see tests/conftest.py)."""


class Counting:
    """Wraps a registered factory; counts the engines built and the clips run through them."""

    def __init__(self, factory) -> None:
        self.factory, self.built, self.runs = factory, 0, 0

    def __call__(self, models):
        engine = self.factory(models)
        self.built += 1
        outer = self

        class Watched:
            def load(self, request):
                engine.load(request)

            def run(self, request, progress=None, cancel=None):
                outer.runs += 1
                return engine.run(request, progress, cancel)

            def unload(self):
                engine.unload()

        return Watched()


@pytest.fixture
def counted_musicgen():
    """The global registry's MusicGen entry with a counting factory, put back afterwards."""
    registry = engines()
    original = registry.get("musicgen")
    counting = Counting(original.factory)
    registry.unregister("musicgen")
    registry.register(replace(original, factory=counting))
    yield counting
    registry.unregister("musicgen")
    registry.register(original)


def test_the_registry_lists_every_clip_engine_with_musicgen_needing_its_model():
    registry = engines()
    assert registry.names("clip") == ("highlight", "social-video", "musicgen")
    spec = registry.get("musicgen")
    assert spec.kind == "clip" and spec.model_roles == ("musicgen",) and not spec.offline
    assert spec.options_type is MusicRequest and spec.default("seconds") == 10.0
    assert {s.name for s in registry.specs("clip") if s.offline} == {"highlight",
                                                                     "social-video"}
    assert "musicgen" not in registry.names("cover") + registry.names("poster")


def test_music_service_builds_musicgen_from_the_registry_it_is_given(tiny_musicgen):
    own = EngineRegistry()
    counting = Counting(engines().get("musicgen").factory)
    own.register(replace(engines().get("musicgen"), factory=counting, version=7))
    service = MusicService(ModelCache(), None, registry=own)
    request = MusicRequest("calm ambient piano", seconds=1.0, seed=2, model=tiny_musicgen,
                           device="cpu", top_k=50)
    try:
        first = service.generate(request, record=False)
        second = service.generate(request, record=False)
    finally:
        service.unload()
    assert counting.built == 1 and counting.runs == 2  # built once, kept by the service
    assert first.engine == "musicgen" and first.kind == "clip"
    assert first.engine_version == 7  # the version is the registry's, not the service's
    assert first.outputs[0].data == second.outputs[0].data

    without = MusicService(ModelCache(), None, registry=EngineRegistry())
    with pytest.raises(Exception, match="no 'musicgen' engine"):
        without.generate(request, record=False)


def test_the_music_command_goes_through_the_registry(tiny_musicgen, counted_musicgen, tmp_path,
                                                     monkeypatch):
    from huggingface_hub import constants

    from albumstudio.cli import main
    from albumstudio.services.model_manager import acknowledge

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    acknowledge("musicgen")
    picture = tmp_path / "night.png"
    Image.new("RGB", (64, 64), (15, 25, 80)).save(picture)
    out = tmp_path / "night.wav"
    assert main(["music", "--image", str(picture), "--seconds", "1", "--model", tiny_musicgen,
                 "--device", "cpu", "--out", str(out)]) == 0
    assert out.is_file()
    assert counted_musicgen.built == 1 and counted_musicgen.runs == 1


def test_the_window_services_and_gallery_read_clip_engines_from_the_registry(tmp_path):
    from albumstudio.services import Services, engine_registry
    from albumstudio.store.paths import default_paths

    services = Services.open(default_paths().ensure())
    try:
        assert services.music.registry is engine_registry()
        assert services.clips.registry is engine_registry()
        assert services.music.spec().name == "musicgen"
    finally:
        services.close()

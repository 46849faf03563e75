"""The pieces of the one path: the model cache, the engine registry, planning and limits."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from albumstudio.core.cover import CoverRequest, DesignOptions, DiffusionOptions
from albumstudio.core.cover_options import option, parse_option
from albumstudio.core.errors import InputError, ModelMissingError
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.track import ReleaseTags
from albumstudio.engines.registry import EngineRegistry, EngineSpec, engines
from albumstudio.services import Services
from albumstudio.services.covers import plan
from albumstudio.services.tracks import TrackFacts
from albumstudio.store.paths import default_paths


class Held:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def unload(self) -> None:
        self.log.append(self.name)


def test_the_model_cache_loads_once_evicts_by_role_and_unloads_everything():
    log: list[str] = []
    cache = ModelCache(max_entries=2)
    loads = []

    def load(name):
        loads.append(name)
        return Held(name, log)

    seg = cache.get("segmenter", "seg-a", "cpu", lambda: load("seg-a"))
    assert cache.get("segmenter", "seg-a", "cpu", lambda: load("again")) is seg
    cache.get("captioner", "blip", "cpu", lambda: load("blip"))
    cache.get("tagger", "mtt", "cpu", lambda: load("mtt"))  # over the limit: the oldest goes
    assert loads == ["seg-a", "blip", "mtt"] and log == ["seg-a"]
    assert cache.evict("captioner") == 1 and log == ["seg-a", "blip"]
    cache.unload_all()
    assert log == ["seg-a", "blip", "mtt"] and cache.loaded() == []


def test_the_registry_refuses_duplicates_unknown_roles_and_kinds():
    registry = EngineRegistry()

    @dataclass(frozen=True)
    class Nothing:
        level: int = option(1, min=0, max=3)

    spec = EngineSpec("toy", "cover", "Toy", Nothing, factory=lambda models: None)
    registry.register(spec)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(spec)
    with pytest.raises(ValueError, match="unknown model roles"):
        registry.register(EngineSpec("toy2", "cover", "Toy", Nothing, lambda m: None,
                                     model_roles=("flux",)))
    with pytest.raises(ValueError, match="kind"):
        registry.register(EngineSpec("toy3", "video", "Toy", Nothing, lambda m: None))
    with pytest.raises(InputError, match="There is no 'nope' engine"):
        registry.get("nope")
    assert parse_option(Nothing, "level", "2") == 2
    with pytest.raises(ValueError, match="between 0 and 3"):
        parse_option(Nothing, "level", "9")


def test_built_in_engines_come_first_with_their_defaults_and_limits():
    registry = engines()
    assert registry.names("cover")[:2] == ("design", "diffusion")
    design, diffusion = registry.get("design"), registry.get("diffusion")
    assert design.offline and not diffusion.offline and diffusion.model_roles == ("sd15",)
    assert registry.new_request("design").size == 3000
    assert registry.new_request("diffusion").size == 512
    assert isinstance(registry.new_request("diffusion").options, DiffusionOptions)


def test_a_version_1_request_reads_into_common_fields_and_options():
    flat = {"version": 1, "engine": "diffusion", "prompt": "p", "seed": 4, "size": 512,
            "steps": 8, "lcm": True, "layout": "centered",
            "conditions": [{"kind": "canny", "weight": 0.5, "low": 100, "high": 200}],
            "loras": [{"path": "style.safetensors", "scale": 0.7}], "mood": {"tags": ["rock"]}}
    request = CoverRequest.from_dict(flat)
    assert request.version == 2 and request.seed == 4 and request.mood.tags == ("rock",)
    assert request.options.steps == 8 and request.options.lcm
    assert request.options.conditions[0].weight == 0.5 and request.options.loras[0].scale == 0.7
    again = CoverRequest.from_dict(request.to_dict())
    assert again == request
    with pytest.raises(ValueError):
        CoverRequest.from_dict({"version": 99})


def test_plan_follows_the_preset_unless_the_artist_chose_and_drops_picture_settings():
    facts = TrackFacts(ReleaseTags(title="T", artist="A", genre="Rock"), "a loud song",
                       ("guitar",))
    auto = plan(facts, CoverRequest(options=DesignOptions()))
    assert (auto.request.options.layout, auto.request.options.treatment) == ("stacked",
                                                                               "halftone")
    chosen = plan(facts, CoverRequest(options=DesignOptions(layout="centered")))
    assert chosen.request.options.layout == "centered"
    assert chosen.request.title == "T" and chosen.request.genre == "Rock"
    no_picture = plan(facts, CoverRequest(engine="diffusion", options=DiffusionOptions(
        mode="img2img")))
    assert no_picture.request.options.mode == "txt2img" and no_picture.request.crop is None


def test_limits_and_missing_models_are_one_sentence_before_any_work(tmp_path):
    services = Services(default_paths().ensure())
    try:
        registry = services.covers.registry
        with pytest.raises(InputError, match="256 to 1024 px, not 2048"):
            services.covers.check(registry.new_request("diffusion", size=2048))
        with pytest.raises(InputError, match="between 1 and 16 variants"):
            services.covers.check(registry.new_request("design", variants=40))
        missing = registry.new_request("diffusion")
        missing = missing.with_options(model=str(tmp_path / "no-model"))
        with pytest.raises(ModelMissingError) as caught:
            services.covers.preflight(missing)
        assert caught.value.action == "open-models"
        assert caught.value.message.startswith("The Stable Diffusion model")
    finally:
        services.close()


def test_a_failed_run_is_kept_as_a_failed_job_record_with_its_sentence(tmp_path):
    services = Services.open(default_paths().ensure())
    try:
        request = services.covers.registry.new_request("diffusion", size=256)
        request = request.with_options(model=str(tmp_path / "no-model"))
        with pytest.raises(ModelMissingError) as caught:
            services.covers.run(request)
        (record,) = services.history.records()
        assert record.status == "failed" and record.problem == caught.value.message
        assert record.outputs == () and record.engine == "diffusion"
        assert services.history.items() == []  # the strip shows finished covers only
        assert record.summary()["seed"] == 0
    finally:
        services.close()


def test_a_track_without_a_title_gets_one_from_its_file_name():
    from albumstudio.core.text import title_from_file
    from albumstudio.services.tracks import cover_release

    assert title_from_file("03 - night_drive.wav") == "night drive"
    assert title_from_file("12_bar_blues.flac") == "12 bar blues"
    assert title_from_file("01. Intro.mp3") == "Intro"
    tagged = ReleaseTags(title="Tagged", artist="A")
    assert cover_release(tagged, "/music/03 - other.wav") is tagged
    assert cover_release(ReleaseTags(artist="A"), "/music/03 - other.wav").title == "other"
    assert cover_release(ReleaseTags(), None).title == ""

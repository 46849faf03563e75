"""A cover whose prompt carries the music captions' summary records the models that wrote it —
LP-MusicCaps (non-commercial) and BART large CNN — with their licences, as a SegFormer cover
records SegFormer's (#14, #18)."""

from __future__ import annotations

from dataclasses import replace

from albumstudio.core.cover import CoverRequest, DesignOptions
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.track import ReleaseTags
from albumstudio.services.captions import CAPTIONER, SUMMARIZER, SUMMARY_ROLES, TOKENIZER
from albumstudio.services.covers import CoverService, plan
from albumstudio.services.tracks import TrackFacts
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths

SUMMARY = "A gentle piano ballad with soft strings. The mood is calm and reflective."
FACTS = TrackFacts(ReleaseTags(title="Night", artist="Me", genre="Ambient"), "a slow song",
                   ("piano",))


def _settings() -> CoverRequest:
    return CoverRequest(size=256, options=DesignOptions())


def test_the_plan_names_the_summary_models_only_when_the_prompt_carries_the_summary():
    made = plan(FACTS, _settings(), music_summary=SUMMARY)
    assert "gentle piano ballad" in made.request.prompt
    assert made.request.prompt_models == SUMMARY_ROLES
    assert plan(FACTS, _settings()).request.prompt_models == ()
    edited = plan(FACTS, _settings(), music_summary=SUMMARY, prompt="a moonlit lake, ink")
    assert edited.request.prompt_models == ()  # the artist's prompt left the summary out
    stored = CoverRequest.from_dict(made.request.to_dict())
    assert stored.prompt_models == SUMMARY_ROLES
    assert CoverRequest.from_dict({k: v for k, v in made.request.to_dict().items()
                                   if k != "prompt_models"}).prompt_models == ()  # older ones


def test_the_cover_record_lists_lp_musiccaps_and_bart_with_their_licences(tmp_path):
    history = HistoryStore(default_paths().ensure().history)
    service = CoverService(ModelCache(), history)
    try:
        record = service.run(plan(FACTS, _settings(), music_summary=SUMMARY).request)
        roles = [m.role for m in record.models]
        assert {CAPTIONER, TOKENIZER, SUMMARIZER} <= set(roles)
        texts = [n.text for n in record.notes]
        fed = [t for t in texts if t.startswith("prompt: the music captions' summary")]
        assert len(fed) == 1 and "CC-BY-NC 4.0" in fed[0] and "MIT" in fed[0]
        warnings = [n.text for n in record.notes if n.kind == "warning" and "licensed" in n.text]
        assert any("LP-MusicCaps" in t or "lp-music" in t.lower() for t in warnings)
        assert all("commercial" in t for t in warnings)
        kept = history.get(record.id)
        assert [m.role for m in kept.models] == roles
        assert kept.request["prompt_models"] == list(SUMMARY_ROLES)

        plain = service.run(replace(plan(FACTS, _settings()).request, seed=1))
        assert not {CAPTIONER, SUMMARIZER} & {m.role for m in plain.models}
        assert not [n for n in plain.notes if "licensed" in n.text or "captions'" in n.text]
    finally:
        service.unload()
        history.close()

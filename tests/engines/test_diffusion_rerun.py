"""A tiny diffusion pipeline through the cover service: the history entry re-runs to identical
bytes, and its saved PNG carries settings that give the same request back."""

from __future__ import annotations

from albumstudio.core.model_cache import ModelCache
from albumstudio.services.covers import CoverService, output_request, save_cover
from albumstudio.store.history import HistoryStore
from tests.support.requests import cover_request


def test_a_tiny_diffusion_cover_reruns_from_the_history_and_from_its_png(tmp_path, tiny_sd,
                                                                         one_torch_thread):
    history = HistoryStore(tmp_path / "history")
    covers = CoverService(ModelCache(), history)
    try:
        request = cover_request("diffusion", model=tiny_sd, prompt="a red cat on a blue sea",
                                negative_prompt="lowres", size=256, steps=2, seed=7,
                                scheduler="unipc", device="cpu")
        record = covers.run(request)
        item = history.items()[0]
        assert item.job_id == record.id
        again = covers.rerun(item, record=False)
        assert not again.warnings()
        assert again.outputs[0].data == item.read_bytes()  # identical bytes
        out = tmp_path / "cat.png"
        save_cover(item.read_bytes(), str(out), settings=output_request(record, record.outputs[0]))
        back = covers.request_from_png(str(out))
        assert back == request
        from PIL import Image

        with Image.open(out) as img:
            assert img.text["parameters"].splitlines()[-1] == (
                f"Steps: 2, Sampler: unipc, CFG scale: 7.5, Seed: 7, Size: 256x256, "
                f"Model: {tiny_sd}, Engine: diffusion")
    finally:
        covers.unload()
        history.close()

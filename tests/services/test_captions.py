"""The caption service and `albumstudio analyze --captions`: tiny random LP-MusicCaps and BART
models in local folders, loaded through the app's own paths."""

from __future__ import annotations

import json
import threading

import pytest

from albumstudio.core.errors import CancelledError, ModelMissingError
from albumstudio.core.model_registry import use_local_folders
from albumstudio.engines.caption_summary import SUMMARY_MAX_LENGTH, SUMMARY_MIN_LENGTH, joined
from albumstudio.services.captions import (
    CAPTIONER,
    SUMMARIZER,
    SUMMARY_BY_BART,
    SUMMARY_MEASURED,
    TOKENIZER,
    CaptionService,
)
from albumstudio.services.model_licences import LicenceNotAcknowledged, acknowledge
from albumstudio.store.paths import default_paths
from tests.support import synth, tiny_captions


@pytest.fixture
def track(tmp_path):
    path = tmp_path / "song.wav"
    synth.write(path, synth.music(21.0, sr=22050), 22050)
    return str(path)


def _service() -> CaptionService:
    return CaptionService(default_paths().ensure())


def test_missing_models_are_named_with_the_download_command(monkeypatch, tmp_path, track):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    service = _service()
    problem = service.missing()
    assert problem is not None and "albumstudio models download music-captioner" in problem
    assert problem.count(". ") == 0
    with pytest.raises(ModelMissingError):
        service.caption(track)


def test_the_licence_is_asked_for_once(caption_folders, track):
    with pytest.raises(LicenceNotAcknowledged, match="non-commercial"):
        _service().caption(track)


def test_captions_and_summary_equal_a_direct_generate_call(caption_folders, tiny_caption_models,
                                                           track):
    import torch
    from transformers import AutoTokenizer, BartForConditionalGeneration

    service = _service()
    acknowledge(CAPTIONER, service.paths)
    seen = []
    settings = tiny_captions.generation_settings()
    result = service.caption(track, device="cpu", settings=settings, progress=seen.append)
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0.0, 10.0), (10.0, 20.0)]
    assert result.summary_source == SUMMARY_BY_BART
    folder = tiny_caption_models / "summary"
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = BartForConditionalGeneration.from_pretrained(folder, use_safetensors=True).eval()
    inputs = tokenizer(joined([s.text for s in result.segments]), return_tensors="pt")
    with torch.inference_mode():
        ids = model.generate(**inputs, max_length=SUMMARY_MAX_LENGTH,
                             min_length=SUMMARY_MIN_LENGTH, do_sample=False)
    assert result.summary == " ".join(tokenizer.decode(ids[0], skip_special_tokens=True).split())
    assert result.summary
    assert [m.role for m in result.models] == [CAPTIONER, TOKENIZER, SUMMARIZER]
    assert any(n.kind == "warning" and "not for commercial use" in n.text for n in result.notes)
    report = result.to_dict()
    assert [entry["commercial_use"] for entry in report["licences"]][0] is False
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    steps = [p for p in seen if p.total == 2]
    assert [p.step for p in steps] == [1, 2] and steps[-1].eta_s == 0.0
    again = service.caption(track, device="cpu", settings=settings)
    assert again.segments == result.segments and again.summary == result.summary


def test_without_bart_large_cnn_the_measured_description_stays(caption_folders, track, tmp_path):
    use_local_folders({**caption_folders, SUMMARIZER: str(tmp_path / "no-such-model")})
    service = _service()
    acknowledge(CAPTIONER, service.paths)
    settings = tiny_captions.generation_settings()
    result = service.caption(track, device="cpu", settings=settings,
                             description="A slow piece in A minor.")
    assert result.summary == "A slow piece in A minor."
    assert result.summary_source == SUMMARY_MEASURED
    assert [m.role for m in result.models] == [CAPTIONER, TOKENIZER]


def test_cancel_between_segments(caption_folders, track):
    service = _service()
    acknowledge(CAPTIONER, service.paths)
    cancel = threading.Event()

    def stop(progress):
        if progress.total:
            cancel.set()

    settings = tiny_captions.generation_settings()
    with pytest.raises(CancelledError):
        service.caption(track, device="cpu", settings=settings, progress=stop, cancel=cancel)


def test_an_honest_estimate_before_a_cpu_run():
    text = _service().estimate(240.0, "cpu")
    assert text.startswith("24 segments of 10 s on the CPU: up to about 58 min")


def test_cli_without_the_models_says_which_and_exits_2(monkeypatch, tmp_path, track, capsys):
    from albumstudio.cli import main

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    assert main(["analyze", track, "--captions", "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "albumstudio models download music-captioner" in err[0]
    assert "Traceback" not in err[0]


def test_cli_adds_captions_and_summary(caption_folders, track, capsys):
    from albumstudio.cli import main
    from albumstudio.services.model_manager import ModelManager

    paths = default_paths().ensure()
    acknowledge(CAPTIONER, paths)
    manager = ModelManager(paths)
    for role, folder in caption_folders.items():
        manager.set_local_folder(role, folder)
    assert main(["analyze", track, "--captions", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    captions = report["captions"]
    assert [s["start_s"] for s in captions["segments"]] == [0.0, 10.0]
    assert captions["summary_source"] == SUMMARY_BY_BART and captions["summary"]
    assert {e["role"] for e in captions["licences"]} == {CAPTIONER, TOKENIZER, SUMMARIZER}

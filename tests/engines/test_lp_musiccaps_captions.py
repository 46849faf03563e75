"""The LP-MusicCaps port: equivalence with the authors' code (tests/fixtures/lp_musiccaps),
the safe checkpoint conversion, and captions per 10 s segment with progress and cancel."""

from __future__ import annotations

import importlib.util
import json
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from albumstudio.core.errors import CancelledError, InputError
from albumstudio.engines import lp_musiccaps as lp
from albumstudio.engines.lp_musiccaps_weights import (
    CheckpointMismatchError,
    UnsafeCheckpointError,
    convert_checkpoint,
    is_converted,
    read_checkpoint,
)
from tests.support import tiny_captions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lp_musiccaps"
REFERENCE = json.loads((FIXTURES / "reference.json").read_text())


def _maker():
    spec = importlib.util.spec_from_file_location("lpmc_make_reference",
                                                  FIXTURES / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


@pytest.fixture(scope="module")
def real_architecture():
    """The port with the real (bart-base) architecture and the fixture's weights."""
    model = lp.build_model().eval()
    MAKER.fill_parameters(model)
    return model


def test_hyper_parameters_are_the_authors():
    assert lp.N_CTX == 32 and lp.HOP_LENGTH == 160 and lp.SEGMENT_SAMPLES == 160_000
    assert {k: MAKER.BART_BASE_CONFIG[k] for k in lp.BART_BASE} == lp.BART_BASE


def test_parameter_names_are_the_authors(real_architecture):
    assert sorted(real_architecture.state_dict()) == REFERENCE["state_dict_keys"]


def test_encoder_outputs_equal_the_authors_code(real_architecture):
    import torch

    stored = np.load(FIXTURES / "reference.npz")
    audio = torch.from_numpy(lp.segments_of(MAKER.test_audio()))
    with torch.no_grad():
        hidden, embs = real_architecture.encode(audio)
    rows = REFERENCE["rows"]
    assert list(embs.shape) == REFERENCE["audio_embs_shape"]
    # float32 through five 768-channel convolutions and the encoder: the fixture was written
    # on an AVX-512 machine, and an AVX2 one's kernels sum in another order (up to 6e-4 on
    # values near 17, 1e-4 relative); a wrong layer or weight is off by whole units
    np.testing.assert_allclose(embs[:, rows].numpy(), stored["audio_embs"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(hidden[:, rows].numpy(), stored["encoder_out"], rtol=1e-4,
                               atol=1e-3)
    np.testing.assert_allclose(embs.double().sum(dim=(1, 2)).numpy(),
                               REFERENCE["audio_embs_sum"], rtol=1e-6)
    np.testing.assert_allclose(hidden.double().sum(dim=(1, 2)).numpy(),
                               REFERENCE["encoder_out_sum"], rtol=1e-4, atol=1e-3)


def test_greedy_caption_ids_equal_the_authors_code(real_architecture):
    import torch

    audio = torch.from_numpy(lp.segments_of(MAKER.test_audio()))
    settings = lp.generation_config(real_architecture.bart.config, num_beams=1,
                                    max_length=REFERENCE["greedy_max_length"])
    with torch.no_grad():
        ids = real_architecture.generate_ids(audio, settings)
    assert ids.tolist() == REFERENCE["greedy_ids"]
    assert REFERENCE["greedy_ids"][0] != REFERENCE["greedy_ids"][1]  # the audio matters


def test_segments_follow_the_authors():
    assert lp.segments_of(np.ones(5 * 16000)).shape == (1, 160_000)  # padded to one
    cut = lp.segments_of(np.arange(25 * 16000, dtype=np.float32))
    assert cut.shape == (2, 160_000) and cut[1, -1] == 20 * 16000 - 1  # remainder dropped


class _Payload:
    def __reduce__(self):
        return (print, ("this would run",))


class Custom:
    pass


@pytest.mark.parametrize("payload", [Custom(), _Payload()])
def test_a_checkpoint_that_needs_code_is_refused(tmp_path, payload):
    import torch

    path = tmp_path / "transfer.pth"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "extra": payload}, path)
    with pytest.raises(UnsafeCheckpointError) as caught:
        read_checkpoint(path)
    message = str(caught.value)
    assert message.count(". ") == 0 and message.endswith(".") and "transfer.pth" in message
    assert isinstance(caught.value, InputError)


def test_a_damaged_or_foreign_checkpoint_is_one_sentence(tmp_path):
    import torch

    whole = tmp_path / "whole.pth"
    torch.save({"state_dict": {"w": torch.zeros(64)}}, whole)
    for name, data in (("cut.pth", whole.read_bytes()[:300]), ("raw.pth", pickle.dumps(7, protocol=2)[:3])):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match="damaged or cut short") as caught:
            read_checkpoint(tmp_path / name)
        assert not isinstance(caught.value, UnsafeCheckpointError)
    foreign = tmp_path / "foreign.pth"
    torch.save({"state_dict": {"encoder.weight": torch.zeros(3)}}, foreign)
    with pytest.raises(CheckpointMismatchError, match="not LP-MusicCaps"):
        convert_checkpoint(foreign, tmp_path / "out.safetensors",
                           tiny_captions.caption_overrides())
    assert not (tmp_path / "out.safetensors").exists()


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lpmc")
    original = tiny_captions.authors_checkpoint(folder / "transfer.pth")
    target = convert_checkpoint(folder / "transfer.pth", folder / "lpmc.safetensors",
                                tiny_captions.caption_overrides())
    return original, target


def test_conversion_keeps_every_weight(converted):
    import torch
    from safetensors.torch import load_file

    original, target = converted
    assert is_converted(target) and not list(target.parent.glob(".*partial"))
    captioner = lp.captioner_from(str(target), tiny_captions.build_tokenizer(),
                                  config_overrides=tiny_captions.caption_overrides())
    mine, theirs = captioner.model.state_dict(), original.state_dict()
    assert set(mine) == set(theirs)
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs)
    assert "bart.model.encoder.embed_tokens.weight" not in load_file(target)  # tied: stored once


def test_captions_per_segment_with_progress_and_cancel(converted):
    _, target = converted
    captioner = lp.captioner_from(str(target), tiny_captions.build_tokenizer(),
                                  config_overrides=tiny_captions.caption_overrides())
    audio = MAKER.test_audio()
    settings = lp.generation_config(captioner.model.bart.config, max_length=12)
    seen: list[tuple[int, int]] = []
    captions = captioner.caption(audio, settings=settings, progress=lambda d, t: seen.append((d, t)))
    assert [(c.start_s, c.end_s) for c in captions] == [(0.0, 10.0), (10.0, 20.0)]
    assert all(c.text and c.text == " ".join(c.text.split()) for c in captions)
    assert seen == [(1, 2), (2, 2)]
    batched = captioner.caption(audio, settings=settings, batch=2)
    assert [c.text for c in batched] == [c.text for c in captions]
    assert captioner.caption(audio, settings=settings, seed=5) == captions  # beam search
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        captioner.caption(audio, settings=settings, cancel=cancel,
                          progress=lambda d, t: cancel.set())


def test_beam_search_ids_equal_the_authors_code(real_architecture):
    import torch

    audio = torch.from_numpy(lp.segments_of(MAKER.test_audio()))
    settings = lp.generation_config(real_architecture.bart.config,
                                    max_length=REFERENCE["beam_max_length"])
    assert settings.num_beams == 5
    with torch.no_grad():
        ids = real_architecture.generate_ids(audio, settings)
    assert ids.tolist() == REFERENCE["beam_ids"]

"""Super-resolution in the release kit: a tiny random Swin2SR built from a config, saved to a
temporary folder and loaded through the app's own loader (safetensors only). The enlargement
is ×4 tile by tile, the kit's cover is brought to the profile's size, release.json names the
model and its licence, and a folder with only pickle weights is one sentence."""

from __future__ import annotations

import io
import json
import threading

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.errors import CancelledError, ModelMissingError
from albumstudio.core.model_registry import find_model, use_local_folders
from albumstudio.engines.upscale import ROLE, Upscaler, installed_upscaler
from albumstudio.services.kit import KitRequest
from tests.support.synth import music, write
from tests.support.tiny_musicgen import pickle_only_copy

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def tiny_swin2sr(folder, safetensors: bool = True):
    """A random Swin2SR ×4 a few hundred kB big; ``safetensors=False``: its weights as a
    pickle ``pytorch_model.bin`` only."""
    import torch
    from transformers import Swin2SRConfig, Swin2SRForImageSuperResolution

    config = Swin2SRConfig(embed_dim=8, depths=[1], num_heads=[1], window_size=8,
                           image_size=32, upscale=4, upsampler="pixelshuffle", mlp_ratio=1.0)
    torch.manual_seed(0)
    made = folder if safetensors else folder.with_name(folder.name + "-safe")
    Swin2SRForImageSuperResolution(config).save_pretrained(made)
    return made if safetensors else pickle_only_copy(made, folder)


def picture(width: int, height: int, seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


@pytest.fixture(autouse=True)
def no_chosen_folders():
    use_local_folders({})
    yield
    use_local_folders({})


def test_the_registry_has_an_upscaler_role_with_a_licence():
    entry = find_model(ROLE)
    assert entry is not None and entry.default and entry.license == "Apache-2.0"
    assert "model.safetensors" in entry.files and not any(".bin" in f for f in entry.files)


def test_the_model_enlarges_four_times_tile_by_tile(tmp_path):
    folder = tiny_swin2sr(tmp_path / "sr")
    upscaler = Upscaler(str(folder), tile=32, overlap=8)
    model = upscaler.model()
    seen: list[tuple[int, int]] = []
    model.register_forward_pre_hook(
        lambda _m, args, kwargs: seen.append(tuple(kwargs["pixel_values"].shape[2:])),
        with_kwargs=True)
    fractions: list[float] = []
    out = upscaler.enlarge(picture(70, 45), progress=fractions.append)
    assert out.size == (280, 180) and out.mode == "RGB"
    assert len(seen) == 3 * 2 and max(max(s) for s in seen) <= 32  # one tile at a time
    assert fractions == pytest.approx([i / 6 for i in range(1, 7)])
    stop = threading.Event()
    stop.set()
    with pytest.raises(CancelledError):
        upscaler.enlarge(picture(70, 45), stop)
    whole = Upscaler(str(folder), tile=128).enlarge(picture(70, 45))
    assert whole.size == (280, 180)
    # the tiles blend into one picture: away from the seams it matches the untiled run
    diff = np.abs(np.asarray(out, np.int16) - np.asarray(whole, np.int16))
    assert float(np.median(diff)) <= 8


def test_a_folder_with_only_pickle_weights_is_one_sentence(tmp_path):
    folder = tiny_swin2sr(tmp_path / "pickled", safetensors=False)
    assert not list(folder.glob("*.safetensors"))
    with pytest.raises(ModelMissingError) as caught:
        Upscaler(str(folder)).enlarge(picture(16, 16))
    message = str(caught.value)
    assert "only unsafe pickle (.bin) weights" in message and "\n" not in message


def hub_cache(root, model_id: str, folder) -> None:
    """``folder``'s files as the Hugging Face cache holds a download of ``model_id``."""
    repo = root / f"models--{model_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for path in folder.iterdir():
        (snapshot / path.name).write_bytes(path.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)


def small_cover(side: int = 48, seed: int = 4) -> bytes:
    out = io.BytesIO()
    picture(side, side, seed=seed).save(out, "PNG")
    return out.getvalue()


def kit_request(tmp_path, seed: int = 4) -> KitRequest:
    track = write(tmp_path / "song.wav", music(2.0, sr=22050, seed=6), 22050)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return KitRequest(str(track), str(out), title="Small", artist="Luma", clip=False,
                      record=False, cover_png=small_cover(seed=seed),
                      cover_request={"engine": "diffusion", "seed": 3})


def test_the_kit_enlarges_with_the_installed_model_and_names_it(kits, tmp_path, monkeypatch):
    import huggingface_hub.constants

    entry = find_model(ROLE)
    assert entry is not None
    cache = tmp_path / "hub"
    hub_cache(cache, entry.id, tiny_swin2sr(tmp_path / "sr"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    assert installed_upscaler() == entry.id
    result = kits.make(kit_request(tmp_path))
    with Image.open(result.folder / "cover.jpg") as cover:
        assert cover.size == (3000, 3000)
    manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    used = manifest["provenance"]["upscale"]
    assert used["id"] == entry.id and used["role"] == ROLE
    assert used["license"] == "Apache-2.0" and used["commercial_use"] is True
    assert used["from_px"] == 48 and used["to_px"] == 3000
    assert any("super-resolution model" in n and "48 → 192 px" in n for n in manifest["notes"])
    assert manifest["cover"]["enlarged_from"] == 48


def test_without_a_model_or_with_pickle_weights_the_kit_uses_lanczos(kits, tmp_path,
                                                                     monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    assert installed_upscaler() is None
    result = kits.make(kit_request(tmp_path))
    manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    assert "upscale" not in manifest["provenance"]
    assert any(n.startswith("no super-resolution model installed") for n in manifest["notes"])
    use_local_folders({ROLE: str(tiny_swin2sr(tmp_path / "pickled", safetensors=False))})
    # another release, so another cover (the same one would be refused as reused)
    result = kits.make(replace_title(kit_request(tmp_path, seed=9), "Small Two"))
    manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    assert "upscale" not in manifest["provenance"]
    note = next(n for n in manifest["notes"] if n.startswith("super-resolution not used"))
    assert "only unsafe pickle (.bin) weights" in note
    with Image.open(result.folder / "cover.jpg") as cover:
        assert cover.size == (3000, 3000)


def replace_title(request: KitRequest, title: str) -> KitRequest:
    from dataclasses import replace

    return replace(request, title=title)

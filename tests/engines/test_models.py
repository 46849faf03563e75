"""The model registry and the one offline, safetensors-only loading path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from albumstudio.core.errors import InputError
from albumstudio.core.model_registry import (
    ROLES,
    default_model,
    model_entry,
    models,
    models_for,
    role_name,
)
from albumstudio.engines.models import (
    is_installed,
    load_pretrained,
    resolve_lora,
    safetensors_is_complete,
)


def one_sentence(message: str) -> bool:
    return message.endswith(".") and message.count(". ") == 0 and "Error" not in message


def test_registry_lists_each_model_once_with_a_licence():
    ids = [m.id for m in models()]
    assert len(ids) == len(set(ids))
    for wanted in ("stable-diffusion-v1-5/stable-diffusion-v1-5",
                   "lllyasviel/control_v11p_sd15_canny", "lllyasviel/control_v11p_sd15_seg",
                   "latent-consistency/lcm-lora-sdv1-5", "Salesforce/blip-image-captioning-base",
                   "nvidia/segformer-b0-finetuned-ade-512-512", "facebook/musicgen-small",
                   "monster-labs/control_v1p_sd15_qrcode_monster"):
        info = model_entry(wanted)
        assert info is not None and info.license and info.url.startswith("https://")
        assert info.size_mb > 0
    assert "CC-BY-NC" in model_entry("facebook/musicgen-small").license
    assert not model_entry("facebook/musicgen-small").commercial_use
    assert not model_entry("nvidia/segformer-b0-finetuned-ade-512-512").commercial_use


def test_every_role_has_exactly_one_default_model_and_a_name():
    for role in ROLES:
        assert [e.default for e in models_for(role)].count(True) == 1
        assert model_entry(default_model(role)).role == role
        assert role_name(role).startswith(("the ", "MusicGen"))
    assert default_model("sd15") == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert default_model("tagger") == "MTT_musicnn"
    with pytest.raises(KeyError):
        default_model("no-such-role")


def test_model_ids_are_written_only_in_the_registry_data():
    """default_model(role) is the only place a model id comes from: no source file spells one."""
    root = Path(__file__).resolve().parents[2] / "albumstudio"
    ids = [m.id for m in models() if "/" in m.id]
    offenders = [f"{path.relative_to(root)}: {model_id}" for path in root.rglob("*.py")
                 for model_id in ids if model_id in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_importing_the_engines_does_not_import_torch():
    code = ("import sys, albumstudio.engines.models, albumstudio.engines.device, "
            "albumstudio.engines.diffusion_cover; "
            "sys.exit(int(any(m in sys.modules for m in ('torch', 'diffusers', 'transformers'))))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_local_folder_loads_and_counts_as_installed(tiny_sd):
    from diffusers import UNet2DConditionModel

    unet = load_pretrained(UNet2DConditionModel, tiny_sd, "the test UNet", subfolder="unet")
    assert unet.config.cross_attention_dim == 16
    assert is_installed(tiny_sd)
    assert not is_installed(str(Path(tiny_sd) / "missing"))
    assert not is_installed("nobody/not-in-the-cache")


def test_a_hub_id_missing_from_the_cache_is_not_installed():
    from diffusers import ControlNetModel

    with pytest.raises(InputError) as caught:
        load_pretrained(ControlNetModel, "nobody/not-in-the-cache", "the canny ControlNet")
    message = str(caught.value)
    assert "is not installed" in message and "hf download nobody/not-in-the-cache" in message
    assert one_sentence(message)


def test_pickle_weights_truncated_files_and_missing_configs_are_explained(tiny_sd, tmp_path):
    from diffusers import ControlNetModel, UNet2DConditionModel

    pickled = Path(shutil.copytree(Path(tiny_sd) / "unet", tmp_path / "pickled"))
    unet = UNet2DConditionModel.from_pretrained(pickled)
    (pickled / "diffusion_pytorch_model.safetensors").unlink()
    unet.save_pretrained(pickled, safe_serialization=False)
    truncated = Path(shutil.copytree(Path(tiny_sd) / "unet", tmp_path / "truncated"))
    weights = truncated / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    no_config = Path(shutil.copytree(Path(tiny_sd) / "unet", tmp_path / "no-config"))
    (no_config / "config.json").unlink()

    cases = {pickled: "unsafe pickle (.bin)", truncated: "incomplete or damaged",
             no_config: "missing a config file"}
    for folder, words in cases.items():
        with pytest.raises(InputError) as caught:
            load_pretrained(UNet2DConditionModel, str(folder), "the test UNet")
        assert words in str(caught.value) and one_sentence(str(caught.value)), folder
    assert not safetensors_is_complete(weights)
    assert safetensors_is_complete(Path(tiny_sd) / "unet" / "diffusion_pytorch_model.safetensors")
    # keyword arguments override the defaults (a caller may opt into .bin deliberately)
    assert load_pretrained(UNet2DConditionModel, str(pickled), "x", use_safetensors=False)
    with pytest.raises(InputError):
        load_pretrained(ControlNetModel, str(tmp_path / "nowhere"), "the canny ControlNet")


def test_resolve_lora_accepts_safetensors_only(tiny_lora, tmp_path):
    assert resolve_lora(tiny_lora, "the style LoRA") == Path(tiny_lora)
    assert resolve_lora(str(Path(tiny_lora).parent), "the style LoRA") == Path(tiny_lora)
    for name in ("style.ckpt", "style.pt", "style.bin"):
        with pytest.raises(InputError) as caught:
            resolve_lora(str(tmp_path / name), "the style LoRA")
        assert ".safetensors" in str(caught.value) and one_sentence(str(caught.value))
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(Path(tiny_lora).read_bytes()[:50])
    with pytest.raises(InputError) as caught:
        resolve_lora(str(broken), "the style LoRA")
    assert "incomplete or damaged" in str(caught.value)
    with pytest.raises(InputError) as caught:
        resolve_lora("nobody/no-such-lora", "the LCM-LoRA")
    assert "is not installed" in str(caught.value)


def test_a_folder_with_a_model_index_is_installed(tmp_path):
    folder = tmp_path / "pipe"
    folder.mkdir()
    assert not is_installed(str(folder))
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "X"}))
    assert is_installed(str(folder))


def test_a_safetensors_header_over_100_mb_is_refused_before_it_is_read(tmp_path):
    """A sparse file declaring a 4 GB header once took 5.5 GB to check (#11 item 3)."""
    import resource

    path = tmp_path / "style.safetensors"
    declared = 4_000_000_000
    with path.open("wb") as handle:
        handle.write(declared.to_bytes(8, "little"))
        handle.truncate(8 + declared + 16)  # sparse: no disk used
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert not safetensors_is_complete(path)
    with pytest.raises(InputError) as caught:
        resolve_lora(str(path), "your LoRA")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 50 and "incomplete or damaged" in caught.value.message


@pytest.mark.parametrize("header", [
    b"[" * 200_000 + b"]" * 200_000,  # nested past the parser's recursion limit
    b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": "ab"}}',  # offsets not numbers
    b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": []}}',  # offsets missing
    b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, {"x": 1}]}}',
])
def test_odd_or_nested_safetensors_headers_are_damaged_files_in_one_sentence(tmp_path, header):
    path = tmp_path / "style.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    assert not safetensors_is_complete(path)
    with pytest.raises(InputError) as caught:
        resolve_lora(str(path), "your LoRA")
    assert "incomplete or damaged" in caught.value.message and one_sentence(caught.value.message)


def test_a_stray_root_level_ckpt_does_not_make_a_safetensors_pipeline_unsafe(tiny_sd, tmp_path):
    """Its components load from their folders; a .ckpt beside model_index.json is never read."""
    from albumstudio.engines.models import diagnose

    folder = Path(shutil.copytree(tiny_sd, tmp_path / "pipeline"))
    (folder / "v1-5-pruned.ckpt").write_bytes(b"\x80\x02}q\x00.")  # a pickle, never loaded
    assert diagnose(str(folder), "the test pipeline") is None
    (folder / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")
    assert "unsafe pickle" in (diagnose(str(folder), "the test pipeline") or "")

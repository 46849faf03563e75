"""Device, dtype and memory-preset decisions (on a machine without a GPU)."""

from __future__ import annotations

import pytest

from albumstudio.core.errors import InputError
from albumstudio.engines.device import (
    PRESETS,
    DeviceChoice,
    apply_preset,
    choose_device,
    is_out_of_memory,
    lighter_preset,
    preset_for_free_vram,
)


def test_cpu_is_float32_with_everything_in_memory():
    choice = choose_device("cpu")
    assert (choice.device, choice.dtype_name, choice.preset) == ("cpu", "float32", "full")
    assert choice.free_vram_gb is None and choice.reason
    assert choice.generator_device == "cpu"


def test_auto_picks_cuda_only_when_it_is_there():
    import torch

    choice = choose_device("auto")
    if torch.cuda.is_available():
        assert (choice.device, choice.dtype_name) == ("cuda", "float16")
        assert choice.free_vram_gb is not None
    elif choice.device == "mps":
        assert choice.dtype_name == "float32"
    else:
        assert (choice.device, choice.dtype_name) == ("cpu", "float32")


def test_asking_for_a_missing_gpu_is_an_input_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InputError) as caught:
        choose_device("cuda")
    assert "CUDA" in str(caught.value)
    with pytest.raises(InputError):
        choose_device("tpu")


def test_presets_get_lighter_down_to_none():
    chain = ["full"]
    while (nxt := lighter_preset(chain[-1])) is not None:
        chain.append(nxt)
    assert tuple(chain) == PRESETS == ("full", "sliced", "offload", "sequential")
    with pytest.raises(ValueError):
        lighter_preset("huge")


@pytest.mark.parametrize(("free_gb", "preset"), [
    (24.0, "full"), (8.0, "full"), (6.0, "sliced"), (3.5, "offload"), (1.0, "sequential")])
def test_preset_follows_free_vram(free_gb, preset):
    assert preset_for_free_vram(free_gb) == preset


def test_out_of_memory_is_recognised():
    import torch

    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried 2 GiB"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_apply_preset_switches_vae_slicing_on_cpu(tiny_sd):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd, local_files_only=True)
    for preset in PRESETS:  # on CPU nothing can be offloaded; lighter presets only slice
        apply_preset(pipe, preset, "cpu")
        assert pipe.vae.use_slicing == pipe.vae.use_tiling == (preset != "full")
        assert pipe.device.type == "cpu"


def test_a_choice_can_change_preset():
    choice = DeviceChoice("cuda", "float16", "full", 10.0, "test")
    assert choice.with_preset("offload").preset == "offload"
    assert choice.generator_device == "cuda"

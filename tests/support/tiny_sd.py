"""Tiny random-weight Stable Diffusion 1.5-shaped models, saved to folders and loaded offline.

Shapes follow shared/REFERENCES.md ("Tiny random-weight models that load offline"). Every builder
seeds torch first so the weights, and therefore every image made from them, are reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BLOCKS = (8, 16)
CROSS_DIM = 16
VOCAB_SIZE = 1000


def unet_config() -> dict[str, Any]:
    return {
        "block_out_channels": BLOCKS,
        "layers_per_block": 1,
        "sample_size": 8,
        "in_channels": 4,
        "out_channels": 4,
        "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
        "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
        "cross_attention_dim": CROSS_DIM,
        "norm_num_groups": 4,
        "attention_head_dim": 2,
    }


def _write_tokenizer(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789,.-!'")
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in chars:
        vocab[char] = len(vocab)
        vocab[f"{char}</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")


def build_tiny_sd(folder: Path) -> Path:
    """A full StableDiffusionPipeline folder (safetensors) with random tiny weights."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    folder = Path(folder)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**unet_config())
    torch.manual_seed(1)
    vae = AutoencoderKL(
        block_out_channels=[8, 8, 16, 16],  # four blocks: latents are 1/8 of the image, as in SD
        layers_per_block=1,
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=32,
    )
    torch.manual_seed(2)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=CROSS_DIM,
        intermediate_size=32, layer_norm_eps=1e-5, num_attention_heads=2, num_hidden_layers=2,
        vocab_size=VOCAB_SIZE, max_position_embeddings=77, projection_dim=CROSS_DIM,
    ))
    token_dir = folder / "_tokenizer_source"
    _write_tokenizer(token_dir)
    tokenizer = CLIPTokenizer(str(token_dir / "vocab.json"), str(token_dir / "merges.txt"),
                              model_max_length=77)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    out = folder / "sd"
    pipe.save_pretrained(out, safe_serialization=True)
    return out


def build_tiny_controlnet(folder: Path, seed: int = 3) -> Path:
    """A ControlNetModel folder matching the tiny UNet."""
    import torch
    from diffusers import ControlNetModel

    torch.manual_seed(seed)
    config = unet_config()
    controlnet = ControlNetModel(
        block_out_channels=config["block_out_channels"],
        layers_per_block=1,
        in_channels=4,
        down_block_types=config["down_block_types"],
        cross_attention_dim=CROSS_DIM,
        conditioning_embedding_out_channels=(8, 8, 8, 8),  # 3 downsamples: 1/8, like the VAE
        norm_num_groups=4,
        attention_head_dim=2,
    )
    # A freshly made ControlNet has zero output convolutions (no effect): give it one.
    with torch.no_grad():
        for block in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
            block.weight.normal_(0.0, 0.3)
    out = Path(folder)
    controlnet.save_pretrained(out, safe_serialization=True)
    return out


def build_tiny_lora(folder: Path, config: dict[str, Any] | None = None, seed: int = 4) -> Path:
    """A diffusers-format LoRA .safetensors for the tiny UNet (non-zero, so it changes images)."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**(config or unet_config()))
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,
                                target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    with torch.no_grad():
        for name, param in unet.named_parameters():
            if "lora_" in name:
                param.normal_(0.0, 0.5)
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    StableDiffusionPipeline.save_lora_weights(out, unet_lora_layers=layers,
                                              weight_name="tiny_lora.safetensors",
                                              safe_serialization=True)
    return out / "tiny_lora.safetensors"

"""Tiny random-weight BLIP and SegFormer folders, saved like the real checkpoints.

They load through the app's own ``from_pretrained`` path (local files, safetensors) in a
fraction of a second, so the tests exercise the real loading and inference code.
"""

from __future__ import annotations

from pathlib import Path

BLIP_IMAGE_SIZE = 32
SEGFORMER_IMAGE_SIZE = 64

_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_WORDS = (
    "a an the of on in with and at by near under over two three red blue green yellow black "
    "white dark bright sky sea city night street man woman dog cat car tree trees photo "
    "photography picture painting sun moon house road field mountain river light sitting "
    "standing wall window flowers guitar stage crowd"
).split()
_DECODER_TOKEN = "[DEC]"


def tiny_wordpiece_vocab() -> list[str]:
    """The tiny tokenizer's vocabulary, in id order: specials, words, then BLIP's [DEC]."""
    return [*_SPECIAL_TOKENS, *_WORDS, _DECODER_TOKEN]


def build_tiny_blip(folder: Path, seed: int = 0) -> Path:
    """Save a tiny BLIP captioner (model + BlipProcessor) in ``folder`` and return it."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
        BlipTextConfig,
        BlipVisionConfig,
    )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = tiny_wordpiece_vocab()
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab={token: index for index, token in enumerate(vocab)},
                              do_lower_case=True, bos_token=_DECODER_TOKEN)
    separator = vocab.index("[SEP]")
    text_config = BlipTextConfig(
        vocab_size=len(vocab), hidden_size=16, intermediate_size=32, projection_dim=16,
        num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=64,
        bos_token_id=vocab.index(_DECODER_TOKEN), eos_token_id=separator,
        sep_token_id=separator, pad_token_id=vocab.index("[PAD]"),
    )
    vision_config = BlipVisionConfig(
        hidden_size=16, intermediate_size=32, projection_dim=16, num_hidden_layers=2,
        num_attention_heads=2, image_size=BLIP_IMAGE_SIZE, patch_size=8,
    )
    config = BlipConfig(text_config=text_config.to_dict(), vision_config=vision_config.to_dict(),
                        projection_dim=16, image_text_hidden_size=16)
    torch.manual_seed(seed)
    model = BlipForConditionalGeneration(config).eval()
    image_processor = BlipImageProcessor(size={"height": BLIP_IMAGE_SIZE,
                                               "width": BLIP_IMAGE_SIZE})
    BlipProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    model.save_pretrained(folder, safe_serialization=True)
    return folder


def build_tiny_segformer(folder: Path, num_labels: int = 150, seed: int = 0) -> Path:
    """Save a tiny SegFormer (model + SegformerImageProcessor) in ``folder`` and return it."""
    import torch
    from transformers import (
        SegformerConfig,
        SegformerForSemanticSegmentation,
        SegformerImageProcessor,
    )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = SegformerConfig(
        num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[8, 16],
        patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
        decoder_hidden_size=16, num_labels=num_labels,
    )
    torch.manual_seed(seed)
    model = SegformerForSemanticSegmentation(config).eval()
    SegformerImageProcessor(size={"height": SEGFORMER_IMAGE_SIZE,
                                  "width": SEGFORMER_IMAGE_SIZE}).save_pretrained(folder)
    model.save_pretrained(folder, safe_serialization=True)
    return folder

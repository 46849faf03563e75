"""Tiny random-weight caption models: LP-MusicCaps with a one-layer BART, a tiny BART
summariser, and a word-level BART-like tokenizer, all built here (nothing downloaded).

LP-MusicCaps' audio encoder has no projection, so its BART keeps ``d_model=768``; the tiny one
has one layer each way, two heads and a 60-word vocabulary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_WORDS = (
    "a the of with and in this is song music piece track features male female vocal "
    "guitar piano drums bass synth strings slow fast upbeat calm energetic mellow rock pop "
    "jazz electronic ambient classical melody rhythm beat soft loud bright dark sad happy "
    "acoustic electric recording"
).split()
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
CAPTION_OVERRIDES = {"encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
                     "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32,
                     "max_position_embeddings": 160}


def vocab() -> dict[str, int]:
    """BART's special ids (<s> 0, <pad> 1, </s> 2, <unk> 3), then the words."""
    return {token: index for index, token in enumerate((*SPECIALS, *_WORDS))}


def caption_overrides() -> dict[str, Any]:
    return {**CAPTION_OVERRIDES, "vocab_size": len(vocab())}


def build_tokenizer() -> Any:
    """A fast tokenizer with BART's special tokens over a word-level vocabulary."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import WordLevel
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    words = vocab()
    core = Tokenizer(WordLevel(words, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    core.post_processor = TemplateProcessing(single="<s> $A </s>",
                                             special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>")


def save_tokenizer(folder: Path) -> Path:
    """The tokenizer as a model folder the app loads (tokenizer files and a BART config)."""
    from transformers import BartConfig

    folder.mkdir(parents=True, exist_ok=True)
    build_tokenizer().save_pretrained(folder)
    BartConfig(vocab_size=len(vocab()), d_model=16, encoder_layers=1, decoder_layers=1,
               encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=16,
               decoder_ffn_dim=16).save_pretrained(folder)
    return folder


def authors_checkpoint(path: Path, seed: int = 0) -> Any:
    """A tiny LP-MusicCaps saved the way the authors save theirs (a pickled dict with
    ``epoch``, ``state_dict`` with ``module.`` names, ``optimizer``); returns the model."""
    import torch

    from albumstudio.engines.lp_musiccaps import bart_config, build_model

    torch.manual_seed(seed)
    model = build_model(bart_config(caption_overrides()))
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn_like(param) * 0.05)
    model.bart.tie_weights()
    state = {f"module.{k}": v for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"epoch": 3, "state_dict": state, "optimizer": {"state": {}, "lr": 1e-4}}, path)
    return model.eval()


def save_summarizer(folder: Path, seed: int = 0) -> Path:
    """A tiny random BART for conditional generation with the tokenizer, as safetensors."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(seed)
    config = BartConfig(vocab_size=len(vocab()), d_model=16, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2,
                        encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=256)
    model = BartForConditionalGeneration(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    build_tokenizer().save_pretrained(folder)
    return folder


def bart_config_for_tests() -> Any:
    """The tiny captioning model's BART configuration."""
    from albumstudio.engines.lp_musiccaps import bart_config

    return bart_config(caption_overrides())


def save_caption_models(root: Path) -> Path:
    """Every tiny caption model under ``root``: the authors'-format checkpoint
    (``pth/transfer.pth``), converted the way the app converts it (``lpmc``), the tokenizer
    (``tokenizer``) and the summariser (``summary``)."""
    from albumstudio.engines.lp_musiccaps_weights import convert_checkpoint

    authors_checkpoint(root / "pth" / "transfer.pth")
    convert_checkpoint(root / "pth" / "transfer.pth", root / "lpmc" / "weights.safetensors",
                       caption_overrides())
    save_tokenizer(root / "tokenizer")
    save_summarizer(root / "summary")
    return root


def generation_settings(max_length: int = 12) -> Any:
    """Generation settings for the tiny captioner, short captions by default."""
    from albumstudio.engines.lp_musiccaps import generation_config

    return generation_config(bart_config_for_tests(), max_length=max_length)

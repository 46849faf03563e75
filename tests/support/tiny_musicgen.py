"""A tiny random-weight MusicGen (and MusicGen Melody), saved like the real checkpoints.

T5 text encoder with ``d_model=16`` and one layer, a tiny EnCodec (4 codebooks of 64 codes)
and a one-layer decoder; the tokenizer is a word-level ``tokenizers`` model built here, so
nothing is downloaded. The folder holds ``model.safetensors`` and a ``MusicgenProcessor`` and
loads through the app's own ``from_pretrained`` path in a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

CODEBOOK_SIZE = 2048  # 11 bits a code: at 2.2 kbps and 50 frames/s that is 4 codebooks, as in the real model
NUM_CODEBOOKS = 4
_WORDS = (
    "a an the of with and in at for by song track music piece instrumental ambient rock pop "
    "jazz electronic classical folk hip-hop metal dance cinematic lo-fi soul funk blues "
    "slow fast moderate tempo bpm key major minor mood calm bright dark warm cold happy sad "
    "energetic gentle driving dreamy melancholic uplifting tense peaceful piano guitar strings "
    "drums synth bass pads vocals acoustic electric soft loud quality high 4/4 time"
).split()
_SPECIALS = ("<pad>", "</s>", "<unk>")


def tiny_vocab() -> dict[str, int]:
    """Specials first (pad 0, end 1, unknown 2), then lower-case words."""
    return {token: index for index, token in enumerate((*_SPECIALS, *_WORDS))}


def build_tiny_tokenizer() -> object:
    """A T5-like fast tokenizer over a fixed word-level vocabulary (no download)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    vocab = tiny_vocab()
    core = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                  pre_tokenizers.Punctuation("removed")])
    core.post_processor = TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                             special_tokens=[("</s>", vocab["</s>"])])
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=64)


def _configs(melody: bool = False) -> tuple[object, object, object]:
    from transformers import EncodecConfig, T5Config
    from transformers.models.musicgen.configuration_musicgen import MusicgenDecoderConfig

    text = T5Config(vocab_size=len(tiny_vocab()), d_model=16, d_kv=8, d_ff=32, num_layers=1,
                    num_decoder_layers=1, num_heads=2, pad_token_id=0, eos_token_id=1,
                    decoder_start_token_id=0)
    audio = EncodecConfig(hidden_size=8, num_filters=4, codebook_size=CODEBOOK_SIZE,
                          upsampling_ratios=[8, 5, 4, 4], target_bandwidths=[2.2],
                          num_residual_layers=1, sampling_rate=32000, audio_channels=1,
                          codebook_dim=8, num_lstm_layers=1)
    decoder_kwargs = dict(vocab_size=CODEBOOK_SIZE, hidden_size=16, num_hidden_layers=1,
                          num_attention_heads=2, ffn_dim=32, num_codebooks=NUM_CODEBOOKS,
                          pad_token_id=CODEBOOK_SIZE, bos_token_id=CODEBOOK_SIZE,
                          decoder_start_token_id=CODEBOOK_SIZE, max_position_embeddings=4096)
    if melody:
        from transformers.models.musicgen_melody.configuration_musicgen_melody import (
            MusicgenMelodyDecoderConfig,
        )

        return text, audio, MusicgenMelodyDecoderConfig(**decoder_kwargs)
    return text, audio, MusicgenDecoderConfig(**decoder_kwargs)


def build_tiny_musicgen(folder: Path, seed: int = 0, stereo: bool = False) -> Path:
    """Save a tiny MusicgenForConditionalGeneration and its processor in ``folder`` (``stereo``:
    shaped like musicgen-stereo, 8 interleaved codebooks for two channels)."""
    import torch
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
    )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, audio, decoder = _configs()
    if stereo:
        decoder.num_codebooks, decoder.audio_channels = 2 * NUM_CODEBOOKS, 2
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                            decoder=decoder.to_dict())
    torch.manual_seed(seed)
    model = MusicgenForConditionalGeneration(config).eval()
    with torch.no_grad():  # EnCodec's codebooks start as zeros: every code would sound alike
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
            layer.codebook.cluster_size.fill_(1.0)
    _set_generation_config(model)
    model.save_pretrained(folder, safe_serialization=True)
    extractor = EncodecFeatureExtractor(feature_size=2 if stereo else 1, sampling_rate=32000)
    MusicgenProcessor(feature_extractor=extractor,
                      tokenizer=build_tiny_tokenizer()).save_pretrained(folder)
    return folder


def build_tiny_musicgen_melody(folder: Path, seed: int = 0) -> Path:
    """Save a tiny MusicgenMelodyForConditionalGeneration and its tokenizer in ``folder`` (its
    chroma extractor needs torchaudio, so the app computes the chroma itself)."""
    import torch
    from transformers import MusicgenMelodyConfig, MusicgenMelodyForConditionalGeneration

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, audio, decoder = _configs(melody=True)
    config = MusicgenMelodyConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                                  decoder=decoder.to_dict(), num_chroma=12, chroma_length=235)
    torch.manual_seed(seed)
    model = MusicgenMelodyForConditionalGeneration(config).eval()
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
            layer.codebook.cluster_size.fill_(1.0)
        model.audio_enc_to_dec_proj.weight.normal_(std=2.0)  # let the melody be heard
    _set_generation_config(model)
    model.save_pretrained(folder, safe_serialization=True)
    build_tiny_tokenizer().save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def _set_generation_config(model: object) -> None:
    generation = model.generation_config  # type: ignore[attr-defined]
    generation.decoder_start_token_id = CODEBOOK_SIZE
    generation.pad_token_id = CODEBOOK_SIZE
    generation.bos_token_id = CODEBOOK_SIZE
    generation.do_sample = True
    generation.top_k = 50
    generation.guidance_scale = 3.0
    generation.max_length = 1500


def pickle_only_copy(source: Path, target: Path) -> Path:
    """A copy of the tiny model folder whose weights are a pickle ``.bin`` instead of safetensors."""
    import shutil

    import torch
    from safetensors.torch import load_file

    target = Path(target)
    shutil.copytree(source, target)
    weights = target / "model.safetensors"
    torch.save(load_file(str(weights)), target / "pytorch_model.bin")
    weights.unlink()
    return target

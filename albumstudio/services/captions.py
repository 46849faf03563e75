"""Music captions, as Music2P made them and better (Qt-free: the window and the CLI share it).

LP-MusicCaps writes a caption for each 10 s segment of the track, so the words follow how the
piece develops; BART large CNN turns them into one paragraph for the cover prompt. Without BART
large CNN the measured description (tempo, key, tags) stays the summary. LP-MusicCaps' weights
are published only as a pickled checkpoint: the first run reads it without unpickling code and
keeps a safetensors copy in the models folder (:meth:`CaptionService.weights_file`), and every
run loads that copy. The licences of the models used travel with the result
(:attr:`TrackCaptions.notes`), so whatever the captions feed can record them. Captions are
kept in the cache folder per track content, model files, device, seed and settings, so a second
run (or the window opening the track again) reads them instead of captioning again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from albumstudio.core.errors import CancelledError, ModelMissingError
from albumstudio.core.jobs import ModelUse, Note, Progress, ProgressFn
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model, model_entry, revision_of, role_name
from albumstudio.engines.lp_musiccaps import SEGMENT_S, SegmentCaption
from albumstudio.store.cache import ContentCache
from albumstudio.store.paths import DataPaths

CAPTIONER, TOKENIZER, SUMMARIZER = "music-captioner", "music-captioner-text", "caption-summarizer"
CHECKPOINT_NAME = "transfer.pth"
CONVERTED_NAME = "lp-musiccaps-transfer.safetensors"
SUMMARY_BY_BART = "bart-large-cnn"
SUMMARY_MEASURED = "measured description"
# seconds of one full-length caption (128 tokens, 5 beams, random weights) on a shared 2-core
# machine, from benchmarks/gpu_captions.py --random-weights: the slowest case, real captions
# usually end sooner
CPU_SECONDS_PER_SEGMENT = 145.0
CACHE_VERSION = 1  # raise when the same models and settings would give other captions


def _fingerprint(path: Path | None) -> list[Any]:
    """A file's or a folder's files' names, sizes and modification times (a hub snapshot's
    folder name is its commit): what changes when a model is downloaded or converted again."""
    if path is None:
        return []
    try:
        files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
        found: list[Any] = [str(path.resolve())]
        for file in files:
            stat = file.stat()
            found.append([file.name, stat.st_size, stat.st_mtime_ns])
        return found
    except OSError:
        return [str(path)]


@dataclass(frozen=True)
class TrackCaptions:
    """A track's captions: one per segment, the paragraph, and where the paragraph came from."""

    segments: tuple[SegmentCaption, ...]
    summary: str
    summary_source: str  # SUMMARY_BY_BART or SUMMARY_MEASURED
    models: tuple[ModelUse, ...]
    notes: tuple[Note, ...]  # the licences of the models used, and how the summary was made
    device: str
    seed: int
    timings: dict[str, float] = field(default_factory=dict)
    kept: bool = False  # read from the caption cache, not made by this run

    def to_dict(self) -> dict[str, Any]:
        return {"segment_s": SEGMENT_S, "segments": [s.to_dict() for s in self.segments],
                "summary": self.summary, "summary_source": self.summary_source,
                "models": [m.to_dict() for m in self.models],
                "licences": [licence_line(m) for m in self.models],
                "notes": [n.to_dict() for n in self.notes], "device": self.device,
                "seed": self.seed, "timings": {k: round(v, 3) for k, v in self.timings.items()},
                "kept": self.kept}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackCaptions:
        """What :meth:`to_dict` wrote (KeyError, TypeError or ValueError for anything else)."""
        segments = tuple(SegmentCaption(float(s["start_s"]), float(s["end_s"]), str(s["text"]))
                         for s in data["segments"])
        models = tuple(ModelUse(str(m["role"]), str(m["id"]), m.get("revision"))
                       for m in data["models"])
        notes = tuple(Note(str(n["text"]), str(n["kind"])) for n in data["notes"])
        if data["summary_source"] not in (SUMMARY_BY_BART, SUMMARY_MEASURED):
            raise ValueError("unknown summary source")
        return cls(segments, str(data["summary"]), str(data["summary_source"]), models, notes,
                   str(data["device"]), int(data["seed"]),
                   {str(k): float(v) for k, v in dict(data.get("timings", {})).items()})


def licence_line(use: ModelUse) -> dict[str, Any]:
    entry = model_entry(use.id) or model_entry(default_model(use.role))
    return {"role": use.role, "id": use.id,
            "licence": entry.license if entry is not None else "unknown (a local folder)",
            "commercial_use": bool(entry.commercial_use) if entry is not None else False}


SUMMARY_ROLES = (CAPTIONER, TOKENIZER, SUMMARIZER)  # the models whose words a summary is


def prompt_model_uses(roles: tuple[str, ...]) -> tuple[tuple[ModelUse, ...], tuple[Note, ...]]:
    """For a cover whose prompt carries words these model roles made (the music captions'
    summary): the models, as a job record lists them, and one note naming each with its
    licence (the non-commercial ones also get the usual licence warning from the record)."""
    from albumstudio.services.model_licences import licence_of

    uses = tuple(ModelUse(role, default_model(role), revision_of(default_model(role)))
                 for role in dict.fromkeys(roles))
    if not uses:
        return (), ()
    named = []
    for use in uses:
        licence = licence_of(use.id) or licence_of(use.role)
        named.append(f"{role_name(use.role)} ({use.id}, "
                     f"{licence.licence if licence is not None else 'licence unknown'})")
    return uses, (Note("prompt: the music captions' summary, made with " + "; ".join(named),
                       "explanation"),)


def _is_hub_id(model: str) -> bool:
    return model.count("/") == 1 and not os.path.exists(os.path.expanduser(model))


def _download_hint(role: str) -> str:
    return f"`albumstudio models download {role}`"


class CaptionService:
    """Captions and their summary for a track file; models kept by the app's model cache."""

    def __init__(self, paths: DataPaths, models: ModelCache | None = None) -> None:
        self.paths = paths
        self.models = models or ModelCache()

    # --- where the weights are ----------------------------------------------------------------
    def converted_path(self) -> Path:
        return self.paths.models / "lp-musiccaps" / CONVERTED_NAME

    def _checkpoint(self) -> Path | None:
        """The authors' checkpoint: in the role's local folder or the Hugging Face cache."""
        model = default_model(CAPTIONER)
        if not _is_hub_id(model):
            path = Path(os.path.expanduser(model))
            candidate = path / CHECKPOINT_NAME if path.is_dir() else path
            return candidate if candidate.is_file() else None
        from huggingface_hub import try_to_load_from_cache

        from albumstudio.store.model_files import hub_cache_dir

        found = try_to_load_from_cache(model, CHECKPOINT_NAME, cache_dir=str(hub_cache_dir()),
                                       revision=revision_of(model))
        return Path(found) if isinstance(found, str) else None

    def _ready_weights(self) -> Path | None:
        """A converted file that needs no conversion now (a local folder's or ours)."""
        from albumstudio.engines.lp_musiccaps_weights import is_converted

        model = default_model(CAPTIONER)
        if not _is_hub_id(model):
            path = Path(os.path.expanduser(model))
            if path.is_file() and is_converted(path):
                return path
            if path.is_dir():
                found = [p for p in sorted(path.glob("*.safetensors")) if is_converted(p)]
                if found:
                    return found[0]
        source = self._checkpoint()
        target = self.converted_path()
        if source is not None and is_converted(target, source):
            return target
        if source is None and is_converted(target):
            return target
        return None

    def missing(self) -> str | None:
        """One sentence naming the captioning model that is missing and how to get it."""
        from albumstudio.engines.models import is_installed

        if self._ready_weights() is None and self._checkpoint() is None:
            return (f"Music captions need {role_name(CAPTIONER)}, which is not on this computer:"
                    f" download it once with {_download_hint(CAPTIONER)} (it is licensed "
                    "non-commercial).")
        if not is_installed(default_model(TOKENIZER)):
            return (f"Music captions need {role_name(TOKENIZER)}, which is not on this computer:"
                    f" download it once with {_download_hint(TOKENIZER)}.")
        return None

    def summarizer_installed(self) -> bool:
        from albumstudio.engines.models import is_installed

        return is_installed(default_model(SUMMARIZER))

    def weights_file(self, progress: ProgressFn | None = None) -> Path:
        """The safetensors weights, converting the authors' checkpoint the first time."""
        from albumstudio.engines.lp_musiccaps_weights import convert_checkpoint

        ready = self._ready_weights()
        if ready is not None:
            return ready
        source = self._checkpoint()
        if source is None:
            raise ModelMissingError(self.missing() or "LP-MusicCaps is not on this computer.")
        if progress is not None:
            progress(Progress(0.0, "converting LP-MusicCaps' checkpoint to safetensors (once)"))
        return convert_checkpoint(source, self.converted_path())

    def device_for(self, device: str = "auto") -> str:
        """Where the caption models will run ("cuda", "mps" or "cpu")."""
        from albumstudio.engines.device import choose_device

        return choose_device(device).device

    def estimate(self, duration_s: float, device: str) -> str:
        """An honest sentence about how long captioning will take, said before a CPU run."""
        segments = max(1, int(duration_s // SEGMENT_S))
        if device.startswith("cuda"):
            return f"{segments} segments of {SEGMENT_S} s: a few seconds on the GPU."
        seconds = segments * CPU_SECONDS_PER_SEGMENT
        minutes = f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
        return (f"{segments} segments of {SEGMENT_S} s on the CPU: up to about {minutes} (a "
                f"full-length caption took {CPU_SECONDS_PER_SEGMENT:.0f} s on a 2-core machine; "
                "most end sooner, and the time left shows after the first segment).")

    # --- the caption cache --------------------------------------------------------------------
    def cache(self) -> ContentCache:
        return ContentCache(self.paths.cache / "captions", ".json")

    def cache_key(self, content_hash: str, weights: Path, device: str, seed: int,
                  settings: Any = None) -> str:
        """The captions' key: the track's content, the exact model files (the converted
        LP-MusicCaps weights, the tokenizer's and BART large CNN's snapshot folders: a new
        download or conversion is a new key), where they run, the seed and the decoding
        settings."""
        from albumstudio.engines.models import cached_folder

        summarizer = (_fingerprint(cached_folder(default_model(SUMMARIZER)))
                      if self.summarizer_installed() else None)
        material = {
            "version": CACHE_VERSION, "track": content_hash, "device": device, "seed": seed,
            "settings": settings.to_json_string() if settings is not None else None,
            "captioner": _fingerprint(weights),
            "tokenizer": _fingerprint(cached_folder(default_model(TOKENIZER))),
            "summarizer": summarizer,
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def kept(self, track: str, *, seed: int = 0, device: str = "auto", description: str = "",
             settings: Any = None, cancel: threading.Event | None = None,
             content_hash: str = "") -> TrackCaptions | None:
        """The captions an earlier run made of this track with these very models and settings,
        or None (also when a model is missing or its weights are not converted yet). Loads no
        model; reads the track once to hash it unless ``content_hash`` is given."""
        from albumstudio.audio.peaks import content_hash as hash_of
        from albumstudio.engines.device import choose_device

        weights = self._ready_weights() if self.missing() is None else None
        if weights is None:
            return None
        key = self.cache_key(content_hash or hash_of(track, cancel), weights,
                             choose_device(device).device, seed, settings)
        return self._read_kept(key, description)

    def _read_kept(self, key: str, description: str) -> TrackCaptions | None:
        data = self.cache().get_json(key)
        if data is None:
            return None
        try:
            found = TrackCaptions.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if found.summary_source == SUMMARY_MEASURED:  # the description of now, not of then
            found = replace(found, summary=description)
        return replace(found, kept=True)

    # --- captioning ---------------------------------------------------------------------------
    def _captioner(self, weights: Path, device: str) -> Any:
        from albumstudio.engines.lp_musiccaps import captioner_from
        from albumstudio.engines.models import load_pretrained

        def load() -> Any:
            from transformers import AutoTokenizer

            tokenizer = load_pretrained(AutoTokenizer, default_model(TOKENIZER),
                                        role_name(TOKENIZER))
            return captioner_from(str(weights), tokenizer, device)

        return self.models.get(CAPTIONER, str(weights), device, load)

    def caption(self, track: str, *, seed: int = 0, device: str = "auto",
                description: str = "", settings: Any = None,
                progress: ProgressFn | None = None,
                cancel: threading.Event | None = None) -> TrackCaptions:
        """Caption ``track`` and summarise the captions (``description`` stays the summary
        when BART large CNN is not installed). Raises InputError (ModelMissingError,
        LicenceNotAcknowledged) or CancelledError."""
        from albumstudio.audio.decode import decode_all
        from albumstudio.audio.peaks import content_hash
        from albumstudio.engines.device import choose_device
        from albumstudio.engines.lp_musiccaps import SAMPLE_RATE, batch_for, texts
        from albumstudio.services.model_manager import licence_notes, require_acknowledgement

        problem = self.missing()
        if problem:
            raise ModelMissingError(problem)
        require_acknowledgement(CAPTIONER, self.paths)
        report = progress or (lambda p: None)
        started = time.perf_counter()
        weights = self.weights_file(progress)
        where = choose_device(device).device
        key = self.cache_key(content_hash(track, cancel), weights, where, seed, settings)
        found = self._read_kept(key, description)
        if found is not None:
            report(Progress(1.0, "captions ready (kept from an earlier run)"))
            return found
        samples, _ = decode_all(track, SAMPLE_RATE, mono=True, cancel=cancel)
        report(Progress(0.02, "loading LP-MusicCaps"))
        captioner = self._captioner(weights, where)
        loaded = time.perf_counter()
        summarize = self.summarizer_installed()
        share = 0.85 if summarize else 0.98

        def step(done: int, total: int) -> None:
            spent = time.perf_counter() - loaded
            eta = spent / done * (total - done) if done else None
            report(Progress(0.02 + share * done / total, f"captioning segment {done} of {total}",
                            step=done, total=total, eta_s=eta))

        captions = captioner.caption(samples, seed=seed, batch=batch_for(where),
                                     settings=settings, progress=step, cancel=cancel)
        captioned = time.perf_counter()
        used = [ModelUse(role, default_model(role), revision_of(default_model(role)))
                for role in (CAPTIONER, TOKENIZER)]
        summary, source = description, SUMMARY_MEASURED
        if summarize:
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            from albumstudio.engines.caption_summary import shared_summarizer

            report(Progress(0.9, "summarising the captions with BART large CNN"))
            model = default_model(SUMMARIZER)
            summary = shared_summarizer(self.models, model, device).summarize(texts(captions),
                                                                             seed)
            source = SUMMARY_BY_BART
            used.append(ModelUse(SUMMARIZER, model, revision_of(model)))
        report(Progress(1.0, "captions ready"))
        how = (Note("summary: BART large CNN over the segment captions", "explanation")
               if source == SUMMARY_BY_BART else
               Note("summary: the measured description (BART large CNN is not installed)",
                    "explanation"))
        made = TrackCaptions(tuple(captions), summary, source, tuple(used),
                             (how, *licence_notes(used)), where, seed,
                             {"load": loaded - started, "caption": captioned - loaded,
                              "summary": time.perf_counter() - captioned})
        self.cache().put_json(key, made.to_dict())
        return made

    def unload(self) -> None:
        self.models.evict(CAPTIONER)
        self.models.evict(SUMMARIZER)

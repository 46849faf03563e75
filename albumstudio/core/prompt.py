"""The cover prompt, composed explainably from the artist's words, the image, the music and the release.

Every phrase is a :class:`PromptPart` that says where it came from and why, so the editor can
highlight it and show the reason. The parts are ordered by importance (CLIP reads about 77
tokens and the front counts most) and the least important are dropped first when the prompt
is too long; the artist's own words are never dropped. Title and artist are never asked for
as text: diffusion models spell badly and the design engine sets the type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from albumstudio.core.cover import DEFAULT_NEGATIVE, QUALITY_SUFFIX
from albumstudio.core.errors import InputError
from albumstudio.core.genre_presets import GENRE_PRESETS, GenrePreset, match_preset
from albumstudio.core.prompt_words import (
    BPM_PATTERN,
    CONFLICTS,
    KEY_PATTERN,
    MINOR_PATTERN,
    MUSIC_PATTERNS,
    TAG_VISUALS,
    TITLE_MOTIFS,
    VOICE_TAGS,
)

SOURCES = ("style", "image", "genre", "music", "captions", "release", "tags", "quality")
DROP_ORDER = ("tags", "release", "captions", "music", "quality", "genre",
              "image")  # never "style"
SEPARATOR = ", "
NO_PRESET = "none"
NO_TEXT_NEGATIVE = "text, letters, words, typography, logo, signature"
MAX_STYLE_CHARS = 300
MAX_CAPTION_CHARS = 200
MAX_DESCRIPTION_CHARS = 1000
MAX_SUMMARY_WORDS = 30  # the captions' summary: its first sentences, up to this many words
SUMMARY_BECAUSE = "summary of the music captions (LP-MusicCaps every 10 s, BART large CNN)"
MAX_TAG_CHARS = 40
MAX_TAGS = 6
TRIMMED_NOTE = ("Left out {n} less important part{s} so the prompt fits what the image model "
                "reads (about 77 tokens).")


@dataclass(frozen=True)
class PromptPart:
    source: str  # one of SOURCES
    text: str
    because: str


@dataclass(frozen=True)
class ComposedPrompt:
    parts: tuple[PromptPart, ...]
    negative: str
    warnings: tuple[str, ...] = ()  # plain sentences for the artist (e.g. a URL left out)
    dropped: tuple[PromptPart, ...] = ()  # parts left out, each saying why
    preset: str | None = None  # the genre preset used, a GENRE_PRESETS key

    @property
    def text(self) -> str:
        return SEPARATOR.join(p.text for p in self.parts if p.text.strip())

    def spans(self) -> list[tuple[int, int, str]]:
        """(start, end, source) of each non-empty part in ``text``."""
        out: list[tuple[int, int, str]] = []
        position = 0
        for part in self.parts:
            if not part.text.strip():
                continue
            if out:
                position += len(SEPARATOR)
            out.append((position, position + len(part.text), part.source))
            position += len(part.text)
        return out

    def locate(self, text: str) -> list[tuple[int, int, PromptPart]]:
        """Where each part sits in ``text`` (an edited box), whitespace-tolerant, by position."""
        found: list[tuple[int, int, PromptPart]] = []
        for part in self.parts:
            if not part.text.strip():
                continue
            for match in _part_pattern(part.text).finditer(text):
                start, end = match.span()
                if all(end <= s or start >= e for s, e, _ in found):
                    found.append((start, end, part))
                    break
        return sorted(found, key=lambda item: item[0])


def _part_pattern(text: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(word) for word in text.split())
    return re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)


# ---------------------------------------------------------------- cleaning the artist's text

_BLOCKED = (
    ("email address", "contact details", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("web address", "web addresses",
     re.compile(r"(?:\bhttps?://|\bwww\.)[^\s,;]*[^\s,;.!?)]|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|co|fm|me|"
                r"app|ly|gg|tv|music|link|xyz|info|bio|store|shop|de|uk|fr)\b(?:/\S*)?",
                re.IGNORECASE)),
    ("handle", "social media handles", re.compile(r"(?<![\w.])@\w(?:[\w.]*\w)?")),
    ("price", "prices", re.compile(
        r"[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars?|euros?|"
        r"bucks)\b", re.IGNORECASE)),
    ("mention of a QR code", "QR codes (put it on the poster instead)",
     re.compile(r"\bqr[\s-]?codes?\b", re.IGNORECASE)),
)


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s+([,;:.!?])", r"\1", text)
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)
    return text.strip(" ,;:-")


def clean_user_text(text: str, limit: int) -> tuple[str, list[str]]:
    """Text safe for the prompt (no control characters, URLs, handles, prices), and why not."""
    chars = (" " if ch in "\t\r\n\v\f\u2028\u2029" else ch for ch in str(text))
    text = "".join(ch for ch in chars if not unicodedata.category(ch).startswith("C"))
    warnings: list[str] = []
    for what, rejected, pattern in _BLOCKED:
        for match in pattern.findall(text):
            shown = match if len(match) <= 40 else match[:39] + "…"
            warnings.append(f'Left out the {what} "{shown}" from the prompt: stores reject '
                            f"covers that show {rejected}.")
        text = pattern.sub(" ", text)
    text = _tidy(text)
    if len(text) > limit:
        cut = text[:limit + 1].rsplit(" ", 1)[0] if " " in text[:limit + 1] else text[:limit]
        text = _tidy(cut)
        warnings.append(f"Shortened the text to {len(text)} characters: the image model reads "
                        "only the first few dozen words.")
    return text, warnings


def word_count(text: str) -> int:
    """Words as the trimming counts them (a rough stand-in for CLIP tokens)."""
    return len(re.findall(r"\w+(?:['’-]\w+)*", text))


# ---------------------------------------------------------------- music → visual language

FAST_BPM, SLOW_BPM = 120.0, 80.0


def _music_parts(description: str) -> list[PromptPart]:
    text, _ = clean_user_text(description, MAX_DESCRIPTION_CHARS)
    bpm_match = BPM_PATTERN.search(text)
    bpm = float(bpm_match.group(1)) if bpm_match else None
    found: list[tuple[int, PromptPart]] = []
    key = KEY_PATTERN.search(text)
    if key and key.group(2) == "minor":
        found.append((key.start(), PromptPart("music", "melancholic",
                                              f"key {key.group(1)} minor → melancholic")))
    elif key is None and (minor := MINOR_PATTERN.search(text)):
        found.append((minor.start(), PromptPart("music", "melancholic",
                                                'music description: "minor" → melancholic')))
    working = KEY_PATTERN.sub(lambda m: " " * len(m.group(0)), text)
    tempo_seen = False
    for pattern, visual, figure in MUSIC_PATTERNS:
        for match in pattern.finditer(working) if visual else ():
            word = match.group(0)
            if figure == "tempo" and bpm is not None:
                because = f'tempo {bpm:g} BPM ("{word}") → {visual}'
            else:
                because = f'music description: "{word}" ({figure}) → {visual}'
            found.append((match.start(), PromptPart("music", visual, because)))
            tempo_seen = tempo_seen or figure == "tempo"
        working = pattern.sub(lambda m: " " * len(m.group(0)), working)
    if bpm is not None and not tempo_seen and (bpm >= FAST_BPM or bpm <= SLOW_BPM):
        visual = "dynamic motion" if bpm >= FAST_BPM else "calm, still composition"
        found.append((bpm_match.start(), PromptPart("music", visual,  # type: ignore[union-attr]
                                                    f"tempo {bpm:g} BPM → {visual}")))
    return [part for _, part in sorted(found, key=lambda item: item[0])]


# MagnaTagATune (musicnn) tags: about the voice → left out; others → imagery or "inspired by"
def _tag_parts(tags: Sequence[str]) -> tuple[list[PromptPart], list[PromptPart]]:
    kept: list[PromptPart] = []
    left_out: list[PromptPart] = []
    for raw in tags:
        tag, _ = clean_user_text(str(raw), MAX_TAG_CHARS)
        key = tag.lower()
        if not tag:
            continue
        if key in VOICE_TAGS:
            left_out.append(PromptPart("tags", tag, f"music tag '{tag}' is about the voice, "
                                                    "not the picture"))
        elif key in TAG_VISUALS:
            kept.append(PromptPart("tags", TAG_VISUALS[key],
                                   f"music tag '{tag}' → {TAG_VISUALS[key]}"))
        else:
            kept.append(PromptPart("tags", f"inspired by {key} music",
                                   f"music tag '{tag}' (no picture of its own)"))
        if len(kept) >= MAX_TAGS:
            break
    return kept, left_out


# words of a title → a visual motif
_TITLE_PATTERNS = tuple((re.compile(r"(?<!\w)(?:" + p + r")(?!\w)", re.IGNORECASE), v)
                        for p, v in TITLE_MOTIFS)
MAX_TITLE_MOTIFS = 2


def _release_parts(title: str, genre: str, preset_found: bool) -> list[PromptPart]:
    out: list[PromptPart] = []
    title, _ = clean_user_text(title, MAX_CAPTION_CHARS)
    hits = sorted((m.start(), m.group(0), visual) for pattern, visual in _TITLE_PATTERNS
                  if (m := pattern.search(title)))
    for _, word, visual in hits[:MAX_TITLE_MOTIFS]:
        out.append(PromptPart("release", visual, f'title "{title}": "{word}" → {visual}'))
    genre, _ = clean_user_text(genre, MAX_TAG_CHARS)
    if genre and not preset_found:
        out.append(PromptPart("release", f"inspired by {genre.lower()} music",
                              f'genre "{genre}" (no preset for it)'))
    return out


# ---------------------------------------------------------------- composing

_BLIP_ARTEFACT = re.compile(r"\b(an?) araf+e?d?(?!\w)|(?<!\w)araf+e?d?(?!\w)", re.IGNORECASE)


def _without_blip_artefacts(caption: str) -> str:
    """BLIP base writes "arafed" (a training-data artefact) and "there is" openings."""
    caption = _BLIP_ARTEFACT.sub(lambda m: "a" if m.group(1) else "", caption)
    return _tidy(re.sub(r"^there (?:is|are) ", "", _tidy(caption), flags=re.IGNORECASE))


def _choose_preset(preset: str | None, genre: str,
                   tags: Sequence[str]) -> tuple[GenrePreset, str] | None:
    if preset == NO_PRESET:
        return None
    if preset:
        if preset not in GENRE_PRESETS:
            raise InputError(f'There is no genre preset called "{preset}"; pick one from the list.')
        chosen = GENRE_PRESETS[preset]
        return chosen, f"preset chosen by you: {chosen.display_name}"
    return match_preset(genre, tags)


def merge_negative(*lists: str) -> str:
    """Comma lists joined with repeated terms removed (first spelling and order kept)."""
    seen: set[str] = set()
    terms: list[str] = []
    for text in lists:
        for term in text.split(","):
            term = " ".join(term.split())
            if term and term.lower() not in seen:
                seen.add(term.lower())
                terms.append(term)
    return SEPARATOR.join(terms)


def _dedupe(parts: Sequence[PromptPart]) -> list[PromptPart]:
    out: list[PromptPart] = []
    index: dict[str, int] = {}
    for part in parts:
        key = part.text.lower()
        if key in index and part.source != "style":
            first = out[index[key]]
            out[index[key]] = replace(first, because=f"{first.because}; also {part.because}")
            continue
        index.setdefault(key, len(out))
        out.append(part)
    return out


def _drop_conflicts(parts: list[PromptPart]) -> tuple[list[PromptPart], list[PromptPart]]:
    """Leave out a phrase that contradicts an earlier, more important one."""
    kept: list[PromptPart] = []
    dropped: list[PromptPart] = []
    for part in parts:
        clash = next((k for k in kept for a, b in CONFLICTS
                      if {k.text.lower(), part.text.lower()} == {a, b}), None)
        if clash is not None and part.source != "style":
            dropped.append(replace(part, because=f"{part.because} (left out: contradicts "
                                                 f"\"{clash.text}\")"))
            continue
        kept.append(part)
    return kept, dropped


def _trim(parts: list[PromptPart], max_words: int) -> tuple[list[PromptPart], list[PromptPart]]:
    kept = list(parts)
    dropped: list[PromptPart] = []
    total = sum(word_count(p.text) for p in kept)
    for source in DROP_ORDER:
        while total > max_words:
            candidates = [i for i, p in enumerate(kept) if p.source == source]
            if not candidates:
                break
            part = kept.pop(candidates[-1])
            dropped.append(replace(part, because=f"{part.because} (left out: prompt too long)"))
            total -= word_count(part.text)
    return kept, dropped


def summary_text(summary: str, warnings: list[str] | None = None) -> str:
    """The captions' summary as a prompt part: cleaned, whole sentences up to
    MAX_SUMMARY_WORDS words (a first sentence longer than that is cut at a word)."""
    text, cleaning = clean_user_text(summary, MAX_DESCRIPTION_CHARS)
    if warnings is not None:
        warnings += [w for w in cleaning if not w.startswith("Shortened")]
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if kept and word_count(" ".join([*kept, sentence])) > MAX_SUMMARY_WORDS:
            break
        kept.append(sentence)
    joined = " ".join(kept)
    if word_count(joined) > MAX_SUMMARY_WORDS:
        joined = " ".join(joined.split()[:MAX_SUMMARY_WORDS])
    return _tidy(joined.rstrip(".!?"))


def style_because(style_text: str) -> str:
    """Why the artist's words are there, and what each does to the offline design: "your own
    words; design: “cobalt” → colours toward cobalt; “dreamy”: read by the diffusion engine
    only"."""
    from albumstudio.core.design_words import read_words

    reading = read_words(style_text)
    said = [*reading.reasons(), *([reading.unread_note()] if reading.unread else [])]
    return "your own words" + ("; design: " + "; ".join(said) if said else "")


def compose_prompt(*, style: str = "", image_caption: str = "", music_description: str = "",
                   music_tags: Sequence[str] = (), title: str = "", artist: str = "",
                   genre: str = "", preset: str | None = None,
                   max_words: int = 60, music_summary: str = "") -> ComposedPrompt:
    """The cover prompt from every input, each part saying why it is there.

    ``preset`` is a GENRE_PRESETS key, None or "" to match the genre (then the tags), or
    "none" for no preset. The artist name never enters the prompt: a model asked for a name
    draws mangled letters or imitates somebody, and the design engine sets the type.
    """
    warnings: list[str] = []
    parts: list[PromptPart] = []
    style_text, style_warnings = clean_user_text(style, MAX_STYLE_CHARS)
    warnings += style_warnings
    if style_text:
        parts.append(PromptPart("style", style_text, style_because(style_text)))
    caption, caption_warnings = clean_user_text(image_caption, MAX_CAPTION_CHARS)
    caption = _without_blip_artefacts(caption)
    warnings += caption_warnings
    if caption:
        parts.append(PromptPart("image", caption, "caption of your reference image"))
    chosen = _choose_preset(preset, genre, music_tags)
    if chosen is not None:
        parts.append(PromptPart("genre", chosen[0].style, chosen[1]))
    parts += _music_parts(music_description)
    summary = summary_text(music_summary, warnings)
    if summary:
        parts.append(PromptPart("captions", summary, SUMMARY_BECAUSE))
    parts += _release_parts(title, genre, chosen is not None)
    tag_parts, voice_tags = _tag_parts(music_tags)
    parts += tag_parts
    parts.append(PromptPart("quality", QUALITY_SUFFIX,
                            "Music2P's quality words: they make the model draw more detail"))
    parts, contradicting = _drop_conflicts(_dedupe(parts))
    parts, trimmed = _trim(parts, max(1, int(max_words)))
    if trimmed:
        warnings.append(TRIMMED_NOTE.format(n=len(trimmed), s="" if len(trimmed) == 1 else "s"))
    negative = merge_negative(DEFAULT_NEGATIVE, NO_TEXT_NEGATIVE,
                              chosen[0].negative if chosen else "")
    return ComposedPrompt(tuple(parts), negative, tuple(dict.fromkeys(warnings)),
                          tuple(voice_tags + contradicting + trimmed),
                          chosen[0].name if chosen else None)


_GAP_EDGES = " ,;:-\t\r\n"
EDIT_BECAUSE = "your edit"


def _edited(text: str, original: ComposedPrompt) -> tuple[list[tuple[int, int, PromptPart]],
                                                          list[str]]:
    located: list[tuple[int, int, PromptPart]] = []
    warnings: list[str] = []

    def add_gap(begin: int, end: int) -> None:
        gap = text[begin:end]
        cleaned, gap_warnings = clean_user_text(gap, MAX_STYLE_CHARS * 2)
        warnings.extend(gap_warnings)
        if cleaned:
            lead = len(gap) - len(gap.lstrip(_GAP_EDGES))
            tail = len(gap.rstrip(_GAP_EDGES))
            located.append((begin + lead, begin + max(lead, tail),
                            PromptPart("style", cleaned, EDIT_BECAUSE)))

    position = 0
    for start, end, part in original.locate(text):
        add_gap(position, start)
        located.append((start, end, replace(part, text=" ".join(text[start:end].split()))))
        position = end
    add_gap(position, len(text))
    return located, warnings


def locate_edited(text: str, original: ComposedPrompt) -> list[tuple[int, int, PromptPart]]:
    """Every part of an edited box with its place in ``text``: the original parts still
    present, and the text around them as the user's own ("style") parts."""
    return _edited(text, original)[0]


def parse_edited(text: str, original: ComposedPrompt) -> ComposedPrompt:
    """The box as the user edited it: parts still present are kept, new text is the user's own."""
    located, warnings = _edited(text, original)
    return replace(original, parts=tuple(part for _, _, part in located),
                   warnings=tuple(dict.fromkeys([*original.warnings, *warnings])))

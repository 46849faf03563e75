"""The fixed word tables behind the prompt: music words → visual language, tags, title motifs.

Kept apart from ``prompt.py`` so the rules read as data; every entry names the figure or tag
it stands for, which is what the editor shows as the reason for a phrase.
"""

from __future__ import annotations

import re

# (pattern, visual words, figure the word stands for); the first rule a phrase matches wins
MUSIC_RULES: tuple[tuple[str, str, str], ...] = (
    (r"moderately loud|balanced|measured|moderate|holding steady throughout|shifting in energy",
     "", ""),
    (r"dark", "dark moody lighting", "spectral brightness"),
    (r"warm", "warm golden light", "spectral brightness"),
    (r"bright|brilliant", "bright vivid colours", "spectral brightness"),
    (r"very fast|fast|driving|energetic|upbeat|uptempo", "dynamic motion", "tempo"),
    (r"slow|relaxed|laid[- ]back|mellow|calm|beatless", "calm, still composition", "tempo"),
    (r"very quiet|quiet|sparse|minimal", "minimal, lots of negative space",
     "loudness and onset density"),
    (r"very loud|loud|dense|busy|aggressive|heavy", "bold high contrast",
     "loudness and onset density"),
    (r"building to a peak[\w ]*|rising|crescendo", "rising upward composition", "energy curve"),
    (r"winding down[\w ]*|fading", "fading light", "energy curve"),
    (r"peaking in the middle", "strong central focal point", "energy curve"),
    (r"sad|melancholic|melancholy|gloomy", "melancholic", "mood"),
    (r"happy|cheerful|joyful|playful", "cheerful colours", "mood"),
    (r"dreamy|ethereal|atmospheric", "dreamy soft focus, ethereal haze", "mood"),
    (r"epic|cinematic|anthemic", "epic cinematic scale", "mood"),
    (r"mysterious|haunting|eerie", "mysterious shadows", "mood"),
    (r"romantic|sensual|intimate", "romantic soft glow", "mood"),
    (r"nostalgic|vintage|retro", "vintage film grain", "mood"),
    (r"groovy|funky", "retro groovy patterns", "mood"),
)
MUSIC_PATTERNS = tuple((re.compile(r"(?<!\w)(?:" + p + r")(?!\w)", re.IGNORECASE), v, f)
                        for p, v, f in MUSIC_RULES)
BPM_PATTERN = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*bpm\b", re.IGNORECASE)
KEY_PATTERN = re.compile(r"\b([A-G][#b♯♭]?)\s+(minor|major)\b")
MINOR_PATTERN = re.compile(r"(?<!\w)minor(?: key)?(?!\w)", re.IGNORECASE)

VOICE_TAGS = frozenset({
    "vocal", "vocals", "singing", "female", "male", "woman", "man", "voice", "male vocal",
    "female vocal", "male voice", "female voice", "no vocals", "no vocal", "no voice", "choir",
    "choral", "rap", "spoken word", "instrumental",
})
TAG_VISUALS = {
    "techno": "neon-lit industrial space", "electronic": "electronic neon glow",
    "dance": "dance floor lights", "beat": "rhythmic repeating patterns",
    "beats": "rhythmic repeating patterns", "synth": "glowing synthesizer lights",
    "ambient": "soft ambient haze", "new age": "ethereal soft light",
    "rock": "raw rock energy", "metal": "dark heavy metal atmosphere",
    "pop": "vibrant pop colours", "country": "open countryside", "folk": "rustic folk warmth",
    "classical": "classical elegance", "classic": "classical elegance",
    "harpsichord": "baroque ornament", "opera": "theatrical drama", "indian": "indian motifs",
    "piano": "piano keys", "fast": "dynamic motion", "slow": "calm, still composition",
    "loud": "bold high contrast", "quiet": "minimal, lots of negative space",
    "soft": "soft pastel tones", "weird": "surreal", "solo": "a single solitary subject",
}



TITLE_MOTIFS: tuple[tuple[str, str], ...] = (
    (r"midnight|night|nights|nocturne|dusk", "night scene"),
    (r"rain|rainy|raindrops", "falling rain"),
    (r"ocean|sea|seas|waves?|tide|shore", "ocean waves"),
    (r"sun|sunny|summer|sunset|sunrise|dawn", "golden sunlight"),
    (r"fire|flames?|burn|burning|blaze", "flames"),
    (r"winter|snow|ice|frozen|cold", "icy winter tones"),
    (r"city|cities|streets?|downtown", "city streets"),
    (r"dreams?|dreaming", "dreamlike"),
    (r"stars?|space|galaxy|cosmic|moon|orbit", "starry night sky"),
    (r"love|heart|hearts", "romantic warmth"),
    (r"forest|woods|trees?", "forest"),
    (r"desert|sand|dunes?", "desert dunes"),
    (r"storm|thunder|lightning", "stormy sky"),
    (r"ghosts?|haunted", "ghostly figures"),
    (r"neon", "neon lights"),
    (r"gold|golden", "gold accents"),
    (r"blue", "blue tones"),
    (r"red", "red tones"),
)


# visual phrases that contradict each other: the first one in the prompt (the more important
# source) stays, the other is left out with the reason
CONFLICTS: tuple[tuple[str, str], ...] = (
    ("dynamic motion", "calm, still composition"),
    ("bold high contrast", "minimal, lots of negative space"),
    ("dark moody lighting", "bright vivid colours"),
    ("melancholic", "cheerful colours"),
)

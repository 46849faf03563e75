"""The audio file types AlbumStudio opens."""

SOUNDFILE_EXTENSIONS = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".aifc", ".caf", ".w64",
    ".rf64",
})
PYAV_EXTENSIONS = frozenset({".m4a", ".aac", ".mp4", ".opus", ".wma", ".webm", ".mka", ".alac"})
AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS | PYAV_EXTENSIONS
READABLE_LIST = "WAV, FLAC, OGG, MP3, M4A/AAC, OPUS, AIFF"


def has_audio_extension(path: str) -> bool:
    dot = path.rfind(".")
    return dot != -1 and path[dot:].lower() in AUDIO_EXTENSIONS

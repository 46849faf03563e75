"""The file types AlbumStudio opens: audio tracks and reference images (the one list of each)."""

# extensions libsndfile reads itself; everything else goes to PyAV first
SOUNDFILE_EXTENSIONS = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".aifc", ".caf", ".w64",
    ".rf64", ".au", ".snd",
})
PYAV_EXTENSIONS = frozenset({
    ".opus", ".m4a", ".m4b", ".aac", ".mp4", ".wma", ".webm", ".mka", ".alac", ".ac3", ".wv",
    ".ape",
})
AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS | PYAV_EXTENSIONS
READABLE_LIST = "WAV, FLAC, MP3, OGG, Opus, M4A/AAC, AIFF or WMA"


def has_audio_extension(path: str) -> bool:
    dot = path.rfind(".")
    return dot != -1 and path[dot:].lower() in AUDIO_EXTENSIONS


# reference pictures (HEIC needs the optional pillow-heif plugin; AVIF needs Pillow's codec)
IMAGE_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".heic", ".heif", ".avif",
})


def has_image_extension(path: str) -> bool:
    dot = path.rfind(".")
    return dot != -1 and path[dot:].lower() in IMAGE_EXTENSIONS

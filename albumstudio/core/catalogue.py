"""A label's catalogue: one release per row, read from a CSV or JSON file.

Columns (CSV header or JSON keys, any case, spaces or underscores): ``track`` and ``title``
and ``artist`` (required), ``image``, ``style`` (style words), ``qr`` (a link for the QR
poster), ``profile``, ``engine``, ``seed`` and ``created`` (the time release.json records: an
ISO 8601 date or date and time, UTC unless it says otherwise, or seconds since 1970; see
``services.batch.plan_batch`` for the time used when the column is empty). Paths are relative to the catalogue file.
JSON is a list of objects or ``{"releases": [...]}``. Every row is checked before any work
is done; the first problem is one sentence naming the row (:class:`CatalogueError`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from albumstudio.core.errors import InputError
from albumstudio.core.text import display_name

MAX_CATALOGUE_BYTES = 50_000_000
MAX_SEED = 2**32 - 1
COLUMNS = ("track", "image", "title", "artist", "style", "qr", "profile", "engine", "seed",
           "created")
_ALIASES = {"style words": "style", "style_words": "style", "qr link": "qr", "qr_link": "qr",
            "qr url": "qr", "qr_url": "qr", "link": "qr", "url": "qr", "cover engine": "engine",
            "distributor": "profile", "date": "created", "created at": "created"}


class CatalogueError(InputError):
    """A catalogue that cannot be used as it is; nothing was made."""


@dataclass(frozen=True)
class Release:
    """One row of the catalogue, its paths made absolute."""

    row: int  # the CSV line (header = 1) or the JSON entry (first = 1)
    track: str
    title: str
    artist: str
    image: str | None = None
    style: str = ""
    qr_url: str | None = None
    profile: str = "generic"
    engine: str = "design"
    seed: int = 0
    created: int | None = None  # release.json's time, seconds since 1970 (None: not given)

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "track": self.track, "title": self.title,
                "artist": self.artist, "image": self.image, "style": self.style,
                "qr": self.qr_url, "profile": self.profile, "engine": self.engine,
                "seed": self.seed, "created": self.created}


def parse_created(value: object) -> int | None:
    """Seconds since 1970 from a catalogue's ``created`` value (an ISO 8601 date or date and
    time, UTC unless it names its offset, or a whole number of seconds); None when empty;
    ValueError when it is neither."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(str(value))
        seconds = int(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        if text.isdigit():
            seconds = int(text)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = int(when.timestamp())
    if not 0 <= seconds < 253402300800:  # 1970 to the end of year 9999
        raise ValueError(str(value))
    return seconds


def _column(name: object) -> str:
    key = " ".join(str(name or "").strip().lower().replace("_", " ").split())
    return _ALIASES.get(key, _ALIASES.get(key.replace(" ", "_"), key))


def _rows(path: Path, text: str) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """("row"/"entry", [(number, {column: value})]) from the file's text."""
    name = display_name(str(path))
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogueError(f"The catalogue '{name}' is not valid JSON (line {exc.lineno})"
                                 f"; it should be a list of releases.") from None
        if isinstance(data, dict):
            data = data.get("releases")
        if not isinstance(data, list):
            raise CatalogueError(f"The catalogue '{name}' should hold a list of releases (or "
                                 "{\"releases\": [...]}).")
        rows = []
        for i, entry in enumerate(data, start=1):
            if not isinstance(entry, dict):
                raise CatalogueError(f"Entry {i} of '{name}' is not an object with a track, "
                                     "title and artist.")
            rows.append((i, {_column(k): v for k, v in entry.items()}))
        return "entry", rows
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        raise CatalogueError(f"'{name}' is not a catalogue AlbumStudio reads; give a .csv or "
                             ".json file with one release per row.")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if header is None:
        return "row", []
    columns = [_column(h) for h in header]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(columns):
            raise CatalogueError(f"Row {reader.line_num} of '{name}' has {len(values)} values "
                                 f"but the header names {len(columns)} columns.")
        rows.append((reader.line_num, dict(zip(columns, values, strict=False))))
    return "row", rows


def _path(value: object, base: Path) -> Path:
    given = Path(str(value).strip()).expanduser()
    return given if given.is_absolute() else base / given


def _release(kind: str, number: int, row: dict[str, Any], base: Path, name: str,
             profiles: Iterable[str], engines: Iterable[str]) -> Release:
    where = f"{kind.capitalize()} {number} of '{name}'"
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise CatalogueError(f"{where} has a column AlbumStudio does not know ('{unknown[0]}'); "
                             f"the columns are: {', '.join(COLUMNS)}.")
    text = {k: "" if row.get(k) is None else str(row.get(k)).strip() for k in COLUMNS}
    for needed in ("track", "title", "artist"):
        if not text[needed]:
            raise CatalogueError(f"{where} has no {needed}; every release needs a track, a "
                                 "title and an artist.")
    track = _path(text["track"], base)
    if not track.is_file():
        raise CatalogueError(f"{where}: the track '{display_name(text['track'])}' does not "
                             "exist.")
    image = _path(text["image"], base) if text["image"] else None
    if image is not None and not image.is_file():
        raise CatalogueError(f"{where}: the image '{display_name(text['image'])}' does not "
                             "exist.")
    profile = (text["profile"] or "generic").lower()
    known = tuple(profiles)
    if profile not in known:
        raise CatalogueError(f"{where}: there is no distributor profile '{text['profile']}'; "
                             f"choose one of: {', '.join(known)}.")
    engine = (text["engine"] or "design").lower()
    allowed = tuple(engines)
    if engine not in allowed:
        raise CatalogueError(f"{where}: there is no '{text['engine']}' cover engine for kits; "
                             f"choose one of: {', '.join(allowed)}.")
    raw_seed = row.get("seed")
    if isinstance(raw_seed, bool) or (isinstance(raw_seed, float)
                                      and not raw_seed.is_integer()):
        raw_seed = str(raw_seed)
    try:
        seed = int(raw_seed) if isinstance(raw_seed, int | float) else int(text["seed"] or 0)
    except ValueError:
        seed = -1
    if not 0 <= seed <= MAX_SEED:
        raise CatalogueError(f"{where}: the seed '{text['seed']}' is not a whole number from 0 "
                             f"to {MAX_SEED}.")
    try:
        created = parse_created(row.get("created"))
    except ValueError:
        raise CatalogueError(f"{where}: the time created '{text['created']}' is neither a date "
                             "like 2024-05-31 (or 2024-05-31T18:00:00) nor seconds since "
                             "1970.") from None
    return Release(number, str(track), text["title"], text["artist"],
                   str(image) if image is not None else None, text["style"],
                   text["qr"] or None, profile, engine, seed, created)


def read_catalogue(path: str | Path, profiles: Iterable[str],
                   engines: Iterable[str]) -> list[Release]:
    """Every release of the catalogue at ``path``, each row checked (CatalogueError, one
    sentence naming the row, for the first problem; nothing else is read after it)."""
    path = Path(path)
    name = display_name(str(path))
    if not path.is_file():
        raise CatalogueError(f"The catalogue '{name}' does not exist.")
    if path.stat().st_size > MAX_CATALOGUE_BYTES:
        raise CatalogueError(f"The catalogue '{name}' is over "
                             f"{MAX_CATALOGUE_BYTES // 1_000_000} MB; split it into smaller "
                             "files.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueError(f"The catalogue '{name}' is not UTF-8 text; save it as UTF-8 CSV "
                             "or JSON.") from None
    kind, rows = _rows(path, text)
    if not rows:
        raise CatalogueError(f"The catalogue '{name}' has no releases in it.")
    profiles, engines = tuple(profiles), tuple(engines)
    base = path.resolve().parent
    return [_release(kind, number, row, base, name, profiles, engines) for number, row in rows]

"""The catalogue of a batch: CSV or JSON, paths relative to the file, every row checked
before any work, and each problem one sentence naming the row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from albumstudio.core.catalogue import CatalogueError, read_catalogue

PROFILES = ("generic", "spotify")
ENGINES = ("design", "diffusion")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "audio").mkdir()
    for name in ("a.wav", "b.flac"):
        (tmp_path / "audio" / name).write_bytes(b"x")
    (tmp_path / "photo.jpg").write_bytes(b"x")
    return tmp_path


def read(path: Path):
    return read_catalogue(path, PROFILES, ENGINES)


def test_csv_rows_become_releases_with_paths_beside_the_catalogue(folder):
    cat = folder / "label.csv"
    cat.write_text("Track,Image,Title,Artist,Style words,QR link,Profile,Engine,Seed\n"
                   "audio/a.wav,photo.jpg,Night Drive,Ané,neon rain,https://x.org/a,Spotify,"
                   "design,7\n\n"
                   "audio/b.flac,,Dawn,Ané,,,,,\n", "utf-8")
    first, second = read(cat)
    assert first.row == 2 and second.row == 4
    assert first.track == str(folder / "audio" / "a.wav")
    assert first.image == str(folder / "photo.jpg")
    assert (first.title, first.artist, first.style, first.qr_url) == (
        "Night Drive", "Ané", "neon rain", "https://x.org/a")
    assert (first.profile, first.engine, first.seed) == ("spotify", "design", 7)
    assert (second.image, second.qr_url, second.profile, second.engine, second.seed) == (
        None, None, "generic", "design", 0)


def test_json_lists_and_release_objects_are_read(folder):
    cat = folder / "label.json"
    rows = [{"track": "audio/a.wav", "title": "A", "artist": "B", "seed": 3},
            {"track": str(folder / "audio" / "b.flac"), "title": "C", "artist": "D",
             "qr_url": "https://x.org"}]
    cat.write_text(json.dumps({"releases": rows}))
    a, c = read(cat)
    assert a.seed == 3 and a.track == str(folder / "audio" / "a.wav")
    assert c.qr_url == "https://x.org" and c.row == 2
    cat.write_text(json.dumps(rows))
    assert [r.title for r in read(cat)] == ["A", "C"]


@pytest.mark.parametrize("line,words", [
    ("audio/missing.wav,T,A,,", "Row 3 of 'label.csv': the track 'missing.wav' does not exist."),
    ("audio/a.wav,T,A,nope,", "Row 3 of 'label.csv': there is no distributor profile 'nope'"),
    ("audio/a.wav,T,A,,ink", "Row 3 of 'label.csv': there is no 'ink' cover engine"),
    ("audio/a.wav,T,A,,,", "Row 3 of 'label.csv' has 6 values"),
    ("audio/a.wav,,A,,", "Row 3 of 'label.csv' has no title"),
])
def test_a_bad_row_is_one_sentence_naming_it(folder, line, words):
    cat = folder / "label.csv"
    cat.write_text(f"track,title,artist,profile,engine\naudio/a.wav,T0,A,,\n{line}\n")
    with pytest.raises(CatalogueError) as caught:
        read(cat)
    assert str(caught.value).startswith(words)
    assert str(caught.value).count(". ") == 0 and "\n" not in str(caught.value)


@pytest.mark.parametrize("seed", ["-1", "1.5", "abc", str(2**32), "true"])
def test_a_bad_seed_names_its_row(folder, seed):
    cat = folder / "label.json"
    value = {"-1": -1, "1.5": 1.5, "true": True}.get(seed, seed)
    cat.write_text(json.dumps([{"track": "audio/a.wav", "title": "T", "artist": "A",
                                "seed": value}]))
    with pytest.raises(CatalogueError, match=r"^Entry 1 of 'label.json': the seed .* is not a "
                                             r"whole number"):
        read(cat)


@pytest.mark.parametrize("name,text,words", [
    ("empty.csv", "", "has no releases"),
    ("header.csv", "track,title,artist\n\n", "has no releases"),
    ("empty.json", "[]", "has no releases"),
    ("bad.json", "{", "is not valid JSON"),
    ("odd.json", '{"x": 1}', "should hold a list of releases"),
    ("label.xlsx", "x", "is not a catalogue AlbumStudio reads"),
    ("cols.csv", "track,title,artist,colour\naudio/a.wav,T,A,red\n", "does not know \\('colour'\\)"),
])
def test_empty_or_unreadable_catalogues_are_one_sentence(folder, name, text, words):
    cat = folder / name
    cat.write_text(text)
    with pytest.raises(CatalogueError, match=words):
        read(cat)
    with pytest.raises(CatalogueError, match="does not exist"):
        read(folder / "nowhere.csv")


def test_a_created_column_fixes_the_time_a_kit_records(folder):
    cat = folder / "label.csv"
    cat.write_text("track,title,artist,created\n"
                   "audio/a.wav,A,B,2024-05-31\n"
                   "audio/a.wav,C,B,2024-05-31T18:00:00Z\n"
                   "audio/a.wav,D,B,1700000000\n"
                   "audio/a.wav,E,B,\n", "utf-8")
    assert [r.created for r in read(cat)] == [1_717_113_600, 1_717_178_400, 1_700_000_000, None]
    cat.write_text("track,title,artist,date\naudio/a.wav,A,B,last week\n", "utf-8")
    with pytest.raises(CatalogueError, match=r"^Row 2 of 'label.csv': the time created "
                       r"'last week' is neither a date"):
        read(cat)
    cat = folder / "label.json"
    cat.write_text(json.dumps([{"track": "audio/a.wav", "title": "A", "artist": "B",
                                "created": 1700000000}]))
    assert read(cat)[0].created == 1_700_000_000

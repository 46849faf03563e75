"""Picture or track → explainable music attributes → a deterministic MusicGen prompt (#16)."""

from __future__ import annotations

import json

import pytest

from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.errors import InputError
from albumstudio.core.music_attributes import (
    NAMES,
    MusicAttributes,
    PictureFigures,
    from_picture,
    from_track,
    prompt_for,
    rules,
)

NIGHT = PictureFigures(0.15, 0.08, 12.0, (("deep blue", "#0b1f5c", 0.6), ("black", "#101010", 0.3)))
SUMMER = PictureFigures(0.8, 0.25, 90.0, (("orange", "#f28c28", 0.5), ("magenta", "#d0208a", 0.3)))


def _analysis(**changes: object) -> AnalysisResult:
    values: dict[str, object] = dict(
        duration=30.0, sample_rate=44100, channels=2, tempo_bpm=124.0, beat_times=(),
        key="A", mode="minor", key_confidence=0.7, loudness_lufs=-9.0, true_peak_dbtp=-1.0,
        energy=0.8, energy_curve=(), brightness_hz=3200.0, onset_density=4.0,
        novelty_curve=(), section_times=())
    values.update(changes)
    return AnalysisResult(**values)  # type: ignore[arg-type]


def test_same_picture_gives_the_same_json_and_prompt_every_time():
    first = from_picture(NIGHT)
    again = from_picture(PictureFigures(**NIGHT.__dict__))
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(again.to_dict(), sort_keys=True)
    assert prompt_for(first) == prompt_for(again)
    assert set(first.to_dict()["attributes"]) == set(NAMES)
    assert all(entry["reason"] for entry in first.to_dict()["attributes"].values())


def test_dark_cold_picture_and_bright_vivid_one_read_differently():
    night, summer = from_picture(NIGHT), from_picture(SUMMER)
    assert night.valence < 0.4 < 0.6 < summer.valence
    assert night.energy < summer.energy and night.tempo < summer.tempo
    assert night.key.endswith("minor") and summer.key.endswith("major")
    assert night.key.startswith(rules()["keys"]["by_colour"]["deep blue"])
    assert "deep blue" in night.reason("key") and "brightness" in night.reason("valence")
    assert "minor" in prompt_for(night) and f"{night.tempo} BPM" in prompt_for(night)
    assert prompt_for(night) != prompt_for(summer)


def test_caption_words_move_attributes_and_name_the_genre_and_instruments():
    plain = from_picture(NIGHT)
    captioned = from_picture(PictureFigures(**{**NIGHT.__dict__,
                                                "caption": "a woman playing piano in a jazz club"}))
    assert captioned.genre == "jazz" and "'jazz' in the caption" in captioned.reason("genre")
    assert captioned.instruments == ("piano",) and "featuring piano" in prompt_for(captioned)
    assert captioned.instrumentalness < plain.instrumentalness  # a person in the picture
    assert captioned.danceability > plain.danceability  # "club"


def test_track_keeps_its_own_tempo_and_key_and_reads_its_tags():
    attrs = from_track(_analysis(), ("techno", "synth", "fast"), "a bright, driving track")
    assert (attrs.tempo, attrs.key, attrs.genre) == (124, "A minor", "techno")
    assert "own tempo" in attrs.reason("tempo") and "own key" in attrs.reason("key")
    assert attrs.acousticness < 0.3 and attrs.instruments == ("synth",)
    uncertain = from_track(_analysis(key_confidence=0.1, tempo_bpm=0.0), ("classical",))
    assert "uncertain" in uncertain.reason("key") and "no steady tempo" in uncertain.reason("tempo")
    assert uncertain.genre == "classical"
    described = from_track(_analysis(), (), "strings in a classical style")
    assert described.genre == "classical" and "description" in described.reason("genre")


def test_edits_round_trip_through_json_and_are_marked():
    attrs = from_picture(NIGHT).edited(genre="dub techno", tempo="118", instruments="bass, synth")
    assert attrs.reason("tempo") == "set by you" and attrs.tempo == 118
    assert attrs.instruments == ("bass", "synth")
    assert attrs.reason("valence") == from_picture(NIGHT).reason("valence")
    back = MusicAttributes.from_dict(json.loads(json.dumps(attrs.to_dict())))
    assert back == attrs and prompt_for(back) == prompt_for(attrs)
    assert prompt_for(attrs).startswith("A dub techno instrumental track in F# minor at 118 BPM")


@pytest.mark.parametrize(("change", "words"), [
    ({"valence": 1.5}, "between 0 and 1"), ({"tempo": 500}, "between 40 and 220"),
    ({"key": "H dorian"}, "is not a key"), ({"genre": ""}, "a few words"),
    ({"energy": "loud"}, "must be a number"), ({"mood": 1}, "no music attribute"),
])
def test_bad_edits_are_one_sentence(change, words):
    with pytest.raises(InputError) as caught:
        from_picture(NIGHT).edited(**change)
    message = str(caught.value)
    assert words in message and message.endswith(".") and "\n" not in message


def test_bad_json_is_one_sentence():
    with pytest.raises(InputError, match="attributes"):
        MusicAttributes.from_dict({"genre": "rock"})
    data = from_picture(NIGHT).to_dict()
    del data["attributes"]["tempo"]
    with pytest.raises(InputError, match="no value for tempo"):
        MusicAttributes.from_dict(data)


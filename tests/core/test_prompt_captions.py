"""The captions' summary as its own marked part of the cover prompt."""

from albumstudio.core.prompt import (
    MAX_SUMMARY_WORDS,
    SUMMARY_BECAUSE,
    compose_prompt,
    summary_text,
    word_count,
)

SUMMARY = ("A mellow acoustic guitar piece with soft piano. The drums enter halfway and the "
           "song becomes upbeat. It ends quietly with strings. Visit www.example.com now.")


def test_the_summary_is_its_own_part_with_its_source():
    composed = compose_prompt(style="neon rain", music_description="a slow 70 BPM piece",
                              music_summary=SUMMARY)
    part = next(p for p in composed.parts if p.source == "captions")
    assert part.because == SUMMARY_BECAUSE
    assert part.text.startswith("A mellow acoustic guitar piece with soft piano.")
    assert "www" not in composed.text
    assert any("web address" in w for w in composed.warnings)
    start, end, source = next(s for s in composed.spans() if s[2] == "captions")
    assert composed.text[start:end] == part.text
    assert [p.source for p in compose_prompt(music_summary="").parts] == ["quality"]


def test_whole_sentences_up_to_the_word_limit():
    text = summary_text(SUMMARY.replace("Visit www.example.com now.", "The strings then "
                                        "swell into a long and bright ending full of light."))
    assert text == ("A mellow acoustic guitar piece with soft piano. The drums enter halfway "
                    "and the song becomes upbeat. It ends quietly with strings")
    long_one = " ".join(["word"] * 50) + "."
    assert word_count(summary_text(long_one)) == MAX_SUMMARY_WORDS


def test_a_long_prompt_drops_the_summary_before_the_music_words():
    composed = compose_prompt(style="neon rain", music_description="a dark, driving 128 BPM track",
                              music_summary=SUMMARY, max_words=14)
    assert "captions" not in {p.source for p in composed.parts}
    assert "music" in {p.source for p in composed.parts}
    assert any(p.source == "captions" for p in composed.dropped)

"""The prompt editor: highlighted parts, edits that are never overwritten, and its signals."""

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from albumstudio.core.prompt import ComposedPrompt, PromptPart, compose_prompt
from albumstudio.ui.panels.prompt_editor import SOURCE_STYLES, STALE_NOTE, PromptEditor

INPUTS = dict(style="neon rain", image_caption="a man on a beach",
              music_description="a dark, driving 128 BPM track in A minor",
              music_tags=("techno", "vocal"), title="Midnight Drive", genre="Hip Hop")


def make_editor(qtbot) -> PromptEditor:
    editor = PromptEditor()
    qtbot.addWidget(editor)
    editor.resize(700, 300)
    return editor


def selections(editor: PromptEditor) -> list[tuple[str, QColor]]:
    return [(s.cursor.selectedText(), s.format.background().color())
            for s in editor.text.extraSelections()]


def test_each_part_is_highlighted_in_its_sources_colour(qtbot):
    editor = make_editor(qtbot)
    composed = compose_prompt(**INPUTS)
    editor.set_composed(composed)
    assert editor.text.toPlainText() == composed.text == editor.prompt()
    assert editor.spans() == composed.spans()
    shown = selections(editor)
    assert [text for text, _ in shown] == [p.text for p in composed.parts]
    for (_, colour), part in zip(shown, composed.parts, strict=True):
        assert colour.name() == QColor(SOURCE_STYLES[part.source][0]).name()
        assert 0 < colour.alpha() < 255
    assert set(editor.legend_chips) == {p.source for p in composed.parts} | {"release", "captions"}
    assert editor.negative() == composed.negative
    assert editor.preset_box.itemText(0) == "Auto: Hip-hop / rap"
    assert not editor.is_edited()


def test_hovering_a_part_shows_why_it_is_there(qtbot):
    editor = make_editor(qtbot)
    composed = compose_prompt(**INPUTS)
    editor.set_composed(composed)
    start, end, _ = next(s for s in composed.spans() if s[2] == "music")
    music = next(p for p in composed.parts if p.source == "music")
    assert editor.because_at(start + 1) == music.because
    assert editor.because_at(composed.spans()[0][1] + 1) == ""  # the ", " between parts
    editor.show()
    qtbot.waitExposed(editor)
    rect = editor.text.cursorRect(_cursor_at(editor, start + 2))
    point = rect.center() + QPoint(2, 0)
    event = QHelpEvent(QEvent.Type.ToolTip, point, editor.text.viewport().mapToGlobal(point))
    QApplication.sendEvent(editor.text.viewport(), event)
    assert QToolTip.text() == music.because
    QToolTip.hideText()


def _cursor_at(editor: PromptEditor, position: int):
    cursor = editor.text.textCursor()
    cursor.setPosition(position)
    return cursor


def test_edits_survive_a_new_composition_until_recompose(qtbot):
    editor = make_editor(qtbot)
    editor.set_composed(compose_prompt(**INPUTS))
    editor.text.moveCursor(editor.text.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.text, ", velvet smoke")
    assert editor.is_edited()
    typed = editor.text.toPlainText()
    assert typed.endswith(", velvet smoke")
    assert editor.spans()[-1][2] == "style"
    assert editor.because_at(len(typed) - 2) == "your edit"

    newer = compose_prompt(**{**INPUTS, "music_description": "a quiet, slow track"})
    editor.set_composed(newer)
    assert editor.text.toPlainText() == typed
    assert not editor.stale_note.isHidden() and editor.stale_note.text() == STALE_NOTE
    assert "velvet smoke" in editor.prompt()

    editor.recompose_button.click()
    assert editor.text.toPlainText() == newer.text and not editor.is_edited()
    assert editor.stale_note.isHidden()
    editor.text.document().undo()
    assert editor.text.toPlainText() == typed  # Recompose is one undoable edit


def test_unedited_box_follows_new_compositions_and_emits(qtbot):
    editor = make_editor(qtbot)
    prompts: list[str] = []
    negatives: list[str] = []
    editor.prompt_changed.connect(prompts.append)
    editor.negative_changed.connect(negatives.append)
    first = compose_prompt(**INPUTS)
    editor.set_composed(first)
    assert prompts == [first.text] and negatives == [first.negative]
    second = compose_prompt(**{**INPUTS, "genre": "Jazz"})
    editor.set_composed(second)
    assert prompts == [first.text, second.text] and negatives[-1] == second.negative
    assert editor.text.toPlainText() == second.text and editor.stale_note.isHidden()
    editor.set_composed(second)
    assert len(prompts) == 2  # nothing changed, nothing emitted
    editor.text.moveCursor(editor.text.textCursor().MoveOperation.Start)
    qtbot.keyClicks(editor.text, "x")
    assert prompts[-1] == editor.prompt() and editor.prompt().startswith("xneon rain, a man")
    assert editor.composed().parts[0] == PromptPart("style", "xneon rain", "your edit")


def test_user_edits_to_the_negative_are_kept(qtbot):
    editor = make_editor(qtbot)
    editor.set_composed(compose_prompt(**INPUTS))
    negatives: list[str] = []
    editor.negative_field.clear()
    editor.negative_changed.connect(negatives.append)
    qtbot.keyClicks(editor.negative_field, "blurry")
    assert negatives[-1] == "blurry" and editor.negative_edited()
    editor.set_composed(compose_prompt(**{**INPUTS, "genre": "Jazz"}))
    assert editor.negative() == "blurry"


def test_choosing_a_preset_emits_its_key(qtbot):
    editor = make_editor(qtbot)
    index = editor.preset_box.findData("jazz")
    assert index > 0 and editor.preset_box.itemData(0) == ""
    with qtbot.waitSignal(editor.preset_changed) as blocker:
        editor.preset_box.setCurrentIndex(index)
    assert blocker.args == ["jazz"] and editor.preset() == "jazz"
    with qtbot.assertNotEmitted(editor.preset_changed):
        editor.set_preset("none")
    assert editor.preset() == "none"
    assert editor.preset_box.itemData(editor.preset_box.count() - 1, Qt.ItemDataRole.DisplayRole)


def test_warnings_show_and_typed_urls_never_reach_the_prompt(qtbot):
    editor = make_editor(qtbot)
    composed = compose_prompt(style="chrome, follow @nova")
    editor.set_composed(composed)
    assert not editor.warning_note.isHidden()
    assert "social media handles" in editor.warning_note.text()
    editor.text.moveCursor(editor.text.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.text, ", see nova.com")
    assert "nova.com" in editor.text.toPlainText()  # the artist's typing stays in the box
    assert "nova.com" not in editor.prompt() and "see" in editor.prompt()
    assert "web addresses" in editor.warning_note.text()


def test_highlights_line_up_after_wide_characters(qtbot):
    editor = make_editor(qtbot)
    composed = ComposedPrompt((PromptPart("style", "🔥 fire", "your own words"),
                               PromptPart("music", "dynamic motion", "tempo 130 BPM")), "")
    editor.set_composed(composed)
    assert [text for text, _ in selections(editor)] == ["🔥 fire", "dynamic motion"]
    editor.text.moveCursor(editor.text.textCursor().MoveOperation.Start)
    qtbot.keyClicks(editor.text, "a ")
    assert [text for text, _ in selections(editor)] == ["a", "🔥 fire", "dynamic motion"]


def test_hovering_your_words_shows_what_each_does_to_the_design(qtbot):
    editor = make_editor(qtbot)
    composed = compose_prompt(style="cobalt risograph, saxophone",
                              music_description="a calm piece")
    editor.set_composed(composed)
    start, _end, _ = next(s for s in composed.spans() if s[2] == "style")
    because = editor.because_at(start + 1)
    assert because.startswith("your own words; design: ")
    assert "“cobalt” → colours toward cobalt" in because
    assert "“risograph” →" in because and "treatment" in because
    assert "“saxophone”: read by the diffusion engine only" in because
    plain = compose_prompt(style="saxophone solo")
    assert next(p for p in plain.parts if p.source == "style").because == (
        "your own words; design: “saxophone”, “solo”: read by the diffusion engine only")

"""Cleaning the student's raw text down to the paraphrase."""

import pytest

from solvers.paraphrase import STUDENT_PROMPT, clean_paraphrase, student_messages


@pytest.mark.parametrize(
    "raw,clean",
    [
        ('"My keys have gone on holiday without me."', "My keys have gone on holiday without me."),
        ("Paraphrase: My keys eloped.", "My keys eloped."),
        ("Humorous paraphrase: My keys eloped.", "My keys eloped."),
        ("Here's a funny paraphrase: \u201cMy keys eloped.\u201d", "My keys eloped."),
        ("Paraphrase:\nMy keys eloped.", "My keys eloped."),
        ("1. My keys eloped.", "My keys eloped."),
        ("My keys eloped.\n\nI hope this brings a smile!", "My keys eloped."),
        ("My keys eloped. (Note: this uses personification.)", "My keys eloped."),
        ("'It''s fine'", "It''s fine"),
        ("   ", ""),
        ("Plain sentence with no wrapping.", "Plain sentence with no wrapping."),
    ],
)
def test_clean_paraphrase(raw, clean):
    assert clean_paraphrase(raw) == clean


def test_student_prompt_is_defined_once_and_carries_the_input():
    [message] = student_messages("I lost my keys.")
    assert message["role"] == "user" and message["content"] == STUDENT_PROMPT.format(input="I lost my keys.")
    assert message["content"].endswith("Sentence: I lost my keys.")

"""Reference entries: what is a signature to join to its description, and what is a call in an example."""

from __future__ import annotations

import pytest

from ragbot.providers.extractive_entries import CALL, SIGNATURE, with_descriptions


@pytest.mark.parametrize("line", ["open(file, mode='r', buffering=-1)", "str.split(sep=None, maxsplit=-1)",
                                  "class collections.deque([iterable[, maxlen]])", "re.IGNORECASE"])
def test_signatures_name_their_parameters(line: str) -> None:
    assert SIGNATURE.match(line)


@pytest.mark.parametrize("line", ["print('Main program waited until background was done.')", "range(10)",
                                  'print(b"x")', "f(a, 'b')"])
def test_a_call_with_a_literal_argument_is_a_call_not_a_signature(line: str) -> None:
    assert not SIGNATURE.match(line)
    assert CALL.match(line)


def test_the_last_line_of_an_example_is_not_joined_to_the_prose_after_it() -> None:
    sentences = ["print('Main program waited until background was done.')",
                 "The principal challenge of multi-threaded applications is coordinating threads."]
    assert with_descriptions(sentences) == sentences
    assert with_descriptions(["os.path.getmtime(path)", "Return the time of last modification of path."]) == [
        "os.path.getmtime(path) \u2014 Return the time of last modification of path."]

"""Sentence splitting and content words in bot.text."""

from __future__ import annotations

from ragbot.text import carried_line_ends_paragraph, content_words, split_sentences, stem, table_cells, terms


def test_split_sentences_handles_abbreviations_bullets_and_headings() -> None:
    text = (
        "# Leave policy\nEmployees receive 25 days of paid leave. Ask first, e.g. your manager!\n"
        "Version 3.5 is out.\n\n- First bullet\n- Second bullet\n  wraps here."
    )
    assert split_sentences(text) == [
        "# Leave policy",
        "Employees receive 25 days of paid leave.",
        "Ask first, e.g. your manager!",
        "Version 3.5 is out.",
        "- First bullet",
        "- Second bullet wraps here.",
    ]


def test_hard_wrapped_lines_join_into_one_sentence() -> None:
    assert split_sentences("This sentence was\nwrapped by a PDF. Next one.") == [
        "This sentence was wrapped by a PDF.",
        "Next one.",
    ]


def test_stem_conflates_simple_inflections() -> None:
    assert stem("days") == stem("day")
    assert stem("vacations") == stem("vacation")
    assert stem("policies") == stem("policy")
    assert stem("approved") == stem("approve") == stem("approving")
    assert stem("leaves") == stem("leave")
    assert stem("running") == stem("run")
    assert stem("status") == "status"


def test_content_words_drop_stop_words() -> None:
    assert content_words("How many vacation days do I get?") == ["vacation", "days"]
    assert terms("How many vacation days do I get?") == {"vacation", "day"}


def test_table_rows_and_records_are_sentences_of_their_own() -> None:
    text = (
        "Accounts you will get\nSystem | Who grants access | When\nGitHub | Your manager | Day one. Then more.\n"
        "Name: Ada; Team: Web; Role: Developer\nName: Bob; Team: Ops; Role: SRE\n"
        "| City | Limit |\n|---|---:|\n| Berlin | EUR 180. |"
    )
    assert split_sentences(text) == [
        "Accounts you will get",
        "System | Who grants access | When",
        "GitHub | Your manager | Day one. Then more.",  # a period inside a cell does not end the row
        "Name: Ada; Team: Web; Role: Developer",
        "Name: Bob; Team: Ops; Role: SRE",
        "| City | Limit |",  # the Markdown rule under the header is layout, not text
        "| Berlin | EUR 180. |",
    ]


def test_a_grid_table_row_wrapped_over_lines_is_one_row() -> None:
    # As pydoc prints reStructuredText grid tables: "|====|" ends the header, "+----+" borders are taken out
    # before (they are blank lines here), and a row's cells wrap over lines with their walls aligned.
    text = (
        "| Operation          | Result                 |\n"
        "|====================|========================|\n"
        '| "s.insert(i, x)"   | inserts *x* into *s*   |\n'
        "|                    | at the index *i*       |\n\n"
        '| "s.pop()"          | removes the last item  |\n'
    )
    assert split_sentences(text) == [
        "| Operation          | Result                 |",
        '| "s.insert(i, x)" | inserts *x* into *s* at the index *i* |',
        '| "s.pop()"          | removes the last item  |',
    ]
    assert table_cells('| "s.insert(i, x)" | inserts *x* |  |') == ['"s.insert(i, x)"', "inserts *x*", ""]
    assert table_cells("Berlin | EUR 180 |") == ["Berlin", "EUR 180"]


def test_an_ellipsis_before_a_lower_case_word_does_not_end_the_sentence() -> None:
    text = '"a op1 b op2 c ... y opN z" is equivalent to "a op1 b and ... y opN z". It is evaluated once... Then.'
    assert split_sentences(text) == ['"a op1 b op2 c ... y opN z" is equivalent to "a op1 b and ... y opN z".',
                                     "It is evaluated once...", "Then."]
    # Nor is a reference's abbreviation before its number.
    assert split_sentences("Under the Act 3 kap. 6 § the owner is responsible. It must comply with BBR ch. 5.") == [
        "Under the Act 3 kap. 6 § the owner is responsible.", "It must comply with BBR ch. 5."]
    # Nor an abbreviation nobody listed, before a lower-case word.
    assert split_sentences("Check the org. number in allabolag. Then call.") == [
        "Check the org. number in allabolag.", "Then call."]
    # But a reference page's next entry does start in lower case.
    entries = "The class to which a class instance belongs. class.__bases__ The tuple of base classes."
    assert split_sentences(entries) == ["The class to which a class instance belongs.",
                                        "class.__bases__ The tuple of base classes."]
    # A period quoted on its own is no sentence's end either.
    assert split_sentences("Files starting with . are not matched. Use a pattern.") == [
        "Files starting with . are not matched.", "Use a pattern."]


def test_a_quoted_question_mark_before_a_lower_case_word_does_not_end_the_sentence() -> None:
    assert split_sentences("Adding ? after the quantifier makes it non-greedy. Is that all? Yes.") == [
        "Adding ? after the quantifier makes it non-greedy.",
        "Is that all?",
        "Yes.",
    ]


def test_codes_are_tokens_that_start_with_a_letter_and_hold_a_digit() -> None:
    from ragbot.text import codes

    assert codes("What is NWL-5190? And nwl-5190 again, with sha256 and psycopg2 in python3.11") == [
        "NWL-5190", "nwl-5190", "sha256", "psycopg2", "python3.11"]
    # Times, dates, versions and short names are left to the rest of the search.
    assert codes("Book 10am on 2024-05-01 for Python 3.12 on an s3 bucket or v2") == []


def test_a_plain_text_title_over_its_paragraph_is_a_heading_not_part_of_the_first_sentence() -> None:
    text = ("Laptops\nEvery employee gets a laptop on their first day. Do not repair\na company laptop yourself.\n\n"
            # A chunk boundary leaves one line break of the blank line before the next title.
            "Bring it to the helpdesk.\nLeaving the company\nReturn your laptop on your last day.")
    assert split_sentences(text) == [
        "# Laptops", "Every employee gets a laptop on their first day.", "Do not repair a company laptop yourself.",
        "Bring it to the helpdesk.", "# Leaving the company", "Return your laptop on your last day."]


def test_short_wrapped_lines_and_lines_before_a_table_are_not_titles() -> None:
    # A hard-wrapped line ends in no punctuation but follows a line that does not end a sentence either.
    assert split_sentences("We moved to the new office of the\nPython Software\nFoundation last year.") == [
        "We moved to the new office of the Python Software Foundation last year."]
    assert split_sentences("Accounts you will get\nSystem | Who grants access\nGitHub | Platform team")[0] == (
        "Accounts you will get")


def test_a_list_of_literals_is_not_cut_at_a_number_s_trailing_dot() -> None:
    # "10." is a float literal; no sentence starts with the dot of ".001".
    assert split_sentences("Some examples of floating point literals:\n3.14    10.    .001    1e100    0e0") == [
        "Some examples of floating point literals: 3.14    10.    .001    1e100    0e0"]


def test_a_title_in_a_paragraph_of_its_own_is_a_heading_not_a_sentence() -> None:
    # Quoted, "Positional-Only Parameters [1]." says nothing; run into the next sentence it garbles it.
    assert split_sentences("Intro sentence.\n\n4.8.3.2. Positional-Only Parameters\n\nLooking at this in detail.") == [
        "Intro sentence.", "# 4.8.3.2. Positional-Only Parameters", "Looking at this in detail."]
    # The words carried over from the chunk before, set apart as a paragraph of their own.
    assert split_sentences("Positional-or-Keyword Arguments\n\nIf / and * are not present, ...") == [
        "# Positional-or-Keyword Arguments", "If / and * are not present, ..."]
    # A list's step and a paragraph's last line are no titles.
    assert not any(s.startswith("#") for s in split_sentences("Intro.\n\n1. Download the file\n\nThen run it."))
    assert split_sentences("Intro.\n\nFree parking") == ["Intro.", "Free parking"]


def test_a_carried_statement_ends_its_paragraph_where_prose_follows() -> None:
    # Where a chunk starts, one line break is all that parts an example's last statement from the prose after it.
    assert carried_line_ends_paragraph("done, pending = await asyncio.wait(aws)",
                                       "timeout (a float or int), if specified, can be used to control the wait.")
    # What a call printed, and an object's repr, stay with their example.
    assert not carried_line_ends_paragraph("print(d.ctime())", "Wed Dec  4 20:30:40 2002")
    assert not carried_line_ends_paragraph("Fraction(355, 113)", "This is the closest fraction to pi below 1000.")
    assert not carried_line_ends_paragraph("x = compute(a, b)", "y = x + 1")


def test_a_numbered_section_title_in_extracted_pdf_text_is_a_heading() -> None:
    # PDF text keeps "4. Working in public" on a line of its own between two paragraphs' lines; run into the next
    # sentence it read "Working in public Use a privacy screen filter ...".
    assert split_sentences("It can be wiped remotely.\n4. Working in public\nUse a privacy screen filter.") == [
        "It can be wiped remotely.", "# 4. Working in public", "Use a privacy screen filter."]
    # After a colon the numbered line is a list's step.
    assert not any(s.startswith("#") for s in split_sentences("Steps:\n1. Open Settings\nClick on Privacy."))

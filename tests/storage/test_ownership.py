"""Who may replace a document: its uploader or an admin; everyone else is refused and the original stays cited."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ragbot.domain import CLI_ADDER, Adder, Scope
from ragbot.errors import NotAllowed
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document

SCOPE = Scope("slack:T1")
ADMIN_COPY = b"# Leave\n\nEmployees get twenty-seven vacation days per year."
MEMBER_COPY = b"# Leave\n\nEmployees get zero vacation days per year."
ADA = Adder("slack:UADMIN", "Ada", "slash", is_admin=True)
MAX = Adder("slack:UMAX", "Max", "slash", is_admin=False)


def _add(svc, data: bytes, by: Adder, name: str = "handbook.md") -> int:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=SCOPE, data=data, filename=name, source_uri=name, max_bytes=10**6, by=by)
    if acc.changed:
        assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    return acc.document_id


def _row(svc, doc_id: int):  # type: ignore[no-untyped-def]
    with svc.engine.connect() as conn:
        return conn.execute(text("SELECT * FROM documents WHERE id = :i"), {"i": doc_id}).one()


def test_a_member_cannot_replace_an_admins_document_and_the_admins_copy_is_still_cited(svc) -> None:
    doc_id = _add(svc, ADMIN_COPY, ADA)
    with pytest.raises(NotAllowed) as refused:
        _add(svc, MEMBER_COPY, MAX)
    message = str(refused.value)
    assert "handbook.md" in message and f"document {doc_id}" in message and "Ada (slack:UADMIN)" in message
    assert "ask an admin" in message and "another name" in message
    row = _row(svc, doc_id)
    assert (row.uploader, row.uploader_name, row.version) == ("slack:UADMIN", "Ada", 1)
    answer = svc.rag.answer("How many vacation days do employees get?", scope=SCOPE)
    assert "twenty-seven" in answer.text and "zero" not in answer.text
    assert [c.source for c in answer.citations] == ["handbook.md"]


def test_documents_without_an_uploader_are_admin_owned(svc) -> None:
    doc_id = _add(svc, ADMIN_COPY, CLI_ADDER)  # the CLI acts as an admin and records no one
    with pytest.raises(NotAllowed, match="added by an admin"):
        _add(svc, MEMBER_COPY, MAX)
    assert _row(svc, doc_id).uploader is None


def test_the_uploader_and_admins_may_replace_and_take_over_the_document(svc) -> None:
    doc_id = _add(svc, MEMBER_COPY, MAX)
    assert _row(svc, doc_id).added_via == "slash"
    _add(svc, MEMBER_COPY + b" Ask HR.", MAX)  # the uploader's own update
    assert _row(svc, doc_id).version == 2
    _add(svc, ADMIN_COPY, Adder("slack:UADMIN", "Ada", "dm", is_admin=True))  # an admin corrects it
    row = _row(svc, doc_id)
    assert (row.uploader, row.uploader_name, row.added_via, row.version) == ("slack:UADMIN", "Ada", "dm", 3)
    with pytest.raises(NotAllowed):
        _add(svc, MEMBER_COPY, MAX)  # now it is the admin's


def test_the_same_content_again_is_no_replacement_and_is_not_refused(svc) -> None:
    doc_id = _add(svc, ADMIN_COPY, ADA)
    again = intake.add_file(svc.engine, scope=SCOPE, data=ADMIN_COPY, filename="handbook.md",
                            source_uri="handbook.md", max_bytes=10**6, by=MAX)
    assert (again.document_id, again.changed) == (doc_id, False)
    assert _row(svc, doc_id).uploader == "slack:UADMIN"


def test_another_scope_or_name_is_not_a_replacement(svc) -> None:
    _add(svc, ADMIN_COPY, ADA)
    _add(svc, MEMBER_COPY, MAX, name="handbook-max.md")
    acc = intake.add_file(svc.engine, scope=Scope("slack:T1", "C9"), data=MEMBER_COPY, filename="handbook.md",
                          source_uri="handbook.md", max_bytes=10**6, by=MAX)
    assert acc.changed


def test_a_member_cannot_re_register_an_admins_url(svc) -> None:
    url = "https://example.org/policy"
    intake.add_url(svc.engine, scope=SCOPE, url=url, by=Adder("slack:UADMIN", "Ada", "url", is_admin=True))
    with pytest.raises(NotAllowed, match="Ada"):
        intake.add_url(svc.engine, scope=SCOPE, url=url, by=Adder("slack:UMAX", "Max", "url", is_admin=False))


def test_listings_say_who_added_a_document_from_where_and_when(svc) -> None:
    _add(svc, ADMIN_COPY, ADA)
    (doc,) = svc.admin.documents(space=SCOPE.space)
    assert (doc.uploader, doc.uploader_name, doc.added_via) == ("slack:UADMIN", "Ada", "slash")
    assert doc.added_at is not None

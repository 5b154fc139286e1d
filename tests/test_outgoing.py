"""Typed outgoing messages: every kind survives the outbox's JSON, and a row that holds none is
refused at the edge (the sender marks it failed instead of sending an empty message)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import outgoing
from services.outgoing import MalformedMessage, OutgoingMessage, from_payload, to_payload

texts = st.text(max_size=40)
optional_texts = st.none() | texts
ids = st.none() | st.integers(min_value=1, max_value=2**40)
buttons = st.builds(outgoing.Button, texts, texts.filter(bool), st.just("")) | st.builds(
    outgoing.Button, texts, st.just(""), texts.filter(bool)
)
messages: st.SearchStrategy[OutgoingMessage] = st.one_of(
    st.builds(
        outgoing.TextMessage,
        texts,
        st.lists(st.lists(buttons, min_size=1, max_size=3).map(tuple), max_size=3).map(tuple),
        st.none() | texts.filter(bool),
        st.booleans(),
        st.none() | texts.filter(bool),
        ids,
    ),
    st.builds(outgoing.CallbackAnswer, texts, st.none() | texts.filter(bool)),
    st.builds(
        outgoing.RelayedFile, st.integers().map(str), st.integers(0, 2**31), optional_texts, ids
    ),
    st.builds(outgoing.QrCode, texts, texts),
    st.builds(outgoing.TextDocument, texts, texts.filter(bool), optional_texts),
    st.builds(outgoing.StoredDocument, texts, optional_texts, optional_texts),
    st.builds(outgoing.CommandMenu, st.lists(st.tuples(texts, texts), max_size=4).map(tuple)),
)


@given(messages)
def test_every_message_survives_the_outbox(message: OutgoingMessage) -> None:
    assert from_payload(to_payload(message)) == message


def test_the_stored_shape_is_the_outbox_s_own() -> None:
    """Rows queued before the types existed read the same (no migration of the outbox)."""
    assert to_payload(outgoing.TextMessage("hi", case_message=7)) == {"text": "hi", "cm": 7}
    assert to_payload(outgoing.QrCode("https://t.me/x")) == {
        "kind": "qr",
        "data": "https://t.me/x",
        "caption": "",
    }
    assert from_payload(
        {"kind": "copy", "from_chat_id": 5, "message_id": "9"}
    ) == outgoing.RelayedFile("5", 9)


@pytest.mark.parametrize(
    "row",
    [{}, {"kind": "sticker"}, {"kind": "copy", "from_chat_id": 1}, {"kind": "qr"}, {"buttons": []}],
)
def test_a_row_holding_no_message_is_refused(row: dict[str, object]) -> None:
    with pytest.raises(MalformedMessage):
        from_payload(row)

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stream_chat.protocol.frames import Done, Start, Text
from stream_chat.protocol.sse import HEARTBEAT_MARK, encode_frame, encode_frames
from tests.support.protocol import read_frames

TRICKY = [
    "\n",
    "\r",
    "\r\n",
    '"',
    "\\",
    "\u2028",
    "\u2029",
    "\x00",
    "🚀",
    "é",
    "data: x\n\n",
    ": ping\n\n",
    "\ufeff",
    "𝄞",
]


def test_frame_bytes_are_exact() -> None:
    frame = encode_frame(3, Text('a\n"b"\u2028🚀'))
    assert frame == (
        'id: 3\nevent: text\ndata: {"type":"text","text":"a\\n\\"b\\"\u2028🚀"}\n\n'.encode()
    )


def test_stream_numbers_frames_and_keeps_heartbeats_as_comments() -> None:
    chunks = list(encode_frames([Start("s1", "m"), HEARTBEAT_MARK, Done("end_turn")]))
    assert chunks == [
        b'id: 1\nevent: start\ndata: {"type":"start","stream_id":"s1","model":"m"}\n\n',
        b": ping\n\n",
        b'id: 2\nevent: done\ndata: {"type":"done","stop_reason":"end_turn"}\n\n',
    ]


# Text from the SDK is decoded UTF-8: it never holds a lone surrogate (see the last test).
CHARACTERS = st.characters(exclude_categories=("Cs",))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(TRICKY) | CHARACTERS, max_size=8).map("".join),
        min_size=1,
        max_size=5,
    )
)
def test_text_survives_a_split_at_every_byte(texts: list[str]) -> None:
    data = b"".join(encode_frames([Text(text) for text in texts]))
    for cut in range(len(data) + 1):
        frames = read_frames([data[:cut], data[cut:]])
        assert [frame["text"] for frame in frames] == texts


@given(st.text(CHARACTERS))
def test_one_byte_at_a_time(text: str) -> None:
    data = encode_frame(1, Text(text))
    frames = read_frames(data[i : i + 1] for i in range(len(data)))
    assert frames == [Text(text).data()]


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    frame = encode_frame(1, Text("a\ud800b"))
    assert read_frames([frame]) == [{"type": "text", "text": "a\ufffdb"}]


def test_each_surrogate_of_a_run_becomes_one_replacement_character() -> None:
    frame = encode_frame(1, Text("a\ud800\udc00\udfffb"))
    assert read_frames([frame]) == [{"type": "text", "text": "a\ufffd\ufffd\ufffdb"}]


# A third of the pieces drawn are surrogates, so runs of them are common.
@given(
    st.lists(st.characters(categories=("Cs",)) | st.sampled_from(TRICKY) | CHARACTERS).map("".join)
)
def test_any_text_keeps_its_length_with_surrogates_replaced_one_for_one(text: str) -> None:
    expected = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    frames = read_frames([encode_frame(1, Text(text))])
    assert frames == [Text(expected).data()]

// The incremental SSE parser against the WHATWG rules, and against itself: however a stream is
// split into chunks, the events must be exactly those of parsing it whole.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  parseAll,
  SseParseError,
  SseParser,
} from "../../web/js/sse-parser.js";

const encoder = new TextEncoder();

/**
 * @param {string} data
 * @param {{id?: string, event?: string, retry?: number}} [fields]
 */
function ev(data, fields = {}) {
  return { id: fields.id ?? "", event: fields.event ?? "message", data, retry: fields.retry };
}

/** Feed `chunks` one by one and collect every event, then end the stream. */
function feedAll(chunks, options) {
  const parser = new SseParser(options);
  const events = chunks.flatMap((chunk) => parser.feed(chunk));
  parser.end();
  return events;
}

const CASES = [
  { name: "one event, LF", input: "data: hi\n\n", events: [ev("hi")] },
  { name: "one event, CRLF", input: "data: hi\r\n\r\n", events: [ev("hi")] },
  { name: "one event, lone CR", input: "data: hi\r\r", events: [ev("hi")] },
  {
    name: "mixed line endings",
    input: "data: a\r\ndata: b\rdata: c\n\r\n",
    events: [ev("a\nb\nc")],
  },
  { name: "multi-line data", input: "data: one\ndata: two\n\n", events: [ev("one\ntwo")] },
  { name: "no space after colon", input: "data:x\n\n", events: [ev("x")] },
  { name: "only one leading space removed", input: "data:  x\n\n", events: [ev(" x")] },
  { name: "colon in the value", input: "data: a: b\n\n", events: [ev("a: b")] },
  { name: "field without colon is an empty value", input: "data\n\n", events: [ev("")] },
  { name: "empty data line dispatches empty data", input: "data:\n\n", events: [ev("")] },
  { name: "two empty data lines", input: "data\ndata\n\n", events: [ev("\n")] },
  {
    name: "event and id",
    input: "id: 7\nevent: text\ndata: {}\n\n",
    events: [ev("{}", { id: "7", event: "text" })],
  },
  {
    name: "id persists across events",
    input: "id: 1\ndata: a\n\ndata: b\n\n",
    events: [ev("a", { id: "1" }), ev("b", { id: "1" })],
  },
  {
    name: "an empty id resets it",
    input: "id: 1\ndata: a\n\nid\ndata: b\n\n",
    events: [ev("a", { id: "1" }), ev("b")],
  },
  {
    name: "an id containing NUL is ignored",
    input: "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n",
    events: [ev("a", { id: "1" }), ev("b", { id: "1" })],
  },
  {
    name: "an id without data still updates the id",
    input: "id: 5\n\ndata: a\n\n",
    events: [ev("a", { id: "5" })],
  },
  {
    name: "event type resets after each event",
    input: "event: text\ndata: a\n\ndata: b\n\n",
    events: [ev("a", { event: "text" }), ev("b")],
  },
  { name: "empty event name means message", input: "event:\ndata: a\n\n", events: [ev("a")] },
  {
    name: "an event with no data is not dispatched",
    input: "event: text\n\ndata: a\n\n",
    events: [ev("a")],
  },
  { name: "comments are ignored", input: ": ping\n\n: ping\ndata: a\n\n", events: [ev("a")] },
  { name: "heartbeats alone dispatch nothing", input: ": ping\n\n: ping\n\n", events: [] },
  { name: "unknown fields are ignored", input: "foo: bar\ndata: a\n\n", events: [ev("a")] },
  {
    name: "retry with digits only",
    input: "retry: 1500\ndata: a\n\n",
    events: [ev("a", { retry: 1500 })],
  },
  {
    name: "retry with anything else is ignored",
    input: "retry: 1500\nretry: 10abc\nretry: -1\nretry:\ndata: a\n\n",
    events: [ev("a", { retry: 1500 })],
  },
  { name: "leading BOM is stripped", input: "\uFEFFdata: a\n\n", events: [ev("a")] },
  {
    name: "only one BOM is stripped",
    input: "\uFEFF\uFEFFdata: a\n\ndata: b\n\n",
    events: [ev("b")],
  },
  {
    name: "a BOM later in the stream is data",
    input: "data: \uFEFFa\n\n",
    events: [ev("\uFEFFa")],
  },
  { name: "unterminated event is discarded", input: "data: a\n\ndata: b\n", events: [ev("a")] },
  { name: "unterminated line is discarded", input: "data: a\n\ndata: b", events: [ev("a")] },
  {
    name: "non-ASCII text",
    input: "data: héllo € 😀 日本\n\n",
    events: [ev("héllo € 😀 日本")],
  },
  {
    name: "the protocol's frames",
    input:
      'id: 1\nevent: start\ndata: {"type":"start"}\n\n: ping\n\n' +
      'id: 2\nevent: done\ndata: {"type":"done"}\n\n',
    events: [
      ev('{"type":"start"}', { id: "1", event: "start" }),
      ev('{"type":"done"}', { id: "2", event: "done" }),
    ],
  },
];

describe("whole-input parsing", () => {
  for (const { name, input, events } of CASES) {
    test(name, () => {
      assert.deepEqual(parseAll(input), events);
      assert.deepEqual(parseAll(encoder.encode(input)), events);
    });
  }
});

describe("chunk boundaries", () => {
  for (const { name, input, events } of CASES) {
    test(`${name}: every two-way split of the bytes`, () => {
      const bytes = encoder.encode(input);
      for (let cut = 0; cut <= bytes.length; cut += 1) {
        const got = feedAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
        assert.deepEqual(got, events, `split at byte ${cut}`);
      }
    });

    test(`${name}: one byte at a time`, () => {
      const bytes = encoder.encode(input);
      const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
      assert.deepEqual(feedAll(chunks), events);
    });
  }

  test("CRLF split across chunks is one line ending", () => {
    const got = feedAll(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
    assert.deepEqual(got, [ev("a\nb")]);
  });

  test("a CR at a chunk end ends the line at once", () => {
    const parser = new SseParser();
    assert.deepEqual(parser.feed("data: a\r\r"), [ev("a")]);
    assert.deepEqual(parser.feed("\ndata: b\n\n"), [ev("b")]);
  });

  test("empty chunks change nothing, even between CR and LF", () => {
    const got = feedAll(["data: a\r", "", new Uint8Array(0), "\n", "", "\r\n"]);
    assert.deepEqual(got, [ev("a")]);
  });

  test("a BOM split across byte chunks is still stripped", () => {
    const bytes = encoder.encode("\uFEFFdata: a\n\n");
    assert.equal(bytes[0], 0xef);
    const got = feedAll([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)]);
    assert.deepEqual(got, [ev("a")]);
  });

  test("multi-byte characters split at every byte survive", () => {
    for (const char of ["é", "€", "😀", "日"]) {
      const bytes = encoder.encode(`data: ${char}${char}\n\n`);
      for (let cut = 6; cut < bytes.length - 2; cut += 1) {
        const got = feedAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
        assert.deepEqual(got, [ev(`${char}${char}`)], `${char} split at byte ${cut}`);
      }
    }
  });

  test("a truncated character at the end of the stream is not an event", () => {
    const bytes = encoder.encode("data: a\n\ndata: 😀");
    assert.deepEqual(feedAll([bytes.subarray(0, bytes.length - 2)]), [ev("a")]);
  });
});

describe("randomized splits against whole-input parsing", () => {
  const pieces = [
    "data: hello\n", "data: wörld 😀\r\n", "\n", "\r\n", "\r", ": ping\n", "id: 3\n",
    "event: text\n", "retry: 250\n", "data\n", "foo: bar\r", 'data: {"text":"日本"}\n', "id\n",
  ];

  test("500 random streams, each split at random byte positions", () => {
    const random = mulberry32(0x5eed);
    for (let round = 0; round < 500; round += 1) {
      const length = 1 + Math.floor(random() * 20);
      const pick = () => pieces[Math.floor(random() * pieces.length)];
      const text = Array.from({ length }, pick).join("");
      const bytes = encoder.encode((random() < 0.2 ? "\uFEFF" : "") + text);
      const expected = parseAll(bytes);
      const chunks = [];
      for (let start = 0; start < bytes.length; ) {
        const size = Math.floor(random() * 6);
        chunks.push(bytes.subarray(start, start + size));
        start += size;
      }
      assert.deepEqual(feedAll(chunks), expected, `round ${round}: ${JSON.stringify(text)}`);
    }
  });
});

describe("comments", () => {
  test("comments reach onComment without the leading space", () => {
    const comments = [];
    parseAll(": ping\n:raw\n\n", { onComment: (text) => comments.push(text) });
    assert.deepEqual(comments, ["ping", "raw"]);
  });
});

describe("buffer cap", () => {
  test("a line that never ends is refused once over the cap", () => {
    const parser = new SseParser({ maxBufferBytes: 64 });
    parser.feed("data: ");
    assert.throws(() => parser.feed("x".repeat(100)), SseParseError);
  });

  test("an event that never ends is refused once its data is over the cap", () => {
    const parser = new SseParser({ maxBufferBytes: 64 });
    assert.throws(() => {
      for (let i = 0; i < 20; i += 1) parser.feed("data: 0123456789\n");
    }, (error) => error instanceof SseParseError && error.type === "max-buffer-size-exceeded");
  });

  test("the cap counts UTF-8 bytes, not characters", () => {
    const parser = new SseParser({ maxBufferBytes: 40 });
    // 10 emoji are 20 UTF-16 units but 40 bytes: with "data: " that is over the cap.
    assert.throws(() => parser.feed(`data: ${"😀".repeat(10)}`), SseParseError);
    // 12 CJK characters are 36 bytes; 20 two-byte characters are 40.
    assert.throws(() => new SseParser({ maxBufferBytes: 40 }).feed(`data: ${"日".repeat(12)}`));
    assert.throws(() => new SseParser({ maxBufferBytes: 40 }).feed(`data: ${"é".repeat(20)}`));
    const fits = `data: ${"é".repeat(17)}`;
    assert.doesNotThrow(() => new SseParser({ maxBufferBytes: 40 }).feed(fits));
    assert.deepEqual(new SseParser({ maxBufferBytes: 40 }).feed("data: 😀\n\n"), [ev("😀")]);
  });

  test("a long stream of complete events never hits the cap", () => {
    const parser = new SseParser({ maxBufferBytes: 64 });
    let count = 0;
    for (let i = 0; i < 1000; i += 1) count += parser.feed(`data: event ${i}\n\n`).length;
    assert.equal(count, 1000);
  });
});

/** A small seeded PRNG, so a failing split can be reproduced. */
function mulberry32(seed) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

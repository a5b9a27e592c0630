// When a dropped answer stream is resumed, and which of its frames are new (resume-plan.js).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  HttpError,
  IncompleteStreamError,
  NetworkError,
  ProtocolError,
  StallError,
} from "../../web/js/chat-errors.js";
import {
  ConnectionWatch,
  FrameIds,
  isSilent,
  RESUME_DELAYS_MS,
  resumeDelay,
  verdictOn,
} from "../../web/js/resume-plan.js";

describe("the backoff", () => {
  test("the first attempt at once, then 0.5, 1, 2, 4 and 8 s; six attempts, no seventh", () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attempt) => resumeDelay(attempt));
    assert.deepEqual(waits, [0, 500, 1000, 2000, 4000, 8000, undefined]);
    assert.equal(RESUME_DELAYS_MS.length, 6);
  });

  test("no attempt 0 or a fraction; a schedule of its own replaces the page's", () => {
    assert.equal(resumeDelay(0), undefined);
    assert.equal(resumeDelay(1.5), undefined);
    assert.equal(resumeDelay(2, [5, 7]), 7);
    assert.equal(resumeDelay(1, []), undefined);
  });
});

describe("what a failed connection leads to", () => {
  const http = (status, retryable = false) =>
    new HttpError("refused", { code: `http_${status}`, status, retryable });

  test("a drop, a stall or a stream cut before done is resumed", () => {
    for (const error of [
      new NetworkError("gone", { code: "network_error", retryable: true }),
      new StallError("quiet", { code: "client_stall_timeout", retryable: true }),
      new IncompleteStreamError("cut", { code: "incomplete", retryable: true }),
    ]) {
      assert.equal(verdictOn(error, false), "resume", error.name);
      assert.equal(verdictOn(error, true), "resume", error.name);
    }
  });

  test("a resume answered 404 or 410 is lost for good; any refusal of the question stands", () => {
    assert.equal(verdictOn(http(404), true), "lost");
    assert.equal(verdictOn(http(410), true), "lost");
    assert.equal(verdictOn(http(400), true), "lost");
    assert.equal(verdictOn(http(404), false), "fail");
    assert.equal(verdictOn(http(503, true), false), "fail", "the question is never sent again");
  });

  test("a resume refused for a passing reason, or for a token that expired, is tried again", () => {
    assert.equal(verdictOn(http(503, true), true), "resume");
    assert.equal(verdictOn(http(429, true), true), "resume");
    assert.equal(verdictOn(http(401), true), "resume");
  });

  test("a malformed stream, the user's Stop and anything unknown are not resumed", () => {
    const malformed = new ProtocolError("bad", { code: "invalid_frame" });
    assert.equal(verdictOn(malformed, true), "fail");
    assert.equal(verdictOn(new DOMException("stopped", "AbortError"), true), "fail");
    assert.equal(verdictOn(new TypeError("bug"), true), "fail");
  });
});

describe("frame ids", () => {
  test("a replayed frame is dropped; the ids go on across connections", () => {
    const ids = new FrameIds();
    ids.connected();
    assert.deepEqual(["1", "2", "3"].map((id) => ids.accept(id)), [true, true, true]);
    ids.connected();
    // A resume after 2 (say the third frame's bytes were lost with the connection) replays 3.
    assert.deepEqual(["3", "4", "5"].map((id) => ids.accept(id)), [false, true, true]);
    assert.equal(ids.lastId, 5);
  });

  test("a resume that starts over from the first frame adds only what is new", () => {
    const ids = new FrameIds();
    ids.connected();
    ["1", "2"].forEach((id) => ids.accept(id));
    ids.connected();
    const kept = ["1", "2", "3"].filter((id) => ids.accept(id));
    assert.deepEqual(kept, ["3"]);
  });

  test("a frame without an id of its own is always new, mid-connection or first", () => {
    const ids = new FrameIds();
    ids.connected();
    assert.equal(ids.accept("7"), true);
    // The parser repeats the last id for a frame that had no `id:` line (answer_lost, done).
    assert.equal(ids.accept("7"), true);
    assert.equal(ids.accept("7"), true);
    assert.equal(ids.lastId, 7);
    ids.connected();
    assert.equal(ids.accept(""), true);
    assert.equal(ids.lastId, 7);
  });
});

describe("silence", () => {
  test("more than two heartbeats without a byte is a dead connection", () => {
    assert.equal(isSilent(1000, 1000 + 20_000, 10), false);
    assert.equal(isSilent(1000, 1000 + 20_001, 10), true);
    assert.equal(isSilent(0, 2_001, 1), true);
  });

  test("the watch drops a silent connection, and only a silent one", () => {
    let now = 0;
    const watch = new ConnectionWatch(() => now);
    let drops = 0;
    assert.equal(watch.check(10), false, "no connection yet");
    watch.attach(() => (drops += 1));
    now = 15_000;
    watch.heard();
    now = 30_000;
    assert.equal(watch.check(10), false, "heard 15 s ago");
    now = 35_001;
    assert.equal(watch.check(10), true);
    assert.equal(drops, 1);
    watch.attach(() => (drops += 10));
    assert.equal(watch.check(10), false, "a new connection starts the count again");
  });

  test("going offline drops the connection whatever its silence, once", () => {
    const watch = new ConnectionWatch(() => 0);
    assert.equal(watch.drop(), false, "nothing to drop yet");
    let drops = 0;
    watch.attach(() => (drops += 1));
    assert.equal(watch.drop(), true);
    assert.equal(watch.drop(), false, "that connection is gone already");
    assert.equal(drops, 1);
  });
});

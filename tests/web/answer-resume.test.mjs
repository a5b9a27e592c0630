// An answer whose connection drops goes on where it was; one saved while streaming (a reload,
// another tab) is replayed from its first frame; Stop still cancels it. Against a real HTTP
// server, with a view that records what it was asked to show.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { AnswerRun } from "../../web/js/answer-run.js";
import { DEFAULT_CONFIG } from "../../web/js/config.js";
import { canContinue, Conversation, current } from "../../web/js/conversation.js";
import { describeError } from "../../web/js/error-messages.js";
import { frame, sleep, SSE_HEADERS, useServer } from "./support/http-fixture.mjs";
import { RecordingView } from "./support/recording-view.mjs";

const START = { type: "start", stream_id: "stream-1", model: "demo" };
const text = (value) => ({ type: "text", text: value });
const DONE = { type: "done", stop_reason: "end_turn" };
const FAST = [0, 20, 20];

const server = useServer();

/**
 * The server's journal of one answer: the question's stream ends after `cut` frames (or stays
 * open, silent, with `hold`); a resume replays the frames after its Last-Event-ID, pausing
 * `pauseMs` before the rest, or answers `status` instead. Cancels get 202.
 */
function journal(frames, { cut = frames.length, hold = false, status = 200, pauseMs = 0 } = {}) {
  server.handle(async (request, response) => {
    if (request.url.endsWith("/cancel")) {
      response.writeHead(202, { "content-type": "application/json" });
      response.end("{}");
      return;
    }
    const resume = request.method === "GET";
    if (resume && status !== 200) {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "not_found", message: "no such stream" } }));
      return;
    }
    const after = resume ? Number(request.headers["last-event-id"]) : 0;
    const upTo = resume ? frames.length : cut;
    const bytes = frames.slice(after, upTo).map((payload, i) => frame(after + i + 1, payload));
    const gone = new AbortController();
    response.on("close", () => gone.abort());
    response.writeHead(200, { ...SSE_HEADERS, "x-stream-id": "stream-1" });
    try {
      response.write(bytes.slice(0, 2).join(""));
      await sleep(pauseMs, gone.signal);
      response.write(bytes.slice(2).join(""));
      if (!(hold && !resume)) response.end();
    } catch {
      // The client went away.
    }
  });
}

/** A run of the answer to "Hello"; `saved` fills the answer in as a stored record had it. */
function newRun(saved = {}, config = {}) {
  const conversation = new Conversation();
  const turn = conversation.add("Hello");
  Object.assign(current(turn), saved);
  const view = new RecordingView();
  const seen = [];
  const run = new AnswerRun({
    answer: current(turn),
    view,
    config: { ...DEFAULT_CONFIG, apiBase: server.url, ...config },
    onStatus: (status) => seen.push(status),
    resumeDelaysMs: FAST,
  });
  return { run, answer: current(turn), view, seen, history: conversation.historyFor(turn) };
}

const resumes = () => server.requests.filter((request) => request.method === "GET");

describe("a dropped connection", () => {
  test("is resumed: the answer has every piece once, and says it reconnected", async () => {
    journal([START, text("One "), text("two "), text("three."), DONE], { cut: 3 });
    const { run, answer, view, seen, history } = newRun();
    await run.run(history);
    assert.equal(answer.status, "done");
    assert.equal(answer.text, "One two three.");
    assert.equal(view.finished, "One two three.");
    assert.deepEqual(seen, ["sending", "streaming", "reconnecting", "streaming", "done"]);
    assert.equal(resumes()[0].headers["last-event-id"], "3");
    assert.equal(answer.streamId, "stream-1");
    assert.equal(answer.resumeBase, undefined, "a settled answer keeps no resume base");
    assert.equal(typeof answer.stats.ttftMs, "number", "timed from the question, across the drop");
  });

  test("a resume answered 404 is incomplete, lost, and can be continued", async () => {
    journal([START, text("Half "), text("more"), DONE], { cut: 2, status: 404 });
    const { run, answer, view, history } = newRun();
    await run.run(history);
    assert.equal(answer.status, "incomplete");
    assert.equal(answer.text, "Half ");
    assert.equal(answer.error.code, "answer_lost");
    assert.equal(view.error.title, "The rest of this answer was lost.");
    assert.equal(canContinue(answer), true);
  });

  test("the journal's own answer_lost ends it incomplete too", async () => {
    const lost = { type: "error", code: "answer_lost", message: "lost", retryable: false };
    journal([START, text("Half"), lost, { type: "done", stop_reason: "error" }]);
    const { run, answer, history } = newRun();
    await run.run(history);
    assert.equal(answer.status, "incomplete");
    assert.equal(describeError(answer.error).title, "The rest of this answer was lost.");
  });

  test("a tab woken with a silent connection resumes it; a lively one is left alone", async () => {
    journal([START, text("Before "), text("after."), DONE], { cut: 2, hold: true });
    const { run, answer, view, history } = newRun({}, { heartbeatS: 0.05 });
    const running = run.run(history);
    for (let i = 0; i < 100 && view.texts.length === 0; i += 1) await sleep(10);
    run.wake();
    await sleep(150);
    assert.equal(resumes().length, 0, "it was not silent when the first wake came");
    run.wake();
    await running;
    assert.equal(answer.text, "Before after.");
    assert.equal(resumes()[0].headers["last-event-id"], "2");
  });
});

test("a browser gone offline drops its connection, which is resumed", async () => {
  journal([START, text("Before "), text("after."), DONE], { cut: 2, hold: true });
  const { run, answer, view, seen, history } = newRun();
  const running = run.run(history);
  for (let i = 0; i < 100 && view.texts.length === 0; i += 1) await sleep(10);
  run.offline();
  await running;
  assert.equal(answer.text, "Before after.");
  assert.deepEqual(seen, ["sending", "streaming", "reconnecting", "streaming", "done"]);
  assert.equal((await server.requests[0].closed).finished, false, "the old one was closed");
});

describe("an answer saved while it streamed", () => {
  test("is replayed from its first frame and re-rendered: no duplicate, no gap", async () => {
    journal([START, text("Hello "), text("wor"), text("ld."), DONE], { pauseMs: 100 });
    const saved = { text: "Hello wor", status: "reconnecting", streamId: "stream-1" };
    const { run, answer, view, seen } = newRun(saved);
    const running = run.resume();
    await sleep(50);
    assert.equal(answer.text, "Hello ", "rebuilt from the replay, not added to the saved text");
    await running;
    assert.equal(resumes()[0].url, "/api/chat/stream/stream-1");
    assert.equal(resumes()[0].headers["last-event-id"], "0");
    assert.equal(answer.text, "Hello world.");
    assert.equal(view.finished, "Hello world.");
    assert.deepEqual(seen, ["reconnecting", "streaming", "done"]);
    // The replay's pace is the journal's, not the model's: no first-token time or speed.
    assert.equal(answer.stats.ttftMs, undefined);
    assert.equal(answer.stats.tokensPerSecond, undefined);
  });

  test("a continuation starts again from the text it went on from", async () => {
    journal([START, text("second "), text("half."), DONE]);
    const saved = {
      text: "First half, sec",
      status: "streaming",
      streamId: "stream-1",
      resumeBase: { text: "First half, " },
    };
    const { run, answer } = newRun(saved);
    await run.resume();
    assert.equal(answer.text, "First half, second half.");
  });

  test("one the server no longer has keeps what was saved, incomplete", async () => {
    journal([START, DONE], { status: 404 });
    const saved = { text: "Saved part", status: "reconnecting", streamId: "stream-1" };
    const { run, answer } = newRun(saved);
    await run.resume();
    assert.equal(answer.status, "incomplete");
    assert.equal(answer.text, "Saved part");
    assert.equal(answer.error.code, "answer_lost");
  });

  test("one saved before its stream was named cannot be resumed: incomplete at once", async () => {
    const { run, answer } = newRun({ text: "", status: "reconnecting" });
    await run.resume();
    assert.equal(answer.status, "incomplete");
    assert.equal(answer.error.code, "answer_lost");
    assert.equal(server.requests.length, 0);
  });

  test("Stop cancels it by its stream id, as any answer", async () => {
    journal([START, text("tick "), text("tock "), text("never"), DONE], { pauseMs: 5000 });
    const saved = { text: "", status: "reconnecting", streamId: "stream-1" };
    const { run, answer, view } = newRun(saved);
    const running = run.resume();
    for (let i = 0; i < 100 && !view.texts.includes("tick "); i += 1) await sleep(10);
    run.stop();
    await running;
    const cancelled = () => server.requests.find((request) => request.url.endsWith("/cancel"));
    for (let i = 0; i < 200 && !cancelled(); i += 1) await sleep(10);
    const cancel = cancelled();
    assert.equal(cancel?.method, "POST");
    assert.equal(cancel?.url, "/api/chat/stream/stream-1/cancel");
    assert.equal(answer.status, "stopped");
    assert.equal(answer.text, "tick ");
  });
});

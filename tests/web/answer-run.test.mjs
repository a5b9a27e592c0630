// One answer's lifecycle (statuses, Stop = cancel) against a real HTTP server, with a view that
// records what it was asked to show instead of touching a DOM.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { AnswerRun } from "../../web/js/answer-run.js";
import { EMPTY_BODY_SHA256 } from "../../web/js/body-hash.js";
import { DEFAULT_CONFIG } from "../../web/js/config.js";
import { Conversation, current } from "../../web/js/conversation.js";
import { frame, sleep, SSE_HEADERS, useServer } from "./support/http-fixture.mjs";
import { RecordingView } from "./support/recording-view.mjs";

const START = { type: "start", stream_id: "stream-1", model: "demo" };
const text = (value) => ({ type: "text", text: value });
const done = (reason = "end_turn") => ({ type: "done", stop_reason: reason });

const server = useServer();

/** Stream `frames` (pauses in ms between them), after `headerDelayMs`; cancels get 202. */
function serve(frames, { headerDelayMs = 0, end = true, idHeader = true } = {}) {
  server.handle(async (request, response) => {
    if (request.url.endsWith("/cancel")) {
      response.writeHead(202, { "content-type": "application/json" });
      response.end("{}");
      return;
    }
    const gone = new AbortController();
    response.on("close", () => gone.abort());
    try {
      await sleep(headerDelayMs, gone.signal);
      const headers = idHeader ? { ...SSE_HEADERS, "x-stream-id": "stream-1" } : SSE_HEADERS;
      response.writeHead(200, headers);
      // Frames up to the first pause go out in one write, as one chunk.
      let batch = "";
      for (const [i, item] of frames.entries()) {
        if (typeof item !== "number") {
          batch += frame(i + 1, item);
          continue;
        }
        response.write(batch);
        batch = "";
        await sleep(item, gone.signal);
      }
      response.write(batch);
      if (end) response.end();
    } catch {
      // The client went away.
    }
  });
}

function newRun(options = {}) {
  const conversation = new Conversation();
  const turn = conversation.add("Hello");
  const view = new RecordingView();
  const seen = [];
  const run = new AnswerRun({
    answer: current(turn),
    view,
    config: { ...DEFAULT_CONFIG, apiBase: server.url },
    onStatus: (status) => seen.push(status),
    ...options,
  });
  return { run, turn: current(turn), view, seen, history: conversation.historyFor(turn) };
}

async function until(condition, what) {
  for (let i = 0; i < 200 && !condition(); i += 1) await sleep(10);
  assert.ok(condition(), `timed out waiting for ${what}`);
}

describe("how an answer ends", () => {
  test("done: the whole text, rendered once settled", async () => {
    serve([START, text("Hel"), text("lo"), done()]);
    const { run, turn, view, seen, history } = newRun();
    await run.run(history);
    assert.deepEqual(seen, ["sending", "streaming", "done"]);
    assert.equal(turn.status, "done");
    assert.equal(turn.text, "Hello");
    assert.deepEqual(view.texts, ["Hel", "lo"]);
    assert.equal(view.finished, "Hello");
    assert.equal(view.error, undefined);
  });

  test("a length limit is done, with a note saying so", async () => {
    serve([START, text("Long"), done("max_tokens")]);
    const { run, view, history } = newRun();
    await run.run(history);
    assert.equal(view.statuses.at(-1), "done: reached the length limit");
  });

  test("an in-band error keeps the partial text and names the error", async () => {
    const error = { type: "error", code: "rate_limited", message: "slow down", retryable: true };
    serve([START, text("Partial"), error, done("error")]);
    const { run, turn, view, history } = newRun();
    await run.run(history);
    assert.equal(turn.status, "error");
    assert.equal(view.finished, "Partial");
    assert.match(view.error.title, /Too many requests/);
    assert.match(view.error.detail, /slow down · code rate_limited/);
  });

  test("a stream without done that cannot be resumed is incomplete", async () => {
    serve([START, text("Cut")]);
    const { run, turn, view, history } = newRun({ resumeDelaysMs: [] });
    await run.run(history);
    assert.equal(turn.status, "incomplete");
    assert.equal(view.finished, "Cut");
    assert.match(view.error.title, /cut off/);
  });

  test("a server-side cancel (another tab) reads as stopped", async () => {
    serve([START, text("a"), done("cancelled")]);
    const { run, turn, history } = newRun();
    await run.run(history);
    assert.equal(turn.status, "stopped");
  });
});

describe("stop", () => {
  test("cancels the stream on the server and closes the request", async () => {
    serve([START, text("tick"), 5000, done()], { end: false });
    const { run, turn, view, history } = newRun();
    const running = run.run(history);
    await until(() => view.texts.length > 0, "the first text");

    run.stop();
    assert.equal(turn.status, "stopped", "settled at once, without waiting for the server");
    await running;
    await until(() => server.requests.length === 2, "the cancel request");
    const [stream, cancel] = server.requests;
    assert.equal(cancel.url, "/api/chat/stream/stream-1/cancel");
    assert.equal(cancel.headers["x-amz-content-sha256"], EMPTY_BODY_SHA256);
    assert.equal((await stream.closed).finished, false);
    assert.equal(turn.text, "tick");
  });

  test("before the stream id is known, waits for it and then cancels", async () => {
    serve([START, text("late"), 5000, done()], { headerDelayMs: 300, end: false });
    const { run, turn, view, history } = newRun();
    const running = run.run(history);
    await until(() => server.requests.length === 1, "the request to arrive");

    run.stop();
    assert.equal(turn.status, "stopped");
    assert.equal(server.requests.length, 1, "no cancel yet: there is no id to cancel");
    await running;
    await until(() => server.requests.length === 2, "the cancel request");
    assert.equal(server.requests[1].url, "/api/chat/stream/stream-1/cancel");
    assert.equal((await server.requests[0].closed).finished, false);
    assert.deepEqual(view.texts, [], "text after the stop is not shown");
  });

  test("with no id header, the start frame's id is cancelled; nothing after it shows", async () => {
    const options = { headerDelayMs: 300, end: false, idHeader: false };
    serve([START, text("same chunk"), 5000, done()], options);
    const { run, turn, view, history } = newRun();
    const running = run.run(history);
    await until(() => server.requests.length === 1, "the request to arrive");

    run.stop();
    await running;
    await until(() => server.requests.length === 2, "the cancel request");
    assert.equal(server.requests[1].url, "/api/chat/stream/stream-1/cancel");
    assert.equal(turn.status, "stopped");
    assert.equal(turn.text, "");
    assert.deepEqual(view.texts, []);
  });

  test("after the answer settled, stop does nothing", async () => {
    serve([START, text("x"), done()]);
    const { run, turn, history } = newRun();
    await run.run(history);
    run.stop();
    await sleep(50);
    assert.equal(turn.status, "done");
    assert.equal(server.requests.length, 1);
  });
});

describe("what an answer streams besides its text", () => {
  test("thinking, steps and citations are kept with the answer; citations mark the text", async () => {
    const citation = { type: "citation", url: "https://a.example", title: "A", cited_text: "a" };
    serve([
      START,
      { type: "thinking", text: "Hm." },
      text("Intro. "),
      { type: "tool", id: "t1", name: "web_search", input: { query: "q" } },
      { type: "tool_result", tool_use_id: "t1", results: [{ url: "https://a.example", title: "A" }] },
      citation,
      text("Cited."),
      { type: "usage", input_tokens: 1, output_tokens: 2, stop_reason: "end_turn" },
      done(),
    ]);
    const { run, turn, view, history } = newRun();
    await run.run(history);
    assert.equal(turn.text, "Intro. Cited.");
    assert.deepEqual(view.texts, ["Intro. ", "[1]", "Cited."]);
    assert.equal(view.parts, turn.parts);
    assert.equal(turn.parts.thinking.text, "Hm.");
    assert.deepEqual(turn.parts.steps, [{ id: "t1", name: "web_search", subject: "q", results: 1 }]);
    assert.deepEqual(turn.parts.sources, [{ url: "https://a.example", title: "A" }]);
    assert.deepEqual(turn.parts.citations, [{ source: 1, at: 7 }]);
    assert.deepEqual(turn.parts.stop, { reason: "end_turn" });
  });

  test("an answer of plain text that simply ended keeps no parts", async () => {
    serve([START, text("Hi"), { type: "usage", input_tokens: 1, output_tokens: 1 }, done()]);
    const { run, turn, history } = newRun();
    await run.run(history);
    assert.equal(turn.parts, undefined);
  });

  test("a refusal is kept with its explanation, though no text came", async () => {
    const refusal = { type: "refusal", explanation: "Not this." };
    serve([START, refusal, { type: "usage", input_tokens: 1, output_tokens: 0 }, done("refusal")]);
    const { run, turn, history } = newRun();
    await run.run(history);
    assert.equal(turn.text, "");
    assert.deepEqual(turn.parts.stop, { reason: "refusal", explanation: "Not this." });
  });

  test("the asks go in the request", async () => {
    serve([START, text("Hi"), done()]);
    const conversation = new Conversation();
    const turn = conversation.add("Hello");
    const run = new AnswerRun({
      answer: current(turn),
      view: new RecordingView(),
      config: { ...DEFAULT_CONFIG, apiBase: server.url },
      onStatus: () => {},
      asks: { search: true },
    });
    await run.run(conversation.historyFor(turn));
    const body = JSON.parse(server.requests[0].body.toString("utf8"));
    assert.equal(body.search, true);
    assert.equal("thinking" in body, false);
  });
});

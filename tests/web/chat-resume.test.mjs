// streamChat and resumeChat take a dropped answer up again from the server's journal of it
// (GET /api/chat/stream/{id} with Last-Event-ID), against a real HTTP server on 127.0.0.1.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { IncompleteStreamError, isAbortError, NetworkError } from "../../web/js/chat-errors.js";
import { resumeChat, streamChat } from "../../web/js/chat-client.js";
import { ConnectionWatch } from "../../web/js/resume-plan.js";
import { frame, sleep, SSE_HEADERS, useServer } from "./support/http-fixture.mjs";

const MESSAGES = [{ role: "user", content: "Hello" }];
const START = { type: "start", stream_id: "stream-abc", model: "demo" };
const DONE = { type: "done", stop_reason: "end_turn" };
const text = (value) => ({ type: "text", text: value });
// The answer as the server journals it: frame i has id i + 1.
const ANSWER = [START, text("One "), text("two "), text("three "), text("four."), DONE];
const LOST = {
  type: "error",
  code: "answer_lost",
  message: "The rest of this answer was lost.",
  retryable: false,
};
const FAST = [0, 20, 20, 20];

const server = useServer();

/** The journaled frames after `after`, up to `upTo` (all of them by default). */
function framesOf(after, upTo = ANSWER.length) {
  return ANSWER.slice(after, upTo).map((payload, i) => frame(after + i + 1, payload)).join("");
}

/**
 * Answer the question with frames 1..`cut`, then end without done; answer each resume with the
 * next of `resumes`: a function of the Last-Event-ID it came with, writing the response.
 */
function cutThenResume(cut, resumes) {
  let next = 0;
  server.handle((request, response) => {
    if (request.method === "POST") {
      response.writeHead(200, { ...SSE_HEADERS, "x-stream-id": "stream-abc" });
      response.end(framesOf(0, cut));
      return;
    }
    const after = Number(request.headers["last-event-id"]);
    const resume = resumes[Math.min(next, resumes.length - 1)];
    next += 1;
    resume(after, request, response);
  });
}

/** A resume that replays the journal after `after`, up to `upTo`, then ends. */
const replay = (upTo) => (after, _request, response) => {
  response.writeHead(200, SSE_HEADERS);
  response.end(framesOf(after, upTo));
};
const refuse = (status, body = { error: { code: "not_found", message: "no such stream" } }) =>
  (_after, _request, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
const hangUp = (_after, request) => request.socket.destroy();

async function collect(stream) {
  const events = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

const resumesOf = () => server.requests.filter((request) => request.method === "GET");

describe("resuming a dropped stream", () => {
  test("it goes on after the last frame rendered: nothing twice, no gap", async () => {
    cutThenResume(3, [replay()]);
    const seen = [];
    const options = {
      apiBase: server.url,
      resumeDelaysMs: FAST,
      onReconnecting: (attempt) => seen.push(`reconnecting ${attempt}`),
      onReconnected: () => seen.push("reconnected"),
    };
    const { events, error } = await collect(streamChat(MESSAGES, options));
    assert.equal(error, undefined);
    assert.deepEqual(events, ANSWER);
    const [resume] = resumesOf();
    assert.equal(resume.url, "/api/chat/stream/stream-abc");
    assert.equal(resume.headers["last-event-id"], "3");
    assert.equal(resume.headers.accept, "text/event-stream");
    assert.equal(resume.headers["x-amz-content-sha256"], undefined, "a GET has no body to hash");
    assert.deepEqual(seen, ["reconnecting 1", "reconnected"]);
  });

  test("frames the resume sends again are dropped", async () => {
    // A server (or a proxy) that replays more than was asked for: the ids decide.
    cutThenResume(4, [(_after, _request, response) => replay()(1, _request, response)]);
    const { events, error } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.equal(error, undefined);
    assert.deepEqual(events, ANSWER);
  });

  test("the stream id comes from the start frame when no header names it", async () => {
    server.handle((request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.end(request.method === "POST" ? framesOf(0, 2) : framesOf(2));
    });
    const { events } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.deepEqual(events, ANSWER);
    assert.equal(resumesOf()[0].url, "/api/chat/stream/stream-abc");
  });

  test("a resume answered 404 leaves the answer lost, after what had arrived", async () => {
    cutThenResume(2, [refuse(404)]);
    const { events, error } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.deepEqual(events, ANSWER.slice(0, 2));
    assert.ok(error instanceof IncompleteStreamError, String(error));
    assert.equal(error.code, "answer_lost");
    assert.equal(resumesOf().length, 1, "a lost answer is not asked for again");
  });

  test("a resume answered 410 answer_lost says so in the server's words", async () => {
    cutThenResume(2, [refuse(410, { error: LOST })]);
    const { error } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.equal(error.code, "answer_lost");
    assert.equal(error.message, "The rest of this answer was lost.");
  });

  test("the journal's answer_lost and done, without ids, arrive after the replay", async () => {
    const lost = `event: error\ndata: ${JSON.stringify(LOST)}\n\n`;
    const done = `event: done\ndata: {"type":"done","stop_reason":"error"}\n\n`;
    const ending = (after, _request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.end(framesOf(after, 3) + lost + done);
    };
    cutThenResume(2, [ending]);
    const { events, error } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.equal(error, undefined);
    assert.deepEqual(events.map((e) => e.type), ["start", "text", "text", "error", "done"]);
    assert.equal(events[3].code, "answer_lost");
  });

  test("failed attempts back off as the schedule says, then the answer is incomplete", async () => {
    cutThenResume(2, [hangUp]);
    const reconnecting = [];
    const started = Date.now();
    const options = {
      apiBase: server.url,
      resumeDelaysMs: [0, 100, 200],
      onReconnecting: (attempt) => reconnecting.push([attempt, Date.now() - started]),
    };
    const { events, error } = await collect(streamChat(MESSAGES, options));
    assert.deepEqual(events, ANSWER.slice(0, 2));
    assert.ok(error instanceof IncompleteStreamError, String(error));
    assert.equal(error.code, "incomplete");
    assert.ok(error.cause instanceof NetworkError, String(error.cause));
    assert.equal(resumesOf().length, 3, "three attempts in that schedule, no fourth");
    assert.deepEqual(reconnecting.map(([attempt]) => attempt), [1, 2, 3]);
    // Each wait is at least its delay (measured from the attempts' own announcements).
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 300, `all three attempts within ${elapsed} ms`);
  });

  test("a resumed stream that delivers a frame starts the count of attempts again", async () => {
    // Two attempts allowed in a row; the answer needs four resumes, never two failures in a row.
    cutThenResume(2, [replay(3), hangUp, replay(5), replay()]);
    const { events, error } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: [0, 10] }),
    );
    assert.equal(error, undefined);
    assert.deepEqual(events, ANSWER);
    const sent = resumesOf().map((request) => request.headers["last-event-id"]);
    assert.deepEqual(sent, ["2", "3", "3", "5"]);
  });

  test("a question whose request failed before naming its stream is never sent again", async () => {
    server.handle((request) => request.socket.destroy());
    const { error } = await collect(
      streamChat(MESSAGES, { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(server.requests.length, 1);
  });

  test("each resume carries a renewed token", async () => {
    cutThenResume(2, [replay()]);
    let renewals = 0;
    const options = {
      apiBase: server.url,
      resumeDelaysMs: FAST,
      accessToken: "first",
      renewToken: async () => `renewed-${(renewals += 1)}`,
    };
    await collect(streamChat(MESSAGES, options));
    assert.equal(server.requests[0].headers["x-authorization"], "Bearer first");
    assert.equal(resumesOf()[0].headers["x-authorization"], "Bearer renewed-1");
  });

  test("a Stop while waiting to resume ends it at once as the user's abort", async () => {
    cutThenResume(2, [hangUp]);
    const controller = new AbortController();
    const options = {
      apiBase: server.url,
      signal: controller.signal,
      resumeDelaysMs: [0, 5000],
      onReconnecting: (attempt) => attempt === 2 && controller.abort(),
    };
    const started = Date.now();
    const { error } = await collect(streamChat(MESSAGES, options));
    assert.ok(isAbortError(error), String(error));
    assert.ok(Date.now() - started < 2000, "did not sit out the 5 s wait");
  });

  test("a connection silent for longer than two heartbeats is dropped and resumed", async () => {
    server.handle((request, response) => {
      response.writeHead(200, { ...SSE_HEADERS, "x-stream-id": "stream-abc" });
      // The question's connection goes quiet, as one does across a laptop's sleep.
      if (request.method === "POST") response.write(framesOf(0, 2));
      else response.end(framesOf(Number(request.headers["last-event-id"])));
    });
    const connection = new ConnectionWatch();
    const events = [];
    const options = { apiBase: server.url, resumeDelaysMs: FAST, connection };
    const watching = (async () => {
      for await (const event of streamChat(MESSAGES, options)) {
        events.push(event);
        if (events.length === 2) {
          assert.equal(connection.check(0.5), false, "not silent yet");
          await sleep(150);
          assert.equal(connection.check(0.05), true, "silent for more than 2 × 50 ms");
        }
      }
    })();
    await watching;
    assert.deepEqual(events, ANSWER);
    assert.equal(resumesOf()[0].headers["last-event-id"], "2");
    assert.equal((await server.requests[0].closed).finished, false, "the quiet one was closed");
  });
});

describe("resumeChat", () => {
  test("takes an answer up from its first frame and follows it to done", async () => {
    server.handle((request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.end(framesOf(Number(request.headers["last-event-id"])));
    });
    const { events, error } = await collect(
      resumeChat("stream-abc", { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.equal(error, undefined);
    assert.deepEqual(events, ANSWER);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].method, "GET");
    assert.equal(server.requests[0].headers["last-event-id"], "0");
  });

  test("an answer the server no longer has is lost at once", async () => {
    server.handle((_request, response) => refuse(404)(0, _request, response));
    const { events, error } = await collect(
      resumeChat("stream-old", { apiBase: server.url, resumeDelaysMs: FAST }),
    );
    assert.deepEqual(events, []);
    assert.equal(error.code, "answer_lost");
    assert.equal(server.requests[0].url, "/api/chat/stream/stream-old");
  });
});

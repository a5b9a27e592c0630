// streamChat and cancelStream against a real HTTP server on 127.0.0.1 (Node's own fetch).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";

import { EMPTY_BODY_SHA256 } from "../../web/js/body-hash.js";
import { cancelStream, streamChat } from "../../web/js/chat-client.js";
import {
  HttpError,
  IncompleteStreamError,
  isAbortError,
  NetworkError,
  ProtocolError,
  StallError,
} from "../../web/js/chat-errors.js";
import { frame, sleep, SSE_HEADERS, startServer, useServer } from "./support/http-fixture.mjs";

const MESSAGES = [{ role: "user", content: "Hello — ünïcode 😀" }];
const START = { type: "start", stream_id: "stream-abc", model: "demo" };
const DONE = { type: "done", stop_reason: "end_turn" };
const TEXT = { type: "text", text: "x" };
const ID_HEADERS = { ...SSE_HEADERS, "x-stream-id": "stream-abc" };

const server = useServer();

/**
 * Run the generator to its end; return the events and what it threw, if anything. It does not
 * resume unless a test gives it `resumeDelaysMs` ("resuming" below has those tests).
 */
async function collect(options = {}) {
  const events = [];
  try {
    const all = { apiBase: server.url, resumeDelaysMs: [], ...options };
    for await (const event of streamChat(MESSAGES, all)) {
      events.push(event);
    }
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

/** A handler that writes `parts` (strings or pauses in ms) and then ends, or not. */
function sse(parts, { end = true, headers = ID_HEADERS } = {}) {
  return async (_request, response) => {
    // Pauses end early when the client goes away, so no timer outlives its test.
    const gone = new AbortController();
    response.on("close", () => gone.abort());
    response.writeHead(200, headers);
    try {
      for (const part of parts) {
        if (typeof part === "number") await sleep(part, gone.signal);
        else response.write(part);
      }
      if (end) response.end();
    } catch {
      // The client closed the connection: nothing left to write.
    }
  };
}

describe("streamChat", () => {
  test("posts the messages with the body hash and yields the typed events in order", async () => {
    const text = { type: "text", text: "Hi" };
    const usage = { type: "usage", input_tokens: 3, output_tokens: 1 };
    server.handle(sse([frame(1, START), frame(2, text), frame(3, usage), frame(4, DONE)]));
    const { events, error } = await collect();
    assert.equal(error, undefined);
    assert.deepEqual(events, [START, text, usage, DONE]);
    const [request] = server.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.url, "/api/chat/stream");
    assert.equal(request.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(request.body.toString("utf8")), { messages: MESSAGES });
    const expected = createHash("sha256").update(request.body).digest("hex");
    assert.equal(request.headers["x-amz-content-sha256"], expected);
  });

  test("a message's files go as blocks; a body over the server's limit is never sent", async () => {
    server.handle(sse([frame(1, START), frame(2, DONE)]));
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0xff, 0x00]);
    const pdf = { name: "a.pdf", mediaType: "application/pdf", size: 7, data: new Blob([bytes]) };
    const messages = [{ role: "user", content: "Read it", attachments: [pdf] }];
    const options = { apiBase: server.url, resumeDelaysMs: [], maxBodyBytes: 1000 };
    for await (const _event of streamChat(messages, options));
    const sent = JSON.parse(server.requests[0].body.toString("utf8")).messages[0].content;
    assert.equal(Buffer.from(sent[0].source.data, "base64").equals(Buffer.from(bytes)), true);
    assert.deepEqual(sent[1], { type: "text", text: "Read it" });

    const big = { ...pdf, size: 900, data: new Blob([new Uint8Array(900)]) };
    const refused = streamChat([{ ...messages[0], attachments: [big] }], options);
    await assert.rejects(refused.next(), { code: "request_too_large" });
    assert.equal(server.requests.length, 1, "nothing was uploaded");
  });

  test("thinking and search go in the body only when asked for", async () => {
    for (const [asks, extra] of [
      [{ thinking: true, search: false }, { thinking: true }],
      [{ thinking: true, search: true }, { thinking: true, search: true }],
      [{}, {}],
    ]) {
      server.handle(sse([frame(1, START), frame(2, DONE)]));
      const { error } = await collect({ asks });
      assert.equal(error, undefined);
      const body = JSON.parse(server.requests.at(-1).body.toString("utf8"));
      assert.deepEqual(body, { messages: MESSAGES, ...extra });
    }
  });

  test("the model picked goes in the body; none leaves the deployment's default", async () => {
    for (const [model, extra] of [
      ["claude-haiku-4-5", { model: "claude-haiku-4-5" }],
      ["", {}],
      [undefined, {}],
    ]) {
      server.handle(sse([frame(1, START), frame(2, DONE)]));
      const { error } = await collect({ model, asks: { search: true } });
      assert.equal(error, undefined);
      const body = JSON.parse(server.requests.at(-1).body.toString("utf8"));
      assert.deepEqual(body, { messages: MESSAGES, ...extra, search: true });
    }
  });

  test("the v2 frames arrive typed, in stream order", async () => {
    const v2 = [
      { type: "thinking", text: "Hm" },
      { type: "thinking", redacted: true },
      { type: "tool", id: "t1", name: "web_search", input: { query: "q" } },
      { type: "tool_result", tool_use_id: "t1", results: [{ url: "https://a.example", title: "A" }] },
      { type: "citation", url: "https://a.example", title: "A", cited_text: "a" },
      { type: "refusal", explanation: "No." },
    ];
    server.handle(sse([frame(1, START), ...v2.map((event, i) => frame(i + 2, event)), frame(9, DONE)]));
    const { events, error } = await collect();
    assert.equal(error, undefined);
    assert.deepEqual(events, [START, ...v2, DONE]);
  });

  test("heartbeats and unknown event types are skipped", async () => {
    const later = `event: future\ndata: {"type":"future"}\n\n`;
    server.handle(sse([": ping\n\n", frame(1, START), ": ping\n\n", later, frame(2, DONE)]));
    const { events, error } = await collect();
    assert.equal(error, undefined);
    assert.deepEqual(events, [START, DONE]);
  });

  test("text split inside a multi-byte character arrives intact", async () => {
    const bytes = Buffer.from(frame(2, { type: "text", text: "😀€" }));
    const cut = bytes.indexOf(0xf0) + 2;
    server.handle(async (_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.write(frame(1, START));
      response.write(bytes.subarray(0, cut));
      await sleep(30);
      response.write(bytes.subarray(cut));
      response.end(frame(3, DONE));
    });
    const { events } = await collect();
    assert.deepEqual(events[1], { type: "text", text: "😀€" });
  });

  test("reports the stream id from the headers before any frame", async () => {
    server.handle(sse([100, frame(1, START), frame(2, DONE)]));
    const seen = [];
    for await (const event of streamChat(MESSAGES, {
      apiBase: server.url,
      onStreamId: (id) => seen.push(`id ${id}`),
    })) {
      seen.push(event.type);
    }
    assert.deepEqual(seen, ["id stream-abc", "start", "done"]);
  });

  test("a stream that ends without done is incomplete, after the events it had", async () => {
    server.handle(sse([frame(1, START), frame(2, { type: "text", text: "par" })]));
    const { events, error } = await collect();
    assert.deepEqual(events.map((e) => e.type), ["start", "text"]);
    assert.ok(error instanceof IncompleteStreamError, String(error));
    assert.equal(error.code, "incomplete");
  });

  test("a frame cut in the middle is incomplete, not a partial event", async () => {
    server.handle(sse([frame(1, START), 'id: 2\nevent: done\ndata: {"type":"done","stop_re']));
    const { events, error } = await collect();
    assert.deepEqual(events, [START]);
    assert.ok(error instanceof IncompleteStreamError);
  });

  test("a JSON error response becomes an HttpError with its code and field", async () => {
    const refusal = { code: "invalid_role", message: "bad role", field: "messages[0].role" };
    const body = { error: refusal };
    server.handle((_request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
    const { events, error } = await collect();
    assert.deepEqual(events, []);
    assert.ok(error instanceof HttpError);
    assert.equal(error.code, "invalid_role");
    assert.equal(error.message, "bad role");
    assert.equal(error.field, "messages[0].role");
    assert.equal(error.status, 400);
    assert.equal(error.retryable, false);
  });

  test("a provider failure before the stream is retryable (by the user)", async () => {
    const failure = { code: "provider_unavailable", message: "overloaded", request_id: "r1" };
    const body = { error: failure };
    server.handle((_request, response) => {
      response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
    const { error } = await collect();
    assert.ok(error instanceof HttpError);
    assert.equal(error.retryable, true);
    assert.equal(error.requestId, "r1");
    assert.equal(server.requests.length, 1, "never re-sent on its own");
  });

  test("a non-JSON error page still becomes an HttpError", async () => {
    server.handle((_request, response) => {
      response.writeHead(403, { "content-type": "text/html" });
      response.end("<html>denied</html>");
    });
    const { error } = await collect();
    assert.ok(error instanceof HttpError);
    assert.equal(error.code, "http_403");
  });

  test("a 200 that is not an event stream is a protocol error", async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ hello: "world" }));
    });
    const { events, error } = await collect();
    assert.deepEqual(events, []);
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "unexpected_content_type");
  });

  test("a frame that is not JSON is a protocol error", async () => {
    server.handle(sse([frame(1, START), "event: text\ndata: {not json\n\n", frame(3, DONE)]));
    const { events, error } = await collect();
    assert.deepEqual(events, [START]);
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "invalid_frame");
  });

  test("a frame whose type does not match its event is a protocol error", async () => {
    server.handle(sse(['event: text\ndata: {"type":"done","stop_reason":"x"}\n\n']));
    const { error } = await collect();
    assert.ok(error instanceof ProtocolError);
  });

  test("an unreachable server is a NetworkError", async () => {
    const gone = await startServer();
    const apiBase = gone.url;
    await gone.close();
    const { error } = await collect({ apiBase });
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.retryable, true);
  });
});

describe("watchdog", () => {
  test("heartbeats alone for longer than the idle limit end the stream as stalled", async () => {
    const pings = Array.from({ length: 40 }, () => [25, ": ping\n\n"]).flat();
    server.handle(sse([frame(1, START), frame(2, { type: "text", text: "a" }), ...pings]));
    const started = Date.now();
    const { events, error } = await collect({ firstTextTimeoutMs: 5000, idleTimeoutMs: 200 });
    assert.ok(error instanceof StallError, String(error));
    assert.equal(events.length, 2);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 200 && elapsed < 900, `gave up after ${elapsed} ms`);
    const { finished } = await server.requests[0].closed;
    assert.equal(finished, false, "the connection was closed by the client");
  });

  test("before the first text the longer first-text limit applies", async () => {
    const first = frame(2, { type: "text", text: "a" });
    server.handle(sse([frame(1, START), 300, first, frame(3, DONE)]));
    const { error } = await collect({ firstTextTimeoutMs: 2000, idleTimeoutMs: 100 });
    assert.equal(error, undefined);
  });

  test("a server that never answers the headers is stalled too", async () => {
    server.handle(() => {});
    const { error } = await collect({ firstTextTimeoutMs: 150 });
    assert.ok(error instanceof StallError, String(error));
  });

  test("regular events keep the stream alive past the idle limit", async () => {
    const texts = Array.from({ length: 6 }, (_, i) => [60, frame(i + 2, TEXT)]);
    server.handle(sse([frame(1, START), ...texts.flat(), frame(9, DONE)]));
    const { events, error } = await collect({ idleTimeoutMs: 150 });
    assert.equal(error, undefined);
    assert.equal(events.length, 8);
  });
});

describe("stopping", () => {
  test("aborting ends the generator with an AbortError and closes the request", async () => {
    server.handle(sse([frame(1, START), 5000, frame(2, DONE)]));
    const controller = new AbortController();
    const events = [];
    let caught;
    try {
      const options = { apiBase: server.url, signal: controller.signal };
      for await (const event of streamChat(MESSAGES, options)) {
        events.push(event);
        controller.abort();
      }
    } catch (error) {
      caught = error;
    }
    assert.deepEqual(events, [START]);
    assert.ok(isAbortError(caught), String(caught));
    const { finished } = await server.requests[0].closed;
    assert.equal(finished, false);
  });

  test("leaving the loop early closes the connection", async () => {
    server.handle(sse([frame(1, START), 5000, frame(2, DONE)]));
    for await (const event of streamChat(MESSAGES, { apiBase: server.url })) {
      assert.equal(event.type, "start");
      break;
    }
    const { finished } = await server.requests[0].closed;
    assert.equal(finished, false);
  });

  test("cancelStream posts an empty body with the empty-body hash", async () => {
    server.handle((_request, response) => {
      response.writeHead(202, { "content-type": "application/json" });
      response.end('{"stream_id":"a/b","cancelled":true}');
    });
    const response = await cancelStream("a/b", { apiBase: server.url });
    assert.equal(response.status, 202);
    const [request] = server.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.url, "/api/chat/stream/a%2Fb/cancel");
    assert.equal(request.body.length, 0);
    assert.equal(request.headers["x-amz-content-sha256"], EMPTY_BODY_SHA256);
    assert.equal(EMPTY_BODY_SHA256, createHash("sha256").update("").digest("hex"));
  });

  test("the access token rides in X-Authorization on the stream and the cancel, never in Authorization", async () => {
    server.handle(sse([frame(1, START), frame(2, DONE)]));
    await collect({ accessToken: "tok.en.value" });
    server.handle((_request, response) => {
      response.writeHead(202, { "content-type": "application/json" });
      response.end("{}");
    });
    await cancelStream("stream-abc", { apiBase: server.url, accessToken: "tok.en.value" });
    for (const request of server.requests) {
      assert.equal(request.headers["x-authorization"], "Bearer tok.en.value");
      assert.equal(request.headers.authorization, undefined);
    }
    assert.equal(server.requests.length, 2);
  });

  test("without a token no authorization header is sent at all", async () => {
    server.handle(sse([frame(1, START), frame(2, DONE)]));
    await collect();
    assert.equal(server.requests[0].headers["x-authorization"], undefined);
  });
});

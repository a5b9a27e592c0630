// A real HTTP server on 127.0.0.1 for the client tests: each test sets the handler, and every
// request is recorded with its exact body bytes and when its connection closed.
import http from "node:http";
import { after, before, beforeEach } from "node:test";
import { setTimeout as delay } from "node:timers/promises";

/**
 * @typedef {object} RecordedRequest
 * @property {string} method
 * @property {string} url
 * @property {http.IncomingHttpHeaders} headers
 * @property {Buffer} body
 * @property {Promise<{finished: boolean}>} closed  resolves when the response is over:
 *   `finished` is false when the client went away before the server ended it
 */

/** Start the server; `handle(fn)` sets how the following requests are answered. */
export async function startServer() {
  const requests = [];
  const sockets = new Set();
  let handler = (_request, response) => response.end();
  const server = http.createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const closed = new Promise((resolve) => {
      response.on("close", () => resolve({ finished: response.writableFinished }));
    });
    const { method, url, headers } = request;
    requests.push({ method, url, headers, body: Buffer.concat(chunks), closed });
    handler(request, response);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Answer the following requests with `fn(request, response)`. */
    handle(fn) {
      handler = fn;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * One server for a whole test file: started before its tests, closed after them, and its
 * request log cleared before each test. The returned object is filled in when it starts.
 * @returns {Awaited<ReturnType<typeof startServer>>}
 */
export function useServer() {
  const server = /** @type {Awaited<ReturnType<typeof startServer>>} */ ({});
  before(async () => {
    Object.assign(server, await startServer());
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });
  return server;
}

/** An SSE frame as the function writes it. */
export function frame(id, payload) {
  return `id: ${id}\nevent: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
};

/** Wait `ms`; rejects early if `signal` aborts. */
export const sleep = (ms, signal) => delay(ms, undefined, { signal });

// @ts-check
/**
 * The stream client: one POST, one SSE stream, typed events out.
 *
 *   for await (const event of streamChat(messages, { signal })) { ... }
 *
 * It never re-sends a request (a retry re-generates and re-bills), and a stream that ends without
 * `done` throws `IncompleteStreamError`: Lambda and CloudFront cut streams without a trailer.
 */
import { bodyHashHeaders, EMPTY_BODY_SHA256, BODY_HASH_HEADER } from "./body-hash.js";
import {
  ChatError,
  checkResponse,
  IncompleteStreamError,
  NetworkError,
  ProtocolError,
  StallError,
} from "./chat-errors.js";
import { IdleTimer } from "./idle-timer.js";
import { toStreamEvent } from "./protocol-events.js";
import { SseParseError, SseParser } from "./sse-parser.js";

/**
 * @typedef {import("./protocol-events.js").StreamEvent} StreamEvent
 * @typedef {{role: "user" | "assistant", content: string}} ChatMessage
 *
 * @typedef {object} StreamOptions
 * @property {AbortSignal} [signal]  aborting it ends the generator with an AbortError
 * @property {string} [apiBase]      prefix of the API routes; "" for the page's own origin
 * @property {string} [accessToken]  the signed-in user's access token, sent as X-Authorization
 * @property {number} [firstTextTimeoutMs]  watchdog until the first `text` event
 * @property {number} [idleTimeoutMs]  watchdog between events after that; heartbeats don't count
 * @property {(streamId: string) => void} [onStreamId]  called as soon as the response headers
 *   name the stream, before any frame, so that a Stop can cancel it at once
 * @property {Asks} [asks]  what the message asks for besides an answer
 *
 * @typedef {{thinking?: boolean, search?: boolean}} Asks  each sent only when true: a
 *   deployment that does not offer it refuses the request
 */

const DEFAULT_FIRST_TEXT_TIMEOUT_MS = 75_000;
const DEFAULT_IDLE_TIMEOUT_MS = 45_000;
export const AUTHORIZATION_HEADER = "x-authorization";

/**
 * @param {ChatMessage[]} messages
 * @param {StreamOptions} [options]
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
export async function* streamChat(messages, options = {}) {
  const asks = Object.entries(options.asks ?? {}).filter(([, on]) => on === true);
  const request = { messages, ...Object.fromEntries(asks) };
  const body = new TextEncoder().encode(JSON.stringify(request));
  const headers = {
    "content-type": "application/json",
    accept: "text/event-stream",
    ...(await bodyHashHeaders(body)),
    ...authorizationHeaders(options.accessToken),
  };
  const controller = new AbortController();
  const stopFollowing = follow(options.signal, controller);
  const timer = new IdleTimer(() => controller.abort(stalled()));
  timer.restart(options.firstTextTimeoutMs ?? DEFAULT_FIRST_TEXT_TIMEOUT_MS);
  try {
    const url = `${options.apiBase ?? ""}/api/chat/stream`;
    const init = { method: "POST", headers, body, signal: controller.signal, cache: "no-store" };
    const response = await fetch(url, /** @type {RequestInit} */ (init)).catch((error) => {
      throw failure(controller.signal, error, "The request could not be sent");
    });
    await checkResponse(response);
    const streamId = response.headers.get("x-stream-id");
    if (streamId) options.onStreamId?.(streamId);
    const stream = /** @type {ReadableStream<Uint8Array>} */ (response.body);
    yield* readEvents(stream, controller.signal, timer, options);
  } finally {
    timer.stop();
    stopFollowing();
    // Leaving early (break, return, throw) must close the connection, not leave it draining.
    controller.abort();
  }
}

/**
 * Ask the server to stop a running answer (and its upstream request). Lambda never learns that a
 * browser went away, so aborting the fetch alone would leave the answer generating and billing.
 * The fetch starts synchronously, so this works inside a `pagehide` handler; `keepalive` lets it
 * outlive the page, and unlike `sendBeacon` it can carry the body-hash header OAC requires.
 * The cancel carries the same token as the stream: only the stream's owner may stop it.
 * @param {string} streamId
 * @param {{apiBase?: string, accessToken?: string}} [options]
 * @returns {Promise<Response>}
 */
export function cancelStream(streamId, options = {}) {
  const url = `${options.apiBase ?? ""}/api/chat/stream/${encodeURIComponent(streamId)}/cancel`;
  const headers = {
    [BODY_HASH_HEADER]: EMPTY_BODY_SHA256,
    ...authorizationHeaders(options.accessToken),
  };
  return fetch(url, { method: "POST", keepalive: true, headers, cache: "no-store" });
}

/**
 * The access token goes in X-Authorization: behind CloudFront, Origin Access Control signs each
 * request to the function URL and replaces the Authorization header with its own signature.
 * @param {string | undefined} token
 * @returns {Record<string, string>}
 */
export function authorizationHeaders(token) {
  return token ? { [AUTHORIZATION_HEADER]: `Bearer ${token}` } : {};
}

/**
 * @param {ReadableStream<Uint8Array>} body
 * @param {AbortSignal} signal
 * @param {IdleTimer} timer
 * @param {StreamOptions} options
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
async function* readEvents(body, signal, timer, options) {
  const reader = body.getReader();
  const parser = new SseParser();
  let sawText = false;
  for (;;) {
    const { value, done } = await reader.read().catch((error) => {
      throw failure(signal, error, "The connection was lost while the answer streamed");
    });
    if (done) break;
    for (const frame of feed(parser, value)) {
      const event = toStreamEvent(frame);
      if (!event) continue;
      sawText ||= event.type === "text";
      timer.restart(
        sawText
          ? (options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)
          : (options.firstTextTimeoutMs ?? DEFAULT_FIRST_TEXT_TIMEOUT_MS),
      );
      yield event;
      if (event.type === "done") return;
    }
  }
  parser.end();
  throw new IncompleteStreamError("The stream ended without its final done event", {
    code: "incomplete",
    retryable: true,
  });
}

/**
 * @param {SseParser} parser
 * @param {Uint8Array} chunk
 */
function feed(parser, chunk) {
  try {
    return parser.feed(chunk);
  } catch (error) {
    if (!(error instanceof SseParseError)) throw error;
    throw new ProtocolError(error.message, { code: "frame_too_large", cause: error });
  }
}

/**
 * Map a rejected fetch or read: the caller's abort stays an AbortError, the watchdog's becomes a
 * StallError, anything else is a NetworkError.
 * @param {AbortSignal} signal
 * @param {unknown} error
 * @param {string} message
 */
function failure(signal, error, message) {
  if (signal.aborted) {
    const reason = signal.reason;
    return reason instanceof ChatError || reason instanceof DOMException ? reason : error;
  }
  return new NetworkError(message, { code: "network_error", retryable: true, cause: error });
}

function stalled() {
  return new StallError("The answer stalled: nothing arrived for too long", {
    code: "client_stall_timeout",
    retryable: true,
  });
}

/**
 * Abort `controller` when `signal` aborts, with the same reason; returns the unsubscribe.
 * @param {AbortSignal | undefined} signal
 * @param {AbortController} controller
 */
function follow(signal, controller) {
  if (!signal) return () => {};
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

// @ts-check
/**
 * The stream client: one POST, one SSE stream, typed events out.
 *
 *   for await (const event of streamChat(messages, { signal })) { ... }
 *
 * It never re-sends a request (a retry re-generates and re-bills). A stream that ends without
 * `done` (Lambda and CloudFront cut streams without a trailer, networks drop) is resumed from the
 * server's journal of the answer, after the last frame rendered (resume-plan.js); when that is no
 * longer possible it throws `IncompleteStreamError`.
 */
import { bodyHashHeaders, EMPTY_BODY_SHA256, BODY_HASH_HEADER } from "./body-hash.js";
import {
  ChatError,
  checkResponse,
  HttpError,
  IncompleteStreamError,
  NetworkError,
  ProtocolError,
  StallError,
} from "./chat-errors.js";
import { IdleTimer } from "./idle-timer.js";
import { toStreamEvent } from "./protocol-events.js";
import { FrameIds, RESUME_DELAYS_MS, resumeDelay, verdictOn } from "./resume-plan.js";
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
 * @property {() => Promise<string | undefined>} [renewToken]  a fresh access token for each
 *   resume request (instead of `accessToken`, which may have expired meanwhile)
 * @property {(attempt: number) => void} [onReconnecting]  the connection dropped: resume attempt
 *   `attempt` (from 1) follows, after its wait
 * @property {() => void} [onReconnected]  a resumed connection delivered a new frame
 * @property {import("./resume-plan.js").ConnectionWatch} [connection]  told of every byte, and
 *   able to drop a silent connection so that it is resumed
 * @property {readonly number[]} [resumeDelaysMs]  the wait before each resume attempt; the
 *   default is RESUME_DELAYS_MS, `[]` never resumes
 *
 * @typedef {(signal: AbortSignal) => Promise<Response>} Open  sends one request of an answer
 * @typedef {{streamId: string | undefined, ids: FrameIds, sawText: boolean}} Answering  what one
 *   answer's connections share
 *
 * @typedef {{thinking?: boolean, search?: boolean}} Asks  each sent only when true: a
 *   deployment that does not offer it refuses the request
 */

const DEFAULT_FIRST_TEXT_TIMEOUT_MS = 75_000;
const DEFAULT_IDLE_TIMEOUT_MS = 45_000;
export const AUTHORIZATION_HEADER = "x-authorization";
export const LAST_EVENT_ID_HEADER = "last-event-id";

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
  const url = `${options.apiBase ?? ""}/api/chat/stream`;
  /** @type {Open} */
  const ask = (signal) => fetch(url, { method: "POST", headers, body, signal, cache: "no-store" });
  yield* follow(ask, undefined, options);
}

/**
 * Take up a running (or finished) answer from its first frame: after a reload, or in another
 * tab. Every frame the server journaled is replayed, then the answer goes on live.
 * @param {string} streamId
 * @param {StreamOptions} [options]
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
export async function* resumeChat(streamId, options = {}) {
  yield* follow(undefined, streamId, options);
}

/**
 * One answer, over as many connections as it takes: the first asks the question (or, without
 * one, resumes from the start); each later one resumes after the last frame rendered.
 * @param {Open | undefined} ask
 * @param {string | undefined} streamId
 * @param {StreamOptions} options
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
async function* follow(ask, streamId, options) {
  /** @type {Answering} */
  const answering = { streamId, ids: new FrameIds(), sawText: false };
  const delays = options.resumeDelaysMs ?? RESUME_DELAYS_MS;
  let open = ask ?? resumeFrom(answering, options);
  let attempt = 0;
  for (;;) {
    /** @type {unknown} */
    let failure;
    try {
      for await (const event of connect(open, answering, options)) {
        if (attempt > 0) options.onReconnected?.();
        attempt = 0;
        yield event;
        if (event.type === "done") return;
      }
    } catch (error) {
      failure = error;
    }
    const verdict = verdictOn(failure, open !== ask);
    if (verdict === "fail" || answering.streamId === undefined) throw failure;
    if (verdict === "lost") throw lost(failure);
    attempt += 1;
    const delay = resumeDelay(attempt, delays);
    // With no attempt to make at all (resuming is off), the failure stands as it is.
    if (delay === undefined) throw attempt === 1 ? failure : gaveUp(failure);
    options.onReconnecting?.(attempt);
    await pause(delay, options.signal);
    open = resumeFrom(answering, options);
  }
}

/**
 * One connection: open it, check the response, and yield its new events until it ends.
 * @param {Open} open
 * @param {Answering} answering
 * @param {StreamOptions} options
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
async function* connect(open, answering, options) {
  const controller = new AbortController();
  const stopFollowing = follows(options.signal, controller);
  const timer = new IdleTimer(() => controller.abort(stalled()));
  timer.restart(watchdogLimit(answering, options));
  options.connection?.attach(() => controller.abort(silent()));
  answering.ids.connected();
  try {
    const response = await open(controller.signal).catch((error) => {
      throw failure(controller.signal, error, "The request could not be sent");
    });
    await checkResponse(response);
    const streamId = response.headers.get("x-stream-id");
    if (streamId && answering.streamId === undefined) {
      answering.streamId = streamId;
      options.onStreamId?.(streamId);
    }
    const stream = /** @type {ReadableStream<Uint8Array>} */ (response.body);
    yield* readEvents(stream, controller.signal, timer, answering, options);
  } finally {
    timer.stop();
    stopFollowing();
    // Leaving early (break, return, throw) must close the connection, not leave it draining.
    controller.abort();
  }
}

/**
 * The request that resumes the answer after the last frame rendered, with a fresh token: a
 * long answer may outlive the one it started with.
 * @param {Answering} answering
 * @param {StreamOptions} options
 * @returns {Open}
 */
function resumeFrom(answering, options) {
  return async (signal) => {
    const id = encodeURIComponent(answering.streamId ?? "");
    const token = options.renewToken ? await options.renewToken() : options.accessToken;
    const headers = {
      accept: "text/event-stream",
      [LAST_EVENT_ID_HEADER]: String(answering.ids.lastId),
      ...authorizationHeaders(token),
    };
    const url = `${options.apiBase ?? ""}/api/chat/stream/${id}`;
    return fetch(url, { method: "GET", headers, signal, cache: "no-store" });
  };
}

/**
 * Ask the server to stop a running answer (and its upstream request). Lambda never learns that a
 * browser went away, so aborting the fetch alone would leave the answer generating and billing.
 * `keepalive` lets it outlive the page, and unlike `sendBeacon` it can carry the body-hash header
 * OAC requires.
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
 * @param {Answering} answering
 * @param {StreamOptions} options
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
async function* readEvents(body, signal, timer, answering, options) {
  const reader = body.getReader();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read().catch((error) => {
      throw failure(signal, error, "The connection was lost while the answer streamed");
    });
    if (done) break;
    // Heartbeats count here: the connection is alive, though the answer may be paused.
    options.connection?.heard();
    for (const frame of feed(parser, value)) {
      // A frame replayed by a resume was rendered already.
      if (!answering.ids.accept(frame.id)) continue;
      const event = toStreamEvent(frame);
      if (!event) continue;
      if (event.type === "start") answering.streamId ??= event.stream_id;
      answering.sawText ||= event.type === "text";
      timer.restart(watchdogLimit(answering, options));
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
 * @param {Answering} answering
 * @param {StreamOptions} options
 */
function watchdogLimit(answering, options) {
  return answering.sawText
    ? (options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)
    : (options.firstTextTimeoutMs ?? DEFAULT_FIRST_TEXT_TIMEOUT_MS);
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

function silent() {
  return new NetworkError("The connection went silent", { code: "network_error", retryable: true });
}

/**
 * The server no longer has the rest of the answer (or the stream at all).
 * @param {unknown} cause
 */
function lost(cause) {
  const said = cause instanceof HttpError && cause.code === "answer_lost" ? cause.message : "";
  return new IncompleteStreamError(said || "The answer can no longer be resumed", {
    code: "answer_lost",
    cause,
  });
}

/**
 * Every resume attempt failed without a new frame.
 * @param {unknown} cause
 */
function gaveUp(cause) {
  return new IncompleteStreamError("The connection was lost and could not be resumed", {
    code: "incomplete",
    retryable: true,
    cause,
  });
}

/**
 * Wait `ms`, or until `signal` aborts (then reject with its reason, as fetch would).
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<void>}
 */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Abort `controller` when `signal` aborts, with the same reason; returns the unsubscribe.
 * @param {AbortSignal | undefined} signal
 * @param {AbortController} controller
 */
function follows(signal, controller) {
  if (!signal) return () => {};
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

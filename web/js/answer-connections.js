// @ts-check
/**
 * One answer over as many connections as it takes (chat-client.js opens them): each connection's
 * response is checked, its SSE frames parsed and typed, a frame already rendered dropped, and a
 * connection that fails before `done` is followed by a resume, when resume-plan.js says so.
 */
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
 * @typedef {import("./chat-client.js").StreamOptions} StreamOptions
 * @typedef {import("./chat-client.js").Open} Open
 * @typedef {import("./chat-client.js").Resume} Resume
 * @typedef {{streamId: string | undefined, ids: FrameIds, sawText: boolean}} Answering  what one
 *   answer's connections share
 */

const DEFAULT_FIRST_TEXT_TIMEOUT_MS = 75_000;
const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

/**
 * One answer, over as many connections as it takes: the first asks the question (or, without
 * one, resumes from the start); each later one resumes after the last frame rendered.
 * @param {Open | undefined} ask
 * @param {string | undefined} streamId  known already when there is no question to ask
 * @param {Resume} resume
 * @param {StreamOptions} options
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
export async function* followAnswer(ask, streamId, resume, options) {
  /** @type {Answering} */
  const answering = { streamId, ids: new FrameIds(), sawText: false };
  const delays = options.resumeDelaysMs ?? RESUME_DELAYS_MS;
  const resumeNow = () => resume(answering.streamId ?? "", answering.ids.lastId);
  let open = ask ?? resumeNow();
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
    open = resumeNow();
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

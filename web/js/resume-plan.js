// @ts-check
/**
 * When a dropped answer stream is taken up again, and which of its frames are new. Pure: the
 * stream client (chat-client.js) follows what these say; docs/page.md, "Resuming an answer".
 *
 * The server keeps every frame of an answer (its journal) and replays those after a given id
 * (`GET /api/chat/stream/{id}` with `Last-Event-ID`), so a dropped connection costs nothing but
 * a new request: never a re-sent question, which would generate and bill the answer again.
 */
import { HttpError, IncompleteStreamError, NetworkError, StallError } from "./chat-errors.js";

/**
 * Wait before each resume attempt: the first at once (most drops are a blip), then 0.5, 1, 2,
 * 4 and 8 s. Six attempts in a row without a new frame, and the answer is given up.
 */
export const RESUME_DELAYS_MS = Object.freeze([0, 500, 1000, 2000, 4000, 8000]);

/**
 * The wait before resume attempt `attempt` (counted from 1 since the last new frame), or
 * `undefined` once `delays` has none left: then the answer is incomplete.
 * @param {number} attempt
 * @param {readonly number[]} [delays]
 * @returns {number | undefined}
 */
export function resumeDelay(attempt, delays = RESUME_DELAYS_MS) {
  if (!Number.isInteger(attempt) || attempt < 1) return undefined;
  return delays[attempt - 1];
}

/**
 * @typedef {"resume" | "lost" | "fail"} Verdict  resume the stream; the answer is lost for good
 *   (incomplete); or the failure stands as it is (an error, or the user's own Stop)
 */

// The journal does not know the stream (unknown, expired, another user's) or ends for good.
const GONE = [404, 410];

/**
 * What to do after a connection of an answer stream failed with `error`.
 * @param {unknown} error
 * @param {boolean} resuming  the failed request was a resume, not the question itself: a refusal
 *   of the question is final, while a resume may meet a passing 5xx or an expired token
 * @returns {Verdict}
 */
export function verdictOn(error, resuming) {
  if (error instanceof NetworkError || error instanceof StallError) return "resume";
  if (error instanceof IncompleteStreamError) return "resume";
  if (!(error instanceof HttpError) || !resuming) return "fail";
  if (GONE.includes(error.status ?? 0)) return "lost";
  // 401: the token may have expired meanwhile; the next attempt asks for a fresh one.
  return error.retryable || error.status === 401 ? "resume" : "lost";
}

/**
 * The ids of the frames rendered so far, across every connection of one answer. The server
 * numbers each frame it journals (1, 2, …) and a resume replays them with the same ids, so a
 * frame whose id is not above the last one rendered was seen already and is dropped.
 *
 * A frame may also carry no `id:` line (the resume stream's `answer_lost` error and the `done`
 * after it): the SSE parser then reports the last id seen on this connection again, and such a
 * frame is always new. Within one connection the server's ids strictly increase, so an id that
 * did not move means the frame had none of its own.
 */
export class FrameIds {
  lastId = 0;
  #connectionId = "";

  /** A new connection starts: its parser has seen no id yet. */
  connected() {
    this.#connectionId = "";
  }

  /**
   * Whether the frame with SSE id `id` is new; if so it counts as rendered.
   * @param {string} id  the parser's last event id for this frame
   */
  accept(id) {
    if (id === this.#connectionId) return true;
    this.#connectionId = id;
    if (!/^\d+$/.test(id)) return true;
    const number = Number(id);
    if (number <= this.lastId) return false;
    this.lastId = number;
    return true;
  }
}

/**
 * Whether a connection that received its last byte at `lastByteAt` (ms) has been silent for
 * longer than the server ever is: it sends a heartbeat every `heartbeatS` seconds, so two missed
 * ones mean the connection is dead (a laptop that slept, a phone that changed networks) even if
 * the browser has not noticed yet.
 * @param {number} lastByteAt
 * @param {number} now
 * @param {number} heartbeatS
 */
export function isSilent(lastByteAt, now, heartbeatS) {
  return now - lastByteAt > 2 * heartbeatS * 1000;
}

/**
 * The live connection of one answer, as the page checks it (a tab back from the background, a
 * browser back online): when it last received a byte, and how to drop it so that the stream
 * client resumes it.
 */
export class ConnectionWatch {
  #clock;
  #lastByteAt;
  /** @type {(() => void) | undefined} */
  #drop = undefined;

  /** @param {() => number} [clock]  milliseconds; `performance.now` in the page */
  constructor(clock = () => performance.now()) {
    this.#clock = clock;
    this.#lastByteAt = clock();
  }

  /**
   * A new connection opens: silence is counted from now, and `drop` ends it.
   * @param {() => void} drop
   */
  attach(drop) {
    this.#drop = drop;
    this.#lastByteAt = this.#clock();
  }

  /** Bytes arrived (frames or heartbeats). */
  heard() {
    this.#lastByteAt = this.#clock();
  }

  /**
   * Drop the connection if it has been silent for longer than the server ever is.
   * @param {number} heartbeatS
   * @returns {boolean} whether it was dropped
   */
  check(heartbeatS) {
    if (!this.#drop || !isSilent(this.#lastByteAt, this.#clock(), heartbeatS)) return false;
    return this.drop();
  }

  /**
   * Drop the connection now (the browser went offline: whatever it still holds is dead).
   * @returns {boolean} whether there was one to drop
   */
  drop() {
    const drop = this.#drop;
    this.#drop = undefined;
    drop?.();
    return drop !== undefined;
  }
}

// @ts-check
/**
 * One attempt at answering one turn: drives `streamChat`, feeds the turn's view, and implements
 * Stop. Stop means cancel: Lambda never learns that the browser went away, so besides aborting
 * the fetch, the cancel route is called with the stream id so the upstream request stops too.
 */
import { cancelStream, resumeChat, streamChat } from "./chat-client.js";
import { ChatError, HttpError, IncompleteStreamError, isAbortError } from "./chat-errors.js";
import { watchdogTimeouts } from "./config.js";
import { emptyParts, foldEvent, settleParts, stopTellsWhy } from "./answer-parts.js";
import { describeError } from "./error-messages.js";
import { ConnectionWatch } from "./resume-plan.js";
import { formatStats, StreamStats } from "./stream-stats.js";

/**
 * @typedef {import("./conversation.js").Answer} Answer
 * @typedef {import("./conversation.js").TurnStatus} TurnStatus
 * @typedef {import("./chat-client.js").ChatMessage} ChatMessage
 * @typedef {import("./config.js").PageConfig} PageConfig
 * @typedef {import("./turn-view.js").TurnView} TurnView
 * @typedef {import("./protocol-events.js").StreamEvent} StreamEvent
 * @typedef {import("./conversation.js").ErrorInfo} ErrorInfo
 * @typedef {{status: TurnStatus, note?: string, error?: ErrorInfo, stopReason?: string}} Outcome
 *
 * @typedef {object} Credentials  the signed-in session, as an answer needs it (auth.js)
 * @property {() => Promise<string | undefined>} accessToken  a fresh token, or none
 * @property {() => string | undefined} currentToken  the token as it is, without waiting
 * @property {() => Promise<boolean>} rejected  the API answered 401; whether still signed in
 */

const UNAUTHORIZED = { code: "unauthorized", message: "The server needs a signed-in user" };
const RENEWED = { code: "session_renewed", message: "The server refused the old sign-in" };
const UNKNOWN_STREAM = { code: "answer_lost", message: "The answer's stream was never named" };

// After a Stop, how long to keep the request open waiting for the stream id to cancel with,
// before giving up and just closing it.
const STOP_WAIT_MS = 15_000;

/** @type {Record<string, string>} */
const STOP_NOTES = {
  max_tokens: "reached the length limit",
  refusal: "the model declined",
  stop_sequence: "hit a stop sequence",
};

export class AnswerRun {
  #answer;
  #view;
  #config;
  #onStatus;
  #credentials;
  #asks;
  #model;
  #resumeDelaysMs;
  #controller = new AbortController();
  /** @type {string | undefined} */
  #streamId = undefined;
  #stopRequested = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #stopWait = undefined;
  #settled = false;
  #stats = new StreamStats(performance.now());
  /** @type {ErrorInfo | undefined} */
  #inBandError = undefined;
  /** @type {string | undefined} */
  #stopReason = undefined;
  /** @type {import("./protocol-events.js").UsageEvent | undefined} */
  #usage = undefined;
  #connection = new ConnectionWatch();
  // Resuming from the stream's first frame: the answer is rebuilt when that frame arrives.
  #replaying = false;
  // It was: a replay's timing says how fast the journal was read, not how fast the model wrote.
  #replayed = false;

  /**
   * @param {object} options
   * @param {Answer} options.answer  filled in as the stream goes; a continuation appends to it
   * @param {TurnView} options.view
   * @param {PageConfig} options.config
   * @param {(status: TurnStatus, detail?: string) => void} options.onStatus  after every change
   *   of the turn's status; `detail` is the note or the error's title, for announcing
   * @param {Credentials} [options.credentials]  when the API needs a signed-in user
   * @param {import("./chat-client.js").Asks} [options.asks]  thinking, search: what the
   *   message asks for
   * @param {string} [options.model]  the model picked for it; none: the deployment's default
   * @param {readonly number[]} [options.resumeDelaysMs]  the wait before each resume attempt of
   *   a dropped stream (resume-plan.js has the page's)
   */
  constructor(options) {
    this.#asks = options.asks;
    this.#model = options.model;
    this.#resumeDelaysMs = options.resumeDelaysMs;
    this.#credentials = options.credentials;
    this.#answer = options.answer;
    this.#view = options.view;
    this.#config = options.config;
    this.#onStatus = options.onStatus;
  }

  /**
   * Stream the answer to the end. Never re-sends: a regenerate is a new AnswerRun, on a click.
   * @param {ChatMessage[]} history
   */
  async run(history) {
    // A continuation goes on with what the answer streamed so far, but will stop anew; a
    // thinking left open by a page that closed was timed by that page's clock.
    if (this.#answer.parts) delete this.#answer.parts.stop;
    delete this.#answer.parts?.thinking?.openedAt;
    // What a resume from the stream's first frame starts again from.
    const parts = structuredClone(this.#answer.parts);
    this.#answer.resumeBase = { text: this.#answer.text, parts };
    this.#setStatus("sending");
    await this.#follow((options) => streamChat(history, options));
  }

  /**
   * Take up an answer that was streaming when the page went away (or that streams in another
   * tab): its stream is replayed from the first frame, and the answer re-rendered from what it
   * held before that stream began; what was shown stays until the replay starts.
   */
  async resume() {
    const streamId = this.#answer.streamId;
    if (!streamId) {
      this.#settle({ status: "incomplete", error: UNKNOWN_STREAM });
      return;
    }
    this.#streamId = streamId;
    this.#replaying = true;
    this.#setStatus("reconnecting");
    await this.#follow((options) => resumeChat(streamId, options));
  }

  /**
   * The tab is visible again: a connection that heard nothing for longer than the server's
   * heartbeats allow is dead though the browser has not noticed, and is resumed now.
   */
  wake() {
    if (!this.#settled) this.#connection.check(this.#config.heartbeatS);
  }

  /**
   * The browser went offline: its connection is dead (the network under it is gone), so it is
   * dropped now and resumed with the usual backoff rather than left to hang.
   */
  offline() {
    if (!this.#settled) this.#connection.drop();
  }

  /**
   * @param {(options: import("./chat-client.js").StreamOptions) =>
   *   AsyncGenerator<StreamEvent, void, undefined>} stream
   */
  async #follow(stream) {
    const credentials = this.#credentials;
    const accessToken = await credentials?.accessToken();
    if (credentials && !accessToken) {
      this.#settle({ status: "error", error: UNAUTHORIZED });
      return;
    }
    const options = {
      signal: this.#controller.signal,
      apiBase: this.#config.apiBase,
      accessToken,
      renewToken: credentials && (() => credentials.accessToken()),
      ...watchdogTimeouts(this.#config),
      onStreamId: (/** @type {string} */ id) => this.#onStreamId(id),
      onReconnecting: () => this.#reconnecting(true),
      onReconnected: () => this.#reconnecting(false),
      connection: this.#connection,
      resumeDelaysMs: this.#resumeDelaysMs,
      asks: this.#asks,
      maxBodyBytes: this.#config.attachments.maxRequestBytes || undefined,
      model: this.#model,
    };
    try {
      for await (const event of stream(options)) {
        if (event.type === "start") this.#onStreamId(event.stream_id);
        // After a Stop the request stays open only until the stream id arrives.
        if (!this.#settled) this.#handle(event);
      }
      this.#settle(this.#outcomeOfDone());
    } catch (error) {
      if (error instanceof HttpError && error.status === 401 && this.#credentials) {
        // A token refused before its time (revoked, or this clock is off): one renewal decides.
        const renewed = await this.#credentials.rejected();
        this.#settle({ status: "error", error: renewed ? RENEWED : UNAUTHORIZED });
      } else {
        this.#settle(outcomeOfError(error));
      }
    } finally {
      clearTimeout(this.#stopWait);
    }
  }

  /** Stop the answer: settle it as stopped now, and cancel it on the server. */
  stop() {
    if (this.#settled) return;
    this.#stopRequested = true;
    this.#settle({ status: "stopped", stopReason: "user" });
    if (this.#streamId) this.#cancel(this.#streamId);
    else this.#stopWait = setTimeout(() => this.#controller.abort(), STOP_WAIT_MS);
  }

  /** @param {StreamEvent} event */
  #handle(event) {
    switch (event.type) {
      case "start":
        if (this.#replaying) this.#restart();
        this.#answer.model = event.model;
        this.#answer.streamId = event.stream_id;
        this.#view.setModel(event.model);
        this.#setStatus("streaming");
        break;
      case "text":
        if (this.#answer.parts) this.#fold(event);
        this.#answer.text += event.text;
        this.#stats.onText(event.text, performance.now());
        this.#view.appendText(event.text);
        this.#view.setStats(formatStats(this.#stats.snapshot(performance.now())));
        break;
      case "usage":
        this.#stats.onUsage(event);
        this.#usage = event;
        this.#fold(event);
        break;
      case "error":
        this.#inBandError = {
          code: event.code,
          message: event.message,
          requestId: event.request_id,
        };
        break;
      case "done":
        this.#stopReason = event.stop_reason;
        this.#fold(event);
        break;
      default:
        this.#fold(event);
    }
  }

  /**
   * Fold an event into the answer's parts (answer-parts.js). An answer that streams nothing but
   * text, and ends as answers do, is kept without any.
   * @param {StreamEvent} event
   */
  #fold(event) {
    const reason = event.type === "usage" || event.type === "done" ? event.stop_reason : undefined;
    const plain = event.type === "text" || event.type === "usage" || event.type === "done";
    if (!this.#answer.parts && plain && !stopTellsWhy(reason)) return;
    if (!this.#answer.parts) {
      this.#answer.parts = emptyParts();
      this.#view.setParts(this.#answer.parts);
    }
    const at = this.#answer.text.length;
    const citation = foldEvent(this.#answer.parts, event, at, performance.now());
    if (citation) this.#view.cite(citation.source);
    else this.#view.partsChanged();
  }

  /**
   * A replay from the stream's first frame begins: the answer goes back to what it held before
   * that stream (nothing, or the text a continuation went on from), so nothing shows twice.
   */
  #restart() {
    this.#replaying = false;
    this.#replayed = true;
    const base = this.#answer.resumeBase ?? { text: "" };
    this.#answer.text = base.text;
    this.#answer.parts = structuredClone(base.parts);
    if (!this.#answer.parts) delete this.#answer.parts;
    this.#stats = new StreamStats(performance.now());
    this.#view.showAnswer(this.#answer);
    this.#view.startAnswer(this.#answer.prompt, { continuing: true });
  }

  /** @param {boolean} dropped  the connection dropped, or a resumed one delivered a frame */
  #reconnecting(dropped) {
    if (!this.#settled) this.#setStatus(dropped ? "reconnecting" : "streaming");
  }

  /** @returns {Outcome} */
  #outcomeOfDone() {
    const error = this.#inBandError;
    // The resume stream's word that the journal ends for good: the rest will never come.
    if (error?.code === "answer_lost") return { status: "incomplete", error };
    if (error || this.#stopReason === "error") {
      const fallback = { code: "internal_error", message: "The answer ended with an error" };
      return { status: "error", error: error ?? fallback };
    }
    if (this.#stopReason === "cancelled") return { status: "stopped", stopReason: "user" };
    const stopReason = this.#stopReason;
    const note = STOP_NOTES[stopReason ?? ""];
    return note ? { status: "done", note, stopReason } : { status: "done", stopReason };
  }

  /** @param {string} id */
  #onStreamId(id) {
    if (this.#streamId) return;
    this.#streamId = id;
    // Saved with the answer as soon as it is known: a reload resumes the stream by it.
    this.#answer.streamId = id;
    if (this.#stopRequested) this.#cancel(id);
  }

  /** @param {string} id */
  #cancel(id) {
    const accessToken = this.#credentials?.currentToken();
    cancelStream(id, { apiBase: this.#config.apiBase, accessToken }).catch((error) => {
      console.warn("cancelling the stream failed", error);
    });
    this.#controller.abort();
  }

  /** @param {Outcome} outcome */
  #settle(outcome) {
    if (this.#settled) return;
    this.#settled = true;
    const snapshot = this.#stats.snapshot(performance.now(), true);
    const usage = this.#usage;
    const timed = !this.#replayed;
    this.#answer.stats = {
      ttftMs: timed ? snapshot.ttftMs : undefined,
      tokensPerSecond: timed ? snapshot.tokensPerSecond : undefined,
      outputTokens: snapshot.tokens,
      estimated: snapshot.estimated,
      inputTokens: usage?.input_tokens,
      costUsd: usage?.cost_usd,
      webSearches: usage?.web_search_requests || undefined,
      webFetches: usage?.web_fetch_requests || undefined,
    };
    if (this.#answer.parts) settleParts(this.#answer.parts, performance.now());
    delete this.#answer.resumeBase;
    const finalStats = formatStats(snapshot);
    if (finalStats) this.#view.setStats(finalStats);
    this.#view.finish();
    this.#answer.error = outcome.error;
    this.#answer.note = outcome.note;
    this.#answer.stopReason = outcome.stopReason;
    const error = outcome.error && describeError(outcome.error);
    this.#view.showError(error);
    this.#setStatus(outcome.status, outcome.note, error?.title);
  }

  /**
   * @param {TurnStatus} status
   * @param {string} [note]
   * @param {string} [errorTitle]
   */
  #setStatus(status, note, errorTitle) {
    this.#answer.status = status;
    this.#view.setStatus(status, note);
    this.#onStatus(status, errorTitle ?? note);
  }
}

/**
 * @param {unknown} error
 * @returns {Outcome}
 */
function outcomeOfError(error) {
  // An abort nobody asked for here (e.g. the page is going away) still means "stopped".
  if (isAbortError(error)) return { status: "stopped", stopReason: "user" };
  if (error instanceof ChatError) {
    const info = { code: error.code, message: error.message, requestId: error.requestId };
    const status = error instanceof IncompleteStreamError ? "incomplete" : "error";
    return { status, error: info };
  }
  console.error(error);
  return { status: "error", error: { code: "client_error", message: String(error) } };
}

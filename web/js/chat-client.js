// @ts-check
/**
 * The stream client: one POST, its SSE stream (over more connections when one drops), typed
 * events out.
 *
 *   for await (const event of streamChat(messages, { signal })) { ... }
 *
 * It never re-sends a request (a retry re-generates and re-bills). A stream that ends without
 * `done` (Lambda and CloudFront cut streams without a trailer, networks drop) is resumed from the
 * server's journal of the answer, after the last frame rendered (resume-plan.js); when that is no
 * longer possible it throws `IncompleteStreamError`.
 */
import { bodyHashHeaders, EMPTY_BODY_SHA256, BODY_HASH_HEADER } from "./body-hash.js";
import { followAnswer } from "./answer-connections.js";
import { wireMessages } from "./attachments.js";
import { ChatError } from "./chat-errors.js";

/**
 * @typedef {import("./protocol-events.js").StreamEvent} StreamEvent
 * @typedef {import("./attachments.js").Message} ChatMessage  a user message's `attachments`
 *   travel as blocks before its text
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
 * @property {number} [maxBodyBytes]  the largest body the server takes: a larger one (files of
 *   the whole conversation) is refused here, `request_too_large`, rather than uploaded in vain
 * @property {string} [model]  the model to answer; none: the deployment's default
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
 * @typedef {(streamId: string, lastId: number) => Open} Resume  the request that resumes an
 *   answer after frame `lastId`
 *
 * @typedef {{thinking?: boolean, search?: boolean}} Asks  each sent only when true: a
 *   deployment that does not offer it refuses the request
 */

export const AUTHORIZATION_HEADER = "x-authorization";
export const LAST_EVENT_ID_HEADER = "last-event-id";

/**
 * @param {ChatMessage[]} messages
 * @param {StreamOptions} [options]
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
export async function* streamChat(messages, options = {}) {
  const asks = Object.entries(options.asks ?? {}).filter(([, on]) => on === true);
  const model = options.model ? { model: options.model } : {};
  const request = { messages: await wireMessages(messages), ...model, ...Object.fromEntries(asks) };
  const body = new TextEncoder().encode(JSON.stringify(request));
  if (options.maxBodyBytes && body.length > options.maxBodyBytes) {
    const sizes = `${body.length} bytes; the server takes at most ${options.maxBodyBytes}`;
    throw new ChatError(`The request would be ${sizes}`, { code: "request_too_large" });
  }
  const headers = {
    "content-type": "application/json",
    accept: "text/event-stream",
    ...(await bodyHashHeaders(body)),
    ...authorizationHeaders(options.accessToken),
  };
  const url = `${options.apiBase ?? ""}/api/chat/stream`;
  /** @type {Open} */
  const ask = (signal) => fetch(url, { method: "POST", headers, body, signal, cache: "no-store" });
  yield* followAnswer(ask, undefined, resumeRequest(options), options);
}

/**
 * Take up a running (or finished) answer from its first frame: after a reload, or in another
 * tab. Every frame the server journaled is replayed, then the answer goes on live.
 * @param {string} streamId
 * @param {StreamOptions} [options]
 * @returns {AsyncGenerator<StreamEvent, void, undefined>}
 */
export async function* resumeChat(streamId, options = {}) {
  yield* followAnswer(undefined, streamId, resumeRequest(options), options);
}

/**
 * The request that resumes the answer after frame `lastId`, with a fresh token: a long answer
 * may outlive the one it started with.
 * @param {StreamOptions} options
 * @returns {Resume}
 */
function resumeRequest(options) {
  return (streamId, lastId) => async (signal) => {
    const token = options.renewToken ? await options.renewToken() : options.accessToken;
    const headers = {
      accept: "text/event-stream",
      [LAST_EVENT_ID_HEADER]: String(lastId),
      ...authorizationHeaders(token),
    };
    const url = `${options.apiBase ?? ""}/api/chat/stream/${encodeURIComponent(streamId)}`;
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

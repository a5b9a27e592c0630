// @ts-check
/**
 * The errors `streamChat` throws. Each has a stable `code` the page switches on (never the
 * message), and `retryable`: whether a retry *by the user* may succeed. Nothing retries on its own.
 * In-band `error` frames are not thrown: they are yielded as events, and `done` still follows.
 */

/**
 * @typedef {object} ChatErrorDetails
 * @property {string} code
 * @property {boolean} [retryable]
 * @property {number} [status]      HTTP status, for errors that had a response
 * @property {string} [requestId]   the provider's request id, for support
 * @property {string} [field]       the request field a 400 points at
 * @property {unknown} [cause]
 */

export class ChatError extends Error {
  /**
   * @param {string} message
   * @param {ChatErrorDetails} details
   */
  constructor(message, details) {
    super(message, { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.retryable = details.retryable ?? false;
    this.status = details.status;
    this.requestId = details.requestId;
    this.field = details.field;
  }
}

/** The server refused the request with a JSON error (or a non-JSON error page) and no stream. */
export class HttpError extends ChatError {}

/** The response is not the protocol: wrong content-type, a frame that is not valid JSON. */
export class ProtocolError extends ChatError {}

/** The connection failed: offline, DNS, reset while reading. */
export class NetworkError extends ChatError {}

/** The stream ended without `done`: a timeout or a proxy cut it. Never a success. */
export class IncompleteStreamError extends ChatError {}

/** Nothing but heartbeats (or nothing at all) for longer than the server would ever stay idle. */
export class StallError extends ChatError {}

/**
 * Throw the typed error for a response that is not an answer stream. Status and content-type
 * are checked before a byte of the body is read; a JSON error body gives the code and message.
 * @param {Response} response
 */
export async function checkResponse(response) {
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok) throw await httpError(response, type);
  if (!type.startsWith("text/event-stream") || !response.body) {
    throw new ProtocolError(`Expected an event stream, got "${type || "no content-type"}"`, {
      code: "unexpected_content_type",
      status: response.status,
    });
  }
}

/**
 * @param {Response} response
 * @param {string} type
 */
async function httpError(response, type) {
  const status = response.status;
  // 429 and 5xx are worth a retry by the user; 4xx means the request itself was refused.
  const retryable = status === 429 || status >= 500;
  if (type.includes("json")) {
    const payload = await response.json().catch(() => undefined);
    const error = payload?.error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      return new HttpError(error.message, {
        code: error.code,
        status,
        retryable,
        requestId: error.request_id,
        field: error.field,
      });
    }
  }
  const reason = response.statusText ? ` ${response.statusText}` : "";
  return new HttpError(`The server answered ${status}${reason}`, {
    code: `http_${status}`,
    status,
    retryable,
  });
}

/**
 * Whether an exception is the caller's own abort (Stop), which is not an error to report.
 * @param {unknown} error
 */
export function isAbortError(error) {
  return error instanceof DOMException && error.name === "AbortError";
}

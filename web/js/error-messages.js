// @ts-check
/**
 * What to tell a person about an error code. The code is stable; the server's own message
 * becomes the detail line, next to the code and the provider's request id.
 */

/**
 * One title for every code the server sends (docs/protocol.md, "Error codes"); a test checks
 * this list against the server's registry of codes, both ways.
 * @type {Readonly<Record<string, string>>}
 */
export const SERVER_TITLES = Object.freeze({
  invalid_event: "The server did not accept this request.",
  invalid_json: "The server did not accept this request.",
  invalid_body: "The server did not accept this request.",
  invalid_field: "The server did not accept this request.",
  invalid_messages: "The server did not accept this request.",
  invalid_role: "The server did not accept this request.",
  invalid_content: "A message has no text the server can accept.",
  invalid_max_tokens: "The server did not accept this request.",
  model_not_allowed: "This model is not available on this server.",
  feature_not_allowed: "Thinking or web search is not available on this server.",
  system_not_allowed: "This server does not accept a custom system prompt.",
  too_many_messages: "This conversation is too long. Start a new chat.",
  too_many_characters: "This conversation is too long. Start a new chat.",
  invalid_stream_id: "The server did not accept this request.",
  not_found: "The server does not offer this address.",
  method_not_allowed: "The server did not accept this request.",
  payload_too_large: "This conversation is too long. Start a new chat.",
  attachment_too_large: "A file is larger than this server accepts.",
  unsupported_media_type: "A file is not an image or PDF this server accepts.",
  too_many_attachments: "Too many files in one message.",
  invalid_attachment: "A file could not be read by the server.",
  provider_unavailable: "The model is temporarily unavailable.",
  rate_limited: "Too many requests right now. Wait a moment, then retry.",
  provider_rejected: "The model provider refused the request.",
  provider_protocol_error: "The model provider sent a broken answer.",
  provider_error: "The model provider failed.",
  first_token_timeout: "The model took too long to start answering.",
  stall_timeout: "The answer stalled.",
  deadline: "The answer ran out of time.",
  shutdown: "The server is restarting. Try again in a moment.",
  answer_lost: "The rest of this answer was lost.",
  internal_error: "Something went wrong on the server.",
  unauthorized: "Sign in to continue.",
  limit_concurrent: "Too many answers at once. Wait for one to finish, then retry.",
  limit_rate: "Too many questions in a short time. Wait a minute, then retry.",
  limit_tokens: "You have used today's allowance of answers. Come back tomorrow.",
  auth_unavailable: "Sign-in cannot be checked right now. Wait a moment, then retry.",
});

/**
 * Codes the client itself gives to what went wrong on its side of the connection.
 * @type {Readonly<Record<string, string>>}
 */
export const CLIENT_TITLES = Object.freeze({
  incomplete: "The answer was cut off before it finished.",
  client_stall_timeout: "The connection stalled: nothing arrived for too long.",
  network_error: "Could not reach the server. Check your connection.",
  unexpected_content_type: "The server sent something other than an answer stream.",
  invalid_frame: "The server sent a malformed answer stream.",
  frame_too_large: "The server sent a malformed answer stream.",
  // A 401 was followed by a successful token renewal: the question can be sent again.
  session_renewed: "Your sign-in was renewed. Retry to send the question again.",
  // The request, with the files of the whole conversation, is more than the server accepts.
  request_too_large:
    "This conversation, with its files, is more than the server accepts in one request. " +
    "Start a new chat.",
});

/** @type {Readonly<Record<string, string>>} */
const TITLES = { ...SERVER_TITLES, ...CLIENT_TITLES };

/**
 * @param {{code: string, message: string, requestId?: string | undefined}} error
 * @returns {{title: string, detail: string}}
 */
export function describeError(error) {
  const title = TITLES[error.code] ?? fallbackTitle(error.code);
  const parts = [error.message, `code ${error.code}`];
  if (error.requestId) parts.push(`request ${error.requestId}`);
  return { title, detail: parts.join(" · ") };
}

/** @param {string} code */
function fallbackTitle(code) {
  if (code.startsWith("provider_")) return TITLES.provider_error;
  if (code.startsWith("invalid_") || code.endsWith("_not_allowed")) {
    return "The server did not accept this request.";
  }
  return "Something went wrong.";
}

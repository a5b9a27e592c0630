// @ts-check
/**
 * The typed events of the wire protocol (docs/protocol.md, "Response stream"), and the check that
 * turns one parsed SSE frame into one of them.
 */
import { ProtocolError } from "./chat-errors.js";

/**
 * @typedef {{type: "start", stream_id: string, model: string}} StartEvent
 * @typedef {{type: "text", text: string}} TextEvent
 * @typedef {{type: "thinking", text?: string, redacted?: boolean}} ThinkingEvent
 * @typedef {{type: "tool", id: string, name: string, input: Record<string, unknown>}} ToolEvent
 * @typedef {{url: string, title: string}} ToolResultItem
 * @typedef {{type: "tool_result", tool_use_id: string, results?: ToolResultItem[],
 *   error_code?: string}} ToolResultEvent
 * @typedef {{type: "citation", url: string, title: string, cited_text: string}} CitationEvent
 * @typedef {{type: "refusal", category?: string, explanation?: string}} RefusalEvent
 * @typedef {{type: "usage", input_tokens: number, output_tokens: number, estimated?: boolean,
 *   cache_creation_input_tokens?: number, cache_read_input_tokens?: number,
 *   cost_usd?: number, stop_reason?: string, web_search_requests?: number,
 *   web_fetch_requests?: number}} UsageEvent
 * @typedef {{type: "error", code: string, message: string, retryable: boolean,
 *   request_id?: string}} ErrorEvent
 * @typedef {{type: "done", stop_reason: string}} DoneEvent
 * @typedef {StartEvent | TextEvent | ThinkingEvent | ToolEvent | ToolResultEvent | CitationEvent
 *   | RefusalEvent | UsageEvent | ErrorEvent | DoneEvent} StreamEvent
 * @typedef {import("./sse-parser.js").SseEvent} SseEvent
 */

/** @type {Record<StreamEvent["type"], Record<string, string>>} required fields and their types */
export const REQUIRED = {
  start: { stream_id: "string", model: "string" },
  text: { text: "string" },
  thinking: {},
  tool: { id: "string", name: "string", input: "object" },
  tool_result: { tool_use_id: "string" },
  citation: { url: "string", title: "string", cited_text: "string" },
  refusal: {},
  usage: { input_tokens: "number", output_tokens: "number" },
  error: { code: "string", message: "string", retryable: "boolean" },
  done: { stop_reason: "string" },
};

/**
 * The protocol event a frame carries, or `undefined` for an event type this client does not know
 * (a newer server may add some; skipping them keeps old pages working).
 * @param {SseEvent} frame
 * @returns {StreamEvent | undefined}
 * @throws {ProtocolError} when a known frame is malformed
 */
export function toStreamEvent(frame) {
  if (!Object.hasOwn(REQUIRED, frame.event)) return undefined;
  const type = /** @type {StreamEvent["type"]} */ (frame.event);
  /** @type {unknown} */
  let payload;
  try {
    payload = JSON.parse(frame.data);
  } catch (error) {
    throw malformed(`the ${type} frame is not JSON`, error);
  }
  if (!isRecord(payload) || payload.type !== type) {
    throw malformed(`the ${type} frame does not carry "type": "${type}"`);
  }
  for (const [field, kind] of Object.entries(REQUIRED[type])) {
    if (typeof payload[field] !== kind) {
      throw malformed(`the ${type} frame has no ${kind} ${field}`);
    }
  }
  return /** @type {StreamEvent} */ (payload);
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * @param {string} message
 * @param {unknown} [cause]
 */
function malformed(message, cause) {
  return new ProtocolError(message, { code: "invalid_frame", cause });
}

// @ts-check
/**
 * Everything an answer streams besides its text, folded into plain data the conversation store
 * keeps as it is: the thinking (its text, redacted blocks, how long it took), the server tool
 * steps with what they found, the sources its citations point to (numbered in order of first
 * citation, one per url) with each citation's place in the text, and why the answer stopped.
 * Pure: no DOM, and the clock is passed in.
 */

/**
 * @typedef {import("./protocol-events.js").StreamEvent} StreamEvent
 *
 * @typedef {object} Thinking
 * @property {string} text
 * @property {number} redacted  how many blocks of reasoning arrived encrypted
 * @property {number} ms  time spent thinking so far
 * @property {number} [openedAt]  while a run of thinking frames lasts: when it began
 *
 * @typedef {object} Step  one server tool call
 * @property {string} id
 * @property {string} name  "web_search", "web_fetch", or another tool's name
 * @property {string} subject  the query searched or the url read; "" when the input has none
 * @property {number} [results]  how many results it gave
 * @property {string} [error]  the tool's error code
 *
 * @typedef {{url: string, title: string}} Source
 * @typedef {{source: number, at: number}} Citation  `source` is 1-based; `at`, an offset in
 *   the answer's text: where the citation arrived
 * @typedef {{reason: string, category?: string, explanation?: string}} Stop
 *
 * @typedef {object} AnswerParts
 * @property {Thinking} [thinking]
 * @property {Step[]} steps
 * @property {Source[]} sources
 * @property {Citation[]} citations
 * @property {Stop} [stop]  the provider's reason the answer ended, once known
 */

const NOT_PROVIDER_REASONS = ["cancelled", "error"];

/** @returns {AnswerParts} */
export function emptyParts() {
  return { steps: [], sources: [], citations: [] };
}

/**
 * Fold one event into `parts`.
 * @param {AnswerParts} parts
 * @param {StreamEvent} event
 * @param {number} textLength  the length of the answer's text when the event arrived
 * @param {number} now  a clock in ms (only differences are kept)
 * @returns {Citation | undefined}  the citation the event made, to mark in the text
 */
export function foldEvent(parts, event, textLength, now) {
  if (event.type === "thinking") {
    think(parts, event, now);
    return undefined;
  }
  if (event.type !== "start" && event.type !== "usage") pauseThinking(parts, now);
  switch (event.type) {
    case "tool":
      parts.steps.push({ id: event.id, name: event.name, subject: subjectOf(event.input) });
      return undefined;
    case "tool_result":
      foldResult(parts, event);
      return undefined;
    case "citation":
      return cite(parts, event, textLength);
    case "refusal":
      parts.stop = { reason: "refusal", ...details(event) };
      return undefined;
    case "usage":
      if (event.stop_reason) stopped(parts, event.stop_reason);
      return undefined;
    case "done":
      // Besides the provider's reason, done may say "cancelled" or "error": the status tells those.
      if (!NOT_PROVIDER_REASONS.includes(event.stop_reason)) stopped(parts, event.stop_reason);
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The answer has settled: the thinking under way ends with it.
 * @param {AnswerParts} parts
 * @param {number} now
 */
export function settleParts(parts, now) {
  pauseThinking(parts, now);
}

/**
 * Whether there is anything to show or keep besides the text.
 * @param {AnswerParts | undefined} parts
 */
export function hasParts(parts) {
  if (!parts) return false;
  const { thinking, steps, sources, stop } = parts;
  return Boolean(thinking || steps.length || sources.length || (stop && stopSentence(stop)));
}

/**
 * @param {AnswerParts} parts
 * @param {import("./protocol-events.js").ThinkingEvent} event
 * @param {number} now
 */
function think(parts, event, now) {
  const thinking = (parts.thinking ??= { text: "", redacted: 0, ms: 0 });
  if (thinking.openedAt === undefined) {
    thinking.openedAt = now;
    // Thinking again after a tool call or text: a new block of reasoning.
    if (thinking.text && event.text) thinking.text += "\n\n";
  }
  if (event.redacted) thinking.redacted += 1;
  if (event.text) thinking.text += event.text;
}

/**
 * @param {AnswerParts} parts
 * @param {number} now
 */
function pauseThinking(parts, now) {
  const thinking = parts.thinking;
  if (thinking?.openedAt === undefined) return;
  thinking.ms += Math.max(0, now - thinking.openedAt);
  delete thinking.openedAt;
}

/**
 * @param {AnswerParts} parts
 * @param {import("./protocol-events.js").ToolResultEvent} event
 */
function foldResult(parts, event) {
  const step = parts.steps.find((candidate) => candidate.id === event.tool_use_id);
  if (!step) return;
  if (typeof event.error_code === "string") step.error = event.error_code;
  else if (Array.isArray(event.results)) step.results = event.results.length;
}

/**
 * @param {AnswerParts} parts
 * @param {import("./protocol-events.js").CitationEvent} event
 * @param {number} at
 * @returns {Citation}
 */
function cite(parts, event, at) {
  let index = parts.sources.findIndex((source) => source.url === event.url);
  if (index === -1) {
    index = parts.sources.push({ url: event.url, title: event.title || event.url }) - 1;
  }
  const citation = { source: index + 1, at };
  parts.citations.push(citation);
  return citation;
}

/**
 * The usage and done frames name the reason; a refusal frame before them brought its details.
 * @param {AnswerParts} parts
 * @param {string} reason
 */
function stopped(parts, reason) {
  if (parts.stop?.reason === reason) return;
  parts.stop = { reason };
}

/** @param {import("./protocol-events.js").RefusalEvent} event */
function details(event) {
  /** @type {{category?: string, explanation?: string}} */
  const found = {};
  if (typeof event.category === "string" && event.category) found.category = event.category;
  if (typeof event.explanation === "string" && event.explanation) {
    found.explanation = event.explanation;
  }
  return found;
}

/**
 * What a tool step is about: a search's query, a fetch's url.
 * @param {Record<string, unknown>} input
 */
function subjectOf(input) {
  const value = input?.query ?? input?.url;
  return typeof value === "string" ? value : "";
}

/**
 * The line shown for a tool step, with what it gave once its result is in.
 * @param {Step} step
 */
export function stepLine(step) {
  const action =
    step.name === "web_search"
      ? `Searched: ${step.subject}`
      : step.name === "web_fetch"
        ? `Read: ${step.subject}`
        : `Used ${step.name}${step.subject ? `: ${step.subject}` : ""}`;
  if (step.error !== undefined) return `${action} · failed (${step.error})`;
  if (step.results === undefined) return action;
  if (step.name === "web_fetch") return `${action} · done`;
  return `${action} · ${step.results} result${step.results === 1 ? "" : "s"}`;
}

/**
 * Whether a usage or done frame's reason is worth a sentence (and the answer's parts keeping).
 * @param {string | undefined} reason
 */
export function stopTellsWhy(reason) {
  return Boolean(reason && !NOT_PROVIDER_REASONS.includes(reason) && stopSentence({ reason }));
}

/** @type {Record<string, string | undefined>} */
const STOP_SENTENCES = {
  end_turn: undefined,
  stop_sequence: undefined,
  max_tokens: "The answer reached its length limit.",
  model_context_window_exceeded:
    "The conversation is too long for the model: start a new chat, or edit an earlier message.",
  // The server continues a paused turn itself; one that still reaches the page ended early.
  pause_turn: "The answer paused before it was finished.",
};

/**
 * The sentence that tells the reader why the answer stopped; undefined when it simply ended.
 * @param {Stop} stop
 * @returns {string | undefined}
 */
export function stopSentence(stop) {
  if (stop.reason === "refusal") {
    const sentence = ["Claude declined to answer this request."];
    if (stop.explanation) sentence.push(stop.explanation);
    if (stop.category) sentence.push(`(Category: ${stop.category}.)`);
    return sentence.join(" ");
  }
  if (Object.hasOwn(STOP_SENTENCES, stop.reason)) return STOP_SENTENCES[stop.reason];
  return `The answer stopped (${stop.reason}).`;
}

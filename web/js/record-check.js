// @ts-check
/**
 * Whether a conversation record from outside (an imported file) is one the page can keep and
 * show: the types of every field it reads, on every branch, its parts' lists and its files'
 * base64. The answer is a short description of the first problem, for the user. Pure.
 */

const STATUSES = ["sending", "streaming", "reconnecting", "done", "stopped", "incomplete", "error"];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * What is wrong with a stored conversation, or "" when nothing is.
 * @param {unknown} record
 */
export function recordProblem(record) {
  if (!isObject(record)) return "it is not an object";
  if (typeof record.id !== "string" || record.id === "") return '"id" is not a text';
  if (typeof record.title !== "string") return '"title" is not a text';
  if (!Number.isFinite(record.updatedAt)) return '"updatedAt" is not a number';
  return turnsProblem(record.turns, "");
}

/**
 * @param {unknown} turns
 * @param {string} where  the branch's place, for the message
 * @returns {string}
 */
function turnsProblem(turns, where) {
  if (!Array.isArray(turns)) return `${where}"turns" is not a list`;
  for (const [index, turn] of turns.entries()) {
    const at = `${where}turn ${index + 1}`;
    if (!isObject(turn) || !Number.isInteger(turn.id)) return `${at} has no number "id"`;
    const versions = turn.versions;
    if (!Array.isArray(versions) || versions.length === 0) return `${at} has no versions`;
    const shown = Number(turn.shown);
    if (!Number.isInteger(shown) || shown < 0 || shown >= versions.length) {
      return `${at}: "shown" is not one of its versions`;
    }
    for (const [number, answer] of versions.entries()) {
      const problem = answerProblem(answer, `${at}, version ${number + 1}`);
      if (problem) return problem;
    }
  }
  return "";
}

/**
 * @param {unknown} answer
 * @param {string} at
 */
function answerProblem(answer, at) {
  if (!isObject(answer)) return `${at} is not an object`;
  if (typeof answer.prompt !== "string") return `${at}: "prompt" is not a text`;
  if (typeof answer.text !== "string") return `${at}: "text" is not a text`;
  if (!STATUSES.includes(/** @type {string} */ (answer.status))) return `${at}: unknown "status"`;
  for (const key of ["note", "stopReason", "model", "streamId"]) {
    if (answer[key] !== undefined && typeof answer[key] !== "string") {
      return `${at}: "${key}" is not a text`;
    }
  }
  for (const key of ["error", "stats", "resumeBase"]) {
    if (answer[key] !== undefined && !isObject(answer[key])) {
      return `${at}: "${key}" is not an object`;
    }
  }
  const error = /** @type {Record<string, unknown> | undefined} */ (answer.error);
  if (error && (typeof error.code !== "string" || typeof error.message !== "string")) {
    return `${at}: "error" has no code and message`;
  }
  return (
    partsProblem(answer.parts, at) ||
    attachmentsProblem(answer.attachments, at) ||
    (answer.later === undefined ? "" : turnsProblem(answer.later, `${at}, a later `))
  );
}

/**
 * The lists the page walks when it shows an answer's parts.
 * @param {unknown} parts
 * @param {string} at
 */
function partsProblem(parts, at) {
  if (parts === undefined) return "";
  if (!isObject(parts)) return `${at}: "parts" is not an object`;
  for (const key of ["steps", "sources", "citations"]) {
    const list = parts[key];
    if (!Array.isArray(list) || !list.every(isObject)) return `${at}: "parts.${key}" is not a list`;
  }
  const sources = /** @type {Record<string, unknown>[]} */ (parts.sources);
  if (!sources.every((source) => typeof source.url === "string")) {
    return `${at}: a source has no url`;
  }
  const citations = /** @type {Record<string, unknown>[]} */ (parts.citations);
  if (!citations.every((cite) => Number.isInteger(cite.source) && Number.isInteger(cite.at))) {
    return `${at}: a citation has no place`;
  }
  if (parts.thinking !== undefined && !isObject(parts.thinking)) {
    return `${at}: "parts.thinking" is not an object`;
  }
  return "";
}

/**
 * @param {unknown} attachments
 * @param {string} at
 */
function attachmentsProblem(attachments, at) {
  if (attachments === undefined) return "";
  if (!Array.isArray(attachments)) return `${at}: "attachments" is not a list`;
  for (const file of attachments) {
    if (!isObject(file) || typeof file.name !== "string" || typeof file.mediaType !== "string") {
      return `${at}: an attachment has no name or media type`;
    }
    if (!Number.isFinite(file.size)) return `${at}: an attachment has no size`;
    const data = file.data;
    const base64 = typeof data === "string" && data.length % 4 === 0 && BASE64.test(data);
    if (data !== undefined && !base64) return `${at}: an attachment's "data" is not base64`;
  }
  return "";
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

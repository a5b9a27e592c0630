// @ts-check
/**
 * Reading a history file (history-export.js writes it) back into conversation records. The whole
 * file is checked before anything is written: a file that is not JSON, not a history, of another
 * version, or with one record the page could not show, is refused with a sentence that says which
 * and where, and nothing changes. Pure: no DOM, no storage.
 */
import { FORMAT, mapAttachments, VERSION } from "./history-export.js";

/**
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 * @typedef {{ok: true, records: ConversationRecord[]} | {ok: false, message: string}} Parsed
 */

const STATUSES = ["sending", "streaming", "reconnecting", "done", "stopped", "incomplete", "error"];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const NOTHING = "Nothing was imported.";

/**
 * @param {string} text  the file's content
 * @returns {Parsed}
 */
export function parseHistory(text) {
  /** @type {unknown} */
  let file;
  try {
    file = JSON.parse(text);
  } catch {
    return refused("This file is not JSON, so it is not a history export.");
  }
  if (!isObject(file) || file.format !== FORMAT) {
    return refused(`This file is not a Stream Chat history (its "format" is not "${FORMAT}").`);
  }
  if (file.version !== VERSION) {
    const version = String(file.version);
    return refused(`This history file is version ${version}; this page reads ${VERSION}.`);
  }
  if (!Array.isArray(file.conversations)) return refused('The file has no "conversations" list.');
  for (const [index, record] of file.conversations.entries()) {
    const problem = recordProblem(record);
    if (problem) return refused(`Conversation ${index + 1} in the file is not valid: ${problem}.`);
  }
  return { ok: true, records: /** @type {ConversationRecord[]} */ (file.conversations) };
}

/** @param {string} message */
function refused(message) {
  return /** @type {Parsed} */ ({ ok: false, message: `${message} ${NOTHING}` });
}

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
 * A checked record as the store keeps it: each attachment's base64 `data` back to a Blob.
 * @param {ConversationRecord} record
 * @returns {Promise<ConversationRecord>}
 */
export async function storable(record) {
  const turns = await mapAttachments(record.turns, async (data, mediaType) =>
    typeof data === "string" ? base64ToBlob(data, mediaType) : undefined,
  );
  return { ...record, turns };
}

/**
 * @param {string} data
 * @param {string} type
 */
function base64ToBlob(data, type) {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let at = 0; at < binary.length; at += 1) bytes[at] = binary.charCodeAt(at);
  return new Blob([bytes], { type });
}

/**
 * Which records to add: an id already kept (or seen earlier in the file) is skipped, never
 * overwritten.
 * @param {ConversationRecord[]} records
 * @param {Iterable<string>} kept  the ids in the store
 */
export function planImport(records, kept) {
  const seen = new Set(kept);
  /** @type {ConversationRecord[]} */
  const add = [];
  for (const record of records) {
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    add.push(record);
  }
  return { add, skipped: records.length - add.length };
}

/**
 * The sentence that tells what an import did.
 * @param {number} added
 * @param {number} skipped
 */
export function importMessage(added, skipped) {
  const count = (/** @type {number} */ n) => (n === 1 ? "1 conversation" : `${n} conversations`);
  const imported = `Imported ${count(added)}.`;
  if (skipped === 0) return imported;
  const verb = skipped === 1 ? "was" : "were";
  return `${imported} ${count(skipped)} ${verb} already here and ${verb} skipped.`;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

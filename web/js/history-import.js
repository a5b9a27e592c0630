// @ts-check
/**
 * Reading a history file (history-export.js writes it) back into conversation records. The whole
 * file is checked before anything is written: a file that is not JSON, not a history, of another
 * version, or with one record the page could not show, is refused with a sentence that says which
 * and where, and nothing changes. Pure: no DOM, no storage.
 */
import { FORMAT, mapAttachments, VERSION } from "./history-export.js";
import { isObject, recordProblem } from "./record-check.js";

/**
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 * @typedef {{ok: true, records: ConversationRecord[]} | {ok: false, message: string}} Parsed
 */

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

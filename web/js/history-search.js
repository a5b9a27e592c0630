// @ts-check
/**
 * Finding conversations: an in-memory index of every conversation's title and full text (each
 * question and answer of every branch), and the match of a query against it. Case and accents
 * never matter ("Resume" finds "résumé"). Pure: no DOM, no storage.
 *
 * The text is folded (lower case, accents off) one character at a time into a string of the same
 * length, so an offset in the folded text is one in the original: the match is highlighted where
 * it is, with nothing to map back.
 */

/**
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 * @typedef {import("./conversation.js").Turn} Turn
 * @typedef {[number, number]} Range  start and end offsets of a match
 * @typedef {{text: string, ranges: Range[]}} Marked  text with the matches to highlight
 *
 * @typedef {object} IndexEntry
 * @property {string} id
 * @property {string} title
 * @property {number} updatedAt
 * @property {string} foldedTitle
 * @property {string} body  every question and answer, in the order of the record
 * @property {string} foldedBody
 *
 * @typedef {object} SearchMatch
 * @property {string} id
 * @property {Marked} title
 * @property {Marked} [snippet]  from the text, when the title alone does not match
 */

const SNIPPET_BEFORE = 30;
const SNIPPET_AFTER = 90;
// Citations and other private-use characters never match anything.
const PRIVATE_USE = /[\uE000-\uF8FF]/;
/** @type {Map<string, string>} */
const folds = new Map();

/**
 * `text` in lower case without accents, of the same length.
 * @param {string} text
 */
export function fold(text) {
  // ASCII letters by one pass, the rest (rarer) character by character: a whole string's
  // toLowerCase or NFD could change its length ("İ" lowers to two characters).
  return text
    .replace(/[A-Z]+/g, (letters) => letters.toLowerCase())
    .replace(/[^\x00-\x7F]/g, foldChar);
}

/** @param {string} char  one UTF-16 unit: a surrogate half is kept as it is */
function foldChar(char) {
  let folded = folds.get(char);
  if (folded === undefined) {
    const plain = char.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
    if (PRIVATE_USE.test(char)) folded = " ".repeat(char.length);
    else if (plain.length === char.length) folded = plain;
    else folded = char.toLowerCase().length === char.length ? char.toLowerCase() : char;
    folds.set(char, folded);
  }
  return folded;
}

/**
 * The searchable text of one stored conversation.
 * @param {ConversationRecord} record
 * @returns {IndexEntry}
 */
export function indexEntry(record) {
  const title = record.title || "Untitled";
  const body = textsOf(record.turns).join("\n\n");
  return {
    id: record.id,
    title,
    updatedAt: record.updatedAt,
    foldedTitle: fold(title),
    body,
    foldedBody: fold(body),
  };
}

/**
 * Every question and answer of every branch.
 * @param {Turn[]} turns
 * @returns {string[]}
 */
function textsOf(turns) {
  return turns.flatMap((turn) =>
    turn.versions.flatMap((answer) => [answer.prompt, answer.text, ...textsOf(answer.later ?? [])]),
  );
}

/**
 * The words of a query, folded; an empty list matches everything.
 * @param {string} query
 */
export function queryTerms(query) {
  return fold(query).split(/\s+/).filter(Boolean);
}

/**
 * How `entry` matches every one of `terms` (in its title or its text), or undefined.
 * @param {IndexEntry} entry
 * @param {string[]} terms  from `queryTerms`
 * @returns {SearchMatch | undefined}
 */
export function match(entry, terms) {
  /** @type {string[]} */
  const fromBody = [];
  for (const term of terms) {
    if (entry.foldedTitle.includes(term)) continue;
    if (!entry.foldedBody.includes(term)) return undefined;
    fromBody.push(term);
  }
  const title = { text: entry.title, ranges: rangesOf(entry.foldedTitle, terms) };
  if (fromBody.length === 0) return { id: entry.id, title };
  return { id: entry.id, title, snippet: snippet(entry, fromBody[0], terms) };
}

/**
 * The conversations matching `query`, in the order of `entries`.
 * @param {IndexEntry[]} entries
 * @param {string} query
 * @returns {SearchMatch[]}
 */
export function search(entries, query) {
  const terms = queryTerms(query);
  /** @type {SearchMatch[]} */
  const found = [];
  for (const entry of entries) {
    const matched = match(entry, terms);
    if (matched) found.push(matched);
  }
  return found;
}

/**
 * A line of the text around the first place `term` occurs, with every term in it marked.
 * @param {IndexEntry} entry
 * @param {string} term
 * @param {string[]} terms
 * @returns {Marked}
 */
function snippet(entry, term, terms) {
  const { body } = entry;
  const at = entry.foldedBody.indexOf(term);
  // Within the match's line: a question's end or the paragraph before is another thought.
  const lineStart = body.lastIndexOf("\n", at) + 1;
  const newline = body.indexOf("\n", at);
  const lineEnd = newline === -1 ? body.length : newline;
  let start = Math.max(lineStart, at - SNIPPET_BEFORE);
  let end = Math.min(lineEnd, at + term.length + SNIPPET_AFTER);
  // Whole words at both ends, when a space is near.
  const space = body.indexOf(" ", start);
  if (start > lineStart && space !== -1 && space < at) start = space + 1;
  const lastSpace = body.lastIndexOf(" ", end);
  if (end < lineEnd && lastSpace > at + term.length) end = lastSpace;
  const prefix = start > lineStart ? "…" : "";
  const suffix = end < lineEnd ? "…" : "";
  // Tabs become spaces: one char for one, so the ranges stay where they are.
  const text = prefix + body.slice(start, end).replace(/\s/g, " ") + suffix;
  const ranges = rangesOf(entry.foldedBody.slice(start, end), terms).map(
    ([from, to]) => /** @type {Range} */ ([from + prefix.length, to + prefix.length]),
  );
  return { text, ranges };
}

/**
 * Every place any of `terms` occurs in `folded`, sorted, overlaps merged.
 * @param {string} folded
 * @param {string[]} terms
 * @returns {Range[]}
 */
export function rangesOf(folded, terms) {
  /** @type {Range[]} */
  const ranges = [];
  for (const term of terms) {
    for (let at = folded.indexOf(term); at !== -1; at = folded.indexOf(term, at + term.length)) {
      ranges.push([at, at + term.length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  /** @type {Range[]} */
  const merged = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

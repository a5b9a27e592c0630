// @ts-check
/**
 * Citations inside an answer's Markdown. A citation is written into the Markdown source as a
 * marker of two private-use characters around its source's number: Markdown and the sanitiser
 * pass such text through untouched, so the marker comes out of rendering as text, at the place
 * the citation arrived, and the view turns it into a superscript link there. Pure text in and out.
 */

const OPEN = "\uE000";
const CLOSE = "\uE001";
const MARKER = /\uE000(\d+)\uE001/g;
const STRAY = /[\uE000\uE001]/g;
// What may open a line before its text without being text: indentation, block quotes, list
// bullets and numbers, heading hashes, a table's pipe, a code fence's whole line. A marker in
// front of them would turn a heading or a list item into a paragraph.
const LINE_OPENING =
  /^(?:\s|>|[-*+](?=\s)|\d{1,9}[.)](?=\s)|#{1,6}(?=\s)|\||(?:`{3,}|~{3,})[^\n]*\n)*/;

/** @param {number} source  the 1-based number of the cited source */
export function marker(source) {
  return `${OPEN}${source}${CLOSE}`;
}

/**
 * Model text with any character that could pass for a marker removed.
 * @param {string} text
 */
export function withoutStrayMarks(text) {
  return text.replace(STRAY, "");
}

/**
 * The Markdown without its markers: what the answer says.
 * @param {string} source
 */
export function withoutMarkers(source) {
  return source.replace(MARKER, "");
}

/**
 * Whether a marker placed at the end of `source` would stand at the start of a line.
 * @param {string} source
 */
export function atLineStart(source) {
  return source === "" || source.endsWith("\n");
}

/**
 * Where markers held back at `from` (a line's start) go: after the line's opening syntax, in
 * front of its first text; -1 while what follows `from` is still only such syntax.
 * @param {string} source
 * @param {number} from
 */
export function markerPlace(source, from) {
  const rest = source.slice(from);
  const opening = LINE_OPENING.exec(rest)?.[0].length ?? 0;
  return opening < rest.length ? from + opening : -1;
}

/**
 * Text split around its markers: strings, and the numbers of the sources cited between them.
 * @param {string} text
 * @returns {Array<string | number>}
 */
export function splitMarked(text) {
  /** @type {Array<string | number>} */
  const pieces = [];
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    const index = match.index ?? 0;
    if (index > last) pieces.push(text.slice(last, index));
    pieces.push(Number(match[1]));
    last = index + match[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces;
}

/** @param {string} text */
export function hasMarker(text) {
  return text.includes(OPEN);
}

// @ts-check
/**
 * Where a streaming answer's Markdown can be cut into blocks that will never change again. Pure
 * text in, text out: the lexer is passed in, so this runs (and is tested) without a DOM.
 *
 * A top-level block is finished once another block has started after it AND that next block's
 * first line is complete: only then can no further text merge it back (a list item continued
 * after a blank line, indented code across blank lines, a setext underline).
 */

/** @typedef {(source: string) => Array<{type: string, raw: string}>} Lex */

/**
 * Split `source` (the not yet finished end of an answer) into finished blocks and the rest.
 * @param {string} source
 * @param {Lex} lex  marked's block lexer, or anything returning top-level tokens with `raw`
 * @returns {{finished: string[], rest: string}}
 */
export function splitFinished(source, lex) {
  const tokens = lex(source);
  // The lexer must account for every character, or offsets would drift: then commit nothing.
  if (tokens.reduce((length, token) => length + token.raw.length, 0) !== source.length) {
    return { finished: [], rest: source };
  }
  let lastBlock = tokens.length - 1;
  while (lastBlock > 0 && tokens[lastBlock].type === "space") lastBlock -= 1;
  /** @type {string[]} */
  const finished = [];
  let offset = 0;
  let pending = "";
  for (const [index, token] of tokens.entries()) {
    if (index >= lastBlock) break;
    pending += token.raw;
    if (token.type !== "space") {
      finished.push(pending);
      offset += pending.length;
      pending = "";
    }
  }
  const rest = source.slice(offset);
  const growing = rest.slice(pending.length);
  if (finished.length > 0 && !growing.includes("\n")) {
    // The next block's first line is still being written: it could yet join the last block.
    const held = /** @type {string} */ (finished.pop());
    return { finished, rest: held + rest };
  }
  return { finished, rest };
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const PARTIAL_FENCE = /(^|\n) {0,3}`{1,2}$/;

/**
 * Close what a half-written block leaves open, so the growing block renders as it will end:
 * an unclosed code fence, a fence still being typed, an open inline code span or bold run.
 * @param {string} block
 */
export function closeOpenMarkup(block) {
  let text = block.replace(PARTIAL_FENCE, "$1");
  /** @type {string | undefined} */
  let openFence = undefined;
  let proseStart = 0;
  let position = 0;
  for (const line of text.split("\n")) {
    const fence = FENCE.exec(line)?.[1];
    if (fence && openFence === undefined) openFence = fence;
    else if (fence && fence[0] === openFence?.[0] && fence.length >= openFence.length) {
      openFence = undefined;
      proseStart = position + line.length + 1;
    }
    position += line.length + 1;
  }
  if (openFence !== undefined) return `${text}\n${openFence}`;
  const prose = text.slice(proseStart);
  const paragraph = prose.slice(prose.lastIndexOf("\n\n") + 1);
  const ticks = paragraph.match(/`/g)?.length ?? 0;
  if (ticks % 2 === 1) text += "`";
  else if ((paragraph.match(/\*\*/g)?.length ?? 0) % 2 === 1) text = `${text.trimEnd()}**`;
  return text;
}

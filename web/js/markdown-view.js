// @ts-check
/**
 * A streaming answer's Markdown in the DOM, at a cost that follows the block being written rather
 * than the whole answer. Finished blocks are rendered once, highlighted, and never touched again
 * (so a selection or a click inside them survives the stream); only the growing block is
 * re-rendered. Every piece is sanitised by `renderMarkdown` before it is inserted.
 */
import {
  atLineStart,
  hasMarker,
  marker,
  markerPlace,
  splitMarked,
  withoutMarkers,
  withoutStrayMarks,
} from "./citation-marks.js";
import { decorateCodeBlocks } from "./code-blocks.js";
import { highlight, isReady, prepare } from "./highlight.js";
import { closeOpenMarkup, splitFinished } from "./markdown-blocks.js";
import { lexBlocks, renderMarkdown } from "./markdown.js";
import { mathReady, mayHaveMath, prepareMath } from "./math.js";

const OPENING_FENCE = /(?:^|\n) {0,3}(?:`{3,}|~{3,})([\w+#.-]+)/g;

/**
 * @typedef {{url: string, title: string}} Source
 * @typedef {(source: number) => Source | undefined} SourceOf  a citation's source, by number
 * @typedef {{source: number, at: number}} Citation
 */

export class MarkdownView {
  #root;
  #growing = block("md-block md-growing");
  #source = "";
  #committed = 0;
  // A "\r" that ends a chunk may be half of a "\r\n": it waits for the next chunk.
  #heldCr = false;
  // Citation markers that arrived at a line's start wait for its first text (citation-marks.js).
  #heldMarks = "";
  #heldFrom = 0;
  #sourceOf;

  /**
   * @param {HTMLElement} root  emptied, then owned by this view
   * @param {SourceOf} [sourceOf]  where each citation links to
   */
  constructor(root, sourceOf = () => undefined) {
    this.#root = root;
    this.#sourceOf = sourceOf;
    this.reset("");
  }

  /** The answer's Markdown, as it reads. */
  get text() {
    return withoutMarkers(this.#source);
  }

  /** How much of the source the growing block holds: the part not yet committed. */
  get growingLength() {
    return this.#source.length - this.#committed;
  }

  /** The Markdown with its citation markers, to take up again (a continued answer). */
  get marked() {
    return this.#source + this.#heldMarks;
  }

  /**
   * Show `text` as a whole answer that no longer grows, with its citations where they arrived.
   * @param {string} text
   * @param {Citation[]} [citations]  in the order they arrived
   */
  reset(text, citations = []) {
    this.#source = "";
    this.#committed = 0;
    this.#heldCr = false;
    this.#heldMarks = "";
    this.#root.replaceChildren(this.#growing);
    this.#growing.replaceChildren();
    let at = 0;
    for (const citation of citations) {
      this.append(text.slice(at, citation.at));
      this.cite(citation.source);
      at = Math.max(at, citation.at);
    }
    this.append(text.slice(at));
    if (text || citations.length) this.finish();
  }

  /** @param {string} chunk  model text, or Markdown with markers taken up again */
  append(chunk, { marked = false } = {}) {
    let text = (this.#heldCr ? "\r" : "") + (marked ? chunk : withoutStrayMarks(chunk));
    this.#heldCr = text.endsWith("\r");
    if (this.#heldCr) text = text.slice(0, -1);
    // The lexer normalises line ends itself; offsets into the source must match its view.
    this.#source += text.replace(/\r\n?/g, "\n");
    if (this.#heldMarks) this.#placeHeldMarks(markerPlace(this.#source, this.#heldFrom));
  }

  /**
   * A citation of source number `source`, at the point the answer has reached.
   * @param {number} source
   */
  cite(source) {
    if (!this.#heldMarks && !atLineStart(this.#source)) {
      this.#source += marker(source);
      return;
    }
    if (!this.#heldMarks) this.#heldFrom = this.#source.length;
    this.#heldMarks += marker(source);
  }

  /** @param {number} at  where the held markers go; -1: not known yet */
  #placeHeldMarks(at) {
    if (at < 0) return;
    this.#source = this.#source.slice(0, at) + this.#heldMarks + this.#source.slice(at);
    this.#heldMarks = "";
  }

  /** Commit what has finished and re-render the growing block. */
  render() {
    const { finished } = splitFinished(this.#source.slice(this.#committed), lexBlocks);
    for (const raw of finished) {
      // Code waits (in the growing block) for its grammar, math for KaTeX: a finished block is
      // final when shown.
      if (!languagesIn(raw).every(isReady) || (mayHaveMath(raw) && !mathReady())) break;
      this.#commit(raw);
    }
    const rest = this.#source.slice(this.#committed);
    for (const language of languagesIn(rest)) prepare(language);
    if (mayHaveMath(rest)) void prepareMath();
    const fragment = renderMarkdown(closeOpenMarkup(rest));
    decorateCodeBlocks(fragment);
    if (hasMarker(rest)) linkCitations(fragment, this.#sourceOf);
    this.#growing.replaceChildren(fragment);
  }

  /** The answer has ended: what is left becomes a finished block too. */
  finish() {
    if (this.#heldCr) this.append("");
    this.#placeHeldMarks(this.#source.length);
    const rest = this.#source.slice(this.#committed);
    this.#growing.replaceChildren();
    if (rest.trim()) this.#commit(rest);
  }

  /** @param {string} raw */
  #commit(raw) {
    this.#committed += raw.length;
    if (!raw.trim()) return;
    const element = block("md-block");
    element.append(finishedBlock(raw, this.#sourceOf));
    this.#root.insertBefore(element, this.#growing);
    // Only an answer shown whole (restored, or at its end) commits math before KaTeX is there:
    // that block is typeset again once it is.
    if (mayHaveMath(raw) && !mathReady()) {
      void prepareMath().then(() => {
        if (element.isConnected) element.replaceChildren(finishedBlock(raw, this.#sourceOf));
      });
    }
  }
}

/**
 * Turn the citation markers in `fragment`'s text into superscript links to their sources. Built
 * with the DOM, after sanitising: the url is the tool's, and only http(s) becomes a link.
 * @param {DocumentFragment} fragment
 * @param {SourceOf} sourceOf
 */
function linkCitations(fragment, sourceOf) {
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT);
  /** @type {Text[]} */
  const marked = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node instanceof Text && hasMarker(node.data)) marked.push(node);
  }
  for (const node of marked) {
    node.replaceWith(
      ...splitMarked(node.data).map((piece) =>
        typeof piece === "string" ? piece : citationLink(piece, sourceOf(piece)),
      ),
    );
  }
}

/**
 * @param {number} number
 * @param {Source | undefined} source
 */
function citationLink(number, source) {
  const sup = document.createElement("sup");
  sup.className = "citation";
  const label = `[${number}]`;
  if (!source || !isWebUrl(source.url)) {
    sup.textContent = label;
    return sup;
  }
  const link = document.createElement("a");
  link.href = source.url;
  link.textContent = label;
  link.title = source.title;
  link.setAttribute("aria-label", `Source ${number}: ${source.title}`);
  link.target = "_blank";
  link.rel = "noopener noreferrer nofollow";
  sup.append(link);
  return sup;
}

/**
 * Only web pages are linked: never javascript:, data: or anything else a tool result could hold.
 * @param {string} url
 */
export function isWebUrl(url) {
  try {
    const protocol = new URL(url).protocol;
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The languages named by the code fences that open in `markdown`.
 * @param {string} markdown
 */
function languagesIn(markdown) {
  return [...markdown.matchAll(OPENING_FENCE)].map((match) => match[1]);
}

/**
 * A finished block's markup: rendered, sanitised, decorated and highlighted.
 * @param {string} raw
 * @param {SourceOf} sourceOf
 */
function finishedBlock(raw, sourceOf) {
  const fragment = renderMarkdown(raw);
  decorateCodeBlocks(fragment);
  for (const code of fragment.querySelectorAll("pre > code[class*='language-']")) {
    const language = code.className.match(/(?:^|\s)language-([\w+#.-]+)/)?.[1];
    if (language && code instanceof HTMLElement) highlight(code, language);
  }
  if (hasMarker(raw)) linkCitations(fragment, sourceOf);
  return fragment;
}

/** @param {string} className */
function block(className) {
  const element = document.createElement("div");
  element.className = className;
  return element;
}

// @ts-check
/**
 * A streaming answer's Markdown in the DOM, at a cost that follows the block being written rather
 * than the whole answer. Finished blocks are rendered once, highlighted, and never touched again
 * (so a selection or a click inside them survives the stream); only the growing block is
 * re-rendered. Every piece is sanitised by `renderMarkdown` before it is inserted.
 */
import { decorateCodeBlocks } from "./code-blocks.js";
import { highlight, isReady, prepare } from "./highlight.js";
import { closeOpenMarkup, splitFinished } from "./markdown-blocks.js";
import { lexBlocks, renderMarkdown } from "./markdown.js";
import { mathReady, mayHaveMath, prepareMath } from "./math.js";

const OPENING_FENCE = /(?:^|\n) {0,3}(?:`{3,}|~{3,})([\w+#.-]+)/g;

export class MarkdownView {
  #root;
  #growing = block("md-block md-growing");
  #source = "";
  #committed = 0;
  // A "\r" that ends a chunk may be half of a "\r\n": it waits for the next chunk.
  #heldCr = false;

  /** @param {HTMLElement} root  emptied, then owned by this view */
  constructor(root) {
    this.#root = root;
    this.reset("");
  }

  get text() {
    return this.#source;
  }

  /**
   * Show `text` as a whole answer that no longer grows.
   * @param {string} text
   */
  reset(text) {
    this.#source = "";
    this.#committed = 0;
    this.#heldCr = false;
    this.#root.replaceChildren(this.#growing);
    this.#growing.replaceChildren();
    if (text) {
      this.append(text);
      this.finish();
    }
  }

  /** @param {string} chunk */
  append(chunk) {
    let text = (this.#heldCr ? "\r" : "") + chunk;
    this.#heldCr = text.endsWith("\r");
    if (this.#heldCr) text = text.slice(0, -1);
    // The lexer normalises line ends itself; offsets into the source must match its view.
    this.#source += text.replace(/\r\n?/g, "\n");
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
    this.#growing.replaceChildren(fragment);
  }

  /** The answer has ended: what is left becomes a finished block too. */
  finish() {
    if (this.#heldCr) this.append("");
    const rest = this.#source.slice(this.#committed);
    this.#growing.replaceChildren();
    if (rest.trim()) this.#commit(rest);
  }

  /** @param {string} raw */
  #commit(raw) {
    this.#committed += raw.length;
    if (!raw.trim()) return;
    const element = block("md-block");
    element.append(finishedBlock(raw));
    this.#root.insertBefore(element, this.#growing);
    // Only an answer shown whole (restored, or at its end) commits math before KaTeX is there:
    // that block is typeset again once it is.
    if (mayHaveMath(raw) && !mathReady()) {
      void prepareMath().then(() => {
        if (element.isConnected) element.replaceChildren(finishedBlock(raw));
      });
    }
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
 */
function finishedBlock(raw) {
  const fragment = renderMarkdown(raw);
  decorateCodeBlocks(fragment);
  for (const code of fragment.querySelectorAll("pre > code[class*='language-']")) {
    const language = code.className.match(/(?:^|\s)language-([\w+#.-]+)/)?.[1];
    if (language && code instanceof HTMLElement) highlight(code, language);
  }
  return fragment;
}

/** @param {string} className */
function block(className) {
  const element = document.createElement("div");
  element.className = className;
  return element;
}

// @ts-check
/**
 * Markdown to a sanitised DOM fragment. Model output is untrusted. Two layers keep it inert:
 * raw HTML in the markdown is shown as text (as a chat should show it), and DOMPurify cleans
 * whatever marked itself generates before a single node reaches the page. Never insert the
 * output of `marked` directly.
 */
import { Marked } from "../vendor/marked.esm.js";
import DOMPurify from "../vendor/purify.es.mjs";
import { renderMath } from "./math.js";

const ESCAPES = /** @type {Record<string, string>} */ ({
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
});

/** @param {string} text */
const escape = (text) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

// Math, as models write it: $$…$$ or \[…\] on lines of their own, $…$ or \(…\) within a line.
// An inline $ must hug its formula and not be followed by a digit, so "$5 and $10" stays money;
// it never spans a backtick, so no formula reaches into a code span. Code spans and fences
// themselves are lexed as code before these ever see their text.
const BLOCK_MATH = /^ {0,3}(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n+|$)/;
const INLINE_MATH = /^(?:\$\$([^\n]+?)\$\$|\$(?!\s)((?:\\.|[^\\$\n`])+?)(?<!\s)\$(?!\d)|\\\(([\s\S]+?)\\\))/;

/**
 * @param {{tex: string, display: boolean, raw: string}} token
 * @returns {string}  KaTeX's MathML, or the source as text until KaTeX is loaded
 */
function mathMarkup(token) {
  const markup = renderMath(token.tex, token.display);
  const inner = markup ?? `<code class="math-source">${escape(token.raw.trim())}</code>`;
  return token.display ? `<div class="math-block">${inner}</div>\n` : inner;
}

const markdown = new Marked({ gfm: true, breaks: false, async: false });
markdown.use({
  extensions: [
    {
      name: "blockMath",
      level: "block",
      start: (source) => source.match(/^ {0,3}(?:\$\$|\\\[)/m)?.index,
      tokenizer(source) {
        const match = BLOCK_MATH.exec(source);
        if (!match) return undefined;
        const tex = match[1] ?? match[2];
        return tex.trim() ? { type: "blockMath", raw: match[0], tex, display: true } : undefined;
      },
      renderer: ({ tex, display, raw }) => mathMarkup({ tex, display, raw }),
    },
    {
      name: "inlineMath",
      level: "inline",
      start: (source) => source.match(/\$|\\\(/)?.index,
      tokenizer(source) {
        const match = INLINE_MATH.exec(source);
        if (!match) return undefined;
        const tex = match[1] ?? match[2] ?? match[3];
        const display = match[1] !== undefined;
        return tex.trim() ? { type: "inlineMath", raw: match[0], tex, display } : undefined;
      },
      renderer: ({ tex, display, raw }) => mathMarkup({ tex, display, raw }),
    },
  ],
});
markdown.use({
  renderer: {
    html: ({ text }) => escape(text),
    // A task list's box, read as what it says; not a form control nobody can use.
    checkbox: ({ checked }) =>
      `<span class="task-box" role="img" aria-label="${checked ? "Done" : "Not done"}">` +
      `${checked ? "☑" : "☐"}</span> `,
    // Images are never loaded: a remote one would tell its server whatever a prompt-injected
    // answer put in its address, and the page's CSP blocks other origins anyway. The reader
    // sees that an image was there, its description, and (for http/https) a link to open it.
    image: ({ href, text }) => {
      const label = `Image: ${escape(text || "untitled")}`;
      return /^https?:\/\//i.test(href)
        ? `<a class="md-image" href="${escape(href)}">${label}</a>`
        : `<span class="md-image">${label}</span>`;
    },
  },
});

/** @type {import("../vendor/purify.es.mjs").Config & {RETURN_DOM_FRAGMENT: true}} */
const PURIFY_CONFIG = {
  RETURN_DOM_FRAGMENT: true,
  // Images would let a prompt-injected answer send data to any URL (the renderer shows them as
  // links); forms, media and SVG have no place in an answer; inline styles are blocked by the
  // page's CSP anyway.
  // MathML comes from KaTeX only (raw HTML is escaped above); its TeX annotation goes, with its
  // text, or the source would show next to the formula.
  FORBID_TAGS: ["img", "picture", "video", "audio", "iframe", "form", "input", "button", "style",
    "svg", "annotation", "annotation-xml"],
  ADD_FORBID_CONTENTS: ["annotation"],
  FORBID_ATTR: ["style"],
  ALLOW_DATA_ATTR: false,
};

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node instanceof HTMLAnchorElement && node.hasAttribute("href")) {
    // Links from the model open elsewhere, without handing this page to the target.
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/**
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const html = markdown.parse(text, { async: false });
  return DOMPurify.sanitize(html, PURIFY_CONFIG);
}

/** @type {import("../vendor/purify.es.mjs").Config & {RETURN_DOM_FRAGMENT: true}} */
const HIGHLIGHT_CONFIG = { RETURN_DOM_FRAGMENT: true, ALLOWED_TAGS: ["span"], ALLOWED_ATTR: ["class"] };

/**
 * A highlighter's markup (spans with classes around escaped text), sanitised all the same.
 * @param {string} html
 * @returns {DocumentFragment}
 */
export function sanitizeHighlighted(html) {
  return DOMPurify.sanitize(html, HIGHLIGHT_CONFIG);
}

/**
 * The top-level blocks of `text`, each with its exact source (`raw`).
 * @param {string} text
 * @returns {Array<{type: string, raw: string}>}
 */
export function lexBlocks(text) {
  return markdown.lexer(text);
}

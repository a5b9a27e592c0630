// @ts-check
/**
 * Syntax highlighting for finished code blocks, with highlight.js loaded only when an answer
 * first has code in a language it knows: the core, then each grammar on its first use. Its
 * output is class-based markup, sanitised like everything else before it reaches the page.
 */
import { grammarOf } from "./grammars.js";
import { sanitizeHighlighted } from "./markdown.js";

/** @typedef {import("../vendor/highlight/core.min.js").HighlightApi} HighlightApi */

/** @type {Promise<HighlightApi> | undefined} */
let core;
/** @type {HighlightApi | undefined} */
let ready;
/** @type {Map<string, Promise<void>>} */
const grammars = new Map();
/** @type {Set<string>} grammars that could not be loaded */
const failed = new Set();

/**
 * Start loading what `language` needs, so it is likely there when its block finishes.
 * @param {string} language
 * @returns {Promise<void> | undefined}  undefined when the language is not bundled
 */
export function prepare(language) {
  const name = grammarOf(language);
  if (!name) return undefined;
  let loading = grammars.get(name);
  if (!loading) {
    core ??= import("../vendor/highlight/core.min.js").then((module) => {
      ready = module.default;
      return ready;
    });
    loading = Promise.all([core, import(`../vendor/highlight/languages/${name}.min.js`)]).then(
      ([api, grammar]) => api.registerLanguage(name, grammar.default),
    );
    // A failed load leaves code unhighlighted, which is still perfectly readable.
    loading.catch((error) => {
      failed.add(name);
      console.warn("loading a highlighter failed", error);
    });
    grammars.set(name, loading);
  }
  return loading;
}

/**
 * Whether a block in `language` can be highlighted at once (or never will be): a finished block
 * waits for its grammar, so that it is highlighted before it reaches the page, not after.
 * @param {string} language
 */
export function isReady(language) {
  const name = grammarOf(language);
  return !name || Boolean(ready?.getLanguage(name)) || failed.has(name);
}

/**
 * Highlight `code` (a `<code>` of a finished block) now if its grammar is loaded, else once it
 * is. Only ever called once per block: a finished block does not change.
 * @param {HTMLElement} code
 * @param {string} language
 */
export function highlight(code, language) {
  const name = grammarOf(language);
  const loading = prepare(language);
  if (!name || !loading) return;
  if (ready?.getLanguage(name)) apply(ready, code, name);
  else loading.then(() => ready && apply(ready, code, name)).catch(() => undefined);
}

/**
 * @param {HighlightApi} api
 * @param {HTMLElement} code
 * @param {string} name
 */
function apply(api, code, name) {
  const { value } = api.highlight(code.textContent ?? "", { language: name, ignoreIllegals: true });
  code.replaceChildren(sanitizeHighlighted(value));
  code.classList.add("hljs");
}

// @ts-check
/**
 * LaTeX in answers, typeset by KaTeX (from npm, like the other libraries), loaded only when an
 * answer first has math. KaTeX writes MathML here, which the browser lays out itself: its HTML
 * output would need inline styles, which the page's CSP (and the sanitiser) refuse. The MathML
 * is sanitised with the rest of the answer; KaTeX runs without `trust`, so \href, \url and the
 * \html* commands stay inert text.
 */

/** @typedef {typeof import("../vendor/katex.mjs").default} Katex */

// Something that may open math: `$`, `\(` or `\[`. A cheap test before the real lexing.
const MATH_HINT = /\$|\\\(|\\\[/;

/** @type {Katex | undefined} */
let katex;
/** @type {Promise<void> | undefined} */
let loading;
let failed = false;

/**
 * Whether `markdown` may hold math (then it needs KaTeX, loaded by `prepareMath`).
 * @param {string} markdown
 */
export function mayHaveMath(markdown) {
  return MATH_HINT.test(markdown);
}

/** Start loading KaTeX; resolves once it is there, or has failed (math then stays as source). */
export function prepareMath() {
  loading ??= import("../vendor/katex.mjs").then(
    (module) => {
      katex = module.default;
    },
    (error) => {
      failed = true;
      console.warn("loading KaTeX failed", error);
    },
  );
  return loading;
}

/** Whether math can be typeset now, or never will be. */
export function mathReady() {
  return katex !== undefined || failed;
}

/**
 * MathML markup for `tex` (to be sanitised with the answer), or undefined until KaTeX is loaded.
 * @param {string} tex
 * @param {boolean} display  a block of its own, rather than within a line
 */
export function renderMath(tex, display) {
  return katex?.renderToString(tex, {
    displayMode: display,
    output: "mathml",
    throwOnError: false,
    trust: false,
    strict: "ignore",
  });
}

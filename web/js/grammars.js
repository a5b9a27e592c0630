// @ts-check
/**
 * The highlight.js grammars the page bundles, by the names answers commonly give their code
 * fences. The grammar files themselves are listed once, in web/highlight-grammars.json, which
 * the Makefile and the deployment copy from; a test holds this table to that list.
 */

// Each language name an answer may use, and the grammar file that highlights it.
const GRAMMARS = /** @type {Record<string, string>} */ ({
  bash: "bash", sh: "bash", shell: "bash", zsh: "bash", console: "bash",
  c: "c", h: "c", cpp: "cpp", "c++": "cpp", cc: "cpp", hpp: "cpp",
  csharp: "csharp", cs: "csharp", "c#": "csharp",
  css: "css", diff: "diff", patch: "diff", dockerfile: "dockerfile", docker: "dockerfile",
  go: "go", golang: "go", java: "java", javascript: "javascript", js: "javascript",
  jsx: "javascript", mjs: "javascript", json: "json", jsonc: "json", kotlin: "kotlin",
  kt: "kotlin", markdown: "markdown", md: "markdown", php: "php", python: "python", py: "python",
  ruby: "ruby", rb: "ruby", rust: "rust", rs: "rust", sql: "sql", swift: "swift", toml: "ini",
  ini: "ini", typescript: "typescript", ts: "typescript", tsx: "typescript", html: "xml",
  xml: "xml", svg: "xml", yaml: "yaml", yml: "yaml",
});

/** The grammar files this table needs. */
export const HIGHLIGHT_GRAMMARS = Object.freeze([...new Set(Object.values(GRAMMARS))]);

/**
 * The grammar file a fenced block's language name maps to, if one is bundled.
 * @param {string} language
 */
export function grammarOf(language) {
  return Object.hasOwn(GRAMMARS, language.toLowerCase())
    ? GRAMMARS[language.toLowerCase()]
    : undefined;
}

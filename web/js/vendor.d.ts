// Types for the browser libraries `make web/vendor` copies from node_modules into web/vendor
// (imported as "../vendor/..."), taken from the same pinned npm packages.
declare module "*/vendor/marked.esm.js" {
  export * from "marked";
}

declare module "*/vendor/purify.es.mjs" {
  export { default } from "dompurify";
  export type * from "dompurify";
}

declare module "*/vendor/katex.mjs" {
  export { default } from "katex";
}

declare module "*/vendor/highlight/core.min.js" {
  export interface HighlightApi {
    highlight(code: string, options: { language: string; ignoreIllegals?: boolean }): {
      value: string;
    };
    registerLanguage(name: string, grammar: unknown): void;
    getLanguage(name: string): unknown;
  }
  const hljs: HighlightApi;
  export default hljs;
}

declare module "*/vendor/highlight/languages/*.min.js" {
  const grammar: unknown;
  export default grammar;
}

// Types for the browser libraries `make web/vendor` copies from node_modules into web/vendor
// (imported as "../vendor/..."), taken from the same pinned npm packages.
declare module "*/vendor/marked.esm.js" {
  export * from "marked";
}

declare module "*/vendor/purify.es.mjs" {
  export { default } from "dompurify";
  export type * from "dompurify";
}

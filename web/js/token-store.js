// @ts-check
/**
 * Where a tab keeps its tokens: sessionStorage, so they live as long as the tab and no longer;
 * never localStorage, where every tab and every later visit could read them.
 */

/**
 * @typedef {import("./auth-tokens.js").Tokens} Tokens
 * @typedef {Pick<Storage, "getItem" | "setItem" | "removeItem">} KeyValueStore
 */

export const TOKENS_KEY = "stream-chat:tokens";

/**
 * @param {KeyValueStore} storage
 * @param {Tokens} tokens
 */
export function saveTokens(storage, tokens) {
  storage.setItem(TOKENS_KEY, JSON.stringify(tokens));
}

/**
 * The tokens saved in this tab, if any are readable.
 * @param {KeyValueStore} storage
 * @returns {Tokens | undefined}
 */
export function loadTokens(storage) {
  const saved = readJson(storage.getItem(TOKENS_KEY));
  if (
    typeof saved?.accessToken !== "string" ||
    typeof saved.issuedAt !== "number" ||
    typeof saved.expiresAt !== "number"
  ) {
    return undefined;
  }
  return {
    accessToken: saved.accessToken,
    idToken: typeof saved.idToken === "string" ? saved.idToken : undefined,
    refreshToken: typeof saved.refreshToken === "string" ? saved.refreshToken : undefined,
    issuedAt: saved.issuedAt,
    expiresAt: saved.expiresAt,
  };
}

/** @param {KeyValueStore} storage */
export function clearTokens(storage) {
  storage.removeItem(TOKENS_KEY);
}

/**
 * A stored JSON object, or undefined for anything else.
 * @param {string | null} text
 * @returns {Record<string, any> | undefined}
 */
export function readJson(text) {
  try {
    const value = text === null ? undefined : JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

// Test doubles for the sign-in code: an in-memory sessionStorage and a token endpoint as a fetch.
import { createHash } from "node:crypto";

export const AUTH = Object.freeze({
  kind: "cognito",
  clientId: "client-1",
  authorizeUrl: "https://login.example/oauth2/authorize",
  tokenUrl: "https://login.example/oauth2/token",
  logoutUrl: "https://login.example/logout",
  revokeUrl: "https://login.example/oauth2/revoke",
  scopes: ["openid", "email"],
});

export class MemoryStorage {
  #items = new Map();
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
  get size() {
    return this.#items.size;
  }
}

export function s256(verifier) {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** A JSON Response. */
export function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * A fetch that records each request (url, method, headers, form) and answers with `reply(request)`
 * (a Response, or a thrown error for a network failure).
 */
export function recordingFetch(reply) {
  const calls = [];
  const fetchImpl = async (url, init = {}) => {
    const request = {
      url: String(url),
      method: init.method ?? "GET",
      headers: init.headers ?? {},
      keepalive: init.keepalive ?? false,
      form: Object.fromEntries(new URLSearchParams(String(init.body ?? ""))),
    };
    calls.push(request);
    return reply(request);
  };
  return { fetch: fetchImpl, calls };
}

/** An unsigned JWT with these claims (the page never verifies; it only reads). */
export function jwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", kid: "k" })}.${part(claims)}.c2lnbmF0dXJl`;
}

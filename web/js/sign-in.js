// @ts-check
/**
 * The OAuth 2.0 authorization code flow with PKCE for a public client (RFC 6749 §4.1, RFC 7636),
 * as Amazon Cognito's managed login speaks it: the authorize redirect, the code exchange, the
 * refresh grant, revocation and the logout redirect.
 */
import { tokensFromResponse, TokenResponseError } from "./auth-tokens.js";
import { pkceChallenge, randomToken } from "./pkce.js";
import { readJson } from "./token-store.js";

/**
 * @typedef {import("./auth-tokens.js").Tokens} Tokens
 * @typedef {import("./config.js").AuthConfig} AuthConfig
 * @typedef {{code?: string, state: string, error?: string, errorDescription?: string}} Callback
 * @typedef {{state: string, verifier: string, redirectUri: string, createdAt: number}} Pending
 * @typedef {import("./token-store.js").KeyValueStore} KeyValueStore
 */

export const PENDING_KEY = "stream-chat:sign-in";
// A sign-in left unfinished for longer than this is not completed.
const PENDING_MAX_AGE_MS = 15 * 60_000;

export class SignInError extends Error {
  /**
   * @param {string} message  for the person signing in
   * @param {{code: string, final: boolean, cause?: unknown}} details  `final`: only a new
   *   sign-in helps (the grant was refused); otherwise retrying later may work
   */
  constructor(message, details) {
    super(message, { cause: details.cause });
    this.name = "SignInError";
    this.code = details.code;
    this.final = details.final;
  }
}

/**
 * The callback address registered with the client: the page's own directory, without its query.
 * @param {string} href
 */
export function redirectUriOf(href) {
  return new URL("./", href).href;
}

/**
 * Start a sign-in: remember a fresh state and verifier in `storage`, and return the authorize URL
 * to send the browser to.
 * @param {AuthConfig} auth
 * @param {string} redirectUri
 * @param {KeyValueStore} storage
 * @param {number} now
 */
export async function authorizeUrl(auth, redirectUri, storage, now) {
  /** @type {Pending} */
  const pending = { state: randomToken(16), verifier: randomToken(32), redirectUri, createdAt: now };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(auth.authorizeUrl);
  const params = {
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: redirectUri,
    scope: auth.scopes.join(" "),
    state: pending.state,
    code_challenge: await pkceChallenge(pending.verifier),
    code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

/**
 * The authorization response carried by this page's URL, if the page was loaded as one.
 * @param {string} href
 * @returns {Callback | undefined}
 */
export function callbackOf(href) {
  const params = new URL(href).searchParams;
  const state = params.get("state");
  if (state === null || !(params.has("code") || params.has("error"))) return undefined;
  return {
    state,
    code: params.get("code") ?? undefined,
    error: params.get("error") ?? undefined,
    errorDescription: params.get("error_description") ?? undefined,
  };
}

/**
 * The page's URL without the authorization response, for `history.replaceState`.
 * @param {string} href
 */
export function withoutCallback(href) {
  const url = new URL(href);
  for (const name of ["code", "state", "error", "error_description", "error_uri"]) {
    url.searchParams.delete(name);
  }
  return url.href;
}

/**
 * Finish a sign-in: the answer must carry the state this tab sent (else it was not started here:
 * login CSRF), then the code is exchanged with the verifier. The pending sign-in is used once.
 * @param {AuthConfig} auth
 * @param {Callback} callback
 * @param {{storage: KeyValueStore, fetch: typeof fetch, now: number}} env
 * @returns {Promise<Tokens>}
 */
export async function redeem(auth, callback, env) {
  const pending = takePending(env.storage, env.now);
  if (!pending || pending.state !== callback.state) {
    throw new SignInError("The sign-in answer does not belong to a sign-in started here.", {
      code: "state_mismatch",
      final: true,
    });
  }
  if (callback.error || !callback.code) {
    const reason = callback.errorDescription || callback.error || "no code";
    throw new SignInError(`The sign-in did not complete (${reason}).`, {
      code: callback.error ?? "no_code",
      final: true,
    });
  }
  const form = {
    grant_type: "authorization_code",
    client_id: auth.clientId,
    code: callback.code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.verifier,
  };
  return readTokens(await postForm(auth.tokenUrl, form, env.fetch), env.now);
}

/**
 * New tokens for old with the refresh token (the refresh token itself is kept unless rotated).
 * @param {AuthConfig} auth
 * @param {Tokens} tokens
 * @param {{fetch: typeof fetch, now: number}} env
 * @returns {Promise<Tokens>}
 */
export async function refresh(auth, tokens, env) {
  if (!tokens.refreshToken) {
    throw new SignInError("The session has ended.", { code: "no_refresh_token", final: true });
  }
  const form = {
    grant_type: "refresh_token",
    client_id: auth.clientId,
    refresh_token: tokens.refreshToken,
  };
  return readTokens(await postForm(auth.tokenUrl, form, env.fetch), env.now, tokens);
}

/**
 * Revoke the refresh token, so that it dies with the sign-out. Best effort: `keepalive` lets it
 * finish while the page moves on to the logout endpoint.
 * @param {AuthConfig} auth
 * @param {string} refreshToken
 * @param {typeof fetch} fetchImpl
 */
export function revoke(auth, refreshToken, fetchImpl) {
  if (!auth.revokeUrl) return Promise.resolve();
  const body = new URLSearchParams({ token: refreshToken, client_id: auth.clientId });
  return fetchImpl(auth.revokeUrl, { ...FORM_POST, body: body.toString(), keepalive: true })
    .then(() => undefined)
    .catch(() => undefined);
}

/**
 * The logout endpoint, which ends the managed-login session and comes back to `redirectUri`.
 * @param {AuthConfig} auth
 * @param {string} redirectUri
 */
export function logoutUrl(auth, redirectUri) {
  const url = new URL(auth.logoutUrl);
  url.searchParams.set("client_id", auth.clientId);
  url.searchParams.set("logout_uri", redirectUri);
  return url.href;
}

const FORM_POST = /** @type {const} */ ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  cache: "no-store",
  credentials: "omit",
});

/**
 * @param {string} url
 * @param {Record<string, string>} form
 * @param {typeof fetch} fetchImpl
 * @returns {Promise<unknown>}
 */
async function postForm(url, form, fetchImpl) {
  const body = new URLSearchParams(form).toString();
  const response = await fetchImpl(url, { ...FORM_POST, body }).catch((error) => {
    throw new SignInError("The sign-in service could not be reached.", {
      code: "network_error",
      final: false,
      cause: error,
    });
  });
  const payload = await response.json().catch(() => undefined);
  if (!response.ok) {
    const code = typeof payload?.error === "string" ? payload.error : `http_${response.status}`;
    // A 4xx refuses this grant for good (expired, revoked, reused); a 5xx may pass later.
    throw new SignInError(`The sign-in service refused the request (${code}).`, {
      code,
      final: response.status < 500,
    });
  }
  return payload;
}

/**
 * @param {unknown} payload
 * @param {number} now
 * @param {Tokens} [previous]
 */
function readTokens(payload, now, previous) {
  try {
    return tokensFromResponse(payload, now, previous);
  } catch (error) {
    if (!(error instanceof TokenResponseError)) throw error;
    throw new SignInError(`The sign-in service answered oddly: ${error.message}.`, {
      code: "invalid_token_response",
      final: true,
      cause: error,
    });
  }
}

/**
 * @param {KeyValueStore} storage
 * @param {number} now
 * @returns {Pending | undefined}
 */
function takePending(storage, now) {
  const pending = readJson(storage.getItem(PENDING_KEY));
  storage.removeItem(PENDING_KEY);
  const fresh = typeof pending?.createdAt === "number" && now - pending.createdAt < PENDING_MAX_AGE_MS;
  const valid = ["state", "verifier", "redirectUri"].every((k) => typeof pending?.[k] === "string");
  return fresh && valid ? /** @type {Pending} */ (pending) : undefined;
}

// @ts-check
/**
 * What a token endpoint answer means to the page: when the access token expires, when to renew
 * it, and who it belongs to. The page never verifies a token (the function does); it only reads
 * the claims it shows.
 */

/**
 * @typedef {object} Tokens
 * @property {string} accessToken
 * @property {string | undefined} idToken
 * @property {string | undefined} refreshToken
 * @property {number} issuedAt   epoch ms, by this page's clock
 * @property {number} expiresAt  epoch ms, by this page's clock
 */

// A token this close to its expiry is not sent: it could expire on the way.
export const EXPIRY_MARGIN_MS = 30_000;
// Renew this long before the expiry (or at half the lifetime, for short-lived tokens).
export const REFRESH_LEAD_MS = 5 * 60_000;

export class TokenResponseError extends Error {}

/**
 * Read a token endpoint's JSON answer. Lifetimes are counted from `now` (`expires_in`), so a
 * wrong clock on this machine cannot make a token look fresh. A refresh answer carries no new
 * refresh token unless the server rotates it: the previous one is kept.
 * @param {unknown} body
 * @param {number} now
 * @param {Tokens} [previous]
 * @returns {Tokens}
 */
export function tokensFromResponse(body, now, previous) {
  const values = /** @type {Record<string, unknown>} */ (
    typeof body === "object" && body !== null ? body : {}
  );
  const { access_token: access, token_type: type, expires_in: expiresIn } = values;
  if (typeof access !== "string" || !access) {
    throw new TokenResponseError("the token response has no access_token");
  }
  if (typeof type !== "string" || type.toLowerCase() !== "bearer") {
    throw new TokenResponseError("the token response is not a Bearer token");
  }
  if (typeof expiresIn !== "number" || !(expiresIn > 0)) {
    throw new TokenResponseError("the token response has no valid expires_in");
  }
  return {
    accessToken: access,
    idToken: stringOr(values.id_token, previous?.idToken),
    refreshToken: stringOr(values.refresh_token, previous?.refreshToken),
    issuedAt: now,
    expiresAt: now + expiresIn * 1000,
  };
}

/**
 * Whether the access token can still be sent.
 * @param {Tokens} tokens
 * @param {number} now
 */
export function isFresh(tokens, now) {
  return tokens.expiresAt - now > EXPIRY_MARGIN_MS;
}

/**
 * How long from `now` until the tokens should be renewed (0: at once).
 * @param {Tokens} tokens
 * @param {number} now
 */
export function refreshDelayMs(tokens, now) {
  const lifetime = tokens.expiresAt - tokens.issuedAt;
  const lead = Math.min(REFRESH_LEAD_MS, lifetime / 2);
  return Math.max(0, tokens.expiresAt - lead - now);
}

/**
 * The payload of a JWT, unverified: for display only. `{}` for anything unreadable.
 * @param {string | undefined} jwt
 * @returns {Record<string, unknown>}
 */
export function claimsOf(jwt) {
  const payload = jwt?.split(".")[1];
  if (!payload) return {};
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? claims : {};
  } catch {
    return {};
  }
}

/**
 * The name to show for the signed-in user: the e-mail address when the ID token has one, else
 * the user name.
 * @param {Tokens} tokens
 */
export function displayName(tokens) {
  const id = claimsOf(tokens.idToken);
  const access = claimsOf(tokens.accessToken);
  for (const value of [id.email, id["cognito:username"], access.username, id.sub, access.sub]) {
    if (typeof value === "string" && value) return value;
  }
  return "signed-in user";
}

/**
 * @param {unknown} value
 * @param {string | undefined} fallback
 */
function stringOr(value, fallback) {
  return typeof value === "string" && value ? value : fallback;
}

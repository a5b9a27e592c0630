// @ts-check
/**
 * Proof Key for Code Exchange (RFC 7636) and the random values of a sign-in: the verifier stays in
 * this tab, only its S256 challenge goes to the authorization server, so an intercepted code is
 * useless without it.
 */

/**
 * Base64url without padding (RFC 4648 §5), as PKCE and JWTs use it.
 * @param {Uint8Array} bytes
 */
export function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * A random URL-safe string from `byteLength` bytes of the platform's CSPRNG. 32 bytes give the
 * 43-character verifier RFC 7636 recommends.
 * @param {number} [byteLength]
 */
export function randomToken(byteLength = 32) {
  const bytes = new Uint8Array(byteLength);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/**
 * The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))).
 * @param {string} verifier
 * @returns {Promise<string>}
 */
export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

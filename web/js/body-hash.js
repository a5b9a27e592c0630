// @ts-check
/**
 * The payload hash CloudFront Origin Access Control needs on every POST to a Lambda function URL:
 * Lambda does not accept unsigned payloads, so the browser sends `x-amz-content-sha256`.
 * (CloudFront Developer Guide, "Restricting access to an AWS Lambda function URL origin").
 */

export const BODY_HASH_HEADER = "x-amz-content-sha256";

/** SHA-256 of zero bytes: the cancel route's body is empty. */
export const EMPTY_BODY_SHA256 =
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Lowercase hex SHA-256 of the exact bytes that will be sent.
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @returns {Promise<string>}
 */
export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The header object for a body, or none where Web Crypto is unavailable: `crypto.subtle` exists
 * only in secure contexts, and CloudFront (the one place the header matters) is always HTTPS.
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @returns {Promise<Record<string, string>>}
 */
export async function bodyHashHeaders(bytes) {
  if (bytes.length === 0) return { [BODY_HASH_HEADER]: EMPTY_BODY_SHA256 };
  if (!globalThis.crypto?.subtle) return {};
  return { [BODY_HASH_HEADER]: await sha256Hex(bytes) };
}

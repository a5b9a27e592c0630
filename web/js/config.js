// @ts-check
/**
 * The page's runtime configuration, from `config.json` next to the page: the local server
 * generates it, and the deployment writes one for CloudFront. Missing or invalid values fall back
 * to the defaults below, which match the function's own defaults.
 */
import { NO_ATTACHMENTS, parseAttachments } from "./attachments.js";

/**
 * @typedef {object} PageConfig
 * @property {string} apiBase  prefix of the API routes; "" when the page and API share an origin
 * @property {Provider | ""} provider  who answers; "demo" is the offline demo model; "" unknown
 * @property {number} stallTimeoutS  the server ends a stream after this long without progress
 * @property {number} heartbeatS  the server sends `: ping` after this long without a frame
 * @property {number} firstTokenTimeoutS  the server waits this long for the first token
 * @property {AuthConfig | null} auth  how to sign in; null when the API is open (`make dev`)
 * @property {Features} features  what a message may ask for; the function refuses the rest
 * @property {AttachmentLimits} attachments  the files a message may carry (none: `maxFiles` 0)
 * @property {string[]} models  the models a message may name, in the deployment's order
 * @property {string} model  the one a message that names none gets; "" unknown
 *
 * @typedef {{thinking: boolean, search: boolean}} Features
 *
 * @typedef {"anthropic" | "bedrock" | "demo"} Provider
 * @typedef {import("./attachments.js").AttachmentLimits} AttachmentLimits
 *
 * @typedef {object} AuthConfig
 * @property {"cognito"} kind
 * @property {string} clientId      the public app client (no secret)
 * @property {string} authorizeUrl  the managed login's /oauth2/authorize
 * @property {string} tokenUrl      its /oauth2/token
 * @property {string} logoutUrl     its /logout
 * @property {string | undefined} revokeUrl  its /oauth2/revoke, when it has one
 * @property {string[]} scopes
 */

/** @type {Readonly<PageConfig>} */
export const DEFAULT_CONFIG = Object.freeze({
  apiBase: "",
  provider: "",
  stallTimeoutS: 30,
  heartbeatS: 10,
  firstTokenTimeoutS: 60,
  auth: null,
  features: Object.freeze({ thinking: false, search: false }),
  attachments: NO_ATTACHMENTS,
  models: [],
  model: "",
});

/** @type {readonly Provider[]} */
const PROVIDERS = ["anthropic", "bedrock", "demo"];

// The page waits for its config before it is usable: never for long.
const CONFIG_TIMEOUT_MS = 3000;

// Slack for network and scheduling delays, so that the server's own timeout error (which names
// the cause) reaches the page before the client's watchdog gives up.
const WATCHDOG_GRACE_S = 5;

/**
 * @param {string} [url]
 * @returns {Promise<PageConfig>}
 */
export async function loadConfig(url = "config.json") {
  try {
    const signal = AbortSignal.timeout(CONFIG_TIMEOUT_MS);
    const response = await fetch(url, { cache: "no-store", signal });
    return response.ok ? parseConfig(await response.json()) : { ...DEFAULT_CONFIG };
  } catch {
    return { ...DEFAULT_CONFIG };
  }
}

/**
 * Keep each known field whose type is right; ignore everything else.
 * @param {unknown} raw
 * @returns {PageConfig}
 */
export function parseConfig(raw) {
  const config = { ...DEFAULT_CONFIG };
  if (typeof raw !== "object" || raw === null) return config;
  const values = /** @type {Record<string, unknown>} */ (raw);
  if (typeof values.apiBase === "string") config.apiBase = values.apiBase.replace(/\/+$/, "");
  if (PROVIDERS.includes(/** @type {Provider} */ (values.provider))) {
    config.provider = /** @type {Provider} */ (values.provider);
  }
  for (const key of /** @type {const} */ (["stallTimeoutS", "heartbeatS", "firstTokenTimeoutS"])) {
    const value = values[key];
    if (typeof value === "number" && Number.isFinite(value) && value > 0) config[key] = value;
  }
  config.auth = parseAuth(values.auth);
  config.features = parseFeatures(values.features);
  config.attachments = parseAttachments(values.attachments);
  const models = values.models;
  if (Array.isArray(models) && models.every((m) => typeof m === "string" && m)) {
    config.models = [...new Set(/** @type {string[]} */ (models))];
  }
  if (typeof values.model === "string") config.model = values.model;
  return config;
}

/**
 * The `features` entry: each switch on only when it says `true`.
 * @param {unknown} raw
 * @returns {Features}
 */
export function parseFeatures(raw) {
  if (typeof raw !== "object" || raw === null) return { thinking: false, search: false };
  const values = /** @type {Record<string, unknown>} */ (raw);
  return { thinking: values.thinking === true, search: values.search === true };
}

/**
 * The `auth` entry: `null` (no sign-in) or a complete Cognito client description. A malformed
 * one also gives `null`, and the API's 401 then says what is wrong.
 * @param {unknown} raw
 * @returns {AuthConfig | null}
 */
export function parseAuth(raw) {
  if (typeof raw !== "object" || raw === null) return null;
  const values = /** @type {Record<string, unknown>} */ (raw);
  const [authorizeUrl, tokenUrl, logoutUrl] = [
    values.authorize_url,
    values.token_url,
    values.logout_url,
  ].map(endpoint);
  const revokeUrl = values.revoke_url === undefined ? undefined : endpoint(values.revoke_url);
  const scopes = values.scopes;
  const scopesOk = Array.isArray(scopes) && scopes.every((s) => typeof s === "string" && s);
  if (
    values.kind !== "cognito" ||
    typeof values.client_id !== "string" ||
    !values.client_id ||
    !authorizeUrl ||
    !tokenUrl ||
    !logoutUrl ||
    revokeUrl === null ||
    !scopesOk
  ) {
    console.warn("config.json: ignoring an invalid auth entry", raw);
    return null;
  }
  const clientId = values.client_id;
  const list = /** @type {string[]} */ (scopes);
  return { kind: "cognito", clientId, authorizeUrl, tokenUrl, logoutUrl, revokeUrl, scopes: list };
}

/**
 * An endpoint URL: https, or http on this machine (a local stand-in); else null.
 * @param {unknown} value
 */
function endpoint(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    const local = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    return url.protocol === "https:" || (url.protocol === "http:" && local) ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The stream client's watchdog limits. Heartbeats never reset them: a connection that carries
 * only pings for longer than the server would ever wait is as dead as a silent one.
 * @param {PageConfig} config
 * @returns {{firstTextTimeoutMs: number, idleTimeoutMs: number}}
 */
export function watchdogTimeouts(config) {
  const slackS = config.heartbeatS + WATCHDOG_GRACE_S;
  return {
    firstTextTimeoutMs: (config.firstTokenTimeoutS + slackS) * 1000,
    idleTimeoutMs: (config.stallTimeoutS + slackS) * 1000,
  };
}

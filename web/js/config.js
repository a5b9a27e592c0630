// @ts-check
/**
 * The page's runtime configuration, from `config.json` next to the page: the local server
 * generates it, and the deployment writes one for CloudFront. Missing or invalid values fall back
 * to the defaults below, which match the function's own defaults.
 */

/**
 * @typedef {object} PageConfig
 * @property {string} apiBase  prefix of the API routes; "" when the page and API share an origin
 * @property {number} stallTimeoutS  the server ends a stream after this long without progress
 * @property {number} heartbeatS  the server sends `: ping` after this long without a frame
 * @property {number} firstTokenTimeoutS  the server waits this long for the first token
 */

/** @type {Readonly<PageConfig>} */
export const DEFAULT_CONFIG = Object.freeze({
  apiBase: "",
  stallTimeoutS: 30,
  heartbeatS: 10,
  firstTokenTimeoutS: 60,
});

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
  for (const key of /** @type {const} */ (["stallTimeoutS", "heartbeatS", "firstTokenTimeoutS"])) {
    const value = values[key];
    if (typeof value === "number" && Number.isFinite(value) && value > 0) config[key] = value;
  }
  return config;
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

// @ts-check
/**
 * Live numbers for one answer: time to first token, output tokens per second and, once the
 * server's `usage` frame arrives, what the answer cost. Until then the token count is estimated
 * from the text length; a cost computed from estimated counts is shown as an estimate too.
 */

// Rough English average for Claude's tokenizer; only used until the real count arrives.
const CHARS_PER_TOKEN = 4;
// Below this, a rate is noise (a burst of buffered tokens), so none is shown.
const MIN_RATE_WINDOW_MS = 250;
// The server prices to the micro-dollar; below this a figure means nothing to a reader.
const MIN_SHOWN_USD = 0.0001;

/**
 * @typedef {object} StatsSnapshot
 * @property {number | undefined} ttftMs  request sent → first text
 * @property {number} tokens              output tokens so far
 * @property {boolean} estimated          whether `tokens` is an estimate
 * @property {number | undefined} tokensPerSecond
 * @property {number | undefined} [costUsd]  from the server's price table; absent when unknown
 */

export class StreamStats {
  #sentAt;
  /** @type {number | undefined} */
  #firstTextAt = undefined;
  #lastTextAt = 0;
  #chars = 0;
  /** @type {{tokens: number, estimated: boolean, costUsd: number | undefined} | undefined} */
  #usage = undefined;

  /** @param {number} sentAt  a `performance.now()` timestamp */
  constructor(sentAt) {
    this.#sentAt = sentAt;
  }

  /**
   * @param {string} text
   * @param {number} now
   */
  onText(text, now) {
    this.#firstTextAt ??= now;
    this.#lastTextAt = now;
    this.#chars += text.length;
  }

  /** @param {{output_tokens: number, estimated?: boolean, cost_usd?: number}} usage */
  onUsage(usage) {
    this.#usage = {
      tokens: usage.output_tokens,
      estimated: usage.estimated === true,
      costUsd: typeof usage.cost_usd === "number" ? usage.cost_usd : undefined,
    };
  }

  /**
   * @param {number} now
   * @param {boolean} [finished]  measure the rate up to the last text rather than up to now
   * @returns {StatsSnapshot}
   */
  snapshot(now, finished = false) {
    const first = this.#firstTextAt;
    const tokens = this.#usage?.tokens ?? Math.ceil(this.#chars / CHARS_PER_TOKEN);
    const window = first === undefined ? 0 : (finished ? this.#lastTextAt : now) - first;
    return {
      ttftMs: first === undefined ? undefined : first - this.#sentAt,
      tokens,
      estimated: this.#usage ? this.#usage.estimated : true,
      tokensPerSecond: window >= MIN_RATE_WINDOW_MS ? (tokens * 1000) / window : undefined,
      costUsd: this.#usage?.costUsd,
    };
  }
}

/**
 * "TTFT 412 ms · 38 tok/s · 128 tokens · $0.0021", leaving out what is not known yet.
 * @param {StatsSnapshot} stats
 */
export function formatStats(stats) {
  const parts = [];
  if (stats.ttftMs !== undefined) parts.push(`TTFT ${formatMs(stats.ttftMs)}`);
  if (stats.tokensPerSecond !== undefined) {
    parts.push(`${Math.round(stats.tokensPerSecond)} tok/s`);
  }
  if (stats.tokens > 0) {
    const approx = stats.estimated ? "~" : "";
    parts.push(`${approx}${stats.tokens} token${stats.tokens === 1 ? "" : "s"}`);
  }
  if (stats.costUsd !== undefined) parts.push(`${stats.estimated ? "~" : ""}${formatUsd(stats.costUsd)}`);
  return parts.join(" · ");
}

/**
 * Cents from a dime up; below that two significant digits, since an answer often costs a fraction
 * of a cent.
 * @param {number} usd
 */
function formatUsd(usd) {
  if (usd === 0) return "$0";
  if (usd < MIN_SHOWN_USD) return `<$${MIN_SHOWN_USD}`;
  return usd >= 0.1 ? `$${usd.toFixed(2)}` : `$${Number(usd.toPrecision(2))}`;
}

/** @param {number} ms */
function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// @ts-check
/**
 * The numbers behind a settled answer, as label/value rows for its expandable details: for
 * developers and support, so one click away rather than on every answer.
 */

/** @typedef {import("./conversation.js").Answer} Answer */

/**
 * @param {Answer} answer
 * @returns {Array<[string, string]>}
 */
export function formatDetails(answer) {
  const stats = answer.stats ?? {};
  const approx = stats.estimated ? "~" : "";
  /** @type {Array<[string, string]>} */
  const rows = [];
  if (answer.model) rows.push(["Model", answer.model]);
  if (stats.inputTokens !== undefined) rows.push(["Input", tokens(stats.inputTokens, approx)]);
  if (stats.outputTokens) rows.push(["Output", tokens(stats.outputTokens, approx)]);
  if (stats.costUsd !== undefined) rows.push(["Cost", formatUsd(stats.costUsd, approx)]);
  if (stats.webSearches) rows.push(["Web searches", String(stats.webSearches)]);
  if (stats.webFetches) rows.push(["Pages read", String(stats.webFetches)]);
  if (stats.ttftMs !== undefined) rows.push(["First token", formatMs(stats.ttftMs)]);
  if (stats.tokensPerSecond !== undefined) {
    rows.push(["Speed", `${Math.round(stats.tokensPerSecond)} tokens/s`]);
  }
  if (answer.streamId) rows.push(["Stream id", answer.streamId]);
  if (answer.error?.requestId) rows.push(["Request id", answer.error.requestId]);
  return rows;
}

/**
 * @param {number} count
 * @param {string} approx
 */
function tokens(count, approx) {
  return `${approx}${count.toLocaleString("en-US")} token${count === 1 ? "" : "s"}`;
}

/**
 * Dollars to two significant digits below a cent, to the cent above.
 * @param {number} usd
 * @param {string} approx
 */
export function formatUsd(usd, approx = "") {
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  const text = usd >= 0.01 ? usd.toFixed(2) : usd.toPrecision(2);
  return `${approx}$${text}`;
}

/** @param {number} ms */
function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

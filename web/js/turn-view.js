// @ts-check
/**
 * The DOM of one question and its answer. Rendering only: it never fetches. Model output only
 * ever reaches the page as sanitised markdown, re-rendered in animation frames while it streams.
 */
import { decorateCodeBlocks } from "./code-blocks.js";
import { renderMarkdown } from "./markdown.js";

/** @typedef {import("./conversation.js").TurnStatus} TurnStatus */

/** @type {Record<TurnStatus, string>} */
export const STATUS_LABELS = {
  sending: "Sending…",
  streaming: "Streaming…",
  done: "Done",
  stopped: "Stopped",
  incomplete: "Incomplete",
  error: "Error",
};

// Markdown is re-rendered while the answer streams, at most this often, and never taking more
// than about 1/RENDER_COST_SHARE of the time: long answers render less often, not slower.
const MIN_RENDER_INTERVAL_MS = 50;
const RENDER_COST_SHARE = 8;

export class TurnView {
  element = element("li", "turn");
  #answer = element("article", "answer");
  #status = element("span", "status");
  #stats = element("span", "stats");
  #body = element("div", "answer-body");
  #error = element("div", "answer-error");
  #retry = element("button", "button button-small retry");
  #text = "";
  #dirty = false;
  #pendingStats = "";
  #frame = 0;
  #renderedAt = -Infinity;
  #renderCostMs = 0;
  #onChange;

  /**
   * @param {string} prompt
   * @param {{onRetry: () => void, onChange: () => void}} handlers  `onChange` runs after each
   *   batch of DOM updates (auto-scroll hooks in there)
   */
  constructor(prompt, handlers) {
    this.#onChange = handlers.onChange;
    const question = element("div", "question");
    question.append(element("p", "visually-hidden", "You said:"), element("p", "bubble", prompt));
    const meta = element("div", "answer-meta");
    meta.append(this.#status, this.#stats);
    this.#retry.textContent = "Retry";
    this.#retry.setAttribute("type", "button");
    this.#retry.hidden = true;
    this.#retry.addEventListener("click", handlers.onRetry);
    this.#error.hidden = true;
    this.#answer.setAttribute("aria-label", "Answer");
    this.#answer.append(meta, this.#body, this.#error, this.#retry);
    this.element.append(question, this.#answer);
    this.setStatus("sending");
  }

  /**
   * @param {TurnStatus} status
   * @param {string} [note]  shown next to the label, e.g. why a finished answer ended
   */
  setStatus(status, note) {
    this.element.dataset.status = status;
    this.#status.textContent = note ? `${STATUS_LABELS[status]} · ${note}` : STATUS_LABELS[status];
    const busy = status === "sending" || status === "streaming";
    this.#answer.setAttribute("aria-busy", String(busy));
  }

  /**
   * Queue answer text. The DOM is updated in animation frames, whatever the token rate.
   * @param {string} text
   */
  appendText(text) {
    this.#text += text;
    this.#dirty = true;
    this.#schedule();
  }

  /** @param {string} text */
  setStats(text) {
    this.#pendingStats = text;
    this.#schedule();
  }

  /**
   * Render the settled answer now, whatever the throttle says.
   * @param {string} answer  the whole answer
   */
  finish(answer) {
    this.#text = answer;
    this.#dirty = answer !== "";
    this.#flush(Infinity);
  }

  /** @param {{title: string, detail: string} | undefined} error */
  showError(error) {
    this.#error.hidden = !error;
    if (error) {
      this.#error.replaceChildren(
        element("p", "error-title", error.title),
        element("p", "error-detail", error.detail),
      );
    } else {
      this.#error.replaceChildren();
    }
    this.#onChange();
  }

  /** @param {boolean} visible */
  showRetry(visible) {
    if (this.#retry.hidden === !visible) return;
    this.#retry.hidden = !visible;
    this.#onChange();
  }

  /** Forget the answer, for a retry of the same question. */
  reset() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#text = "";
    this.#dirty = false;
    this.#pendingStats = "";
    this.#renderedAt = -Infinity;
    this.#body.replaceChildren();
    this.#stats.textContent = "";
    this.showError(undefined);
    this.showRetry(false);
    this.setStatus("sending");
  }

  #schedule() {
    if (this.#frame === 0) this.#frame = requestAnimationFrame((now) => this.#flush(now));
  }

  /** @param {number} now */
  #flush(now) {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    const interval = Math.max(MIN_RENDER_INTERVAL_MS, RENDER_COST_SHARE * this.#renderCostMs);
    if (this.#dirty && now - this.#renderedAt >= interval) this.#render();
    else if (this.#dirty) this.#schedule();
    if (this.#pendingStats) {
      this.#stats.textContent = this.#pendingStats;
      this.#pendingStats = "";
    }
    this.#onChange();
  }

  #render() {
    const started = performance.now();
    // Sanitised on every render: partial markdown is as untrusted as the final answer.
    const fragment = renderMarkdown(this.#text);
    decorateCodeBlocks(fragment);
    this.#body.replaceChildren(fragment);
    this.#dirty = false;
    this.#renderedAt = started;
    this.#renderCostMs = performance.now() - started;
  }
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

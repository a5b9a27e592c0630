// @ts-check
/**
 * The DOM of what an answer streams besides its text (answer-parts.js): above the answer, the
 * "Thinking" disclosure and the tool steps; under it, the numbered "Sources" and the sentence
 * saying why the answer stopped. Every model or tool string goes in as textContent; only
 * http(s) urls become links. Rendering follows the data, so a stored answer replays the same way;
 * while streaming, thinking text is appended rather than rewritten.
 */
import { stepLine, stopSentence } from "./answer-parts.js";
import { isWebUrl } from "./markdown-view.js";

/** @typedef {import("./answer-parts.js").AnswerParts} AnswerParts */

const REDACTED_LINE = "Some of the reasoning was encrypted for safety and is not shown.";
let panels = 0;

export class PartsView {
  /** What goes above the answer's text. */
  top = element("div", "answer-parts");
  /** What goes under it. */
  bottom = element("div", "answer-parts");
  #thinking = element("section", "thinking");
  #toggle = element("button", "thinking-toggle", "Thinking");
  #duration = element("span", "thinking-duration");
  #panel = element("div", "thinking-panel");
  #thought = element("div", "thinking-text");
  #redacted = element("p", "thinking-redacted", REDACTED_LINE);
  #steps = element("ul", "answer-steps");
  #sourcesBox = element("div", "sources-box");
  #sources = element("ol", "sources");
  #notice = element("p", "stop-notice");
  #shownThought = 0;
  #shownSteps = "";
  #shownSources = "";
  // Open while the thinking streams; closed once the answer starts, unless the reader chose.
  #chosen = false;

  constructor() {
    const id = `thinking-${(panels += 1)}`;
    this.#panel.id = id;
    this.#toggle.type = "button";
    this.#toggle.setAttribute("aria-controls", id);
    this.#toggle.addEventListener("click", () => {
      this.#chosen = true;
      this.#expand(this.#panel.hidden);
    });
    const header = element("div", "thinking-header");
    header.append(this.#toggle, this.#duration);
    this.#panel.append(this.#thought, this.#redacted);
    this.#thinking.append(header, this.#panel);
    this.#steps.setAttribute("aria-label", "Steps");
    this.#sources.setAttribute("aria-label", "Sources");
    const title = element("p", "sources-title", "Sources");
    title.setAttribute("aria-hidden", "true");
    this.#sourcesBox.append(title, this.#sources);
    this.top.append(this.#thinking, this.#steps);
    this.bottom.append(this.#sourcesBox, this.#notice);
    this.clear();
  }

  /** Nothing to show: a new answer, or one without any parts. */
  clear() {
    this.#thought.replaceChildren();
    this.#shownThought = 0;
    this.#shownSteps = "";
    this.#shownSources = "";
    this.#chosen = false;
    this.#thinking.hidden = true;
    this.#expand(false);
    this.#steps.replaceChildren();
    this.#steps.hidden = true;
    this.#sources.replaceChildren();
    this.#sourcesBox.hidden = true;
    this.#notice.textContent = "";
    this.#notice.hidden = true;
  }

  /**
   * Bring the DOM up to `parts`.
   * @param {AnswerParts | undefined} parts
   * @param {{streaming: boolean, answering: boolean}} state  `answering`: answer text has begun
   */
  render(parts, state) {
    if (!parts) return;
    this.#renderThinking(parts, state);
    const lines = parts.steps.map(stepLine);
    if (lines.join("\n") !== this.#shownSteps) {
      this.#shownSteps = lines.join("\n");
      this.#steps.replaceChildren(...lines.map((line) => element("li", "answer-step", line)));
      this.#steps.hidden = lines.length === 0;
    }
    const sources = JSON.stringify(parts.sources);
    if (sources !== this.#shownSources) {
      this.#shownSources = sources;
      this.#sources.replaceChildren(...parts.sources.map(sourceItem));
      this.#sourcesBox.hidden = parts.sources.length === 0;
    }
    const sentence = !state.streaming && parts.stop ? stopSentence(parts.stop) : undefined;
    this.#notice.textContent = sentence ?? "";
    this.#notice.hidden = !sentence;
  }

  /**
   * @param {AnswerParts} parts
   * @param {{streaming: boolean, answering: boolean}} state
   */
  #renderThinking(parts, state) {
    const thinking = parts.thinking;
    if (!thinking) return;
    if (this.#thinking.hidden) {
      this.#thinking.hidden = false;
      this.#expand(state.streaming && !state.answering);
    } else if (state.answering && !this.#chosen && !this.#panel.hidden) this.#expand(false);
    if (thinking.text.length > this.#shownThought) {
      this.#thought.append(thinking.text.slice(this.#shownThought));
      this.#shownThought = thinking.text.length;
    }
    this.#redacted.hidden = thinking.redacted === 0;
    const under = thinking.openedAt !== undefined && state.streaming;
    this.#duration.textContent = under ? "…" : durationOf(thinking.ms);
  }

  /** @param {boolean} open */
  #expand(open) {
    this.#panel.hidden = !open;
    this.#toggle.setAttribute("aria-expanded", String(open));
  }
}

/** @param {number} ms */
function durationOf(ms) {
  return `Thought for ${Math.max(1, Math.round(ms / 1000))} s`;
}

/** @param {{url: string, title: string}} source */
function sourceItem(source) {
  const item = element("li", "source");
  if (!isWebUrl(source.url)) {
    item.append(element("span", "source-title", source.title));
    return item;
  }
  const link = element("a", "source-title", source.title);
  link.href = source.url;
  link.target = "_blank";
  link.rel = "noopener noreferrer nofollow";
  item.append(link, " ", element("span", "source-host", new URL(source.url).hostname));
  return item;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

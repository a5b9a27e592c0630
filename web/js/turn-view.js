// @ts-check
/**
 * The DOM of one question and its answer. Rendering only: it never fetches. Model output only
 * ever reaches the page as sanitised markdown (markdown-view.js), rendered in animation frames
 * while it streams; what the user can do with the answer is the action row (answer-actions.js).
 */
import { AnswerActions } from "./answer-actions.js";
import { fileList } from "./attachment-tray.js";
import { formatDetails } from "./answer-details.js";
import { PartsView } from "./answer-parts-view.js";
import { MarkdownView } from "./markdown-view.js";
import { markFresh, TextPacer } from "./smooth-text.js";
import { VersionSwitch } from "./version-switch.js";

/**
 * @typedef {import("./conversation.js").TurnStatus} TurnStatus
 * @typedef {import("./conversation.js").Answer} Answer
 * @typedef {import("./answer-actions.js").ActionHandlers} ActionHandlers
 * @typedef {import("./answer-actions.js").ActionState} ActionState
 * @typedef {import("./answer-parts.js").AnswerParts} AnswerParts
 */

/** @type {Record<TurnStatus, string>} */
export const STATUS_LABELS = {
  sending: "Sending…",
  streaming: "Streaming…",
  reconnecting: "Reconnecting…",
  done: "Done",
  stopped: "Stopped",
  incomplete: "Incomplete",
  error: "Error",
};

// The growing block is re-rendered at most this often while the answer streams, and never taking
// more than about 1/RENDER_COST_SHARE of the time.
const MIN_RENDER_INTERVAL_MS = 50;
const RENDER_COST_SHARE = 8;
const REDUCED_MOTION = matchMedia("(prefers-reduced-motion: reduce)");

export class TurnView {
  element = element("li", "turn");
  #bubble = element("p", "bubble");
  #question = element("div", "question");
  #files = element("div", "question-files");
  // The question carries files (a question of files alone may have no text).
  #hasFiles = false;
  #editButton = element("button", "button button-small button-ghost edit-button", "Edit");
  #answer = element("article", "answer");
  #status = element("span", "status");
  #model = element("span", "model");
  #details = element("details", "stats-details");
  #stats = element("summary", "stats", "Details");
  #detailList = element("dl", "stats-list");
  #body = element("div", "answer-body");
  #error = element("div", "answer-error");
  /** @type {AnswerParts | undefined} */
  #answerParts = undefined;
  #markdown = new MarkdownView(this.#body, (source) => this.#answerParts?.sources[source - 1]);
  #parts = new PartsView();
  #pacer = new TextPacer(() => REDUCED_MOTION.matches);
  // While it streams the answer never gets shorter (a block changing its kind as it grows would
  // make the text under the reader's eyes jump): the tallest it was, at this width.
  #held = { height: 0, width: 0 };
  #partsDirty = false;
  // Answer text has begun: the thinking above it closes.
  #answering = false;
  #actions;
  #dirty = false;
  #pendingStats = "";
  #frame = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer = undefined;
  #renderedAt = -Infinity;
  #renderCostMs = 0;
  #onChange;
  #onEdit;
  #questionVersions;

  /**
   * @param {string} prompt
   * @param {ActionHandlers & {onChange: () => void, onEdit: (prompt: string) => void,
   *   onShowQuestion: (step: -1 | 1) => void}} handlers
   *   `onChange` runs after each batch of DOM updates (auto-scroll hooks in there)
   */
  constructor(prompt, handlers) {
    this.#onChange = handlers.onChange;
    this.#onEdit = handlers.onEdit;
    this.#actions = new AnswerActions(handlers, () => this.#copyText());
    this.#showPrompt(prompt);
    this.#editButton.type = "button";
    this.#editButton.setAttribute("aria-label", "Edit message");
    this.#editButton.hidden = true;
    this.#editButton.addEventListener("click", () => this.#startEdit());
    this.#question.append(element("p", "visually-hidden", "You said:"), this.#bubble);
    this.#files.hidden = true;
    this.#question.append(this.#editButton);
    // An edited question is a sibling of the one first asked: "‹ 2 / 2 ›" under it.
    this.#questionVersions = new VersionSwitch("message", handlers.onShowQuestion);
    this.#question.append(this.#questionVersions.element);
    const meta = element("div", "answer-meta");
    this.#details.append(this.#stats, this.#detailList);
    this.#details.hidden = true;
    meta.append(this.#status, this.#model, this.#details);
    this.#error.hidden = true;
    this.#answer.setAttribute("aria-label", "Answer");
    this.#answer.append(
      meta,
      this.#parts.top,
      this.#body,
      this.#parts.bottom,
      this.#error,
      this.#actions.element,
    );
    this.element.append(this.#question, this.#files, this.#answer);
    this.setStatus("sending");
  }

  /**
   * @param {TurnStatus} status
   * @param {string} [note]  shown next to the label, e.g. why a finished answer ended
   */
  setStatus(status, note) {
    this.element.dataset.status = status;
    this.#status.textContent = note ? `${STATUS_LABELS[status]} · ${note}` : STATUS_LABELS[status];
    const busy = status === "sending" || status === "streaming" || status === "reconnecting";
    this.#answer.setAttribute("aria-busy", String(busy));
  }

  /** @param {string | undefined} model */
  setModel(model) {
    this.#model.textContent = model ?? "";
    this.#model.hidden = !model;
  }

  /**
   * Queue answer text. The DOM is updated in animation frames, whatever the token rate.
   * @param {string} text
   */
  appendText(text) {
    this.#pacer.push(text);
    this.#answering ||= text.trim() !== "";
    this.#dirty = true;
    this.#schedule();
  }

  /**
   * What the answer streams besides its text: rendered in the same frames as the text.
   * @param {AnswerParts} parts  kept by reference; call `partsChanged` after changing it
   */
  setParts(parts) {
    this.#answerParts = parts;
    this.partsChanged();
  }

  partsChanged() {
    this.#partsDirty = true;
    this.#schedule();
  }

  /**
   * A citation of source number `source` (of the parts' sources), where the text has reached.
   * @param {number} source
   */
  cite(source) {
    this.#markdown.append(this.#pacer.flush());
    this.#markdown.cite(source);
    this.#dirty = true;
    this.partsChanged();
  }

  /** @param {string} text  the live numbers of the streaming answer, e.g. "TTFT 412 ms · …" */
  setStats(text) {
    this.#pendingStats = text;
    this.#schedule();
  }

  /** The answer has settled: render what is left now, whatever the throttle says. */
  finish() {
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#frame = 0;
    this.#markdown.append(this.#pacer.flush());
    this.#markdown.finish();
    this.#release();
    this.#dirty = false;
    this.#parts.render(this.#answerParts, { streaming: false, answering: this.#answering });
    this.#partsDirty = false;
    this.#flushStats();
    this.#onChange();
  }

  /**
   * The files the question carries, and how many it carried that this browser had no room for.
   * @param {Answer} answer
   */
  setAttachments(answer) {
    const files = answer.attachments ?? [];
    const notKept = answer.attachmentsNotKept ?? 0;
    this.#hasFiles = files.length > 0;
    /** @type {HTMLElement[]} */
    const parts = files.length > 0 ? [fileList(files)] : [];
    if (notKept > 0) {
      const what = notKept === 1 ? "1 file was" : `${notKept} files were`;
      const note = `${what} sent but not kept in this browser: its room for files is full.`;
      parts.push(element("p", "attachments-note", note));
    }
    this.#files.replaceChildren(...parts);
    this.#files.hidden = parts.length === 0;
  }

  /**
   * Show a stored answer (a restored conversation, or another version), whole.
   * @param {Answer} answer
   */
  showAnswer(answer) {
    this.#stop();
    this.#showPrompt(answer.prompt);
    this.setAttachments(answer);
    this.#answerParts = answer.parts;
    this.#markdown.reset(answer.text, answer.parts?.citations);
    this.#parts.clear();
    this.#parts.render(answer.parts, { streaming: false, answering: true });
    this.setModel(answer.model);
    this.setStatus(answer.status, answer.note);
    this.showDetails(answer);
    this.#onChange();
  }

  /**
   * Make way for a new answer to `prompt`, or for the rest of the current one.
   * @param {string} prompt
   * @param {{continuing?: boolean}} [options]
   */
  startAnswer(prompt, options = {}) {
    this.#stop();
    this.#showPrompt(prompt);
    const kept = options.continuing ? this.#markdown.marked : "";
    this.#markdown.reset("");
    this.#answering = false;
    if (!options.continuing) {
      this.#answerParts = undefined;
      this.#parts.clear();
    }
    // A continuation reopens the answer: its last block may well go on growing.
    if (kept) {
      this.#markdown.append(kept, { marked: true });
      this.#answering = true;
      this.#dirty = true;
      this.partsChanged();
    }
    this.#detailList.replaceChildren();
    this.#details.hidden = true;
    this.showError(undefined);
    this.setStatus("sending");
  }

  /** @param {Answer} answer  the settled answer whose numbers go in the expandable details */
  showDetails(answer) {
    const rows = formatDetails(answer);
    this.#detailList.replaceChildren(
      ...rows.flatMap(([term, value]) => [element("dt", "", term), element("dd", "", value)]),
    );
    this.#details.hidden = rows.length === 0;
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

  /**
   * @param {ActionState & {edit: boolean, question: {position: number, count: number}}} state
   *   `question`: the shown question's place among the questions asked at this turn
   */
  setActions(state) {
    this.#actions.update(state);
    this.#editButton.hidden = !state.edit || this.#question.classList.contains("editing");
    this.#questionVersions.update(state.question, state.browse);
  }

  /** @param {string} prompt  empty for a question of files alone: then no empty bubble */
  #showPrompt(prompt) {
    this.#bubble.textContent = prompt;
    this.#bubble.hidden = prompt === "";
  }

  #startEdit() {
    const form = element("form", "edit-form");
    const field = element("textarea", "edit-field");
    field.value = this.#bubble.textContent ?? "";
    field.rows = Math.min(8, field.value.split("\n").length + 1);
    field.setAttribute("aria-label", "Edited message");
    const cancel = element("button", "button button-small button-ghost", "Cancel");
    cancel.type = "button";
    const save = element("button", "button button-small button-primary", "Save and send");
    save.type = "submit";
    const buttons = element("div", "edit-actions");
    buttons.append(cancel, save);
    form.append(field, buttons);
    const close = () => {
      form.remove();
      this.#question.classList.remove("editing");
      this.#editButton.hidden = false;
      this.#editButton.focus();
    };
    cancel.addEventListener("click", close);
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        close();
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const prompt = field.value.trim();
      // Files alone make a question: its text may be emptied, or stay empty.
      if (!prompt && !this.#hasFiles) return;
      form.remove();
      this.#question.classList.remove("editing");
      this.#onEdit(prompt);
    });
    this.#question.classList.add("editing");
    this.#editButton.hidden = true;
    this.#question.append(form);
    field.focus();
    this.#onChange();
  }

  /** What Copy takes: the answer as shown, what arrived of it and the error that ended it. */
  #copyText() {
    const text = this.#markdown.text;
    if (this.#error.hidden) return text;
    const error = [...this.#error.children].map((line) => line.textContent).join("\n");
    return text.trim() ? `${text.trimEnd()}\n\n${error}` : error;
  }

  #stop() {
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#frame = 0;
    this.#dirty = false;
    this.#partsDirty = false;
    this.#pendingStats = "";
    this.#renderedAt = -Infinity;
    this.#pacer.clear();
    this.#release();
  }

  #schedule() {
    if (this.#frame === 0) this.#frame = requestAnimationFrame((now) => this.#flush(now));
  }

  /**
   * One batch of DOM updates, at most every MIN_RENDER_INTERVAL_MS: every frame would make the
   * browser restyle, lay out and paint 60 times a second for a token rate far below that.
   * @param {number} now
   */
  #flush(now) {
    this.#frame = 0;
    const interval = Math.max(MIN_RENDER_INTERVAL_MS, RENDER_COST_SHARE * this.#renderCostMs);
    const wait = this.#renderedAt + interval - now;
    if (wait > 0) {
      // Sleep until it is due rather than wake up (and make the browser paint) every frame.
      this.#frame = -1;
      this.#timer = setTimeout(() => {
        this.#frame = 0;
        this.#schedule();
      }, wait);
      return;
    }
    if (this.#dirty) this.#render(now);
    if (this.#partsDirty) {
      this.#parts.render(this.#answerParts, { streaming: true, answering: this.#answering });
      this.#partsDirty = false;
    }
    this.#renderedAt = now;
    this.#flushStats();
    this.#onChange();
    // Text still to reveal: the next repaint goes on with it.
    if (this.#pacer.pending) {
      this.#dirty = true;
      this.#schedule();
    }
  }

  #flushStats() {
    if (!this.#pendingStats) return;
    const live = [element("dt", "", "So far"), element("dd", "", this.#pendingStats)];
    this.#detailList.replaceChildren(...live);
    this.#details.hidden = false;
    this.#pendingStats = "";
  }

  /** @param {number} now */
  #render(now) {
    const started = performance.now();
    this.#hold();
    this.#markdown.append(this.#pacer.take(now, now - this.#renderedAt));
    this.#markdown.render();
    const growing = this.#body.querySelector(".md-growing");
    if (growing instanceof HTMLElement) markFresh(growing, this.#freshRuns(now));
    this.#dirty = false;
    this.#renderCostMs = performance.now() - started;
  }

  /**
   * The fading runs, no longer in all than what the growing block holds (a run that went into a
   * finished block has nothing left to fade here).
   * @param {number} now
   */
  #freshRuns(now) {
    let room = this.#markdown.growingLength;
    return this.#pacer.fresh(now).map(({ chars, ageMs }) => {
      const taken = Math.min(chars, room);
      room -= taken;
      return { chars: taken, ageMs };
    });
  }

  /**
   * Keep the answer at least as tall as it was last painted. Read before this repaint's changes,
   * so the layout is the one already computed.
   */
  #hold() {
    const width = this.#body.offsetWidth;
    if (width !== this.#held.width) {
      this.#release();
      this.#held.width = width;
    }
    const height = this.#body.offsetHeight;
    if (height <= this.#held.height) return;
    this.#held.height = height;
    this.#body.style.minHeight = `${height}px`;
  }

  #release() {
    this.#held = { height: 0, width: 0 };
    this.#body.style.minHeight = "";
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
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

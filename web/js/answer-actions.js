// @ts-check
/**
 * The row under an answer: move between its versions ("2 / 2"), copy it as Markdown, regenerate
 * it, continue it after a cut. The accessible names are the page's contract: tests and assistive
 * technology find the buttons by them.
 */

const COPIED_FOR_MS = 1500;

/**
 * @typedef {object} ActionHandlers
 * @property {() => void} onRegenerate
 * @property {() => void} onContinue
 * @property {(step: -1 | 1) => void} onShowVersion
 *
 * @typedef {object} ActionState
 * @property {boolean} settled  the answer is final: copy it, act on it
 * @property {boolean} browse  other versions can be shown (nothing runs in the conversation)
 * @property {boolean} regenerate
 * @property {boolean} continue
 * @property {number} version  1-based, of `versions`
 * @property {number} versions
 */

export class AnswerActions {
  /** @type {HTMLDivElement} */
  element = document.createElement("div");
  #versions = document.createElement("div");
  #position = document.createElement("span");
  #previous = button("‹", "Previous version");
  #next = button("›", "Next version");
  #copy = button("Copy", "Copy answer");
  #regenerate = button("Regenerate", "Regenerate");
  #continue = button("Continue", "Continue");

  /**
   * @param {ActionHandlers} handlers
   * @param {() => string} markdown  the answer's Markdown as copied (with the error that ended it)
   */
  constructor(handlers, markdown) {
    this.element.className = "answer-actions";
    this.element.hidden = true;
    this.#versions.className = "versions";
    this.#position.className = "version-position";
    this.#versions.append(this.#previous, this.#position, this.#next);
    this.#regenerate.classList.add("regenerate");
    this.#continue.classList.add("continue");
    this.element.append(this.#versions, this.#copy, this.#regenerate, this.#continue);
    this.#previous.addEventListener("click", () => handlers.onShowVersion(-1));
    this.#next.addEventListener("click", () => handlers.onShowVersion(1));
    this.#regenerate.addEventListener("click", handlers.onRegenerate);
    this.#continue.addEventListener("click", handlers.onContinue);
    this.#copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(markdown());
        flash(this.#copy, "Copied");
      } catch {
        // The clipboard needs a secure context and permission; say so rather than fail silently.
        flash(this.#copy, "Copy failed");
      }
    });
  }

  /** @param {ActionState} state */
  update(state) {
    const keep = this.element.contains(document.activeElement) ? document.activeElement : null;
    this.element.hidden = !state.settled && state.versions < 2;
    this.#versions.hidden = state.versions < 2;
    this.#position.textContent = `${state.version} / ${state.versions}`;
    this.#position.setAttribute("aria-label", `Version ${state.version} of ${state.versions}`);
    this.#previous.disabled = !state.browse || !state.settled || state.version <= 1;
    this.#next.disabled = !state.browse || !state.settled || state.version >= state.versions;
    this.#copy.hidden = !state.settled;
    this.#regenerate.hidden = !state.regenerate;
    this.#continue.hidden = !state.continue;
    // A button that hides itself must not drop the keyboard focus on the floor.
    if (keep instanceof HTMLElement && (keep.hidden || keep.closest("[hidden]"))) {
      const next = this.element.querySelector("button:not([hidden]):not(:disabled)");
      if (next instanceof HTMLElement) next.focus();
    }
  }
}

/**
 * @param {string} label
 * @param {string} name  the accessible name
 */
function button(label, name) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "action-button";
  element.textContent = label;
  if (name !== label) element.setAttribute("aria-label", name);
  return element;
}

/**
 * @param {HTMLButtonElement} button
 * @param {string} label
 */
function flash(button, label) {
  const before = button.textContent;
  button.textContent = label;
  setTimeout(() => {
    button.textContent = before === label ? "Copy" : before;
  }, COPIED_FOR_MS);
}

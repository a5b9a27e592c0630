// @ts-check
/**
 * "‹ 2 / 3 ›": move between the siblings of a message. The accessible names say which message
 * ("Previous message version", "Message version 2 of 3"): a turn has one for its question and one
 * for its answer, and each must be told apart by name.
 */

export class VersionSwitch {
  /** @type {HTMLDivElement} */
  element = document.createElement("div");
  #position = document.createElement("span");
  #previous;
  #next;
  #noun;

  /**
   * @param {string} noun  "message"
   * @param {(step: -1 | 1) => void} onStep
   */
  constructor(noun, onStep) {
    this.#noun = noun;
    this.#previous = button("‹", `Previous ${noun} version`);
    this.#next = button("›", `Next ${noun} version`);
    this.element.className = `versions ${noun}-versions`;
    this.#position.className = `${noun}-position`;
    this.element.append(this.#previous, this.#position, this.#next);
    this.element.hidden = true;
    this.#previous.addEventListener("click", () => onStep(-1));
    this.#next.addEventListener("click", () => onStep(1));
  }

  /**
   * @param {{position: number, count: number}} place
   * @param {boolean} enabled  nothing runs in the conversation: other versions can be shown
   */
  update(place, enabled) {
    const { position, count } = place;
    this.element.hidden = count < 2;
    this.#position.textContent = `${position} / ${count}`;
    const noun = this.#noun[0].toUpperCase() + this.#noun.slice(1);
    this.#position.setAttribute("aria-label", `${noun} version ${position} of ${count}`);
    this.#previous.disabled = !enabled || position <= 1;
    this.#next.disabled = !enabled || position >= count;
  }
}

/**
 * @param {string} label
 * @param {string} name
 */
function button(label, name) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "action-button";
  element.textContent = label;
  element.setAttribute("aria-label", name);
  return element;
}

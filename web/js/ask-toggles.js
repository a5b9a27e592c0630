// @ts-check
/**
 * The composer's "Think" and "Search the web" switches: shown only for what the deployment
 * offers (config.json's `features`), and remembered for every conversation in this browser (a
 * reader who wants search wants it for the next question too, wherever it is asked).
 */

/**
 * @typedef {import("./config.js").Features} Features
 * @typedef {import("./chat-client.js").Asks} Asks
 */

const KEY = "stream-chat:asks";

export class AskToggles {
  #buttons;
  #features;
  /** @type {{thinking: boolean, search: boolean}} */
  #on;

  /**
   * @param {{box: HTMLElement, thinking: HTMLButtonElement, search: HTMLButtonElement}} elements
   * @param {Features} features
   */
  constructor(elements, features) {
    this.#features = features;
    this.#buttons = { thinking: elements.thinking, search: elements.search };
    this.#on = remembered();
    for (const key of /** @type {const} */ (["thinking", "search"])) {
      const button = this.#buttons[key];
      button.hidden = !features[key];
      button.setAttribute("aria-pressed", String(this.#on[key]));
      button.addEventListener("click", () => {
        this.#on[key] = !this.#on[key];
        button.setAttribute("aria-pressed", String(this.#on[key]));
        remember(this.#on);
      });
    }
    elements.box.hidden = !features.thinking && !features.search;
  }

  /** @returns {Asks} what the next message asks for: only what is both offered and on */
  asks() {
    /** @type {Asks} */
    const asks = {};
    if (this.#features.thinking && this.#on.thinking) asks.thinking = true;
    if (this.#features.search && this.#on.search) asks.search = true;
    return asks;
  }
}

/** @returns {{thinking: boolean, search: boolean}} */
function remembered() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return { thinking: stored?.thinking === true, search: stored?.search === true };
  } catch {
    return { thinking: false, search: false };
  }
}

/** @param {{thinking: boolean, search: boolean}} on */
function remember(on) {
  try {
    localStorage.setItem(KEY, JSON.stringify(on));
  } catch {
    // Storage refused (private mode): the switches last as long as the page.
  }
}

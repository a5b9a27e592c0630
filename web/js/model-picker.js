// @ts-check
/**
 * The composer's "Model" combobox: the models the deployment allows (config.json's `models`),
 * shown only when there is a choice. The pick is remembered in this browser (who picks a model
 * mostly wants it for the next question too) and sent with every message; with one model the
 * request names none and the function answers with its default.
 */

const KEY = "stream-chat:model";

export class ModelPicker {
  #select;
  #models;

  /**
   * @param {{box: HTMLElement, select: HTMLSelectElement}} elements
   * @param {{models: string[], model: string}} config
   */
  constructor(elements, config) {
    this.#select = elements.select;
    this.#models = config.models;
    elements.box.hidden = this.#models.length < 2;
    if (elements.box.hidden) return;
    this.#select.replaceChildren(...this.#models.map((model) => new Option(model, model)));
    this.#select.value = pick(this.#models, remembered(), config.model);
    this.#select.addEventListener("change", () => remember(this.#select.value));
  }

  /** @returns {string | undefined} the model for the next message; none when there is no choice */
  model() {
    return this.#models.length < 2 ? undefined : this.#select.value;
  }
}

/**
 * The model to show: the remembered one while the deployment still allows it, else its default,
 * else its first.
 * @param {string[]} models
 * @param {string | null} stored
 * @param {string} fallback
 */
export function pick(models, stored, fallback) {
  if (stored && models.includes(stored)) return stored;
  return models.includes(fallback) ? fallback : (models[0] ?? "");
}

function remembered() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** @param {string} model */
function remember(model) {
  try {
    localStorage.setItem(KEY, model);
  } catch {
    // Storage refused (private mode): the pick lasts as long as the page.
  }
}

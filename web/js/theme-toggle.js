// @ts-check
/**
 * The theme button: system, light, dark, in turn, remembered across visits (theme.js applies the
 * remembered one before the first paint).
 */

const THEMES = /** @type {const} */ (["system", "light", "dark"]);
/** @typedef {typeof THEMES[number]} Theme */

export class ThemeToggle {
  #button;
  /** @type {Theme} */
  #theme;

  /** @param {HTMLButtonElement} button */
  constructor(button) {
    this.#button = button;
    const stored = document.documentElement.dataset.theme;
    this.#theme = stored === "light" || stored === "dark" ? stored : "system";
    button.addEventListener("click", () => this.#set(THEMES[(THEMES.indexOf(this.#theme) + 1) % 3]));
    this.#show();
  }

  /** @param {Theme} theme */
  #set(theme) {
    this.#theme = theme;
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    try {
      if (theme === "system") localStorage.removeItem("theme");
      else localStorage.setItem("theme", theme);
    } catch {
      // Not remembered, but applied: storage is a nicety here.
    }
    this.#show();
  }

  #show() {
    this.#button.textContent = `Theme: ${this.#theme}`;
  }
}

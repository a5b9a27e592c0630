// @ts-check
/**
 * Who is signed in, in the top bar with a Sign out button; or, when nobody is, a sign-in prompt in
 * place of the conversation, with the reason the last session ended.
 */

/**
 * @typedef {import("./auth.js").AuthSession} AuthSession
 * @typedef {object} AccountElements
 * @property {HTMLElement} account       the top bar's account area
 * @property {HTMLElement} name          the signed-in user's name in it
 * @property {HTMLButtonElement} signOut
 * @property {HTMLElement} prompt        the sign-in prompt
 * @property {HTMLElement} message       its explanation
 * @property {HTMLButtonElement} signIn
 */

const DEFAULT_MESSAGE = "This chat is for signed-in users.";

export class AccountView {
  #ui;
  #session;

  /**
   * @param {AccountElements} ui
   * @param {AuthSession} session
   */
  constructor(ui, session) {
    this.#ui = ui;
    this.#session = session;
    ui.signIn.addEventListener("click", () => {
      ui.signIn.disabled = true;
      session.signIn().catch((error) => {
        ui.signIn.disabled = false;
        ui.message.textContent = `Sign-in could not start: ${String(error)}`;
      });
    });
    ui.signOut.addEventListener("click", () => {
      ui.signOut.disabled = true;
      session.signOut();
    });
  }

  render() {
    const ui = this.#ui;
    const user = this.#session.user;
    ui.account.hidden = user === undefined;
    ui.name.textContent = user ?? "";
    ui.signOut.title = user ? `Signed in as ${user}` : "";
    ui.prompt.hidden = user !== undefined;
    ui.message.textContent = this.#session.problem ?? DEFAULT_MESSAGE;
    ui.signIn.disabled = false;
  }
}

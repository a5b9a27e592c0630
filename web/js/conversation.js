// @ts-check
/**
 * The conversation kept in the page: one turn per question, with its answer so far. Pure state,
 * no DOM; the request history for any turn is derived from it.
 */

/**
 * @typedef {"sending" | "streaming" | "done" | "stopped" | "incomplete" | "error"} TurnStatus
 * @typedef {import("./chat-client.js").ChatMessage} ChatMessage
 *
 * @typedef {object} Turn
 * @property {number} id
 * @property {string} prompt
 * @property {string} answer
 * @property {TurnStatus} status
 */

/** Statuses after which a turn no longer changes (unless the user retries it). */
export const FINAL_STATUSES = Object.freeze(["done", "stopped", "incomplete", "error"]);

export class Conversation {
  /** @type {Turn[]} */
  turns = [];
  #nextId = 1;

  /**
   * @param {string} prompt
   * @returns {Turn}
   */
  add(prompt) {
    /** @type {Turn} */
    const turn = { id: this.#nextId++, prompt, answer: "", status: "sending" };
    this.turns.push(turn);
    return turn;
  }

  clear() {
    this.turns = [];
  }

  /** @param {Turn} turn */
  isLast(turn) {
    return this.turns.at(-1) === turn;
  }

  /**
   * The messages to send for `turn`: every earlier turn that has an answer, then its prompt.
   * Earlier turns without any answer text (failed or stopped before the first token) are left
   * out as whole pairs, so roles keep alternating user, assistant, ..., user.
   * @param {Turn} turn
   * @returns {ChatMessage[]}
   */
  historyFor(turn) {
    const index = this.turns.indexOf(turn);
    if (index === -1) throw new Error("the turn is not in this conversation");
    /** @type {ChatMessage[]} */
    const messages = [];
    for (const earlier of this.turns.slice(0, index)) {
      if (earlier.answer.trim() === "") continue;
      messages.push({ role: "user", content: earlier.prompt });
      messages.push({ role: "assistant", content: earlier.answer });
    }
    messages.push({ role: "user", content: turn.prompt });
    return messages;
  }
}

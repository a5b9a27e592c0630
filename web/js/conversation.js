// @ts-check
/**
 * One conversation: its turns, each with every version of its answer (a regenerate or an edit adds
 * one; the older ones stay reachable), and the request history derived from them. Pure state, no
 * DOM; `toRecord`/`fromRecord` give the plain object the store keeps.
 */

/**
 * @typedef {"sending" | "streaming" | "reconnecting" | "done" | "stopped" | "incomplete" |
 *   "error"} TurnStatus  "reconnecting": its connection dropped and the stream is being resumed
 * @typedef {import("./chat-client.js").ChatMessage} ChatMessage
 * @typedef {{code: string, message: string, requestId?: string | undefined}} ErrorInfo
 *
 * @typedef {object} AnswerStats  what the stream said about the answer
 * @property {number} [ttftMs]
 * @property {number} [tokensPerSecond]
 * @property {number} [inputTokens]
 * @property {number} [outputTokens]
 * @property {boolean} [estimated]  the token counts are estimates
 * @property {number} [costUsd]  web searches included
 * @property {number} [webSearches]  server tool requests, when the answer made any
 * @property {number} [webFetches]
 *
 * @typedef {object} Attachment  a file the question carries (attachments.js checked it)
 * @property {string} name  as the person knows it; a PDF's title for the model
 * @property {string} mediaType  from the file's bytes
 * @property {number} size  bytes
 * @property {Blob} data
 *
 * @typedef {object} Answer  one version of a turn: the question as asked, and its answer
 * @property {string} prompt
 * @property {Attachment[]} [attachments]  the question's files, sent again by a regenerate or an
 *   edit; kept in the store unless `attachmentsNotKept`
 * @property {number} [attachmentsNotKept]  how many files the question carried that the store
 *   had no room for: they are sent while the page stays open, and never stored
 * @property {string} text
 * @property {TurnStatus} status
 * @property {string} [note]  why a finished answer ended, when that is worth saying
 * @property {ErrorInfo} [error]
 * @property {string} [stopReason]  the done frame's reason, or "user" after a Stop
 * @property {string} [model]
 * @property {string} [streamId]  the server's id of the stream that answered: known from its
 *   first byte and saved with it, so that a reload (or another tab) resumes it; and for support
 * @property {ResumeBase} [resumeBase]  while it streams: what the answer held before its stream
 *   began, which a resume from the stream's first frame starts again from
 * @property {AnswerStats} [stats]
 * @property {import("./answer-parts.js").AnswerParts} [parts]  thinking, tool steps, sources and
 *   citations, why it stopped; absent from answers that streamed none (and from older ones)
 * @property {Turn[]} [later]  the turns that followed this version, kept while another is shown
 *
 * @typedef {{text: string, parts?: import("./answer-parts.js").AnswerParts}} ResumeBase
 *
 * @typedef {object} Turn
 * @property {number} id
 * @property {Answer[]} versions
 * @property {number} shown  the index of the version on screen, and in later requests
 *
 * @typedef {object} ConversationRecord
 * @property {string} id
 * @property {string} title
 * @property {number} updatedAt
 * @property {Turn[]} turns
 */

/** Statuses after which an answer no longer changes (unless the user regenerates it). */
export const FINAL_STATUSES = Object.freeze(["done", "stopped", "incomplete", "error"]);
// Sent after a cut-off answer to have the model carry on: the API takes no assistant prefill.
export const CONTINUE_PROMPT =
  "Continue exactly where your previous answer stopped. Do not repeat anything already written.";
const TITLE_LENGTH = 60;
const CUT_REASONS = ["user", "max_tokens", "pause_turn"];
/** @type {TurnStatus} */
const INCOMPLETE = "incomplete";
/** @type {TurnStatus} */
const RECONNECTING = "reconnecting";

export class Conversation {
  id;
  title = "";
  updatedAt = 0;
  /** @type {Turn[]} */
  turns = [];
  #nextId = 1;

  /** @param {string} [id] */
  constructor(id = newId()) {
    this.id = id;
  }

  /**
   * @param {ConversationRecord} record
   * @returns {Conversation}
   */
  static fromRecord(record) {
    const conversation = new Conversation(record.id);
    conversation.title = record.title;
    conversation.updatedAt = record.updatedAt;
    conversation.turns = restored(record.turns, true);
    conversation.#nextId = Math.max(0, ...allTurns(conversation.turns).map((turn) => turn.id)) + 1;
    return conversation;
  }

  /** @returns {ConversationRecord} */
  toRecord() {
    const record = structuredClone({
      id: this.id,
      title: this.title,
      updatedAt: this.updatedAt,
      turns: this.turns,
    });
    // Files the store had no room for are not kept; the text of their question is.
    for (const turn of allTurns(record.turns)) {
      for (const answer of turn.versions) if (answer.attachmentsNotKept) delete answer.attachments;
    }
    return record;
  }

  /**
   * @param {string} prompt
   * @param {Attachment[]} [attachments]  the files the question carries
   * @returns {Turn}
   */
  add(prompt, attachments = []) {
    // A question of files alone is called after its first file.
    if (!this.title) this.title = titleOf(prompt) || titleOf(attachments[0]?.name ?? "");
    /** @type {Turn} */
    const turn = { id: this.#nextId++, versions: [newAnswer(prompt, attachments)], shown: 0 };
    this.turns.push(turn);
    return turn;
  }

  /**
   * A new version of `turn`'s answer, to the same question or to an edited one.
   * @param {Turn} turn
   * @param {string} [prompt]
   * @returns {Answer}
   */
  addVersion(turn, prompt = current(turn).prompt) {
    // The question's files go with it: a regenerate or an edit sends them again.
    const { attachments, attachmentsNotKept } = current(turn);
    const answer = newAnswer(prompt, attachments ?? []);
    if (attachmentsNotKept) answer.attachmentsNotKept = attachmentsNotKept;
    turn.versions.push(answer);
    this.show(turn, turn.versions.length - 1);
    return current(turn);
  }

  /**
   * Show version `index` of `turn`: the turns after it become the ones that followed that
   * version (none for a new one); those that followed the version shown until now are kept
   * with it, so every branch of the conversation stays reachable.
   * @param {Turn} turn
   * @param {number} index
   */
  show(turn, index) {
    const at = this.turns.indexOf(turn);
    if (at === -1) throw new Error("the turn is not in this conversation");
    const leaving = current(turn);
    const later = this.turns.splice(at + 1);
    if (later.length > 0) leaving.later = later;
    else delete leaving.later;
    turn.shown = index;
    this.turns.push(...(current(turn).later ?? []));
    delete current(turn).later;
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
      const answer = current(earlier);
      if (answer.text.trim() === "") continue;
      messages.push(question(answer));
      messages.push({ role: "assistant", content: answer.text });
    }
    messages.push(question(current(turn)));
    return messages;
  }

  /**
   * The messages that ask for the rest of `turn`'s cut-off answer.
   * @param {Turn} turn
   * @returns {ChatMessage[]}
   */
  continuationFor(turn) {
    return [
      ...this.historyFor(turn),
      { role: "assistant", content: current(turn).text },
      { role: "user", content: CONTINUE_PROMPT },
    ];
  }
}

/**
 * The version of `turn` on screen.
 * @param {Turn} turn
 * @returns {Answer}
 */
export function current(turn) {
  return turn.versions[turn.shown] ?? turn.versions[turn.versions.length - 1];
}

/**
 * Whether "Continue" makes sense: the answer was cut short by a Stop or the length limit (or a
 * paused tool turn the server did not take up again), or its stream was lost before the end.
 * @param {Answer} answer
 */
export function canContinue(answer) {
  const cut = CUT_REASONS.includes(answer.stopReason ?? "") || answer.status === INCOMPLETE;
  return cut && answer.text.trim() !== "" && FINAL_STATUSES.includes(answer.status);
}

/**
 * The turn whose answer a restored conversation resumes: its last, when that answer was
 * streaming with a known stream (`fromRecord` marks it "reconnecting").
 * @param {Conversation} conversation
 * @returns {Turn | undefined}
 */
export function resumable(conversation) {
  const last = conversation.turns.at(-1);
  return last && current(last).status === RECONNECTING ? last : undefined;
}

/**
 * A stored branch as the page takes it up again. An answer that was streaming when the page went
 * away is resumed when its stream is known and it is the shown branch's last (only that one can
 * have been streaming); any other keeps what had arrived, as "incomplete".
 * @param {Turn[]} turns
 * @param {boolean} shown  the branch on screen
 * @returns {Turn[]}
 */
function restored(turns, shown) {
  return turns.map((turn, index) => ({
    ...turn,
    versions: turn.versions.map((answer, version) => {
      const last = shown && index === turns.length - 1 && version === turn.shown;
      const kept = { ...answer, ...takenUp(answer, last) };
      if (answer.later) kept.later = restored(answer.later, false);
      return kept;
    }),
  }));
}

/**
 * @param {Answer} answer
 * @param {boolean} last  the last answer on screen
 * @returns {Partial<Answer>}
 */
function takenUp(answer, last) {
  if (FINAL_STATUSES.includes(answer.status)) return {};
  if (last && answer.streamId) return { status: RECONNECTING };
  return { status: INCOMPLETE, note: "the page was closed" };
}

/**
 * Every turn of every branch.
 * @param {Turn[]} turns
 * @returns {Turn[]}
 */
function allTurns(turns) {
  return turns.flatMap((turn) => [
    turn,
    ...turn.versions.flatMap((answer) => allTurns(answer.later ?? [])),
  ]);
}

/**
 * @param {string} prompt
 * @param {Attachment[]} attachments
 * @returns {Answer}
 */
function newAnswer(prompt, attachments) {
  /** @type {Answer} */
  const answer = { prompt, text: "", status: "sending" };
  if (attachments.length > 0) answer.attachments = [...attachments];
  return answer;
}

/**
 * The user's message of an answer: its prompt, and its files when it has any.
 * @param {Answer} answer
 * @returns {ChatMessage}
 */
function question(answer) {
  const files = answer.attachments ?? [];
  return files.length > 0
    ? { role: "user", content: answer.prompt, attachments: files }
    : { role: "user", content: answer.prompt };
}

/** @param {string} prompt */
export function titleOf(prompt) {
  const line = prompt.trim().replace(/\s+/g, " ");
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1).trimEnd()}…` : line;
}

function newId() {
  return crypto.randomUUID();
}

// @ts-check
/**
 * A turn's versions seen as a tree of messages: each distinct question asked at that place (an
 * edit adds one) is a sibling of the question, and each answer to the question shown (a
 * regenerate adds one) is a sibling of the answer. Derived from `Turn.versions` alone, so the
 * stored record keeps its shape and conversations stored before it open as they were. Pure.
 */

/**
 * @typedef {import("./conversation.js").Turn} Turn
 * @typedef {{position: number, count: number}} Place  1-based `position` among `count` siblings
 * @typedef {{question: Place, answer: Place}} Siblings
 */

/**
 * @param {Turn} turn
 * @returns {Siblings}
 */
export function siblings(turn) {
  const questions = questionsOf(turn);
  const answers = answersOf(turn);
  return {
    question: { position: questions.indexOf(shownPrompt(turn)) + 1, count: questions.length },
    answer: { position: answers.indexOf(shownIndex(turn)) + 1, count: answers.length },
  };
}

/**
 * The version to show for the question `step` away from the one shown (its latest answer), or
 * undefined when there is none that way.
 * @param {Turn} turn
 * @param {-1 | 1} step
 * @returns {number | undefined}
 */
export function questionStep(turn, step) {
  const questions = questionsOf(turn);
  const prompt = questions[questions.indexOf(shownPrompt(turn)) + step];
  if (prompt === undefined) return undefined;
  return turn.versions.map((answer) => answer.prompt).lastIndexOf(prompt);
}

/**
 * The version to show for the answer `step` away from the one shown, among the answers to the
 * same question; undefined when there is none that way.
 * @param {Turn} turn
 * @param {-1 | 1} step
 * @returns {number | undefined}
 */
export function answerStep(turn, step) {
  const answers = answersOf(turn);
  return answers[answers.indexOf(shownIndex(turn)) + step];
}

/**
 * The distinct questions asked at this turn, in the order they were first asked.
 * @param {Turn} turn
 */
function questionsOf(turn) {
  return [...new Set(turn.versions.map((answer) => answer.prompt))];
}

/**
 * The indexes of the versions that answer the question shown.
 * @param {Turn} turn
 */
function answersOf(turn) {
  const prompt = shownPrompt(turn);
  return turn.versions.flatMap((answer, index) => (answer.prompt === prompt ? [index] : []));
}

/** @param {Turn} turn */
function shownIndex(turn) {
  return turn.versions[turn.shown] ? turn.shown : turn.versions.length - 1;
}

/** @param {Turn} turn */
function shownPrompt(turn) {
  return turn.versions[shownIndex(turn)].prompt;
}

// @ts-check
/**
 * Wiring: the page's elements, the conversation, and which answer is running. Rendering lives
 * in turn-view.js, streaming in chat-client.js, one answer's lifecycle in answer-run.js.
 */
import { AccountView } from "./account-view.js";
import { AnswerRun } from "./answer-run.js";
import { AuthSession } from "./auth.js";
import { AutoScroll } from "./auto-scroll.js";
import { Composer } from "./composer.js";
import { loadConfig } from "./config.js";
import { Conversation, FINAL_STATUSES } from "./conversation.js";
import { STATUS_LABELS, TurnView } from "./turn-view.js";

/**
 * @typedef {import("./conversation.js").Turn} Turn
 * @typedef {import("./conversation.js").TurnStatus} TurnStatus
 */

const RETRYABLE = ["error", "incomplete", "stopped"];

const config = await loadConfig();
// With sign-in on (config.json's `auth`), finish a sign-in or resume the tab's session first.
const session = config.auth ? new AuthSession(config.auth, AuthSession.browserEnv()) : undefined;
await session?.start();
const ui = {
  log: byId("log", HTMLElement),
  turns: byId("turns", HTMLOListElement),
  empty: byId("empty", HTMLElement),
  form: byId("composer", HTMLFormElement),
  prompt: byId("prompt", HTMLTextAreaElement),
  send: byId("send", HTMLButtonElement),
  stop: byId("stop", HTMLButtonElement),
  newChat: byId("new-chat", HTMLButtonElement),
  jump: byId("jump", HTMLButtonElement),
  announcer: byId("announcer", HTMLElement),
  signInPrompt: byId("sign-in", HTMLElement),
};
const account =
  session &&
  new AccountView(
    {
      account: byId("account", HTMLElement),
      name: byId("account-name", HTMLElement),
      signOut: byId("sign-out", HTMLButtonElement),
      prompt: ui.signInPrompt,
      message: byId("sign-in-message", HTMLElement),
      signIn: byId("sign-in-button", HTMLButtonElement),
    },
    session,
  );
const conversation = new Conversation();
const scroll = new AutoScroll(ui.log, ui.jump);
const composer = new Composer(ui.form, ui.prompt, ui.send, ask);
/** @type {Map<Turn, TurnView>} */
const views = new Map();
/** @type {AnswerRun | undefined} */
let active;

/** @param {string} prompt */
function ask(prompt) {
  // A new question replaces a running answer: stop (and cancel) it first.
  active?.stop();
  const turn = conversation.add(prompt);
  const view = new TurnView(prompt, {
    onRetry: () => retry(turn),
    onChange: () => scroll.contentChanged(),
  });
  views.set(turn, view);
  ui.turns.append(view.element);
  ui.empty.hidden = true;
  scroll.toBottom();
  start(turn, view);
}

/**
 * @param {Turn} turn
 * @param {TurnView} view
 */
function start(turn, view) {
  const onStatus = (/** @type {TurnStatus} */ status, /** @type {string=} */ detail) => {
    changed(run, status, detail);
  };
  const run = new AnswerRun({ turn, view, config, onStatus, credentials: session });
  active = run;
  showRetryOnLastTurn();
  void run.run(conversation.historyFor(turn));
}

/**
 * @param {AnswerRun} run
 * @param {TurnStatus} status
 * @param {string} [detail]
 */
function changed(run, status, detail) {
  const final = FINAL_STATUSES.includes(status);
  if (final && active === run) active = undefined;
  ui.stop.hidden = active === undefined;
  const label = STATUS_LABELS[status].replace("…", "").toLowerCase();
  ui.announcer.textContent = detail ? `Answer ${label}: ${detail}` : `Answer ${label}`;
  if (final) showRetryOnLastTurn();
}

function showRetryOnLastTurn() {
  for (const [turn, view] of views) {
    view.showRetry(conversation.isLast(turn) && RETRYABLE.includes(turn.status));
  }
}

/**
 * Retry re-generates (and re-bills) the answer, so it only ever happens on this click.
 * @param {Turn} turn
 */
function retry(turn) {
  const view = views.get(turn);
  if (!view || !conversation.isLast(turn)) return;
  active?.stop();
  turn.answer = "";
  view.reset();
  // The Retry button hides itself: keep the keyboard focus somewhere useful.
  composer.focus();
  start(turn, view);
}

function newChat() {
  active?.stop();
  conversation.clear();
  views.clear();
  ui.turns.replaceChildren();
  showAccount();
  composer.focus();
}

/** Signed out (with sign-in on), the sign-in prompt replaces the welcome and the box is off. */
function showAccount() {
  const signedOut = session !== undefined && !session.signedIn;
  account?.render();
  ui.empty.hidden = signedOut || ui.turns.childElementCount > 0;
  ui.prompt.disabled = signedOut;
  if (signedOut) {
    ui.send.disabled = true;
    ui.signInPrompt.scrollIntoView({ block: "nearest" });
  }
}

ui.stop.addEventListener("click", () => {
  active?.stop();
  composer.focus();
});
ui.newChat.addEventListener("click", newChat);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && active) {
    event.preventDefault();
    active.stop();
  }
});
// Leaving the page must not leave an answer generating: cancel it with a keepalive request.
window.addEventListener("pagehide", () => active?.stop());
// A tab woken from sleep may hold an expired token; renew it before the next question.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") void session?.accessToken();
});
session?.onChange(showAccount);
showAccount();
for (const button of ui.empty.querySelectorAll("button[data-prompt]")) {
  button.addEventListener("click", () => ask(button.getAttribute("data-prompt") ?? ""));
}
document.documentElement.dataset.ready = "true";
composer.focus();

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function byId(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

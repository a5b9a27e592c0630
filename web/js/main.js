// @ts-check
/**
 * Wiring: the page's elements, the open conversation and the saved ones, and which answer is
 * running. Rendering lives in turn-view.js, streaming in chat-client.js, one answer's lifecycle
 * in answer-run.js, storage in conversation-store.js.
 */
import { AccountView } from "./account-view.js";
import { AnswerRun } from "./answer-run.js";
import { AskToggles } from "./ask-toggles.js";
import { AttachmentQuota } from "./attachment-quota.js";
import { AttachmentTray } from "./attachment-tray.js";
import { AuthSession } from "./auth.js";
import { AutoScroll } from "./auto-scroll.js";
import { answerStep, questionStep, siblings } from "./branches.js";
import { Composer } from "./composer.js";
import { loadConfig } from "./config.js";
import { canContinue, Conversation, current, FINAL_STATUSES, resumable } from "./conversation.js";
import { openStore } from "./conversation-store.js";
import { describeError } from "./error-messages.js";
import { HistoryFiles } from "./history-files-view.js";
import { HistorySearch } from "./history-search-view.js";
import { HistoryView } from "./history-view.js";
import { MessageQueue } from "./message-queue.js";
import { ModelPicker } from "./model-picker.js";
import { QueueView } from "./queue-view.js";
import { ShortcutsDialog } from "./shortcuts.js";
import { ThemeToggle } from "./theme-toggle.js";
import { STATUS_LABELS, TurnView } from "./turn-view.js";

/**
 * @typedef {{conversation: Conversation, views: Map<Turn, TurnView>,
 *   active: {run: AnswerRun, turn: Turn} | undefined}} Chat
 * @typedef {import("./conversation.js").Turn} Turn
 * @typedef {import("./conversation.js").Answer} Answer
 * @typedef {import("./conversation.js").TurnStatus} TurnStatus
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 */

// While an answer streams it is saved this often, so a closed page keeps what had arrived.
const SAVE_EVERY_MS = 1000;
const UNDO_FOR_MS = 8000;

const config = await loadConfig();
// With sign-in on (config.json's `auth`), finish a sign-in or resume the tab's session first.
const session = config.auth ? new AuthSession(config.auth, AuthSession.browserEnv()) : undefined;
await session?.start();
// Conversations are kept per signed-in user; signed out (with sign-in on) none are shown.
let owner = session?.user;
let store = await openStore(owner);
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
  notice: byId("storage-notice", HTMLElement),
  demoNotice: byId("demo-notice", HTMLElement),
  toast: byId("toast", HTMLElement),
  toastText: byId("toast-text", HTMLElement),
  toastUndo: byId("toast-undo", HTMLButtonElement),
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
const scroll = new AutoScroll(ui.log, ui.jump);
// Send is on while the box holds text or files: the tray says when its files change.
const tray = new AttachmentTray(
  {
    form: ui.form,
    prompt: ui.prompt,
    button: byId("attach", HTMLButtonElement),
    input: byId("attach-input", HTMLInputElement),
    list: byId("attachments", HTMLUListElement),
    message: byId("attach-message", HTMLElement),
  },
  config.attachments,
  () => composer.filesChanged(),
);
const composer = new Composer(ui.form, ui.prompt, ui.send, submit, () => tray.count > 0);
const quota = new AttachmentQuota();
const asks = new AskToggles(
  {
    box: byId("asks", HTMLElement),
    thinking: byId("ask-thinking", HTMLButtonElement),
    search: byId("ask-search", HTMLButtonElement),
  },
  config.features,
);
const history = new HistoryView(
  {
    nav: byId("history", HTMLElement),
    list: byId("history-list", HTMLUListElement),
    empty: byId("history-empty", HTMLElement),
    toggle: byId("history-toggle", HTMLButtonElement),
    scrim: byId("scrim", HTMLElement),
    outside: [...document.querySelectorAll(".skip-link, .pane")]
      .filter((element) => element instanceof HTMLElement),
  },
  { onOpen: (id) => void open(id), onRename: (id, title) => void rename(id, title), onDelete },
);
const search = new HistorySearch(
  {
    field: byId("history-search", HTMLInputElement),
    status: byId("history-found", HTMLElement),
    more: byId("history-more", HTMLButtonElement),
  },
  () => drawHistory(),
);
const files = new HistoryFiles(
  {
    group: byId("conversation-files", HTMLElement),
    markdown: byId("export-markdown", HTMLButtonElement),
    json: byId("export-json", HTMLButtonElement),
    exportAll: byId("export-history", HTMLButtonElement),
    importButton: byId("import-history", HTMLButtonElement),
    file: byId("import-file", HTMLInputElement),
    message: byId("files-message", HTMLElement),
  },
  {
    conversation: () => (conversation.turns.length > 0 ? conversation.toRecord() : undefined),
    store: () => store,
    onImported: refreshHistory,
  },
);
/** The history as last read: a search keystroke filters it without reading the store again. */
let listed = /** @type {import("./conversation-store.js").ConversationSummary[]} */ ([]);
new ThemeToggle(byId("theme", HTMLButtonElement));
const picker = new ModelPicker(
  { box: byId("model-box", HTMLElement), select: byId("model", HTMLSelectElement) },
  config,
);
new ShortcutsDialog({
  dialog: byId("shortcuts", HTMLDialogElement),
  open: byId("shortcuts-open", HTMLButtonElement),
  close: byId("shortcuts-close", HTMLButtonElement),
});
// Messages typed while an answer streams wait here, per conversation, for it to end.
/** @type {Map<string, MessageQueue>} */
const queues = new Map();
const queueView = new QueueView(byId("queued", HTMLOListElement), {
  onChange: () => scroll.contentChanged(),
  onDone: () => composer.focus(),
});
let conversation = new Conversation();
/** @type {Map<Turn, TurnView>} */
let views = new Map();
/** @type {{run: AnswerRun, turn: Turn} | undefined} */
let active;
/**
 * Conversations left while an answer ran in them: the answer goes on, into their (detached)
 * views, and they are saved when it settles; opening one again takes them up as they are.
 * @type {Map<string, Chat>}
 */
const background = new Map();
/** @type {ReturnType<typeof setTimeout> | undefined} */
let saveTimer;
/** @type {(() => void) | undefined} */
let undo;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * A message from the box, with the files attached: asked now, or queued while an answer streams
 * (its files go with it, and the tray is free for the next message).
 * @param {string} prompt
 */
function submit(prompt) {
  if (!active) {
    void ask(prompt, tray.take());
    return;
  }
  queueOf(conversation).add(prompt, tray.take());
  queueView.render();
  ui.announcer.textContent = "Message queued: it is sent when the answer ends";
}

/** @param {Conversation} chat */
function queueOf(chat) {
  let queue = queues.get(chat.id);
  if (!queue) queues.set(chat.id, (queue = new MessageQueue()));
  return queue;
}

/** Nothing runs here: the next queued message, if any, is asked. */
function sendQueued() {
  if (active) return;
  const next = queueOf(conversation).take();
  queueView.render();
  if (next) void ask(next.text, next.attachments);
}

/**
 * @param {string} prompt
 * @param {import("./conversation.js").Attachment[]} attachments  taken from the tray, or queued
 */
async function ask(prompt, attachments) {
  // Files beyond the room this browser gives them are sent, and not kept.
  const kept = attachments.length === 0 || (await quota.hasRoom(store, conversation, attachments));
  const turn = conversation.add(prompt, attachments);
  if (!kept) {
    current(turn).attachmentsNotKept = attachments.length;
    tray.say(filesNotKept(quota.cap));
  }
  const view = addView(turn);
  scroll.toBottom();
  start(turn, view, conversation.historyFor(turn));
}

/** @param {number} cap */
function filesNotKept(cap) {
  const room = `${Math.round(cap / 1024 / 1024)} MB`;
  return (
    `This browser's room for files (${room}) is full: the files were sent, but are not kept ` +
    "with the conversation. Delete conversations with files to make room."
  );
}

/** @param {Turn} turn */
function addView(turn) {
  const view = new TurnView(current(turn).prompt, {
    onRegenerate: () => regenerate(turn),
    onContinue: () => continueAnswer(turn),
    onEdit: (prompt) => edit(turn, prompt),
    onShowVersion: (step) => showVersion(turn, answerStep(turn, step)),
    onShowQuestion: (step) => showVersion(turn, questionStep(turn, step)),
    onChange: () => scroll.contentChanged(),
  });
  views.set(turn, view);
  ui.turns.append(view.element);
  ui.empty.hidden = true;
  return view;
}

/**
 * @param {Turn} turn
 * @param {TurnView} view
 * @param {import("./chat-client.js").ChatMessage[]} messages
 * @param {{continuing?: boolean}} [options]
 */
function start(turn, view, messages, options = {}) {
  view.startAnswer(current(turn).prompt, options);
  view.setAttachments(current(turn));
  void runFor(turn, view).run(messages);
}

/**
 * Resume the answer a restored conversation was streaming when the page went away (or that
 * streams in another tab): it is replayed from its first frame and goes on live.
 * @param {Turn} turn
 */
function resumeAnswer(turn) {
  const view = views.get(turn);
  if (view) void runFor(turn, view).resume();
}

/**
 * The run of `turn`'s answer, now the active one.
 * @param {Turn} turn
 * @param {TurnView} view
 */
function runFor(turn, view) {
  const onStatus = (/** @type {TurnStatus} */ status, /** @type {string=} */ detail) => {
    changed(run, status, detail);
  };
  const run = new AnswerRun({
    answer: current(turn),
    view,
    config,
    onStatus,
    credentials: session,
    asks: asks.asks(),
    model: picker.model(),
  });
  active = { run, turn };
  refresh();
  return run;
}

/**
 * @param {AnswerRun} run
 * @param {TurnStatus} status
 * @param {string} [detail]
 */
function changed(run, status, detail) {
  const final = FINAL_STATUSES.includes(status);
  if (active?.run !== run) {
    if (final) void settledInBackground(run);
    return;
  }
  ui.announcer.textContent = announcement(status, detail);
  if (final) {
    views.get(active.turn)?.showDetails(current(active.turn));
    active = undefined;
    refresh();
    void save();
    sendQueued();
  } else if (status === "sending" || status === "streaming") {
    // The question is kept from the start, and the stream's id as soon as it is known (a reload
    // resumes the answer by it); what arrives is saved every so often.
    void save();
    scheduleSave();
  } else scheduleSave();
}

/**
 * What the status region says when an answer's status changes.
 * @param {TurnStatus} status
 * @param {string} [detail]
 */
function announcement(status, detail) {
  if (status === "reconnecting") return STATUS_LABELS.reconnecting;
  const label = STATUS_LABELS[status].replace("…", "").toLowerCase();
  return detail ? `Answer ${label}: ${detail}` : `Answer ${label}`;
}

/**
 * An answer that ran on in a conversation the user had left is over: keep it.
 * @param {AnswerRun} run
 */
async function settledInBackground(run) {
  const entry = [...background].find(([, chat]) => chat.active?.run === run);
  if (!entry) return;
  const [id, chat] = entry;
  const turn = /** @type {Turn} */ (chat.active?.turn);
  chat.views.get(turn)?.showDetails(current(turn));
  chat.active = undefined;
  chat.conversation.updatedAt = Date.now();
  await store.put(chat.conversation.toRecord());
  // Until it is stored, opening it takes it from here.
  if (background.get(id) === chat) background.delete(id);
  await refreshHistory();
}

/** Send turns into Stop while an answer runs; each answer's row offers what fits it now. */
function refresh() {
  queueView.show(queueOf(conversation));
  ui.send.hidden = active !== undefined;
  ui.stop.hidden = active === undefined;
  for (const [turn, view] of views) {
    const answer = current(turn);
    const settled = FINAL_STATUSES.includes(answer.status);
    // Any turn can be asked again (a new branch from there on), while nothing runs here.
    const idle = !active;
    const { question, answer: place } = siblings(turn);
    view.setActions({
      settled: settled && active?.turn !== turn,
      browse: idle,
      regenerate: idle && settled,
      continue: idle && conversation.isLast(turn) && canContinue(answer),
      edit: idle,
      version: place.position,
      versions: place.count,
      question,
    });
  }
  // The action rows may have grown the log: keep following the end if we were.
  scroll.contentChanged();
}

/** @param {Turn} turn */
function regenerate(turn) {
  const view = views.get(turn);
  if (!view || active) return;
  conversation.addVersion(turn);
  showBranch(turn);
  // The button may be gone until the answer settles: keep the keyboard focus somewhere useful.
  composer.focus();
  start(turn, view, conversation.historyFor(turn));
}

/**
 * @param {Turn} turn
 * @param {string} prompt
 */
function edit(turn, prompt) {
  const view = views.get(turn);
  if (!view || active) return;
  conversation.addVersion(turn, prompt);
  showBranch(turn);
  composer.focus();
  start(turn, view, conversation.historyFor(turn));
}

/** @param {Turn} turn */
function continueAnswer(turn) {
  const view = views.get(turn);
  if (!view || !conversation.isLast(turn) || active || !canContinue(current(turn))) return;
  const messages = conversation.continuationFor(turn);
  composer.focus();
  start(turn, view, messages, { continuing: true });
}

/**
 * @param {Turn} turn
 * @param {number | undefined} index  the version to show; none when there is none that way
 */
function showVersion(turn, index) {
  if (index === undefined || index < 0 || index >= turn.versions.length || active) return;
  conversation.show(turn, index);
  showStored(turn);
  showBranch(turn);
  refresh();
  void save();
}

/**
 * The turns after `turn` are those of the branch now shown: views of the others go.
 * @param {Turn} turn
 */
function showBranch(turn) {
  for (const [shown, view] of views) {
    if (conversation.turns.includes(shown)) continue;
    view.element.remove();
    views.delete(shown);
  }
  for (const later of conversation.turns.slice(conversation.turns.indexOf(turn) + 1)) {
    addView(later);
    showStored(later);
  }
}

/** @param {Turn} turn */
function showStored(turn) {
  const answer = current(turn);
  const view = views.get(turn);
  if (!view) return;
  view.showAnswer(answer);
  view.showError(answer.error && describeError(answer.error));
}

/** While an answer streams, what has arrived is saved every so often. */
function scheduleSave() {
  saveTimer ??= setTimeout(() => {
    saveTimer = undefined;
    void save();
    if (active) scheduleSave();
  }, SAVE_EVERY_MS);
}

async function save() {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  if (conversation.turns.length === 0) return;
  conversation.updatedAt = Date.now();
  const record = conversation.toRecord();
  await store.put(record);
  if (conversation.id === record.id && location.hash !== `#${record.id}`) {
    location.replace(`#${record.id}`);
  }
  await refreshHistory();
}

async function refreshHistory() {
  listed = await store.list();
  await search.sync(store, listed);
  drawHistory();
  files.update(conversation.turns.length > 0);
  ui.notice.textContent = store.notice ?? "";
  ui.notice.hidden = !store.notice;
}

/** The history list, filtered by the search box's query when there is one. */
function drawHistory() {
  // The first query builds the search index from the store.
  if (!search.ready) {
    void refreshHistory();
    return;
  }
  const { shown, matches } = search.filter(listed);
  history.render(shown, conversation.id, matches);
}

/**
 * Clear the page for another conversation. An answer still running goes on in the background,
 * unless `stop` (its conversation is deleted, or its user gone): then it is kept as it stands.
 * @param {{stop?: boolean}} [options]
 */
function leaveConversation(options = {}) {
  if (options.stop) active?.run.stop();
  else if (active) background.set(conversation.id, { conversation, views, active });
  active = undefined;
  clearTimeout(saveTimer);
  saveTimer = undefined;
  views = new Map();
  ui.turns.replaceChildren();
}

/**
 * Take up a conversation left while its answer ran, as it is now.
 * @param {Chat} chat
 */
function resume(chat) {
  leaveConversation();
  background.delete(chat.conversation.id);
  ({ conversation, views, active } = chat);
  for (const turn of conversation.turns) {
    const view = views.get(turn);
    if (view) ui.turns.append(view.element);
  }
  ui.empty.hidden = conversation.turns.length > 0;
  if (active) scheduleSave();
  refresh();
  scroll.toBottom();
  sendQueued();
}

/** @param {ConversationRecord} record */
function show(record) {
  leaveConversation();
  conversation = Conversation.fromRecord(record);
  for (const turn of conversation.turns) {
    addView(turn);
    showStored(turn);
  }
  ui.empty.hidden = conversation.turns.length > 0;
  refresh();
  const streaming = resumable(conversation);
  if (streaming) resumeAnswer(streaming);
  scroll.toBottom();
  // Messages queued here before its answer ended in the background go now.
  sendQueued();
}

/** @param {string} id */
async function open(id) {
  if (id === conversation.id) return;
  await save();
  const chat = background.get(id);
  const record = chat ? undefined : await store.get(id);
  if (chat) resume(chat);
  else if (record) show(record);
  else return;
  location.replace(`#${id}`);
  await refreshHistory();
  composer.focus();
}

function newChat() {
  leaveConversation();
  void save();
  conversation = new Conversation();
  history.setOpen(false);
  location.replace("#");
  refresh();
  showAccount();
  void refreshHistory();
  composer.focus();
}

/** Signed out (with sign-in on), the sign-in prompt replaces the welcome and the box is off. */
function showAccount() {
  const signedOut = session !== undefined && !session.signedIn;
  account?.render();
  ui.empty.hidden = signedOut || ui.turns.childElementCount > 0;
  ui.prompt.disabled = signedOut;
  tray.disabled = signedOut;
  if (signedOut) {
    ui.send.disabled = true;
    ui.signInPrompt.scrollIntoView({ block: "nearest" });
  }
}

/**
 * Another user signed in: their own conversations, and a new chat. A session that ends leaves
 * the page as it is (the answer it refused says why); signing out reloads the page anyway.
 */
async function accountChanged() {
  if (session?.user && session.user !== owner) {
    owner = session?.user;
    for (const chat of background.values()) chat.active?.run.stop();
    background.clear();
    leaveConversation({ stop: true });
    conversation = new Conversation();
    location.replace("#");
    store = await openStore(owner);
    refresh();
    await refreshHistory();
  }
  showAccount();
}

/**
 * @param {string} id
 * @param {string} title
 */
async function rename(id, title) {
  if (id === conversation.id) {
    conversation.title = title;
    await save();
    return;
  }
  const record = await store.get(id);
  if (!record) return;
  await store.put({ ...record, title });
  await refreshHistory();
}

/** @param {string} id */
async function onDelete(id) {
  const record = id === conversation.id ? conversation.toRecord() : await store.get(id);
  if (!record) return;
  const wasOpen = id === conversation.id;
  background.get(id)?.active?.run.stop();
  background.delete(id);
  queues.delete(id);
  if (wasOpen) {
    leaveConversation({ stop: true });
    conversation = new Conversation();
    ui.empty.hidden = false;
    location.replace("#");
    refresh();
  }
  await store.delete(id);
  await refreshHistory();
  showToast(`Deleted “${record.title}”`, async () => {
    await store.put(record);
    if (wasOpen && conversation.turns.length === 0) show(record);
    await refreshHistory();
  });
}

/**
 * @param {string} text
 * @param {() => Promise<void>} onUndo
 */
function showToast(text, onUndo) {
  clearTimeout(toastTimer);
  ui.toastText.textContent = text;
  ui.toast.hidden = false;
  undo = () => {
    ui.toast.hidden = true;
    void onUndo();
  };
  toastTimer = setTimeout(() => {
    ui.toast.hidden = true;
    undo = undefined;
  }, UNDO_FOR_MS);
}

ui.toastUndo.addEventListener("click", () => {
  clearTimeout(toastTimer);
  undo?.();
  undo = undefined;
});
ui.stop.addEventListener("click", () => {
  active?.run.stop();
  composer.focus();
});
ui.newChat.addEventListener("click", newChat);
document.addEventListener("keydown", (event) => {
  // Escape in a dialog closes the dialog; it must not also stop the answer.
  const inDialog = event.target instanceof Element && event.target.closest("dialog");
  if (event.key === "Escape" && active && !inDialog) {
    event.preventDefault();
    active.run.stop();
  }
});
// Leaving the page keeps what had arrived and the stream's id. The answer is not cancelled: the
// page cannot tell a reload from a close, and a reload (or another tab) resumes it.
window.addEventListener("pagehide", () => {
  void save();
  for (const chat of background.values()) void store.put(chat.conversation.toRecord());
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  // A tab woken from sleep may hold an expired token; renew it before the next question.
  void session?.accessToken();
  // Its answers' connections may have died in its sleep without the browser noticing.
  active?.run.wake();
  for (const chat of background.values()) chat.active?.run.wake();
});
// Gone offline (a network switch, a lost signal): the answers' connections are dead; they are
// resumed with backoff, and the first attempt after the network is back takes them up.
window.addEventListener("offline", () => {
  active?.run.offline();
  for (const chat of background.values()) chat.active?.run.offline();
});
session?.onChange(() => void accountChanged());
for (const button of ui.empty.querySelectorAll("button[data-prompt]")) {
  button.addEventListener("click", () => {
    void ask(button.getAttribute("data-prompt") ?? "", tray.take());
  });
}

// Nobody should take the offline demo model's sample text for a real answer.
ui.demoNotice.hidden = config.provider !== "demo";
const restored = location.hash.length > 1 && (await store.get(location.hash.slice(1)));
if (restored) show(restored);
refresh();
showAccount();
await refreshHistory();
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

// The request history derived from the page's conversation: roles always alternate.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  canContinue,
  Conversation,
  CONTINUE_PROMPT,
  current,
  resumable,
} from "../../web/js/conversation.js";

/** @param {Array<[string, string]>} pairs  prompt and answer of each earlier turn */
function conversationOf(pairs) {
  const conversation = new Conversation();
  for (const [prompt, answer] of pairs) current(conversation.add(prompt)).text = answer;
  return conversation;
}

test("the first turn sends only its prompt", () => {
  const conversation = new Conversation();
  const turn = conversation.add("Hi");
  assert.deepEqual(conversation.historyFor(turn), [{ role: "user", content: "Hi" }]);
});

test("earlier answered turns come first, as user/assistant pairs", () => {
  const conversation = conversationOf([["One", "1"], ["Two", "2"]]);
  const turn = conversation.add("Three");
  assert.deepEqual(conversation.historyFor(turn), [
    { role: "user", content: "One" },
    { role: "assistant", content: "1" },
    { role: "user", content: "Two" },
    { role: "assistant", content: "2" },
    { role: "user", content: "Three" },
  ]);
});

test("turns without answer text are left out whole, so roles keep alternating", () => {
  const conversation = conversationOf([["Failed", ""], ["Blank", "  \n"], ["Kept", "partial"]]);
  const turn = conversation.add("Next");
  const roles = conversation.historyFor(turn).map((m) => m.role);
  assert.deepEqual(roles, ["user", "assistant", "user"]);
  assert.equal(conversation.historyFor(turn)[0].content, "Kept");
});

test("retrying a turn sends the history before it, not after it", () => {
  const conversation = conversationOf([["One", "1"]]);
  const retried = conversation.add("Two");
  current(retried).text = "old answer being replaced";
  assert.deepEqual(conversation.historyFor(retried).map((m) => m.content), ["One", "1", "Two"]);
});

test("isLast", () => {
  const conversation = conversationOf([["One", "1"]]);
  const last = conversation.add("Two");
  assert.equal(conversation.isLast(last), true);
  assert.equal(conversation.isLast(conversation.turns[0]), false);
});

test("a regenerated or edited answer is a new version; the shown one goes into the history", () => {
  const conversation = conversationOf([["One", "first"]]);
  const [turn] = conversation.turns;
  current(turn).status = "done";
  const second = conversation.addVersion(turn);
  assert.equal(second.prompt, "One");
  second.text = "second";
  const edited = conversation.addVersion(turn, "One, edited");
  edited.text = "third";
  assert.equal(turn.versions.length, 3);
  const next = conversation.add("Two");
  assert.deepEqual(conversation.historyFor(next).map((m) => m.content), [
    "One, edited", "third", "Two",
  ]);
  turn.shown = 0;
  assert.deepEqual(conversation.historyFor(next).map((m) => m.content), ["One", "first", "Two"]);
});

test("continuing asks for the rest of the cut answer", () => {
  const conversation = conversationOf([["One", "cut sh"]]);
  const [turn] = conversation.turns;
  Object.assign(current(turn), { status: "stopped", stopReason: "user" });
  assert.equal(canContinue(current(turn)), true);
  assert.deepEqual(conversation.continuationFor(turn), [
    { role: "user", content: "One" },
    { role: "assistant", content: "cut sh" },
    { role: "user", content: CONTINUE_PROMPT },
  ]);
  current(turn).stopReason = "end_turn";
  assert.equal(canContinue(current(turn)), false);
});

test("a record round trip keeps everything; a stream cut by closing the page is incomplete", () => {
  const conversation = conversationOf([["A long first question about streams", "1"]]);
  current(conversation.turns[0]).status = "done";
  const running = conversation.add("Two");
  Object.assign(current(running), { text: "half", status: "streaming" });
  const restored = Conversation.fromRecord(structuredClone(conversation.toRecord()));
  assert.equal(restored.id, conversation.id);
  assert.equal(restored.title, "A long first question about streams");
  assert.equal(current(restored.turns[0]).status, "done");
  assert.equal(current(restored.turns[1]).status, "incomplete");
  assert.equal(current(restored.turns[1]).text, "half");
  assert.equal(restored.add("Three").id, 3);
});

test("a new version of an earlier turn starts a branch; the old one comes back with it", () => {
  const conversation = conversationOf([["One", "1"], ["Two", "2"], ["Three", "3"]]);
  const [first, second, third] = conversation.turns;
  const again = conversation.addVersion(second, "Two, edited");
  again.text = "2b";
  assert.deepEqual(conversation.turns, [first, second]);
  const fourth = conversation.add("Four");
  assert.deepEqual(conversation.historyFor(fourth).map((m) => m.content), [
    "One", "1", "Two, edited", "2b", "Four",
  ]);

  conversation.show(second, 0);
  assert.deepEqual(conversation.turns, [first, second, third]);
  assert.equal(current(second).text, "2");
  conversation.show(second, 1);
  assert.deepEqual(conversation.turns, [first, second, fourth]);
});

test("every branch survives a record round trip, and new turns get fresh ids", () => {
  const conversation = conversationOf([["One", "1"], ["Two", "2"]]);
  const [first] = conversation.turns;
  current(first).status = "done";
  current(conversation.turns[1]).status = "streaming";
  conversation.addVersion(first).text = "1b";
  const restored = Conversation.fromRecord(structuredClone(conversation.toRecord()));
  assert.equal(restored.turns.length, 1);
  restored.show(restored.turns[0], 0);
  assert.deepEqual(restored.turns.map((turn) => current(turn).text), ["1", "2"]);
  assert.equal(current(restored.turns[1]).status, "incomplete");
  assert.equal(restored.add("Three").id, 3);
});

test("an answer's parts are stored and restored with it; an answer without any gains none", () => {
  const conversation = new Conversation();
  const plain = current(conversation.add("Old question"));
  Object.assign(plain, { text: "Old answer", status: "done", stopReason: "end_turn" });
  const searched = current(conversation.add("Search"));
  const parts = {
    thinking: { text: "Hm", redacted: 1, ms: 2000 },
    steps: [{ id: "t", name: "web_search", subject: "q", results: 2 }],
    sources: [{ url: "https://a.example", title: "A" }],
    citations: [{ source: 1, at: 0 }],
    stop: { reason: "refusal", explanation: "No." },
  };
  Object.assign(searched, { text: "A", status: "done", parts });
  const restored = Conversation.fromRecord(structuredClone(conversation.toRecord()));
  const [first, second] = restored.turns.map(current);
  assert.deepEqual(first, plain);
  assert.equal("parts" in first, false);
  assert.deepEqual(second.parts, parts);
});

test("an answer saved while it streamed is resumed when its stream is known and it is last", () => {
  const conversation = conversationOf([["One", "1"]]);
  current(conversation.turns[0]).status = "done";
  const running = conversation.add("Two");
  Object.assign(current(running), { text: "half", status: "streaming", streamId: "s-2" });
  const restored = Conversation.fromRecord(structuredClone(conversation.toRecord()));
  assert.equal(current(restored.turns[1]).status, "reconnecting");
  assert.equal(current(restored.turns[1]).text, "half");
  assert.equal(resumable(restored), restored.turns[1]);

  // Still sending, but the stream had already named itself: resumed too.
  Object.assign(current(running), { text: "", status: "sending" });
  const sending = Conversation.fromRecord(structuredClone(conversation.toRecord()));
  assert.equal(resumable(sending), sending.turns[1]);
});

test("a streaming answer without a stream id, or not the last shown, is kept incomplete", () => {
  const noId = conversationOf([["One", "half"]]);
  current(noId.turns[0]).status = "streaming";
  const restoredNoId = Conversation.fromRecord(noId.toRecord());
  assert.equal(current(restoredNoId.turns[0]).status, "incomplete");
  assert.equal(resumable(restoredNoId), undefined);

  // Only the last answer on screen can have been streaming; any other is stale.
  const earlier = conversationOf([["One", "half"], ["Two", "2"]]);
  Object.assign(current(earlier.turns[0]), { status: "streaming", streamId: "s-1" });
  current(earlier.turns[1]).status = "done";
  const restoredEarlier = Conversation.fromRecord(earlier.toRecord());
  assert.equal(current(restoredEarlier.turns[0]).status, "incomplete");
  assert.equal(resumable(restoredEarlier), undefined);

  const hidden = conversationOf([["One", "old"]]);
  const [turn] = hidden.turns;
  Object.assign(current(turn), { status: "streaming", streamId: "s-old" });
  Object.assign(hidden.addVersion(turn), { text: "new", status: "done" });
  const restoredHidden = Conversation.fromRecord(hidden.toRecord());
  assert.equal(restoredHidden.turns[0].versions[0].status, "incomplete");
  assert.equal(resumable(restoredHidden), undefined);
});

test("an answer whose stream was lost can be continued, once it has text", () => {
  const conversation = conversationOf([["One", "cut sh"]]);
  const answer = current(conversation.turns[0]);
  answer.status = "incomplete";
  assert.equal(canContinue(answer), true);
  answer.text = " ";
  assert.equal(canContinue(answer), false);
  Object.assign(answer, { text: "going", status: "reconnecting" });
  assert.equal(canContinue(answer), false, "not while it is being resumed");
});

test("a question's files go with it in every request, and with each new version", () => {
  const chart = { name: "chart.png", mediaType: "image/png", size: 3, data: new Blob(["abc"]) };
  const conversation = new Conversation();
  const first = conversation.add("What does this show?", [chart]);
  current(first).text = "Growth.";
  const second = conversation.add("And in 2020?");
  assert.deepEqual(conversation.historyFor(second), [
    { role: "user", content: "What does this show?", attachments: [chart] },
    { role: "assistant", content: "Growth." },
    { role: "user", content: "And in 2020?" },
  ]);
  // An edit changes the words and keeps the files; a regenerate sends the same.
  const edited = conversation.addVersion(first, "What does this chart show?");
  assert.deepEqual(edited.attachments, [chart]);
  assert.deepEqual(conversation.historyFor(first), [
    { role: "user", content: "What does this chart show?", attachments: [chart] },
  ]);
  assert.notEqual(edited.attachments, first.versions[0].attachments, "a list of its own");
});

test("stored and restored, a question keeps its files", () => {
  const chart = { name: "chart.png", mediaType: "image/png", size: 3, data: new Blob(["abc"]) };
  const conversation = new Conversation();
  Object.assign(current(conversation.add("What is it?", [chart])), { status: "done" });
  const restored = Conversation.fromRecord(conversation.toRecord());
  const [kept] = current(restored.turns[0]).attachments ?? [];
  assert.deepEqual({ ...kept, data: undefined }, { ...chart, data: undefined });
  assert.ok(kept.data instanceof Blob && kept.data.size === 3);
  // A conversation without files stores none.
  assert.equal("attachments" in current(new Conversation().add("Hi")), false);
});

test("a question of files alone is titled after its first file, and sends them", () => {
  const conversation = new Conversation();
  const file = (name) => ({ name, mediaType: "image/png", size: 3, data: new Blob(["png"]) });
  const files = [file("holiday photo.png"), file("map.png")];
  const turn = conversation.add("", files);
  assert.equal(conversation.title, "holiday photo.png");
  assert.deepEqual(conversation.historyFor(turn), [
    { role: "user", content: "", attachments: files },
  ]);
  // A later question with text does not rename it.
  conversation.add("And this one?");
  assert.equal(conversation.title, "holiday photo.png");
});

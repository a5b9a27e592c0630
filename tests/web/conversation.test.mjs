// The request history derived from the page's conversation: roles always alternate.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Conversation } from "../../web/js/conversation.js";

/** @param {Array<[string, string]>} pairs  prompt and answer of each earlier turn */
function conversationOf(pairs) {
  const conversation = new Conversation();
  for (const [prompt, answer] of pairs) conversation.add(prompt).answer = answer;
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
  retried.answer = "old answer being replaced";
  assert.deepEqual(conversation.historyFor(retried).map((m) => m.content), ["One", "1", "Two"]);
});

test("isLast and clear", () => {
  const conversation = conversationOf([["One", "1"]]);
  const last = conversation.add("Two");
  assert.equal(conversation.isLast(last), true);
  assert.equal(conversation.isLast(conversation.turns[0]), false);
  conversation.clear();
  assert.deepEqual(conversation.turns, []);
  assert.throws(() => conversation.historyFor(last));
});

// A turn's versions as siblings of its question (edits) and of its answer (regenerates); and a
// conversation stored by the page before branches were shown per message opens unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";

import { answerStep, questionStep, siblings } from "../../web/js/branches.js";
import { Conversation, current } from "../../web/js/conversation.js";

/**
 * @param {string[]} prompts  one version per prompt, in order
 * @param {number} shown
 */
function turnOf(prompts, shown) {
  const versions = prompts.map((prompt, index) => ({ prompt, text: `a${index}`, status: "done" }));
  return { id: 1, shown, versions: /** @type {any} */ (versions) };
}

test("edits are question siblings; regenerates are answer siblings of their question", () => {
  // Asked, regenerated, edited, regenerated twice.
  const turn = turnOf(["cats", "cats", "dogs", "dogs", "dogs"], 3);
  assert.deepEqual(siblings(turn), {
    question: { position: 2, count: 2 },
    answer: { position: 2, count: 3 },
  });
  assert.equal(answerStep(turn, -1), 2);
  assert.equal(answerStep(turn, 1), 4);
  assert.equal(questionStep(turn, 1), undefined);
  // Back to the first question: its latest answer.
  assert.equal(questionStep(turn, -1), 1);
  turn.shown = 0;
  assert.deepEqual(siblings(turn), {
    question: { position: 1, count: 2 },
    answer: { position: 1, count: 2 },
  });
  assert.equal(answerStep(turn, -1), undefined);
  assert.equal(questionStep(turn, 1), 4);
});

test("a turn asked once has one of each; an edit back to an earlier question joins it", () => {
  assert.deepEqual(siblings(turnOf(["only"], 0)), {
    question: { position: 1, count: 1 },
    answer: { position: 1, count: 1 },
  });
  const turn = turnOf(["a", "b", "a"], 2);
  assert.deepEqual(siblings(turn).question, { position: 1, count: 2 });
  assert.deepEqual(siblings(turn).answer, { position: 2, count: 2 });
});

// A record as the page stored it before this change: an edited first turn whose old version
// keeps the turns that followed it, parts, stats, an error; nothing added, nothing renamed.
const STORED = {
  id: "3f1c7f0e-8d7a-4f53-9a53-3c0f2a9a1b11",
  title: "Name a colour",
  updatedAt: 1764892800000,
  turns: [
    {
      id: 1,
      shown: 1,
      versions: [
        {
          prompt: "Name a colour",
          text: "Blue.",
          status: "done",
          model: "claude-sonnet-4-6",
          streamId: "s-1",
          stopReason: "end_turn",
          stats: { ttftMs: 412, inputTokens: 12, outputTokens: 3, estimated: false },
          later: [
            {
              id: 2,
              shown: 0,
              versions: [
                {
                  prompt: "Why?",
                  text: "The sky.[1]",
                  status: "done",
                  parts: {
                    steps: [{ id: "t1", name: "web_search", subject: "sky colour", results: 3 }],
                    sources: [{ url: "https://example.com/sky", title: "Sky" }],
                    citations: [{ source: 1, at: 8 }],
                  },
                },
              ],
            },
          ],
        },
        { prompt: "Name a fruit", text: "Apple.", status: "done", model: "claude-sonnet-4-6" },
      ],
    },
    {
      id: 3,
      shown: 1,
      versions: [
        {
          prompt: "Another",
          text: "",
          status: "error",
          error: { code: "overloaded", message: "Busy.", requestId: "req_1" },
        },
        { prompt: "Another", text: "Pear.", status: "stopped", stopReason: "user" },
      ],
    },
  ],
};

test("a record stored before opens unchanged, with its branches where they were", () => {
  const conversation = Conversation.fromRecord(structuredClone(STORED));
  assert.deepEqual(conversation.toRecord(), STORED);
  const [first, second] = conversation.turns;
  assert.deepEqual(siblings(first), {
    question: { position: 2, count: 2 },
    answer: { position: 1, count: 1 },
  });
  assert.deepEqual(siblings(second), {
    question: { position: 1, count: 1 },
    answer: { position: 2, count: 2 },
  });
  assert.deepEqual(
    conversation.historyFor(second).map((message) => message.content),
    ["Name a fruit", "Apple.", "Another"],
  );

  // Switching to the first question brings back the turn that followed it, and what is sent.
  const index = questionStep(first, -1);
  assert.equal(index, 0);
  conversation.show(first, /** @type {number} */ (index));
  assert.equal(conversation.turns.length, 2);
  assert.equal(current(conversation.turns[1]).prompt, "Why?");
  const next = conversation.add("And then?");
  assert.equal(next.id, 4, "new turns get ids after every stored one");
  assert.deepEqual(
    conversation.historyFor(next).map((message) => message.content),
    ["Name a colour", "Blue.", "Why?", "The sky.[1]", "And then?"],
  );
});

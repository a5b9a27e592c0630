// Which model the picker shows: the remembered one while it is allowed, else the default.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pick } from "../../web/js/model-picker.js";

const MODELS = ["claude-sonnet-4-6", "claude-haiku-4-5"];

test("the remembered model wins while the deployment allows it", () => {
  assert.equal(pick(MODELS, "claude-haiku-4-5", "claude-sonnet-4-6"), "claude-haiku-4-5");
});

test("a model no longer allowed, or none remembered, gives the default", () => {
  assert.equal(pick(MODELS, "claude-opus-4-6", "claude-sonnet-4-6"), "claude-sonnet-4-6");
  assert.equal(pick(MODELS, null, "claude-haiku-4-5"), "claude-haiku-4-5");
  assert.equal(pick(MODELS, "", "claude-sonnet-4-6"), "claude-sonnet-4-6");
});

test("a default outside the list gives the first model, and no models give none", () => {
  assert.equal(pick(MODELS, null, "gone"), "claude-sonnet-4-6");
  assert.equal(pick([], "claude-haiku-4-5", ""), "");
});

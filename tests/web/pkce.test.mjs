// PKCE: the S256 challenge matches RFC 7636's own example, verifiers are random and well-formed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { base64url, pkceChallenge, randomToken } from "../../web/js/pkce.js";

test("the challenge of RFC 7636 appendix B's verifier is the one the RFC gives", async () => {
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  assert.equal(await pkceChallenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("base64url has no padding and no + or /", () => {
  assert.equal(base64url(new Uint8Array([0xfb, 0xff, 0xbf])), "-_-_");
  assert.equal(base64url(new Uint8Array([1])), "AQ");
  assert.equal(base64url(new Uint8Array([])), "");
});

test("a verifier is 43 unreserved characters (RFC 7636 §4.1) and never repeats", () => {
  const seen = new Set();
  for (let i = 0; i < 200; i += 1) {
    const verifier = randomToken(32);
    assert.match(verifier, /^[A-Za-z0-9\-._~]{43}$/);
    seen.add(verifier);
  }
  assert.equal(seen.size, 200);
  assert.equal(randomToken(16).length, 22);
});

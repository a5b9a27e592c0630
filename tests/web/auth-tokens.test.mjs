// Token answers, expiry, renewal timing and the name shown for the signed-in user.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  claimsOf,
  displayName,
  EXPIRY_MARGIN_MS,
  isFresh,
  REFRESH_LEAD_MS,
  refreshDelayMs,
  TokenResponseError,
  tokensFromResponse,
} from "../../web/js/auth-tokens.js";
import { jwt } from "./support/fake-auth.mjs";

const NOW = 1_800_000_000_000;


test("a token answer's lifetime counts from now, and a refresh keeps the refresh token", () => {
  const first = tokensFromResponse(
    { access_token: "a1", id_token: "i1", refresh_token: "r1", token_type: "Bearer", expires_in: 3600 },
    NOW,
  );
  assert.deepEqual(first, {
    accessToken: "a1",
    idToken: "i1",
    refreshToken: "r1",
    issuedAt: NOW,
    expiresAt: NOW + 3_600_000,
  });
  const later = NOW + 3_000_000;
  const renewed = tokensFromResponse(
    { access_token: "a2", token_type: "bearer", expires_in: 60 },
    later,
    first,
  );
  assert.equal(renewed.refreshToken, "r1");
  assert.equal(renewed.idToken, "i1");
  assert.equal(renewed.expiresAt, later + 60_000);
  const rotated = tokensFromResponse(
    { access_token: "a3", refresh_token: "r2", token_type: "Bearer", expires_in: 60 },
    later,
    first,
  );
  assert.equal(rotated.refreshToken, "r2");
});

test("an answer without a Bearer access token or a lifetime is refused", () => {
  const good = { access_token: "a", token_type: "Bearer", expires_in: 60 };
  for (const broken of [
    null,
    {},
    { ...good, access_token: "" },
    { ...good, token_type: "mac" },
    { ...good, expires_in: 0 },
    { ...good, expires_in: "60" },
  ]) {
    assert.throws(() => tokensFromResponse(broken, NOW), TokenResponseError, JSON.stringify(broken));
  }
});

test("a token is not sent in its last seconds", () => {
  const tokens = tokensFromResponse({ access_token: "a", token_type: "Bearer", expires_in: 3600 }, NOW);
  assert.ok(isFresh(tokens, NOW));
  assert.ok(isFresh(tokens, tokens.expiresAt - EXPIRY_MARGIN_MS - 1));
  assert.ok(!isFresh(tokens, tokens.expiresAt - EXPIRY_MARGIN_MS));
  assert.ok(!isFresh(tokens, tokens.expiresAt + 1));
});

test("renewal is due five minutes before expiry, or at half life for short tokens", () => {
  const hour = tokensFromResponse({ access_token: "a", token_type: "Bearer", expires_in: 3600 }, NOW);
  assert.equal(refreshDelayMs(hour, NOW), 3_600_000 - REFRESH_LEAD_MS);
  assert.equal(refreshDelayMs(hour, NOW + 3_000_000), 600_000 - REFRESH_LEAD_MS);
  assert.equal(refreshDelayMs(hour, hour.expiresAt), 0, "overdue: at once");
  const short = tokensFromResponse({ access_token: "a", token_type: "Bearer", expires_in: 120 }, NOW);
  assert.equal(refreshDelayMs(short, NOW), 60_000);
  // Renewal always comes before the token stops being sent.
  for (const expiresIn of [61, 120, 600, 3600, 86_400]) {
    const tokens = tokensFromResponse({ access_token: "a", token_type: "Bearer", expires_in: expiresIn }, NOW);
    assert.ok(isFresh(tokens, NOW + refreshDelayMs(tokens, NOW)), String(expiresIn));
  }
});

test("the e-mail of the ID token names the user, then the user name", () => {
  const access = jwt({ username: "alice", sub: "s-1" });
  const tokens = { accessToken: access, issuedAt: NOW, expiresAt: NOW + 1 };
  assert.equal(
    displayName({ ...tokens, idToken: jwt({ email: "alice@example.com" }), refreshToken: undefined }),
    "alice@example.com",
  );
  assert.equal(displayName({ ...tokens, idToken: undefined, refreshToken: undefined }), "alice");
  assert.equal(
    displayName({ accessToken: "junk", idToken: "x.!!!.y", refreshToken: undefined, issuedAt: 0, expiresAt: 1 }),
    "signed-in user",
  );
});

test("claims are read from base64url with multi-byte text; anything unreadable is {}", () => {
  assert.deepEqual(claimsOf(jwt({ name: "Zoë 😀" })), { name: "Zoë 😀" });
  for (const junk of [undefined, "", "abc", "a.b.c", `a.${Buffer.from("[1]").toString("base64url")}.c`]) {
    assert.deepEqual(claimsOf(junk), {}, String(junk));
  }
});

// The code + PKCE flow's messages: what goes to the authorization server, what is checked on the
// way back (state, once only), and how refusals are told apart from passing failures.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  authorizeUrl,
  callbackOf,
  logoutUrl,
  PENDING_KEY,
  redeem,
  redirectUriOf,
  refresh,
  revoke,
  SignInError,
  withoutCallback,
} from "../../web/js/sign-in.js";
import { clearTokens, loadTokens, saveTokens } from "../../web/js/token-store.js";
import { AUTH, json, MemoryStorage, recordingFetch, s256 } from "./support/fake-auth.mjs";

const NOW = 1_800_000_000_000;
const PAGE = "https://d111.cloudfront.net/";
const TOKENS = { access_token: "acc", id_token: "id", refresh_token: "ref", token_type: "Bearer", expires_in: 3600 };

async function started(storage = new MemoryStorage()) {
  const url = new URL(await authorizeUrl(AUTH, PAGE, storage, NOW));
  return { url, storage, state: url.searchParams.get("state") };
}

test("the authorize request asks for a code with an S256 challenge of the stored verifier", async () => {
  const { url, storage } = await started();
  assert.equal(url.origin + url.pathname, AUTH.authorizeUrl);
  const params = Object.fromEntries(url.searchParams);
  const pending = JSON.parse(storage.getItem(PENDING_KEY));
  assert.deepEqual(params, {
    response_type: "code",
    client_id: "client-1",
    redirect_uri: PAGE,
    scope: "openid email",
    state: pending.state,
    code_challenge: s256(pending.verifier),
    code_challenge_method: "S256",
  });
  assert.ok(!url.href.includes(pending.verifier), "the verifier never leaves the tab");
  const again = await started();
  assert.notEqual(again.state, pending.state);
});

test("the callback is the page's directory, and the answer is read from and wiped off the URL", () => {
  assert.equal(redirectUriOf("https://d1.net/index.html?x=1#y"), "https://d1.net/");
  assert.equal(redirectUriOf("http://127.0.0.1:8000/"), "http://127.0.0.1:8000/");
  assert.deepEqual(callbackOf(`${PAGE}?code=c1&state=s1`), {
    state: "s1",
    code: "c1",
    error: undefined,
    errorDescription: undefined,
  });
  assert.equal(callbackOf(`${PAGE}?error=access_denied&state=s1`)?.error, "access_denied");
  assert.equal(callbackOf(`${PAGE}?code=c1`), undefined, "no state: not an answer");
  assert.equal(callbackOf(PAGE), undefined);
  assert.equal(withoutCallback(`${PAGE}?code=c1&state=s1&keep=1#top`), `${PAGE}?keep=1#top`);
});

test("the code is exchanged with the verifier and the same redirect_uri", async () => {
  const { storage, state } = await started();
  const verifier = JSON.parse(storage.getItem(PENDING_KEY)).verifier;
  const idp = recordingFetch(() => json(200, TOKENS));
  const tokens = await redeem(AUTH, { code: "c1", state }, { storage, fetch: idp.fetch, now: NOW });
  assert.equal(tokens.accessToken, "acc");
  assert.equal(tokens.expiresAt, NOW + 3_600_000);
  const [call] = idp.calls;
  assert.equal(call.url, AUTH.tokenUrl);
  assert.equal(call.method, "POST");
  assert.equal(call.headers["content-type"], "application/x-www-form-urlencoded");
  assert.deepEqual(call.form, {
    grant_type: "authorization_code",
    client_id: "client-1",
    code: "c1",
    redirect_uri: PAGE,
    code_verifier: verifier,
  });
  assert.equal(storage.getItem(PENDING_KEY), null, "a sign-in completes once");
});

test("an answer with another state, a replayed one, or none started here is refused unsent", async () => {
  const idp = recordingFetch(() => json(200, TOKENS));
  const { storage, state } = await started();
  const attempt = (callback) => redeem(AUTH, callback, { storage, fetch: idp.fetch, now: NOW });
  await assert.rejects(attempt({ code: "c1", state: `${state}x` }), { code: "state_mismatch" });
  // The mismatch used up the pending sign-in: the right state no longer works either.
  await assert.rejects(attempt({ code: "c1", state }), { code: "state_mismatch" });
  const stale = await started();
  const late = { storage: stale.storage, fetch: idp.fetch, now: NOW + 16 * 60_000 };
  await assert.rejects(redeem(AUTH, { code: "c1", state: stale.state }, late), {
    code: "state_mismatch",
  });
  assert.equal(idp.calls.length, 0);
});

test("an error answer with our state is reported, not exchanged", async () => {
  const { storage, state } = await started();
  const idp = recordingFetch(() => json(200, TOKENS));
  const callback = { state, error: "access_denied", errorDescription: "User cancelled" };
  await assert.rejects(redeem(AUTH, callback, { storage, fetch: idp.fetch, now: NOW }), (error) => {
    assert.ok(error instanceof SignInError);
    assert.equal(error.code, "access_denied");
    assert.match(error.message, /User cancelled/);
    return true;
  });
  assert.equal(idp.calls.length, 0);
});

test("a refused grant is final; a server error or no network is not", async () => {
  const tokens = { accessToken: "a", idToken: undefined, refreshToken: "r", issuedAt: NOW, expiresAt: NOW };
  const cases = [
    [() => json(400, { error: "invalid_grant" }), { code: "invalid_grant", final: true }],
    [() => json(503, {}), { code: "http_503", final: false }],
    [() => Promise.reject(new TypeError("offline")), { code: "network_error", final: false }],
    [() => json(200, { access_token: "a" }), { code: "invalid_token_response", final: true }],
  ];
  for (const [reply, expected] of cases) {
    const idp = recordingFetch(reply);
    await assert.rejects(refresh(AUTH, tokens, { fetch: idp.fetch, now: NOW }), expected);
  }
  const none = refresh(AUTH, { ...tokens, refreshToken: undefined }, { fetch: fetch, now: NOW });
  await assert.rejects(none, { code: "no_refresh_token", final: true });
});

test("a refresh sends the refresh token and keeps it", async () => {
  const idp = recordingFetch(() => json(200, { access_token: "a2", token_type: "Bearer", expires_in: 60 }));
  const old = { accessToken: "a", idToken: "i", refreshToken: "r", issuedAt: 0, expiresAt: 1 };
  const renewed = await refresh(AUTH, old, { fetch: idp.fetch, now: NOW });
  assert.deepEqual(idp.calls[0].form, { grant_type: "refresh_token", client_id: "client-1", refresh_token: "r" });
  assert.deepEqual(renewed, { accessToken: "a2", idToken: "i", refreshToken: "r", issuedAt: NOW, expiresAt: NOW + 60_000 });
});

test("sign-out revokes the refresh token and leaves through the logout endpoint", async () => {
  const idp = recordingFetch(() => json(200, {}));
  await revoke(AUTH, "r", idp.fetch);
  assert.deepEqual(idp.calls[0].form, { token: "r", client_id: "client-1" });
  assert.equal(idp.calls[0].url, AUTH.revokeUrl);
  assert.equal(idp.calls[0].keepalive, true);
  const failing = recordingFetch(() => Promise.reject(new TypeError("offline")));
  await revoke(AUTH, "r", failing.fetch); // best effort: never throws
  const url = new URL(logoutUrl(AUTH, PAGE));
  assert.equal(url.origin + url.pathname, AUTH.logoutUrl);
  assert.deepEqual(Object.fromEntries(url.searchParams), { client_id: "client-1", logout_uri: PAGE });
});

test("tokens round-trip through the tab's storage; anything else reads as none", () => {
  const storage = new MemoryStorage();
  const tokens = { accessToken: "a", idToken: undefined, refreshToken: "r", issuedAt: 1, expiresAt: 2 };
  saveTokens(storage, tokens);
  assert.deepEqual(loadTokens(storage), tokens);
  clearTokens(storage);
  assert.equal(loadTokens(storage), undefined);
  for (const junk of ["{", "null", "[]", '{"accessToken": 1}']) {
    storage.setItem("stream-chat:tokens", junk);
    assert.equal(loadTokens(storage), undefined, junk);
  }
});

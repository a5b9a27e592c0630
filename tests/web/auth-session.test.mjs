// The tab's session: a sign-in finished on load, renewal scheduled before expiry, a refused
// renewal ending the session, and sign-out. Time and timers are the test's own.
import assert from "node:assert/strict";
import { test } from "node:test";

import { REFRESH_LEAD_MS } from "../../web/js/auth-tokens.js";
import { AuthSession } from "../../web/js/auth.js";
import { authorizeUrl } from "../../web/js/sign-in.js";
import { loadTokens, saveTokens } from "../../web/js/token-store.js";
import { AUTH, json, jwt, MemoryStorage, recordingFetch } from "./support/fake-auth.mjs";

const PAGE = "https://d111.cloudfront.net/";
const START = 1_800_000_000_000;

/** A browser stand-in: storage, clock, timers, address bar and a token endpoint. */
function world(reply) {
  const idp = recordingFetch(reply);
  const env = {
    storage: new MemoryStorage(),
    fetch: idp.fetch,
    clock: START,
    address: PAGE,
    visited: [],
    timers: [],
    now: () => env.clock,
    href: () => env.address,
    navigate: (url) => env.visited.push(url),
    replaceUrl: (url) => {
      env.address = url;
    },
    setTimer: (fn, ms) => {
      const timer = { fn, at: env.clock + ms, cleared: false };
      env.timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      timer.cleared = true;
    },
    /** The one live timer. */
    pending() {
      const live = env.timers.filter((t) => !t.cleared && !t.fired);
      assert.equal(live.length, 1, "one renewal is scheduled");
      return live[0];
    },
    /** Move the clock to the live timer and run it. */
    async fire() {
      const timer = env.pending();
      env.clock = timer.at;
      timer.fired = true;
      timer.fn();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  return { env, idp };
}

let issued = 0;
function tokenAnswer(expiresIn = 3600, extra = {}) {
  issued += 1;
  return json(200, {
    access_token: jwt({ username: "alice", n: issued }),
    id_token: jwt({ email: "alice@example.com" }),
    token_type: "Bearer",
    expires_in: expiresIn,
    ...extra,
  });
}

async function signedIn(reply = () => tokenAnswer(3600, { refresh_token: "r1" })) {
  const { env, idp } = world(reply);
  const url = new URL(await authorizeUrl(AUTH, PAGE, env.storage, env.clock));
  env.address = `${PAGE}?code=c1&state=${url.searchParams.get("state")}`;
  const session = new AuthSession(AUTH, env);
  const changes = [];
  session.onChange(() => changes.push(session.signedIn));
  await session.start();
  return { session, env, idp, changes };
}

test("a page loaded with the code signs in, wipes the code from the URL and saves the tokens", async () => {
  const { session, env, idp, changes } = await signedIn();
  assert.equal(session.signedIn, true);
  assert.equal(session.user, "alice@example.com");
  assert.equal(env.address, PAGE);
  assert.equal(idp.calls.length, 1);
  assert.equal(loadTokens(env.storage)?.refreshToken, "r1");
  assert.ok(changes.includes(true));
  assert.equal(env.pending().at, START + 3_600_000 - REFRESH_LEAD_MS);
});

test("the scheduled renewal replaces the token before it expires, again and again", async () => {
  const { session, env, idp } = await signedIn();
  const first = await session.accessToken();
  await env.fire();
  const second = await session.accessToken();
  assert.notEqual(second, first);
  assert.equal(idp.calls.at(-1).form.grant_type, "refresh_token");
  assert.equal(idp.calls.at(-1).form.refresh_token, "r1");
  await env.fire();
  assert.equal(idp.calls.length, 3);
  assert.equal(session.signedIn, true);
});

test("a refused renewal ends the session with a reason; a passing failure retries later", async () => {
  let answer = () => tokenAnswer(3600, { refresh_token: "r1" });
  const { session, env } = await signedIn(() => answer());
  answer = () => json(503, {});
  await env.fire();
  assert.equal(session.signedIn, true, "a 503 is not the end");
  assert.equal(env.pending().at, env.clock + 30_000);
  answer = () => json(400, { error: "invalid_grant" });
  await env.fire();
  assert.equal(session.signedIn, false);
  assert.match(session.problem ?? "", /session has ended/);
  assert.equal(loadTokens(env.storage), undefined);
  assert.equal(await session.accessToken(), undefined);
  assert.equal(env.timers.filter((t) => !t.cleared && !t.fired).length, 0);
});

test("an expired token is renewed before it is handed out, once for concurrent callers", async () => {
  const { session, env, idp } = await signedIn();
  env.clock += 3_600_000; // the tab slept through the renewal
  const tokens = await Promise.all([session.accessToken(), session.accessToken()]);
  assert.equal(tokens[0], tokens[1]);
  assert.ok(tokens[0]);
  assert.equal(idp.calls.length, 2, "one code exchange, one refresh");
});

test("a saved session resumes on reload; an expired one is renewed first", async () => {
  const { env, idp } = world(() => tokenAnswer());
  saveTokens(env.storage, {
    accessToken: jwt({ username: "bob" }),
    idToken: undefined,
    refreshToken: "r9",
    issuedAt: START - 7_200_000,
    expiresAt: START - 3_600_000,
  });
  const session = new AuthSession(AUTH, env);
  await session.start();
  assert.equal(session.signedIn, true);
  assert.equal(idp.calls[0].form.refresh_token, "r9");
  assert.equal(session.user, "alice@example.com");
});

test("a callback with a foreign state signs nobody in and says why", async () => {
  const { env, idp } = world(() => tokenAnswer());
  await authorizeUrl(AUTH, PAGE, env.storage, env.clock);
  env.address = `${PAGE}?code=c1&state=forged`;
  const session = new AuthSession(AUTH, env);
  await session.start();
  assert.equal(session.signedIn, false);
  assert.match(session.problem ?? "", /not belong/);
  assert.equal(idp.calls.length, 0);
  assert.equal(env.address, PAGE);
});

test("sign-out forgets the tokens, revokes the refresh token and visits the logout endpoint", async () => {
  const { session, env, idp } = await signedIn();
  session.signOut();
  assert.equal(session.signedIn, false);
  assert.equal(session.problem, undefined);
  assert.equal(loadTokens(env.storage), undefined);
  const revocation = idp.calls.at(-1);
  assert.equal(revocation.url, AUTH.revokeUrl);
  assert.equal(revocation.form.token, "r1");
  const logout = new URL(env.visited.at(-1));
  assert.equal(logout.origin + logout.pathname, AUTH.logoutUrl);
  assert.equal(logout.searchParams.get("logout_uri"), PAGE);
});

test("a 401 from the API gets one renewal; if that is refused the user must sign in", async () => {
  let answer = () => tokenAnswer(3600, { refresh_token: "r1" });
  const { session } = await signedIn(() => answer());
  assert.equal(await session.rejected(), true);
  assert.equal(session.signedIn, true);
  answer = () => json(400, { error: "invalid_grant" });
  assert.equal(await session.rejected(), false);
  assert.equal(session.signedIn, false);
  assert.match(session.problem ?? "", /Sign in again/);
});

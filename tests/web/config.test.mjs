// The page's config.json: defaults for anything missing or malformed, and the watchdog limits.
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_CONFIG, loadConfig, parseConfig, watchdogTimeouts } from "../../web/js/config.js";
import { startServer } from "./support/http-fixture.mjs";

test("valid fields are taken, a trailing slash is dropped from apiBase", () => {
  const config = parseConfig({ apiBase: "https://api.example/", stallTimeoutS: 12, heartbeatS: 4 });
  assert.deepEqual(config, {
    ...DEFAULT_CONFIG,
    apiBase: "https://api.example",
    stallTimeoutS: 12,
    heartbeatS: 4,
  });
});

test("the models a message may name, and the default one, are taken in order", () => {
  const config = parseConfig({ models: ["b", "a", "b"], model: "a" });
  assert.deepEqual(config.models, ["b", "a"]);
  assert.equal(config.model, "a");
});

test("missing, wrongly typed or non-positive fields fall back to the defaults", () => {
  const invalid = [null, "text", [], {}, { stallTimeoutS: "30" }, { heartbeatS: -1 }];
  invalid.push({ apiBase: 3 }, { models: "a" }, { models: ["a", ""] }, { models: [1] });
  invalid.push({ model: 2 });
  for (const raw of invalid) {
    assert.deepEqual(parseConfig(raw), DEFAULT_CONFIG, JSON.stringify(raw));
  }
});

test("the watchdog outlasts the server's own timeouts plus a heartbeat", () => {
  const config = { ...DEFAULT_CONFIG, stallTimeoutS: 30, heartbeatS: 10, firstTokenTimeoutS: 60 };
  const { firstTextTimeoutMs, idleTimeoutMs } = watchdogTimeouts(config);
  assert.ok(idleTimeoutMs > (30 + 10) * 1000);
  assert.ok(firstTextTimeoutMs > (60 + 10) * 1000);
  assert.ok(firstTextTimeoutMs > idleTimeoutMs);
});

test("loadConfig falls back to the defaults when the file is missing or broken", async () => {
  const server = await startServer();
  try {
    server.handle((request, response) => {
      if (request.url === "/ok.json") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end('{"apiBase": "", "stallTimeoutS": 7, "heartbeatS": 2}');
      } else if (request.url === "/broken.json") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{not json");
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    assert.equal((await loadConfig(`${server.url}/ok.json`)).stallTimeoutS, 7);
    assert.deepEqual(await loadConfig(`${server.url}/broken.json`), DEFAULT_CONFIG);
    assert.deepEqual(await loadConfig(`${server.url}/missing.json`), DEFAULT_CONFIG);
  } finally {
    await server.close();
  }
});

const AUTH_ENTRY = {
  kind: "cognito",
  client_id: "abc123",
  authorize_url: "https://chat.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
  token_url: "https://chat.auth.eu-west-1.amazoncognito.com/oauth2/token",
  logout_url: "https://chat.auth.eu-west-1.amazoncognito.com/logout",
  revoke_url: "https://chat.auth.eu-west-1.amazoncognito.com/oauth2/revoke",
  scopes: ["openid", "email", "profile"],
};

test("no auth entry (make dev) or null means no sign-in", () => {
  assert.equal(DEFAULT_CONFIG.auth, null);
  assert.equal(parseConfig({}).auth, null);
  assert.equal(parseConfig({ auth: null }).auth, null);
});

test("a Cognito auth entry is read into the page's names", () => {
  assert.deepEqual(parseConfig({ auth: AUTH_ENTRY }).auth, {
    kind: "cognito",
    clientId: "abc123",
    authorizeUrl: AUTH_ENTRY.authorize_url,
    tokenUrl: AUTH_ENTRY.token_url,
    logoutUrl: AUTH_ENTRY.logout_url,
    revokeUrl: AUTH_ENTRY.revoke_url,
    scopes: ["openid", "email", "profile"],
  });
  const { revoke_url: _, ...withoutRevoke } = AUTH_ENTRY;
  assert.equal(parseConfig({ auth: withoutRevoke }).auth?.revokeUrl, undefined);
  const local = { ...AUTH_ENTRY, token_url: "http://127.0.0.1:9000/oauth2/token" };
  assert.equal(parseConfig({ auth: local }).auth?.tokenUrl, local.token_url);
});

test("an incomplete auth entry, or one with plain http off this machine, is ignored", () => {
  const broken = [
    { ...AUTH_ENTRY, kind: "oidc" },
    { ...AUTH_ENTRY, client_id: "" },
    { ...AUTH_ENTRY, token_url: "http://login.example/oauth2/token" },
    { ...AUTH_ENTRY, authorize_url: "javascript:alert(1)" },
    { ...AUTH_ENTRY, revoke_url: 7 },
    { ...AUTH_ENTRY, scopes: "openid" },
    { ...AUTH_ENTRY, scopes: [""] },
  ];
  const warn = console.warn;
  console.warn = () => {};
  try {
    for (const auth of broken) assert.equal(parseConfig({ auth }).auth, null, JSON.stringify(auth));
  } finally {
    console.warn = warn;
  }
});

test("the provider is one the function knows, or unknown", () => {
  assert.equal(parseConfig({ provider: "demo" }).provider, "demo");
  assert.equal(parseConfig({ provider: "bedrock" }).provider, "bedrock");
  for (const provider of ["", "openai", 1, null]) {
    assert.equal(parseConfig({ provider }).provider, "", JSON.stringify(provider));
  }
});

test("features: each switch is on only when config.json says true", () => {
  assert.deepEqual(DEFAULT_CONFIG.features, { thinking: false, search: false });
  assert.deepEqual(parseConfig({ features: { thinking: true, search: false } }).features, {
    thinking: true,
    search: false,
  });
  for (const features of [undefined, null, "yes", { thinking: "true", search: 1 }]) {
    assert.deepEqual(parseConfig({ features }).features, { thinking: false, search: false });
  }
});

test("the files a message may carry come from config.json; none when it says nothing", () => {
  assert.equal(DEFAULT_CONFIG.attachments.maxFiles, 0);
  const attachments = {
    maxFileBytes: 3145728,
    maxFiles: 5,
    maxRequestBytes: 5242880,
    mediaTypes: ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"],
  };
  assert.deepEqual(parseConfig({ attachments }).attachments, attachments);
  const partial = parseConfig({ attachments: { maxFiles: 5 } });
  assert.deepEqual(partial.attachments, DEFAULT_CONFIG.attachments);
});

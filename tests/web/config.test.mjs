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

test("missing, wrongly typed or non-positive fields fall back to the defaults", () => {
  const invalid = [null, "text", [], {}, { stallTimeoutS: "30" }, { heartbeatS: -1 }];
  invalid.push({ apiBase: 3 });
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

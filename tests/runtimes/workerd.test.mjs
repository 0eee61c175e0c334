// The round trip in workerd: a worker module runs it in its `fetch` handler; a generated
// capnp config serves it on 127.0.0.1:<free port>, with every module of the installed
// package listed by its path, as the package's workerd entry imports them.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  assertRoundTrip,
  bin,
  check,
  freePort,
  killGroup,
  packageFiles,
  resolveExport,
  run,
  scratchInstall,
  SETUP_TIMEOUT,
  writeScratch,
} from "./helpers.mjs";

// Pack and install once (and build pkg/ first if it is missing): not part of the test's time.
before(() => scratchInstall(), { timeout: SETUP_TIMEOUT });

/** The conditions wrangler (esbuild) resolves packages with for a Worker. */
const WRANGLER_CONDITIONS = ["workerd", "worker", "browser", "import"];
const WORKERD_ENTRY = "./js/entry/workerd.js";
const COMPATIBILITY_DATE = "2025-09-01";

const capnpString = (s) => JSON.stringify(s);

/** The config: the worker, the fixture, the "wsproto" shim and every module of the package. */
function config({ port, shim, pkgDir }) {
  const modules = [
    `(name = "worker.mjs", esModule = embed "worker.mjs")`,
    `(name = "roundtrip.mjs", esModule = embed "roundtrip.mjs")`,
    `(name = "wsproto", esModule = embed ${capnpString(shim)})`,
  ];
  for (const file of packageFiles(pkgDir)) {
    const path = `node_modules/wsproto/${file}`;
    if (file.endsWith(".d.ts")) continue;
    const kind = file.endsWith(".wasm") ? "wasm" : /\.m?js$/.test(file) ? "esModule" : null;
    if (kind) modules.push(`(name = ${capnpString(path)}, ${kind} = embed ${capnpString(path)})`);
  }
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    ${modules.join(",\n    ")}
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`;
}

test("workerd: the workerd condition's entry completes the round trip", { timeout: 90_000 }, async (t) => {
  const { stdout: version } = check(await run(bin("workerd"), ["--version"], { timeout: 10_000 }), "workerd");
  t.diagnostic(version.trim());
  const { dir, pkgDir, pkg } = await scratchInstall();

  const entry = resolveExport(pkg, WRANGLER_CONDITIONS);
  assert.equal(entry, WORKERD_ENTRY, "the workerd condition's entry");
  // What a bundler does with `import ... from "wsproto"`: the module named "wsproto" is the entry.
  const shimSource = `export * from ${JSON.stringify(`./node_modules/wsproto/${entry.slice(2)}`)};\n`;
  const shim = writeScratch(dir, "wsproto-shim", "mjs", shimSource);
  const port = await freePort();
  const capnp = writeScratch(dir, "workerd", "capnp", config({ port, shim, pkgDir }));

  const started = performance.now();
  const child = spawn(bin("workerd"), ["serve", capnp], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (s) => (log += s));
  child.stderr.setEncoding("utf8").on("data", (s) => (log += s));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  try {
    const deadline = Date.now() + 30_000;
    let response;
    for (;;) {
      const tick = new Promise((resolve) => setTimeout(resolve, 50));
      const status = await Promise.race([exited.then((code) => ({ exited: code })), tick]);
      if (status?.exited !== undefined) throw new Error(`workerd exited (${status.exited}):\n${log}`);
      try {
        response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(20_000) });
        break;
      } catch (e) {
        if (e.cause?.code !== "ECONNREFUSED" || Date.now() > deadline) {
          throw new Error(`fetch failed: ${e.cause?.message ?? e.message}\n${log}`);
        }
      }
    }
    const body = await response.text();
    t.diagnostic(`workerd up and answered in ${Math.round(performance.now() - started)} ms`);
    assert.equal(response.status, 200, `${body}\n${log}`);
    const summary = JSON.parse(body);
    await assertRoundTrip(summary, { readyOnImport: true });
    assert.equal(log, "", "workerd logged nothing");
  } finally {
    killGroup(child);
    await exited;
    for (const name of [shim, capnp]) rmSync(join(dir, name), { force: true });
  }
});

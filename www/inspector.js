// Wiring: the page's controls, the URL hash, the theme, and the three views. Parsing is in
// hex.js, annotation in frames.js, engines in engine.js, drawing in render.js.

import { decodeCapture, LiveSession, runSession } from "./engine.js";
import { EXAMPLES, findExample } from "./examples.js";
import { parseBytes } from "./hex.js";
import {
  h,
  installHighlighting,
  renderDecodeSummary,
  renderEndpoint,
  renderTimeline,
} from "./render.js";
import { decodeHash, encodeHash, normalizeStep } from "./state.js";

const $ = (id) => document.getElementById(id);

/** The loaded package: `{ wsproto, relayTransport }` once boot() succeeded. */
let pkg = null;
/** The inspector's state (what the hash holds). */
let state = decodeHash(location.hash).state;
let live = null;
let liveTransport = null;

// ---------------------------------------------------------------------------------------
// Messages in the page.

function showBanner(message) {
  const banner = $("banner");
  banner.textContent = message;
  banner.hidden = !message;
}

function toast(message) {
  const node = $("toast");
  node.textContent = message;
  node.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => node.classList.remove("show"), 1800);
}

function showError(id, message) {
  const node = $(id);
  node.textContent = message ?? "";
  node.hidden = !message;
}

addEventListener("error", (event) => showBanner(`Unexpected error: ${event.message}`));
addEventListener("unhandledrejection", (event) => showBanner(`Unexpected error: ${event.reason?.message ?? event.reason}`));

// ---------------------------------------------------------------------------------------
// The hash.

function saveHash() {
  const hash = `#${encodeHash(state)}`;
  if (hash !== location.hash) history.replaceState(null, "", hash);
}

function loadHash() {
  const { state: next, errors } = decodeHash(location.hash);
  state = next;
  showBanner(errors.length ? `This link could not be read entirely: ${errors.join("; ")}` : "");
  applyStateToControls();
  selectView(state.view, { focus: false });
  rerunSession();
  runDecode();
}

// ---------------------------------------------------------------------------------------
// Tabs.

const VIEWS = ["session", "decode", "live"];

function selectView(view, { focus = true } = {}) {
  state.view = view;
  for (const name of VIEWS) {
    const tab = $(`tab-${name}`);
    const selected = name === view;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`view-${name}`).hidden = !selected;
  }
  if (focus) $(`tab-${view}`).focus();
  saveHash();
}

function installTabs() {
  for (const name of VIEWS) $(`tab-${name}`).addEventListener("click", () => selectView(name));
  document.querySelector(".tabs").addEventListener("keydown", (event) => {
    const index = VIEWS.indexOf(state.view);
    let next = null;
    if (event.key === "ArrowRight") next = VIEWS[(index + 1) % VIEWS.length];
    else if (event.key === "ArrowLeft") next = VIEWS[(index + VIEWS.length - 1) % VIEWS.length];
    else if (event.key === "Home") next = VIEWS[0];
    else if (event.key === "End") next = VIEWS[VIEWS.length - 1];
    if (next) {
      event.preventDefault();
      selectView(next);
    }
  });
}

// ---------------------------------------------------------------------------------------
// Theme and sharing.

const THEMES = ["auto", "light", "dark"];

function installTheme() {
  const button = $("theme");
  const current = () => document.documentElement.dataset.theme ?? "auto";
  const show = () => (button.textContent = `Theme: ${current()}`);
  button.addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(current()) + 1) % THEMES.length];
    if (next === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    try {
      if (next === "auto") localStorage.removeItem("wsproto-theme");
      else localStorage.setItem("wsproto-theme", next);
    } catch {
      // storage refused: the choice lasts for this page
    }
    show();
  });
  show();
}

function installShare() {
  $("share").addEventListener("click", async () => {
    saveHash();
    try {
      await navigator.clipboard.writeText(location.href);
      toast("Link copied: it opens this view as it is now");
    } catch {
      window.prompt("Copy this link:", location.href);
    }
  });
}

function installExamples() {
  const select = $("examples");
  for (const [group, items] of EXAMPLES) {
    select.append(h("optgroup", { label: group }, items.map(([id, label]) => h("option", { value: id }, label))));
  }
  select.addEventListener("change", () => {
    const example = findExample(select.value);
    select.value = "";
    if (!example) return;
    const { patch } = example;
    if (patch.script) state.script = structuredClone(patch.script);
    if (patch.decode) state.decode = { ...state.decode, ...patch.decode };
    if (patch.live) state.live = { ...state.live, ...patch.live };
    applyStateToControls();
    selectView(patch.view, { focus: false });
    if (patch.script) rerunSession();
    if (patch.decode) runDecode();
    toast(`Example: ${example.label}`);
  });
}

// ---------------------------------------------------------------------------------------
// Controls ↔ state.

function applyStateToControls() {
  const script = state.script;
  $("setup-deflate").checked = script.deflate;
  if (script.mask.startsWith("seed:")) {
    $("mask-seed").checked = true;
    $("mask-seed-value").value = script.mask.slice(5);
  } else {
    $("mask-fixed").checked = true;
    $("mask-key").value = script.mask;
  }
  $("compose-compress").disabled = !script.deflate;
  $("decode-input").value = state.decode.input;
  $("decode-format").value = state.decode.format;
  for (const radio of document.querySelectorAll('input[name="role"]')) radio.checked = radio.value === state.decode.role;
  $("decode-deflate").checked = state.decode.deflate;
  $("live-target").value = state.live.target || defaultLiveTarget();
  $("live-deflate").checked = state.live.deflate;
}

function defaultLiveTarget() {
  return `ws://${location.host}/echo`;
}

// ---------------------------------------------------------------------------------------
// Session view.

function readSetup() {
  const deflate = $("setup-deflate").checked;
  let mask;
  if ($("mask-seed").checked) {
    const seed = $("mask-seed-value").value.trim();
    if (!/^\d{1,10}$/.test(seed)) return { error: "the seed must be a whole number" };
    mask = `seed:${seed}`;
  } else {
    mask = $("mask-key").value.trim().toLowerCase().replace(/\s+/g, "");
    if (!/^[0-9a-f]{8}$/.test(mask)) return { error: "the masking key must be 8 hex digits, e.g. 37fa213d" };
  }
  return { deflate, mask };
}

function onSetupChange() {
  const setup = readSetup();
  if (setup.error) return showError("compose-error", setup.error);
  showError("compose-error", null);
  state.script = { ...state.script, ...setup };
  $("compose-compress").disabled = !setup.deflate;
  rerunSession();
}

function composeKindChanged(prefix, kind) {
  const label = { text: "Text", binary: "Bytes (hex)", ping: "Payload (text, at most 125 bytes)", pong: "Payload (text, at most 125 bytes)", close: "Payload" }[kind];
  $(`${prefix}-data-label`).textContent = label;
  const data = $(`${prefix}-data`);
  data.placeholder = { text: "Hello", binary: "de ad be ef", ping: "are you there?", pong: "", close: "" }[kind];
  data.closest("label").hidden = kind === "close";
  const form = data.closest("form");
  for (const row of form.querySelectorAll("[data-for]")) {
    if (row.dataset.for === "close") row.hidden = kind !== "close";
    if (row.dataset.for === "message") row.hidden = kind !== "text" && kind !== "binary";
  }
}

function readCompose() {
  const form = $("compose");
  const kind = $("compose-kind").value;
  return normalizeStep({
    from: form.elements.from.value,
    kind,
    data: $("compose-data").value,
    code: $("compose-code").value.trim(),
    reason: $("compose-reason").value,
    fin: !$("compose-more").checked,
    compress: $("compose-compress").checked || !state.script.deflate,
  });
}

function rerunSession() {
  if (!pkg) return;
  let result;
  try {
    result = runSession(pkg.wsproto, state.script);
  } catch (error) {
    showError("compose-error", error.message);
    return;
  }
  showError("compose-error", result.error);
  $("session-endpoints").replaceChildren(renderEndpoint(result.endpoints.client), renderEndpoint(result.endpoints.server));
  renderTimeline($("session-timeline"), result.timeline, {
    onRemove: (index) => {
      state.script = { ...state.script, steps: state.script.steps.filter((_, i) => i !== index) };
      rerunSession();
    },
    empty: "Loading…",
  });
  saveHash();
  return result;
}

function installSession() {
  for (const id of ["setup-deflate", "mask-fixed", "mask-seed"]) $(id).addEventListener("change", onSetupChange);
  for (const id of ["mask-key", "mask-seed-value"]) {
    $(id).addEventListener("change", onSetupChange);
    $(id).addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        onSetupChange();
      }
    });
  }
  $("session-setup").addEventListener("submit", (event) => {
    event.preventDefault();
    onSetupChange();
  });
  $("mask-reroll").addEventListener("click", () => {
    $("mask-seed").checked = true;
    $("mask-seed-value").value = String(Math.floor(Math.random() * 1e9));
    onSetupChange();
  });
  $("compose-kind").addEventListener("change", () => composeKindChanged("compose", $("compose-kind").value));
  composeKindChanged("compose", $("compose-kind").value);
  $("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    let step;
    try {
      step = readCompose();
    } catch (error) {
      return showError("compose-error", error.message);
    }
    state.script = { ...state.script, steps: [...state.script.steps, step] };
    const result = rerunSession();
    if (result) {
      $("compose-data").select();
      const last = $("session-timeline").lastElementChild;
      last?.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  });
  $("session-undo").addEventListener("click", () => {
    state.script = { ...state.script, steps: state.script.steps.slice(0, -1) };
    rerunSession();
  });
  $("session-clear").addEventListener("click", () => {
    state.script = { ...state.script, steps: [] };
    rerunSession();
  });
  installHighlighting($("session-timeline"));
}

// ---------------------------------------------------------------------------------------
// Decode view.

function runDecode() {
  if (!pkg) return;
  const input = $("decode-input").value;
  state.decode = {
    input,
    format: $("decode-format").value,
    role: document.querySelector('input[name="role"]:checked').value,
    deflate: $("decode-deflate").checked,
  };
  saveHash();
  showError("decode-error", null);
  if (input.trim() === "") {
    $("decode-summary").replaceChildren(h("p", { class: "empty" }, "Paste bytes on the left, or pick a capture in Examples (RFC 6455 §5.7, RFC 7692 §7.2.3, broken ones)."));
    $("decode-timeline").replaceChildren();
    return;
  }
  let parsed;
  try {
    parsed = parseBytes(input, state.decode.format);
  } catch (error) {
    showError("decode-error", error.message);
    $("decode-summary").replaceChildren();
    $("decode-timeline").replaceChildren();
    return;
  }
  if (parsed.bytes.length === 0) {
    showError("decode-error", "no bytes in the input");
    return;
  }
  const result = decodeCapture(pkg.wsproto, parsed.bytes, { role: state.decode.role, deflate: state.decode.deflate });
  const summary = renderDecodeSummary(result);
  if (parsed.format !== "hex") summary.unshift(h("p", { class: "note" }, `read as ${parsed.format === "hexdump" ? "a hex dump (offsets and ASCII column skipped)" : "base64"}`));
  $("decode-summary").replaceChildren(...summary);
  renderTimeline($("decode-timeline"), result.timeline ?? [], { empty: "" });
}

function installDecode() {
  let timer = null;
  $("decode-input").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(runDecode, 250);
  });
  $("decode-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runDecode();
    }
  });
  $("decode-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runDecode();
  });
  $("decode-form").addEventListener("change", (event) => {
    if (event.target.id !== "decode-input") runDecode();
  });
  installHighlighting($("decode-timeline"));
  installHighlighting($("decode-summary"));
}

// ---------------------------------------------------------------------------------------
// Live view.

function setLiveStatus(text, kind = "") {
  const node = $("live-status");
  node.textContent = text;
  node.className = `status ${kind}`;
}

function renderLive() {
  if (!live) return;
  const view = live.view();
  const timeline = $("live-timeline");
  const atBottom = timeline.getBoundingClientRect().bottom <= innerHeight + 80;
  $("live-endpoints").replaceChildren(renderEndpoint(view.endpoints.client, { title: "This page (client)" }));
  renderTimeline(timeline, view.timeline, { empty: "Connecting…" });
  if (atBottom) timeline.lastElementChild?.scrollIntoView({ block: "nearest" });
  const open = view.endpoints.client.stateName === "OPEN";
  $("live-send").disabled = !open && !(view.endpoints.client.stateName === "REMOTE_CLOSING");
  if (open) setLiveStatus(`Open: ${live.url.host} via the bridge${view.endpoints.client.extensions ? ` · ${view.endpoints.client.extensions}` : ""}`, "ok");
}

function bridgeTarget(url) {
  // WHATWG URLs keep IPv6 hosts in brackets ("[::1]"), as the bridge's target syntax wants.
  return `${url.hostname}:${url.port || "80"}`;
}

async function liveConnect() {
  if (!pkg) return;
  const text = $("live-target").value.trim();
  let url;
  try {
    url = new URL(text);
  } catch {
    return setLiveStatus(`Not a URL: ${text || "(empty)"}; e.g. ${defaultLiveTarget()}`, "bad");
  }
  if (url.protocol === "wss:") return setLiveStatus("wss:// needs TLS, which this page's bridge does not do: use a ws:// server on loopback", "bad");
  if (url.protocol !== "ws:") return setLiveStatus(`The URL must start with ws://, got ${url.protocol}`, "bad");
  state.live = { target: text === defaultLiveTarget() ? "" : text, deflate: $("live-deflate").checked };
  saveHash();
  liveDisconnect();
  const target = encodeURIComponent(bridgeTarget(url));
  // Ask the bridge first, so a refused target says why before any byte is sent.
  try {
    const verdict = await (await fetch(`/bridge/check?target=${target}`, { cache: "no-store" })).json();
    if (!verdict.ok) return setLiveStatus(`The bridge refuses this target: ${verdict.reason}`, "bad");
  } catch (error) {
    return setLiveStatus(`The bridge did not answer (${error.message}): is the server (npm start) still running?`, "bad");
  }
  const bridge = `ws://${location.host}/bridge?target=${target}`;
  const transport = pkg.relayTransport(bridge);
  liveTransport = transport;
  const session = new LiveSession(pkg.wsproto, { url, deflate: state.live.deflate, onUpdate: () => session === live && renderLive() });
  live = session;
  setLiveStatus(`Connecting to ${url.host} through the bridge…`);
  $("live-open").disabled = true;
  $("live-close").disabled = false;
  renderLive();
  transport.closed.then(({ code, reason }) => {
    if (session !== live) return;
    if (code !== 1000) setLiveStatus(`The bridge closed with ${code}${reason ? `: ${reason}` : ""}`, "bad");
  });
  try {
    await session.run(transport);
  } catch (error) {
    if (session === live) setLiveStatus(`Failed: ${error.message}`, "bad");
  }
  if (session !== live) return;
  renderLive();
  const view = session.view();
  const closing = view.endpoints.client.events.findLast?.((e) => e.type === "CloseConnection");
  const status = $("live-status");
  const rejected = view.endpoints.client.events.find((e) => e.type === "RejectConnection");
  if (!status.classList.contains("bad")) {
    if (view.error) setLiveStatus(view.error, "bad");
    else if (rejected) setLiveStatus(`The server rejected the handshake: ${rejected.text}`, "bad");
    else setLiveStatus(closing ? `Closed: ${closing.text}` : "The connection ended.", closing && !closing.error && closing.text.startsWith("1000") ? "" : "bad");
  }
  $("live-open").disabled = false;
  $("live-close").disabled = true;
  $("live-send").disabled = true;
}

function liveDisconnect() {
  if (liveTransport) liveTransport.close();
  liveTransport = null;
}

function installLive() {
  $("live-connect").addEventListener("submit", (event) => {
    event.preventDefault();
    liveConnect();
  });
  $("live-close").addEventListener("click", async () => {
    if (!live) return;
    const state = live.view().endpoints.client.stateName;
    if (state === "OPEN" || state === "REMOTE_CLOSING") await live.send({ kind: "close", code: 1000, reason: "" });
    else liveDisconnect();
  });
  $("live-kind").addEventListener("change", () => composeKindChanged("live", $("live-kind").value));
  composeKindChanged("live", $("live-kind").value);
  $("live-compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!live) return;
    let step;
    try {
      step = normalizeStep({ from: "client", kind: $("live-kind").value, data: $("live-data").value, code: 1000 });
    } catch (error) {
      return setLiveStatus(error.message, "bad");
    }
    await live.send(step);
    $("live-data").select();
  });
  $("live-target").addEventListener("change", () => {
    const text = $("live-target").value.trim();
    state.live = { ...state.live, target: text === defaultLiveTarget() ? "" : text };
    saveHash();
  });
  $("live-deflate").addEventListener("change", () => {
    state.live = { ...state.live, deflate: $("live-deflate").checked };
    saveHash();
  });
  installHighlighting($("live-timeline"));
}

// ---------------------------------------------------------------------------------------
// Boot.

async function boot() {
  installTabs();
  installTheme();
  installShare();
  installExamples();
  installSession();
  installDecode();
  installLive();
  const { errors } = decodeHash(location.hash);
  if (errors.length) showBanner(`This link could not be read entirely: ${errors.join("; ")}`);
  // A first visit (no state in the URL) opens on a small session to look at.
  if (location.hash.replace(/^#/, "") === "") state.script = structuredClone(findExample("session-basic").patch.script);
  applyStateToControls();
  selectView(state.view, { focus: false });
  $("session-timeline").replaceChildren(h("p", { class: "empty" }, "Loading the engine…"));
  $("live-timeline").replaceChildren(
    h("p", { class: "empty" }, "Not connected. Connect to watch the handshake and every frame, both ways; the default URL is the echo server this page came from."),
  );
  try {
    const wsproto = await import("wsproto");
    await wsproto.init();
    const { relayTransport } = await import("wsproto/adapters/relay");
    pkg = { wsproto, relayTransport };
  } catch (error) {
    showBanner(`The wsproto engine (WebAssembly) failed to load: ${error.message}. Build it with \`bash scripts/build.sh\` and reload; the page is served by \`npm start\`.`);
    document.documentElement.dataset.ready = "failed";
    return;
  }
  rerunSession();
  runDecode();
  addEventListener("hashchange", loadHash);
  document.documentElement.dataset.ready = "true";
}

boot();

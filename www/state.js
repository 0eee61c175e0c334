// The inspector's shareable state: the session script, the decode input and the live
// target, in the URL hash (`#view=decode&role=c2s&in=81%2085...`). No DOM: tested in Node.

/** The step kinds a session script can hold. */
export const STEP_KINDS = ["text", "binary", "ping", "pong", "close"];
/** The mask key RFC 6455 §5.7 uses in its examples. */
export const RFC_MASK = "37fa213d";

export const DEFAULT_SCRIPT = Object.freeze({
  deflate: false,
  mask: RFC_MASK,
  steps: Object.freeze([]),
});

export const DEFAULT_STATE = Object.freeze({
  view: "session",
  script: DEFAULT_SCRIPT,
  decode: Object.freeze({ input: "", format: "auto", role: "c2s", deflate: false }),
  live: Object.freeze({ target: "", deflate: true }),
});

const VIEWS = ["session", "decode", "live"];

/** A script or step that does not make sense, with the reason. */
export class ScriptError extends Error {
  constructor(message) {
    super(message);
    this.name = "ScriptError";
  }
}

/**
 * Checks and completes a session script: `{ deflate, mask, steps }` where `mask` is 8 hex
 * digits (a fixed key) or `"seed:N"` (keys drawn from a seeded generator), and each step
 * is `{ from: "client"|"server", kind, data?, fin?, compress?, code?, reason? }`.
 */
export function normalizeScript(input) {
  if (input === null || typeof input !== "object") throw new ScriptError("the session script must be an object");
  const mask = String(input.mask ?? RFC_MASK).toLowerCase();
  if (!/^[0-9a-f]{8}$/.test(mask) && !/^seed:\d{1,10}$/.test(mask)) {
    throw new ScriptError(`mask must be 8 hex digits or seed:N, got ${JSON.stringify(input.mask)}`);
  }
  const steps = input.steps ?? [];
  if (!Array.isArray(steps)) throw new ScriptError("steps must be a list");
  return { deflate: Boolean(input.deflate), mask, steps: steps.map(normalizeStep) };
}

/** Checks and completes one step (see normalizeScript). */
export function normalizeStep(step, index = 0) {
  const where = `step ${index + 1}`;
  if (step === null || typeof step !== "object") throw new ScriptError(`${where}: not an object`);
  const from = step.from ?? "client";
  if (from !== "client" && from !== "server") throw new ScriptError(`${where}: from must be client or server`);
  if (!STEP_KINDS.includes(step.kind)) throw new ScriptError(`${where}: kind must be one of ${STEP_KINDS.join(", ")}`);
  const out = { from, kind: step.kind };
  if (step.kind === "close") {
    const code = step.code === undefined || step.code === "" ? 1000 : Number(step.code);
    if (!Number.isInteger(code) || code < 0 || code > 65535) throw new ScriptError(`${where}: the close code must be a number`);
    out.code = code;
    out.reason = String(step.reason ?? "");
    return out;
  }
  out.data = String(step.data ?? "");
  if (step.kind === "text" || step.kind === "binary") {
    out.fin = step.fin !== false;
    out.compress = step.compress !== false;
  }
  return out;
}

/** Encodes the state as a URL hash (without `#`). Only what differs from the defaults. */
export function encodeHash(state) {
  const p = new URLSearchParams();
  p.set("view", state.view ?? "session");
  const script = state.script ?? DEFAULT_SCRIPT;
  if (script.steps.length || script.deflate || script.mask !== RFC_MASK) p.set("s", JSON.stringify(compactScript(script)));
  const decode = { ...DEFAULT_STATE.decode, ...state.decode };
  if (decode.input) p.set("in", decode.input);
  if (decode.format !== "auto") p.set("fmt", decode.format);
  if (decode.role !== "c2s") p.set("role", decode.role);
  if (decode.deflate) p.set("pmd", "1");
  const live = { ...DEFAULT_STATE.live, ...state.live };
  if (live.target) p.set("t", live.target);
  if (!live.deflate) p.set("lpmd", "0");
  return p.toString();
}

/** Drops defaults from steps so links stay short. */
function compactScript(script) {
  const out = {};
  if (script.deflate) out.deflate = true;
  if (script.mask !== RFC_MASK) out.mask = script.mask;
  out.steps = script.steps.map((s) => {
    const step = { from: s.from, kind: s.kind };
    if (s.kind === "close") {
      step.code = s.code;
      if (s.reason) step.reason = s.reason;
    } else {
      step.data = s.data;
      if (s.fin === false) step.fin = false;
      if (s.compress === false) step.compress = false;
    }
    return step;
  });
  return out;
}

/**
 * Reads a URL hash (with or without `#`): `{ state, errors }`. Whatever cannot be read is
 * left at its default and reported in `errors`, so a damaged link still opens.
 */
export function decodeHash(hash) {
  const p = new URLSearchParams(String(hash ?? "").replace(/^#/, ""));
  const errors = [];
  const state = {
    view: DEFAULT_STATE.view,
    script: { ...DEFAULT_SCRIPT, steps: [] },
    decode: { ...DEFAULT_STATE.decode },
    live: { ...DEFAULT_STATE.live },
  };
  const view = p.get("view");
  if (view !== null) {
    if (VIEWS.includes(view)) state.view = view;
    else errors.push(`unknown view ${JSON.stringify(view)}`);
  }
  const s = p.get("s");
  if (s !== null) {
    try {
      state.script = normalizeScript(JSON.parse(s));
    } catch (error) {
      errors.push(`the session in the link cannot be read: ${error.message}`);
    }
  }
  if (p.has("in")) state.decode.input = p.get("in");
  const fmt = p.get("fmt");
  if (fmt !== null) {
    if (["auto", "hex", "base64"].includes(fmt)) state.decode.format = fmt;
    else errors.push(`unknown input format ${JSON.stringify(fmt)}`);
  }
  const role = p.get("role");
  if (role !== null) {
    if (role === "c2s" || role === "s2c") state.decode.role = role;
    else errors.push(`unknown role ${JSON.stringify(role)}: c2s or s2c`);
  }
  state.decode.deflate = p.get("pmd") === "1";
  if (p.has("t")) state.live.target = p.get("t");
  state.live.deflate = p.get("lpmd") !== "0";
  return { state, errors };
}

// Rendering: view models (from engine.js) to DOM. Markup follows the Illustrated TLS
// connection: a `.record.client` / `.record.server` with `.rec-label`, `.record-data` and
// per field `.label`, `.bytes`, `.explanation`; bytes and fields share `data-f` names so
// hovering (or focusing) either highlights both, as asn1js does for its hex dump.

import { describeCloseCode, elidedHex, STATE_NAMES } from "./frames.js";
import { hexByte, printable } from "./hex.js";

/** Bytes shown in a frame's dump; the rest is elided. */
const DUMP_LIMIT = 512;
const DIRECTION = { c2s: ["client", "server", "client → server"], s2c: ["server", "client", "server → client"] };
const PART = { fin: "hdr", rsv: "hdr", opcode: "hdr", maskbit: "hdr", len: "hdr", extlen: "extlen", maskkey: "maskkey", payload: "payload" };

/** Creates an element: `h("div", { class: "x", onclick }, child, "text", ...)`. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------------------
// Frames.

/** The first two header bytes, bit by bit, each bit tagged with its field. */
function renderBits(frame) {
  const groups = [
    ["fin", "FIN", frame.byte0.slice(0, 1)],
    ["rsv", "RSV", frame.byte0.slice(1, 4)],
    ["opcode", "opcode", frame.byte0.slice(4)],
    ["maskbit", "M", frame.byte1.slice(0, 1)],
    ["len", "len", frame.byte1.slice(1)],
  ];
  return h(
    "div",
    { class: "bits", "aria-hidden": "true" },
    groups.map(([id, label, bits], i) =>
      h(
        "span",
        { class: `bitgroup f-${id}${i === 3 ? " second" : ""}`, "data-f": id },
        h("span", { class: "bitvals" }, bits),
        h("span", { class: "bitlabel" }, label),
      ),
    ),
  );
}

/** Which field a byte of the frame belongs to (byte 0 and 1 hold several). */
function fieldsOfByte(frame, index) {
  if (index === 0) return "fin rsv opcode";
  if (index === 1) return "maskbit len";
  for (const f of frame.fields) if (f.start >= 2 && index >= f.start && index < f.end) return f.id;
  return "payload";
}

/** The frame's bytes as a hex dump: rows of 16 with stream offsets. */
function renderDump(frame) {
  const rows = [];
  const shown = Math.min(frame.bytes.length, DUMP_LIMIT);
  for (let row = 0; row < shown; row += 16) {
    const cells = [];
    const ascii = [];
    for (let i = row; i < Math.min(row + 16, shown); i++) {
      const f = fieldsOfByte(frame, i);
      const part = PART[f.split(" ")[0]];
      cells.push(h("span", { class: `b p-${part}`, "data-f": f }, hexByte(frame.bytes[i])));
      ascii.push(h("span", { class: `a p-${part}`, "data-f": f }, printable(frame.bytes[i])));
    }
    rows.push(
      h(
        "div",
        { class: "row" },
        h("span", { class: "off" }, String(frame.offset + row).padStart(5, " ")),
        h("span", { class: "hexcells" }, cells),
        h("span", { class: "ascii" }, ascii),
      ),
    );
  }
  const more = [];
  if (frame.bytes.length > shown) more.push(`… ${plural(frame.bytes.length - shown, "more byte")}`);
  if (!frame.complete) more.push(`the stream ends here: ${plural(frame.length - frame.available, "byte")} of this frame missing`);
  return h("div", { class: "dump bytes", role: "group", "aria-label": "frame bytes" }, rows, more.length ? h("div", { class: "more" }, more.join(" · ")) : null);
}

function renderFieldTable(frame) {
  return h(
    "table",
    { class: "fields" },
    h("thead", {}, h("tr", {}, h("th", {}, "field"), h("th", {}, "bytes"), h("th", {}, "value"), h("th", {}, "meaning"))),
    h(
      "tbody",
      {},
      frame.fields.map((f) =>
        h(
          "tr",
          { class: `fld f-${f.id}`, "data-f": f.id, tabindex: "0" },
          h("th", { class: "label", scope: "row" }, f.label),
          h("td", { class: "where" }, fieldPosition(frame, f)),
          h("td", { class: "value" }, f.value),
          h("td", { class: "explanation" }, f.explanation, f.rule ? h("span", { class: "rule" }, ` ${f.rule}`) : null),
        ),
      ),
    ),
  );
}

function fieldPosition(frame, f) {
  if (f.bits) {
    const bits = f.bits.length === 1 ? `bit ${f.bits[0]}` : `bits ${f.bits[0]}–${f.bits[f.bits.length - 1]}`;
    return `${frame.offset + f.start}, ${bits}`;
  }
  if (f.end <= f.start) return "none";
  return f.end - f.start === 1 ? String(frame.offset + f.start) : `${frame.offset + f.start}–${frame.offset + f.end - 1}`;
}

/** The payload, unmasked and decoded. */
function renderPayload(frame) {
  const d = frame.decoded;
  const parts = [];
  const unmaskedNote = frame.mask ? "unmasked" : "as sent";
  if (d.kind === "close") {
    parts.push(
      h("div", { class: "decoded" }, d.code === null ? h("strong", {}, d.name) : [h("strong", {}, `${d.code} ${d.name}`), d.reason ? ` ${JSON.stringify(d.reason)}` : " (no reason)"]),
      h("div", { class: "explanation" }, d.meaning),
    );
  } else if (d.kind === "text") {
    parts.push(h("div", { class: "decoded text" }, h("q", {}, d.text)), d.valid
        ? null
        : h("div", { class: "warn" }, frame.fin && frame.opcode === 1 ? "not valid UTF-8" : "not valid UTF-8 on its own (a character may span fragments)"));
  } else if (d.kind === "compressed") {
    parts.push(h("div", { class: "explanation" }, "DEFLATE data (RFC 7692): the inflated message is in the receiver's event below"));
  } else if (d.kind === "control" && d.text !== null) {
    parts.push(h("div", { class: "decoded text" }, h("q", {}, d.text)));
  } else if (d.kind === "binary" && d.text) {
    parts.push(h("div", { class: "decoded text" }, "as text: ", h("q", {}, d.text)));
  } else if (d.kind === "empty") {
    parts.push(h("div", { class: "explanation" }, "no payload"));
  }
  const showHex = frame.payload.length > 0;
  return h(
    "div",
    { class: "payload", "data-f": "payload" },
    h("span", { class: "label" }, `Payload${showHex ? ` (${unmaskedNote})` : ""}`),
    showHex ? h("code", { class: "hexline" }, elidedHex(frame.payload, 48)) : null,
    parts,
  );
}

/** One frame as a record: title, bits, dump, field table, payload. */
export function renderFrame(frame, dir) {
  const [side] = DIRECTION[dir];
  return h(
    "div",
    { class: `record frame ${side}${frame.complete ? "" : " incomplete"}`, "data-offset": frame.offset },
    h(
      "div",
      { class: "rec-label" },
      h("span", { class: "rec-title" }, frame.title),
      h("span", { class: "summary" }, frame.summary),
      h("span", { class: "at" }, `@${frame.offset}`),
    ),
    h("div", { class: "record-data" }, h("div", { class: "dumpcol" }, renderBits(frame), renderDump(frame)), renderFieldTable(frame)),
    renderPayload(frame),
  );
}

/** The opening handshake's head: each line with what it means. */
export function renderHandshake(head, dir) {
  const [side] = DIRECTION[dir];
  const lines = [
    h("div", { class: "hline start" }, h("code", {}, head.startLine), h("span", { class: "explanation" }, head.startNote)),
    ...head.headers.map((hd) =>
      h(
        "div",
        { class: "hline" },
        h("code", {}, h("b", {}, hd.name), ": ", hd.value),
        h("span", { class: "explanation" }, hd.note, hd.rule ? h("span", { class: "rule" }, ` ${hd.rule}`) : null),
      ),
    ),
    h("div", { class: "hline end" }, h("code", { class: "crlf" }, "\\r\\n"), h("span", { class: "explanation" }, "a blank line ends the head; frames follow")),
  ];
  return h(
    "div",
    { class: `record handshake ${side}` },
    h(
      "div",
      { class: "rec-label" },
      h("span", { class: "rec-title" }, head.kind === "request" ? "HTTP upgrade request" : "HTTP response"),
      h("span", { class: "summary" }, plural(head.length, "byte")),
      h("span", { class: "at" }, "@0"),
    ),
    h("div", { class: "http" }, lines),
  );
}

// ---------------------------------------------------------------------------------------
// Events, states, flights.

/** One event a side emitted. */
export function renderEvent(e, { withSide = true } = {}) {
  const message = e.message
    ? e.message.compressed
      ? `${plural(e.message.length, "byte")}, inflated from ${e.message.wireLength}`
      : plural(e.message.length, "byte")
    : null;
  return h(
    "li",
    { class: `event ${e.side}${e.error ? " failed" : ""}` },
    withSide ? h("span", { class: "who" }, `${e.side} emitted`) : null,
    h("b", { class: "etype" }, e.type),
    " ",
    h("span", { class: "etext" }, e.text),
    e.detail || message ? h("span", { class: "edetail" }, [e.detail, message].filter(Boolean).join(" · ")) : null,
  );
}

function renderStates(states) {
  if (!states.length) return null;
  return h(
    "div",
    { class: "states" },
    states.map((s) => h("span", { class: `state-change ${s.side}` }, `${s.side}: `, h("span", { class: "st" }, s.from), " → ", h("span", { class: `st st-${s.to}` }, s.to))),
  );
}

/** A flight: bytes moving one way, what they held, and what the receiver did. */
export function renderFlight(flight) {
  const [from, , label] = DIRECTION[flight.dir];
  const length = flight.end - flight.start;
  const range = flight.eof ? "end of stream" : length === 0 ? "no bytes" : `bytes ${flight.start}–${flight.end - 1} (${length})`;
  const records = flight.records.map((r) => (r.kind === "handshake" ? renderHandshake(r.head, flight.dir) : renderFrame(r.frame, flight.dir)));
  const notes = [...flight.notes];
  if (!flight.eof && length > 0 && records.length === 0 && notes.length === 0) notes.push(`${plural(length, "byte")} continuing an earlier frame`);
  return h(
    "article",
    { class: `flight ${from}${flight.unread ? " unread" : ""}`, "data-dir": flight.dir },
    h("header", { class: "flight-label" }, h("span", { class: `dir ${from}` }, label), h("span", { class: "range" }, range)),
    records,
    notes.map((n) => h("div", { class: "note" }, n)),
    flight.error ? h("div", { class: "error" }, flight.error) : null,
    flight.events.length ? h("ul", { class: "events" }, flight.events.map((e) => renderEvent(e))) : null,
    renderStates(flight.states),
    flight.failures.length
      ? flight.failures.map((f) => h("div", { class: "error" }, `${f.side} fails the connection at byte ${f.offset}: ${f.code} ${describeCloseCode(f.code).name} · ${f.message}`))
      : null,
  );
}

/** A user action in the timeline. */
export function renderStep(step, { onRemove = null } = {}) {
  return h(
    "div",
    { class: `step ${step.from}${step.error ? " failed" : ""}` },
    h("span", { class: "step-no" }, step.index >= 0 ? `${step.index + 1}` : "•"),
    h("span", { class: "step-text" }, step.text),
    onRemove && step.index >= 0
      ? h("button", { type: "button", class: "link", onclick: () => onRemove(step.index), "aria-label": `remove step ${step.index + 1}` }, "remove")
      : null,
    step.error ? h("div", { class: "error" }, step.error) : null,
    renderStates(step.states),
  );
}

/** The whole timeline. */
export function renderTimeline(container, timeline, options = {}) {
  const nodes = timeline.map((item) => (item.kind === "step" ? renderStep(item, options) : renderFlight(item)));
  container.replaceChildren(...nodes);
  if (!nodes.length) container.append(h("p", { class: "empty" }, options.empty ?? "Nothing yet."));
}

/** An endpoint's card: its state, the extensions agreed and the events it emitted. */
export function renderEndpoint(endpoint, { title = endpoint.side[0].toUpperCase() + endpoint.side.slice(1) } = {}) {
  const name = endpoint.stateName ?? STATE_NAMES[endpoint.state] ?? "?";
  return h(
    "section",
    { class: `endpoint ${endpoint.side}`, "aria-label": `${title} state` },
    h("h2", {}, title, " ", h("span", { class: `st st-${name}`, "data-state": name }, name)),
    h("div", { class: "ext" }, endpoint.extensions ? `extensions: ${endpoint.extensions}` : "no extensions"),
    h(
      "details",
      { class: "log", open: endpoint.events.length > 0 && endpoint.events.length <= 12 ? true : null },
      h("summary", {}, `${plural(endpoint.events.length, "event")} emitted`),
      h("ol", { class: "events" }, endpoint.events.map((e) => renderEvent(e, { withSide: false }))),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Decode view.

/** The decode result's summary: what was read, or the failure with its code and rule. */
export function renderDecodeSummary(result) {
  const nodes = [];
  if (result.error) return [h("div", { class: "error", role: "alert" }, result.error)];
  const role = result.role === "c2s" ? "client → server (a server engine reads it)" : "server → client (a client engine reads it)";
  nodes.push(
    h(
      "p",
      { class: "summary-line" },
      h("b", {}, `${plural(result.totals.frames, "frame")}, ${plural(result.totals.messages, "message")}`),
      ` in ${plural(result.totals.bytes, "byte")}, read as ${role}${result.deflate ? ", with permessage-deflate" : ""}.`,
    ),
  );
  for (const note of result.notes) nodes.push(h("p", { class: "note" }, note));
  if (result.failure) {
    const f = result.failure;
    nodes.push(
      h(
        "div",
        { class: "failure", role: "alert" },
        h("div", { class: "failure-head" }, h("span", { class: "code" }, String(f.code)), h("span", {}, `${f.codeName} · ${f.rule}`)),
        h("p", {}, f.message.replace(/^RFC [^:]+: /, "")),
        h("p", { class: "explanation" }, `at byte ${f.offset} of the capture${f.error ? ` · rule ${f.error}` : ""}; the engine fails the connection and answers with a Close ${f.code}.`),
      ),
    );
  } else if (result.totals.frames > 0 && !result.leftover) {
    nodes.push(h("p", { class: "ok" }, "Every frame is valid."));
  }
  if (result.leftover && !result.failure) nodes.push(h("p", { class: "warn" }, `${plural(result.leftover.length, "byte")} at ${result.leftover.offset}: ${result.leftover.reason}.`));
  if (result.head) nodes.push(renderHandshake(result.head, result.role));
  return nodes;
}

// ---------------------------------------------------------------------------------------
// Highlighting: hover or focus a field or a byte, and everything with the same `data-f` in
// the same record lights up.

/** Installs the highlighting on a container (event delegation). */
export function installHighlighting(container) {
  let lit = [];
  const clear = () => {
    for (const node of lit) node.classList.remove("hl");
    lit = [];
  };
  const light = (event) => {
    const target = event.target.closest?.("[data-f]");
    clear();
    if (!target) return;
    const record = target.closest(".record");
    if (!record) return;
    const names = target.dataset.f.split(" ");
    const selector = names.map((n) => `[data-f~="${n}"]`).join(",");
    lit = [...record.querySelectorAll(selector)];
    for (const node of lit) node.classList.add("hl");
  };
  container.addEventListener("mouseover", light);
  container.addEventListener("focusin", light);
  container.addEventListener("mouseleave", clear);
  container.addEventListener("focusout", clear);
}

// Deno's built-in WebSocket as a client of our server:
//   deno run --allow-net=127.0.0.1 deno-client.mjs <scenario> <ws://url> '<plan json>'
// Prints one JSON line: the scenario's result (or {"error": ...}). `peerDrop` prints
// {"sending": ...} and waits to be killed.
import { scenarios } from "./web-client.mjs";

const [name, url, planJson] = Deno.args;
const plan = JSON.parse(planJson);
try {
  const result = await scenarios[name](url, plan, (state) => console.log(JSON.stringify({ sending: state })));
  console.log(JSON.stringify({ deno: Deno.version.deno, ...result }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.stack ?? error) }));
}

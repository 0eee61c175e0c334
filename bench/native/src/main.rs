//! The native candidates of bench/run.mjs, one process per run:
//!
//!   wsbench --candidate wsproto-native|tungstenite --workload W1 --dir <inputs> --out <file>
//!           [--rng os|seeded]
//!
//! Same protocol as the JavaScript candidates (bench/lib/common.mjs): decoders are fed
//! 64 KiB chunks and drain every message the chunk completes, with the clock stopped while
//! the answer is checked (count, bytes, CRC-32 of the payloads); encoders hand their output
//! to the "socket" every 1024 messages and write it to <out> for the orchestrator to check.
//! One JSON line on stdout.
//!
//! wsproto-native: `Connection::new` (`with_deflate` for W5, parameters from
//! `PerMessageDeflate::accept` of the offer every candidate negotiates), masking keys from
//! `OsRandom` as `WSConnection::new` uses (`--rng seeded`: `SeededRandom`).
//! tungstenite: `WebSocket::from_raw_socket` over an in-memory stream that yields one chunk
//! and then `WouldBlock`; it has no permessage-deflate, so no W5.

use std::io::{self, Read, Write};
use std::time::Instant;

use tungstenite::protocol::{Role, WebSocket};
use tungstenite::Message;
use wsproto::{
    Config, Connection, ConnectionType, Event, OsRandom, PerMessageDeflate, RandomSource, SeededRandom, TextMessage,
};

const CHUNK: usize = 64 * 1024;
const DRAIN_EVERY: usize = 1024;
const WARMUP_CHUNKS: usize = 64;
const WARMUP_MESSAGES: usize = 10_000;
const WARMUP_DEFLATE_MESSAGES: usize = 200;
const DEFLATE_OFFER: &str = "permessage-deflate; client_max_window_bits";

#[derive(Default)]
struct Clock {
    total: f64,
    t: Option<Instant>,
}

impl Clock {
    fn start(&mut self) {
        self.t = Some(Instant::now());
    }
    fn stop(&mut self) {
        if let Some(t) = self.t.take() {
            self.total += t.elapsed().as_secs_f64();
        }
    }
}

#[derive(Default)]
struct Tally {
    messages: u64,
    bytes: u64,
    crc: crc32fast::Hasher,
}

impl Tally {
    fn message(&mut self, data: &[u8]) {
        self.messages += 1;
        self.bytes += data.len() as u64;
        self.crc.update(data);
    }
}

struct Args {
    candidate: String,
    workload: String,
    dir: String,
    out: Option<String>,
    rng: String,
}

fn args() -> Args {
    let mut a =
        Args { candidate: String::new(), workload: String::new(), dir: String::new(), out: None, rng: "os".into() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| die(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--candidate" => a.candidate = value,
            "--workload" => a.workload = value,
            "--dir" => a.dir = value,
            "--out" => a.out = Some(value),
            "--rng" => a.rng = value,
            _ => die(&format!("unknown argument {flag}")),
        }
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}

fn read(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| die(&format!("{dir}/{name}: {e}")))
}

fn rng(kind: &str) -> Box<dyn RandomSource> {
    match kind {
        "seeded" => Box::new(SeededRandom::new(7)),
        _ => Box::new(OsRandom),
    }
}

fn deflate_params(role: ConnectionType) -> wsproto::deflate::Negotiated {
    assert_eq!(role, ConnectionType::Server);
    PerMessageDeflate::default().accept(&[DEFLATE_OFFER]).unwrap_or_else(|| die("offer refused")).0
}

fn wsproto_connection(role: ConnectionType, deflate: bool, rng_kind: &str) -> Connection {
    let params = deflate.then(|| deflate_params(role));
    Connection::with_deflate(role, Config::default(), rng(rng_kind), &[], params)
        .unwrap_or_else(|e| die(&e.to_string()))
}

fn wsproto_decode(wire: &[u8], deflate: bool, clock: &mut Clock, tally: Option<&mut Tally>) {
    let mut conn = wsproto_connection(ConnectionType::Server, deflate, "os");
    let mut got: Vec<Event> = Vec::new();
    let mut tally = tally;
    for chunk in wire.chunks(CHUNK) {
        clock.start();
        conn.receive_data(Some(chunk)).unwrap_or_else(|e| die(&e.to_string()));
        while let Some(event) = conn.next_event() {
            got.push(event);
        }
        clock.stop();
        if let Some(t) = tally.as_deref_mut() {
            for event in got.drain(..) {
                match event {
                    Event::TextMessage(m) if m.message_finished => t.message(m.data.as_bytes()),
                    Event::BytesMessage(m) if m.message_finished => t.message(&m.data),
                    other => die(&format!("unexpected event {other:?}")),
                }
            }
        } else {
            got.clear();
        }
    }
}

fn wsproto_encode(
    messages: &[String],
    role: ConnectionType,
    deflate: bool,
    rng_kind: &str,
    clock: &mut Clock,
    out: Option<&mut Vec<u8>>,
) {
    let mut conn = wsproto_connection(role, deflate, rng_kind);
    let mut out = out;
    for batch in messages.chunks(DRAIN_EVERY) {
        clock.start();
        for m in batch {
            conn.send(TextMessage::new(m.clone())).unwrap_or_else(|e| die(&e.to_string()));
        }
        let bytes = conn.bytes_to_send();
        clock.stop();
        if let Some(o) = out.as_deref_mut() {
            o.extend_from_slice(&bytes);
        }
    }
}

/// A socket that has received `data[..end]`: reads past `pos` until `end`, then WouldBlock.
/// Writes (tungstenite's automatic replies) are dropped.
struct Feed<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

impl Read for Feed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.end - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tungstenite_decode(wire: &[u8], clock: &mut Clock, tally: Option<&mut Tally>) {
    let mut ws = WebSocket::from_raw_socket(Feed { data: wire, pos: 0, end: 0 }, Role::Server, None);
    let mut got: Vec<Message> = Vec::new();
    let mut tally = tally;
    let mut end = 0;
    while end < wire.len() {
        end = (end + CHUNK).min(wire.len());
        ws.get_mut().end = end;
        clock.start();
        loop {
            match ws.read() {
                Ok(m) => got.push(m),
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => die(&format!("tungstenite: {e}")),
            }
        }
        clock.stop();
        if let Some(t) = tally.as_deref_mut() {
            for m in got.drain(..) {
                match m {
                    Message::Text(s) => t.message(s.as_bytes()),
                    Message::Binary(b) => t.message(&b),
                    other => die(&format!("unexpected message {other:?}")),
                }
            }
        } else {
            got.clear();
        }
    }
}

/// The socket an encoder writes to: it keeps everything.
struct Sink(Vec<u8>);

impl Read for Sink {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tungstenite_encode(messages: &[String], role: Role, clock: &mut Clock, out: Option<&mut Vec<u8>>) {
    let mut ws = WebSocket::from_raw_socket(Sink(Vec::new()), role, None);
    let mut out = out;
    for batch in messages.chunks(DRAIN_EVERY) {
        clock.start();
        for m in batch {
            ws.write(Message::text(m.clone())).unwrap_or_else(|e| die(&format!("tungstenite: {e}")));
        }
        ws.flush().unwrap_or_else(|e| die(&format!("tungstenite: {e}")));
        clock.stop();
        let bytes = std::mem::take(&mut ws.get_mut().0);
        if let Some(o) = out.as_deref_mut() {
            o.extend_from_slice(&bytes);
        }
    }
}

fn fixed_strings(raw: &[u8], size: usize) -> Vec<String> {
    raw.chunks(size).map(|c| String::from_utf8(c.to_vec()).unwrap_or_else(|_| die("W4.text is not UTF-8"))).collect()
}

fn json_lines(raw: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(raw).unwrap_or_else(|_| die("W5.jsonl is not UTF-8"));
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(str::to_owned).collect()
    }
}

fn main() {
    let a = args();
    let id = a.workload.as_str();
    let deflate = id.starts_with("W5");
    let native = match a.candidate.as_str() {
        "wsproto-native" => true,
        "tungstenite" => false,
        other => die(&format!("unknown candidate {other}")),
    };
    if !native && deflate {
        die("tungstenite 0.30 has no permessage-deflate");
    }
    let mut clock = Clock::default();
    let version = if native { "wsproto (this crate), native".to_owned() } else { "tungstenite 0.30".to_owned() };
    let result = match id {
        "W1" | "W2" | "W3" | "W5d" => {
            let wire = read(&a.dir, &format!("{}.wire", &id[..2]));
            let warm = &wire[..wire.len().min(WARMUP_CHUNKS * CHUNK)];
            let mut tally = Tally::default();
            if native {
                wsproto_decode(warm, deflate, &mut Clock::default(), None);
                wsproto_decode(&wire, deflate, &mut clock, Some(&mut tally));
            } else {
                tungstenite_decode(warm, &mut Clock::default(), None);
                tungstenite_decode(&wire, &mut clock, Some(&mut tally));
            }
            format!(r#""messages":{},"bytes":{},"checksum":{}"#, tally.messages, tally.bytes, tally.crc.finalize())
        }
        "W4s" | "W4c" | "W5c" => {
            let messages = if deflate {
                json_lines(&read(&a.dir, "W5.jsonl"))
            } else {
                fixed_strings(&read(&a.dir, "W4.text"), 32)
            };
            let client = id == "W4c";
            let warm = &messages[..messages.len().min(if deflate { WARMUP_DEFLATE_MESSAGES } else { WARMUP_MESSAGES })];
            let mut out = Vec::new();
            if native {
                let role = if client { ConnectionType::Client } else { ConnectionType::Server };
                wsproto_encode(warm, role, deflate, &a.rng, &mut Clock::default(), None);
                wsproto_encode(&messages, role, deflate, &a.rng, &mut clock, Some(&mut out));
            } else {
                let role = if client { Role::Client } else { Role::Server };
                tungstenite_encode(warm, role, &mut Clock::default(), None);
                tungstenite_encode(&messages, role, &mut clock, Some(&mut out));
            }
            let path = a.out.clone().unwrap_or_else(|| die("--out is needed for an encoder"));
            std::fs::write(&path, &out).unwrap_or_else(|e| die(&format!("{path}: {e}")));
            format!(r#""messages":{},"output":"{}""#, messages.len(), path.replace('\\', "\\\\").replace('"', "\\\""))
        }
        other => die(&format!("no workload {other}")),
    };
    let rng_note = if native && a.rng == "seeded" { ",\"rng\":\"seeded\"" } else { "" };
    println!(
        r#"{{"candidate":"{}","workload":"{}","version":"{}",{},"seconds":{}{}}}"#,
        a.candidate, id, version, result, clock.total, rng_note
    );
}

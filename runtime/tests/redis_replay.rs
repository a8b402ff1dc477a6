//! Replay check: a decoded `redis/db_0/` is loaded into a real `redis-server` and every key,
//! value and TTL is compared with what the snapshot held.
//!
//! The test starts its own `redis-server` on 127.0.0.1 (a free port, no persistence, a
//! bounded wait, killed when the test ends), turns the dump into a RESP command file
//! ([`resp_from_dump`]: strings, hashes, lists, sets, zsets, streams with `XSETID`, TTLs with
//! `PEXPIREAT`, names through the filename decoding and KEYMAP.jsonl) and loads it with
//! `redis-cli --pipe`. It then reads every key back over RESP and compares it with the model
//! the snapshot was built from (not with the dump). `hll/` is not replayed: its payload is
//! elastickv's internal member set, not a Redis HyperLogLog.
//!
//! It needs `redis-server` and `redis-cli` on the PATH: `.ci/run` installs them from the
//! distribution's packages. Without them the test FAILS and says how to install them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::options::AdapterOptions;
use ekvsnap_runtime::output::{decode_segment, is_sha_fallback_shape, load_keymap};
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, SortedSnapshotBuilder, WriterFraming};

const TS: u64 = 1000;
/// 2100-01-01T00:00:00Z: TTLs far enough in the future not to expire during the test.
const FUTURE: u64 = 4_102_444_800_000;

const INSTALL_HINT: &str = "this test needs redis-server and redis-cli on the PATH; install \
     them with `apt-get update && apt-get install -y redis-server redis-tools` (.ci/run does \
     this before `cargo test --workspace`)";

/// What one key holds in the model.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    String(Vec<u8>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Zset(Vec<(Vec<u8>, f64)>),
    /// Entries (id, fields) and the last generated ID.
    Stream(Vec<(String, Vec<Vec<u8>>)>, String),
}

fn lp(uk: &[u8]) -> Vec<u8> {
    [&(uk.len() as u32).to_be_bytes()[..], uk].concat()
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The snapshot and the model of what Redis must hold after the replay.
/// Each user key's value and TTL.
type Model = BTreeMap<Vec<u8>, (Value, Option<u64>)>;

fn model() -> (SortedSnapshotBuilder, Model) {
    let mut snap = SortedSnapshotBuilder::new();
    let mut want = BTreeMap::new();
    let mut put = |k: &[u8], v: &[u8]| snap.put_mvcc(k, TS, false, 0, v).unwrap();

    // Strings: new format, inline TTL, legacy with an index TTL, binary, odd names, a name
    // too long for a file name (KEYMAP).
    put(b"!redis|str|greeting", b"\xFF\x01\x00hello");
    want.insert(b("greeting"), (Value::String(b("hello")), None));
    let mut v = vec![0xFF, 0x01, 0x01];
    v.extend_from_slice(&(FUTURE + 1).to_be_bytes());
    v.extend_from_slice(b"expiring");
    put(b"!redis|str|session:abc", &v);
    want.insert(
        b("session:abc"),
        (Value::String(b("expiring")), Some(FUTURE + 1)),
    );
    put(b"!redis|str|legacy", b"\x00\xFF\x01raw");
    put(b"!redis|ttl|legacy", &(FUTURE + 2).to_be_bytes());
    want.insert(
        b("legacy"),
        (Value::String(b"\x00\xFF\x01raw".to_vec()), Some(FUTURE + 2)),
    );
    put(b"!redis|str|bin\x00key", b"\xFF\x01\x00\x80\xFF\r\n");
    want.insert(
        b"bin\x00key".to_vec(),
        (Value::String(b"\x80\xFF\r\n".to_vec()), None),
    );
    put(b"!redis|str|a/b:c d", b"\xFF\x01\x00x");
    want.insert(b("a/b:c d"), (Value::String(b("x")), None));
    let long = [vec![b'k'; 299], vec![b'%']].concat();
    put(
        &[b"!redis|str|".as_slice(), &long].concat(),
        b"\xFF\x01\x00long",
    );
    put(
        &[b"!redis|ttl|".as_slice(), &long].concat(),
        &(FUTURE + 3).to_be_bytes(),
    );
    want.insert(long.clone(), (Value::String(b("long")), None));

    // A hash with a binary value, an empty field name and an inline TTL (16-byte meta) that
    // wins over a stale index row.
    let hash: BTreeMap<Vec<u8>, Vec<u8>> = [
        (b("name"), b("alice")),
        (b("blob"), vec![0x80, 0xFF, 0x01]),
        (b(""), b("empty-name")),
    ]
    .into_iter()
    .collect();
    for (f, v) in &hash {
        put(&[b"!hs|fld|".as_slice(), &lp(b"user:42"), f].concat(), v);
    }
    let meta = [3u64.to_be_bytes(), (FUTURE + 4).to_be_bytes()].concat();
    put(&[b"!hs|meta|".as_slice(), &lp(b"user:42")].concat(), &meta);
    put(b"!redis|ttl|user:42", &(FUTURE + 99).to_be_bytes());
    want.insert(b("user:42"), (Value::Hash(hash), Some(FUTURE + 4)));

    // A list built by LPUSH and RPUSH, with an uncompacted delta and an index TTL.
    for (seq, item) in [(-2i64, "b"), (-1, "c"), (0, "d"), (1, "e")] {
        let s = (seq as u64 ^ (1 << 63)).to_be_bytes();
        put(
            &[b"!lst|itm|".as_slice(), b"queue", &s].concat(),
            item.as_bytes(),
        );
    }
    let list_meta = [
        (-2i64).to_be_bytes(),
        1i64.to_be_bytes(),
        3i64.to_be_bytes(),
    ]
    .concat();
    put(b"!lst|meta|queue", &list_meta);
    let delta = [0i64.to_be_bytes(), 1i64.to_be_bytes()].concat();
    put(
        &[
            b"!lst|meta|d|".as_slice(),
            &lp(b"queue"),
            &7u64.to_be_bytes(),
            &0u32.to_be_bytes(),
        ]
        .concat(),
        &delta,
    );
    put(b"!redis|ttl|queue", &(FUTURE + 5).to_be_bytes());
    want.insert(
        b("queue"),
        (
            Value::List(vec![b("b"), b("c"), b("d"), b("e")]),
            Some(FUTURE + 5),
        ),
    );

    // Sets: wide-column with a binary member; a legacy blob.
    let members = [b("red"), b("green"), vec![0xFF, 0x00]];
    for m in &members {
        put(&[b"!st|mem|".as_slice(), &lp(b"tags"), m].concat(), b"");
    }
    put(
        &[b"!st|meta|".as_slice(), &lp(b"tags")].concat(),
        &3u64.to_be_bytes(),
    );
    want.insert(b("tags"), (Value::Set(members.to_vec()), None));
    put(b"!redis|set|oldset", b"\x00RS\x01\x0A\x01y\x0A\x01x");
    put(b"!redis|ttl|oldset", &(FUTURE + 6).to_be_bytes());
    want.insert(
        b("oldset"),
        (Value::Set(vec![b("x"), b("y")]), Some(FUTURE + 6)),
    );

    // A zset with the score forms of redis.md §6.10.
    let scores = [
        (b("alice"), 100.5),
        (b("bob"), -3.0),
        (b("top"), f64::INFINITY),
        (b("bottom"), f64::NEG_INFINITY),
        (b("tiny"), 1e-7),
        (b("huge"), 1e21),
    ];
    for (m, s) in &scores {
        put(
            &[b"!zs|mem|".as_slice(), &lp(b"board"), m].concat(),
            &s.to_be_bytes(),
        );
    }
    put(
        &[b"!zs|meta|".as_slice(), &lp(b"board")].concat(),
        &6u64.to_be_bytes(),
    );
    want.insert(b("board"), (Value::Zset(scores.to_vec()), None));

    // A stream whose last generated ID is past its last entry (an XDEL), with inline TTL.
    let entries = [
        ("1700000000000-0", vec![b("type"), b("login")]),
        (
            "1700000000001-5",
            vec![b("type"), b("logout"), b("user"), b("bob")],
        ),
    ];
    for (id, fields) in &entries {
        let (ms, seq) = id.split_once('-').unwrap();
        let key = [
            b"!stream|entry|".as_slice(),
            &lp(b"events"),
            &ms.parse::<u64>().unwrap().to_be_bytes(),
            &seq.parse::<u64>().unwrap().to_be_bytes(),
        ]
        .concat();
        let mut value = b"\x00RXE\x01".to_vec();
        value.extend([0x0A, id.len() as u8]);
        value.extend_from_slice(id.as_bytes());
        for f in fields {
            value.extend([0x12, f.len() as u8]);
            value.extend_from_slice(f);
        }
        put(&key, &value);
    }
    let meta: Vec<u8> = [2u64, 1_700_000_000_002, 0, FUTURE + 7]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    put(
        &[b"!stream|meta|".as_slice(), &lp(b"events")].concat(),
        &meta,
    );
    want.insert(
        b("events"),
        (
            Value::Stream(
                entries
                    .iter()
                    .map(|(id, f)| (id.to_string(), f.clone()))
                    .collect(),
                "1700000000002-0".into(),
            ),
            Some(FUTURE + 7),
        ),
    );
    // The long string's index TTL is ignored: its value is new-format without a TTL.
    (snap, want)
}

// ------------------------------------------------------------------------------------------
// The dump as RESP commands
// ------------------------------------------------------------------------------------------

fn resp_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// A binary-safe value of the dump (redis.md §6.9).
fn binary(v: &serde_json::Value) -> Vec<u8> {
    match v {
        serde_json::Value::String(s) => s.as_bytes().to_vec(),
        other => URL_SAFE_NO_PAD
            .decode(other["base64"].as_str().expect("a base64 envelope"))
            .unwrap(),
    }
}

/// Every file of `dir` (one type's directory): (user key, path).
fn entries(
    dir: &Path,
    suffix: &str,
    keymap: &BTreeMap<String, Vec<u8>>,
) -> Vec<(Vec<u8>, std::path::PathBuf)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = read
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let stem = name.strip_suffix(suffix).expect("type suffix");
            (user_key(stem, keymap), path)
        })
        .collect();
    out.sort();
    out
}

fn user_key(encoded: &str, keymap: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    if is_sha_fallback_shape(encoded) {
        keymap[encoded].clone()
    } else {
        decode_segment(encoded).unwrap()
    }
}

/// RESP commands recreating every key of `redis/db_0/` (hll/ excepted, see the module docs).
fn resp_from_dump(db: &Path) -> Vec<u8> {
    let keymap: BTreeMap<String, Vec<u8>> = match std::fs::File::open(db.join("KEYMAP.jsonl")) {
        Ok(f) => load_keymap(BufReader::new(f))
            .unwrap()
            .into_iter()
            .map(|(k, r)| (k, r.original))
            .collect(),
        Err(_) => BTreeMap::new(),
    };
    let mut out = Vec::new();
    let expire = |out: &mut Vec<u8>, key: &[u8], ms: &serde_json::Value| {
        if let Some(ms) = ms.as_u64() {
            resp_command(out, &[b"PEXPIREAT", key, ms.to_string().as_bytes()]);
        }
    };
    for (key, path) in entries(&db.join("strings"), ".bin", &keymap) {
        resp_command(&mut out, &[b"SET", &key, &std::fs::read(path).unwrap()]);
    }
    if let Ok(text) = std::fs::read_to_string(db.join("strings_ttl.jsonl")) {
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = user_key(v["key"].as_str().unwrap(), &keymap);
            expire(&mut out, &key, &v["expire_at_ms"]);
        }
    }
    let json = |path: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    for (key, path) in entries(&db.join("hashes"), ".json", &keymap) {
        let v = json(&path);
        let fields = v["fields"].as_array().unwrap();
        if fields.is_empty() {
            continue; // Redis has no empty hashes
        }
        let mut args: Vec<Vec<u8>> = vec![b("HSET"), key.clone()];
        for f in fields {
            args.push(binary(&f["name"]));
            args.push(binary(&f["value"]));
        }
        resp_command(
            &mut out,
            &args.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        );
        expire(&mut out, &key, &v["expire_at_ms"]);
    }
    for (dir, verb, field) in [("lists", "RPUSH", "items"), ("sets", "SADD", "members")] {
        for (key, path) in entries(&db.join(dir), ".json", &keymap) {
            let v = json(&path);
            let items = v[field].as_array().unwrap();
            if items.is_empty() {
                continue;
            }
            let mut args: Vec<Vec<u8>> = vec![b(verb), key.clone()];
            args.extend(items.iter().map(binary));
            resp_command(
                &mut out,
                &args.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            );
            expire(&mut out, &key, &v["expire_at_ms"]);
        }
    }
    for (key, path) in entries(&db.join("zsets"), ".json", &keymap) {
        let v = json(&path);
        let members = v["members"].as_array().unwrap();
        if members.is_empty() {
            continue;
        }
        let mut args: Vec<Vec<u8>> = vec![b("ZADD"), key.clone()];
        for m in members {
            let score = match &m["score"] {
                serde_json::Value::String(s) => s.clone(),
                n => format!("{}", n.as_f64().unwrap()),
            };
            args.push(score.into_bytes());
            args.push(binary(&m["member"]));
        }
        resp_command(
            &mut out,
            &args.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        );
        expire(&mut out, &key, &v["expire_at_ms"]);
    }
    for (key, path) in entries(&db.join("streams"), ".jsonl", &keymap) {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let (meta, entries) = lines.split_last().unwrap();
        if entries.is_empty() {
            continue; // XADD cannot create an empty stream
        }
        for e in entries {
            let mut args: Vec<Vec<u8>> = vec![b("XADD"), key.clone(), b(e["id"].as_str().unwrap())];
            for f in e["fields"].as_array().unwrap() {
                args.push(binary(&f["name"]));
                args.push(binary(&f["value"]));
            }
            resp_command(
                &mut out,
                &args.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            );
        }
        let last = format!("{}-{}", meta["last_ms"], meta["last_seq"]);
        resp_command(&mut out, &[b"XSETID", &key, last.as_bytes()]);
        expire(&mut out, &key, &meta["expire_at_ms"]);
    }
    out
}

// ------------------------------------------------------------------------------------------
// redis-server and a small RESP client
// ------------------------------------------------------------------------------------------

/// The server process; killed and reaped on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start redis-server ({e}): {INSTALL_HINT}"));
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(mut c) = Client::connect(port) {
            if c.call(&[b"PING"]) == Reply::Simple("PONG".into()) {
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "redis-server did not answer within 15 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    fn bulk(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            other => panic!("bulk reply expected, got {other:?}"),
        }
    }
    fn array(&self) -> &[Reply] {
        match self {
            Reply::Array(a) => a,
            other => panic!("array reply expected, got {other:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("integer reply expected, got {other:?}"),
        }
    }
}

struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Client {
            reader: BufReader::new(stream),
        })
    }

    fn call(&mut self, args: &[&[u8]]) -> Reply {
        let mut cmd = Vec::new();
        resp_command(&mut cmd, args);
        self.reader.get_mut().write_all(&cmd).unwrap();
        self.read()
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line.trim_end_matches("\r\n").to_string()
    }

    fn read(&mut self) -> Reply {
        let line = self.line();
        let (kind, rest) = line.split_at(1);
        match kind {
            "+" => Reply::Simple(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().unwrap()),
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).unwrap();
                buf.truncate(n as usize);
                Reply::Bulk(Some(buf))
            }
            "*" => {
                let n: i64 = rest.parse().unwrap();
                Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
            }
            other => panic!("unexpected RESP type {other:?}"),
        }
    }
}

fn parse_score(raw: &[u8]) -> f64 {
    match std::str::from_utf8(raw).unwrap() {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        s => s.parse().unwrap(),
    }
}

/// What Redis holds for `key`.
fn read_back(c: &mut Client, key: &[u8]) -> Value {
    let Reply::Simple(kind) = c.call(&[b"TYPE", key]) else {
        panic!("TYPE failed");
    };
    match kind.as_str() {
        "string" => Value::String(c.call(&[b"GET", key]).bulk()),
        "hash" => {
            let flat = c.call(&[b"HGETALL", key]);
            Value::Hash(
                flat.array()
                    .chunks(2)
                    .map(|p| (p[0].bulk(), p[1].bulk()))
                    .collect(),
            )
        }
        "list" => Value::List(
            c.call(&[b"LRANGE", key, b"0", b"-1"])
                .array()
                .iter()
                .map(Reply::bulk)
                .collect(),
        ),
        "set" => {
            let mut m: Vec<Vec<u8>> = c
                .call(&[b"SMEMBERS", key])
                .array()
                .iter()
                .map(Reply::bulk)
                .collect();
            m.sort();
            Value::Set(m)
        }
        "zset" => {
            let flat = c.call(&[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]);
            let mut m: Vec<(Vec<u8>, f64)> = flat
                .array()
                .chunks(2)
                .map(|p| (p[0].bulk(), parse_score(&p[1].bulk())))
                .collect();
            m.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Zset(m)
        }
        "stream" => {
            let entries = c
                .call(&[b"XRANGE", key, b"-", b"+"])
                .array()
                .iter()
                .map(|e| {
                    let e = e.array();
                    let id = String::from_utf8(e[0].bulk()).unwrap();
                    (id, e[1].array().iter().map(Reply::bulk).collect())
                })
                .collect();
            let info = c.call(&[b"XINFO", b"STREAM", key]);
            let info = info.array();
            let pos = info
                .iter()
                .position(|r| r == &Reply::Bulk(Some(b("last-generated-id"))))
                .unwrap();
            Value::Stream(entries, String::from_utf8(info[pos + 1].bulk()).unwrap())
        }
        other => panic!("unexpected type {other} for {key:?}"),
    }
}

/// The model in the form Redis reports it (sets and zsets sorted by member).
fn normalized(v: &Value) -> Value {
    match v {
        Value::Set(m) => {
            let mut m = m.clone();
            m.sort();
            Value::Set(m)
        }
        Value::Zset(m) => {
            let mut m = m.clone();
            m.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Zset(m)
        }
        other => other.clone(),
    }
}

#[test]
fn decoded_dump_replays_into_redis_server() {
    for tool in ["redis-server", "redis-cli"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(found, "{tool} not found: {INSTALL_HINT}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (snap, want) = model();
    let mut w =
        SnapshotWriter::new(Vec::new(), WriterFraming::NodeV1 { ceiling_ms: 7 }, TS).unwrap();
    snap.write_to(&mut w).unwrap();
    let path = dir.path().join("snap.fsm");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    let out = dir.path().join("out");
    let config = DecodeConfig {
        output: out.clone(),
        adapters: AdapterSet::parse("redis").unwrap(),
        adapter_options: AdapterOptions::default(),
        read_ts: None,
        cluster_id: None,
        force: false,
        verify_crc: true,
        memory_budget: 1 << 20,
        scratch_dir: None,
    };
    let report = decode(&InputSource::file(&path), &config, &mut |_| {}).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let db = out.join("redis/db_0");
    assert!(
        db.join("KEYMAP.jsonl").exists(),
        "the long key goes through KEYMAP"
    );

    let resp = resp_from_dump(&db);
    let resp_path = dir.path().join("dump.resp");
    std::fs::write(&resp_path, &resp).unwrap();

    let data = dir.path().join("redis-data");
    std::fs::create_dir(&data).unwrap();
    let server = start_server(&data);
    let pipe = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "--pipe"])
        .stdin(std::fs::File::open(&resp_path).unwrap())
        .output()
        .expect("redis-cli runs");
    let said = String::from_utf8_lossy(&pipe.stdout).into_owned();
    assert!(pipe.status.success(), "redis-cli --pipe failed: {said}");
    assert!(said.contains("errors: 0"), "redis-cli --pipe: {said}");

    let mut c = Client::connect(server.port).unwrap();
    assert_eq!(c.call(&[b"DBSIZE"]).int(), want.len() as i64);
    let mut keys: Vec<Vec<u8>> = c
        .call(&[b"KEYS", b"*"])
        .array()
        .iter()
        .map(Reply::bulk)
        .collect();
    keys.sort();
    assert_eq!(keys, want.keys().cloned().collect::<Vec<_>>());
    for (key, (value, ttl)) in &want {
        assert_eq!(
            read_back(&mut c, key),
            normalized(value),
            "value of {key:?}"
        );
        let expire = c.call(&[b"PEXPIRETIME", key]).int();
        match ttl {
            Some(ms) => assert_eq!(expire, *ms as i64, "TTL of {key:?}"),
            None => assert_eq!(expire, -1, "{key:?} has no TTL"),
        }
    }
    drop(server);
}

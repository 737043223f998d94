//! A relay of one's own (issue 19, point 5): iroh's own relay server (`iroh-relay`,
//! feature `server`) started here, and the `carnet` binary run in network namespaces that
//! have no route to each other, only to the relay. A live sync, then a mailbox deposit and
//! collection, go through it; every byte the relay is sent is recorded on the way (a TCP
//! proxy in front of it: the relay speaks plain HTTP here, so what the proxy sees is what
//! the relay sees) and searched for the record's markers and the people's names.
//!
//! Needs root and `ip` (iproute2); skipped with a printed reason otherwise. Set
//! `CARNET_SKIP_NETNS=1` to skip it on purpose.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::{Carnet, Running};

/// Why this machine cannot run the test, if it cannot.
fn cannot_run() -> Option<String> {
    if std::env::var_os("CARNET_SKIP_NETNS").is_some() {
        return Some("CARNET_SKIP_NETNS is set".into());
    }
    let uid = Command::new("id").arg("-u").output().ok();
    let uid = uid.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref() != Some("0") {
        return Some(format!(
            "network namespaces need root (uid is {})",
            uid.unwrap_or_else(|| "unknown".into())
        ));
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("the `ip` command (iproute2) is not installed".into()),
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Three namespaces (clinician, patient, mailbox), each with one veth link to the root
/// namespace, where the relay listens on an address of its own. Each namespace has a route
/// to its link's subnet and to the relay's address, nothing else: no default route, so no
/// path to another namespace. Removed when dropped.
struct Net {
    names: Vec<String>,
    /// Second octet of every address here (10.N.x.y).
    n: u8,
}

impl Net {
    fn new() -> Net {
        let pid = std::process::id();
        let n = 100 + (pid % 100) as u8;
        let mut net = Net {
            names: Vec::new(),
            n,
        };
        for (i, role) in ["a", "b", "m"].iter().enumerate() {
            let ns = format!("carnet{pid}{role}");
            let (outer, inner) = (format!("cr{pid}{role}"), format!("cn{pid}{role}"));
            let sub = i + 1;
            ip(&["netns", "add", &ns]);
            net.names.push(ns.clone());
            ip(&[
                "link", "add", &outer, "type", "veth", "peer", "name", &inner,
            ]);
            ip(&["link", "set", &inner, "netns", &ns]);
            ip(&["addr", "add", &format!("10.{n}.{sub}.1/24"), "dev", &outer]);
            ip(&["link", "set", &outer, "up"]);
            let e = |args: &[&str]| {
                let mut all = vec!["netns", "exec", &ns, "ip"];
                all.extend_from_slice(args);
                ip(&all);
            };
            e(&["link", "set", "lo", "up"]);
            e(&["addr", "add", &format!("10.{n}.{sub}.2/24"), "dev", &inner]);
            e(&["link", "set", &inner, "up"]);
            e(&[
                "route",
                "add",
                &format!("10.{n}.0.1/32"),
                "via",
                &format!("10.{n}.{sub}.1"),
            ]);
            if i == 0 {
                // The relay's own address, on the root side of the first link (local to
                // the root namespace, so reached from every link).
                ip(&["addr", "add", &format!("10.{n}.0.1/32"), "dev", &outer]);
            }
        }
        net
    }

    fn relay_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.n, 0, 1)
    }

    fn ns(&self, i: usize) -> &str {
        &self.names[i]
    }

    fn addr(&self, i: usize) -> String {
        format!("10.{}.{}.2", self.n, i + 1)
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.names {
            // The veth pair goes with its namespace.
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

/// `carnet` of this vault, run inside namespace `ns`.
fn in_ns(c: &Carnet, ns: &str) -> Command {
    let inner = c.command();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(inner.get_program());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    cmd
}

fn run_in(c: &Carnet, ns: &str, args: &[&str]) -> Output {
    in_ns(c, ns).arg("--json").args(args).output().unwrap()
}

fn ok_in(c: &Carnet, ns: &str, args: &[&str]) -> serde_json::Value {
    let out = run_in(c, ns, args);
    assert!(
        out.status.success(),
        "carnet {args:?} in {ns} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts `carnet --json ARGS` in `ns`; its first line parsed.
fn start_in(c: &Carnet, ns: &str, args: &[&str]) -> Running {
    let mut child = in_ns(c, ns)
        .arg("--json")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    let first = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("carnet {args:?} printed {first:?} first: {e}"));
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Running {
        child,
        first,
        lines: Arc::default(),
    }
}

/// A TCP proxy at `at` in front of `to`, keeping every byte it forwards either way.
struct Recorder {
    at: SocketAddr,
    seen: Arc<Mutex<Vec<u8>>>,
    connections: Arc<Mutex<usize>>,
}

fn recorder(ip: Ipv4Addr, to: SocketAddr) -> Recorder {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let at = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<u8>>> = Arc::default();
    let connections: Arc<Mutex<usize>> = Arc::default();
    let (s, n) = (seen.clone(), connections.clone());
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(to) else {
                continue;
            };
            *n.lock().unwrap() += 1;
            for (mut from, mut into) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        match from.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(k) => {
                                s.lock().unwrap().extend_from_slice(&buf[..k]);
                                if into.write_all(&buf[..k]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = into.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    Recorder {
        at,
        seen,
        connections,
    }
}

/// A patient who shared notes (write) with a doctor, the doctor holding the grant (by a
/// bundle file: no network yet).
fn patient_and_doctor() -> (Carnet, Carnet) {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.grant("Dr Martin", "notes,medications", "write", "follow-up");
    let bundle = alice.work.join("for-dr.carnet");
    alice.ok(&[
        "share",
        "export",
        "--to",
        "Dr Martin",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    doctor.ok(&["share", "import", bundle.to_str().unwrap()]);
    (alice, doctor)
}

#[test]
fn sync_and_mailbox_go_through_a_relay_of_ones_own_between_namespaces_with_no_route() {
    if let Some(why) = cannot_run() {
        println!("SKIPPED sync_and_mailbox_go_through_a_relay_of_ones_own: {why}");
        return;
    }
    let began = Instant::now();
    let (alice, doctor) = patient_and_doctor();
    let net = Net::new();
    let (doc_ns, alice_ns, box_ns) = (net.ns(0).to_string(), net.ns(1), net.ns(2));

    // iroh's relay server, plain HTTP on the root namespace's loopback, behind the
    // recording proxy on the address the namespaces can reach.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let mut config = iroh_relay::server::ServerConfig::default();
        config.relay = Some(iroh_relay::server::RelayConfig::new(SocketAddr::from((
            Ipv4Addr::LOCALHOST,
            0,
        ))));
        iroh_relay::server::Server::spawn(config).await.unwrap()
    });
    let rec = recorder(net.relay_ip(), server.http_addr().unwrap());
    let url = format!("http://{}", rec.at);

    // The patient's device serves in its namespace.
    alice.ok(&["config", "set", "relay", &url]);
    let shown = alice.json(&["config", "show"]);
    assert_eq!(shown["relay"], url.as_str(), "{shown}");
    let serve = start_in(&alice, alice_ns, &["serve"]);
    let ticket = serve.first["ticket"].as_str().unwrap().to_string();

    // No direct path: the doctor's namespace has no route to the patient's, and a sync
    // without the relay gets no answer.
    let route = Command::new("ip")
        .args(["netns", "exec", &doc_ns, "ip", "route", "get", &net.addr(1)])
        .output()
        .unwrap();
    assert!(!route.status.success(), "a route exists to the patient");
    doctor.ok(&[
        "add",
        "note",
        "--patient",
        "Alice Test",
        "--text",
        "RELAYMARK1 metformin 850 mg twice a day",
    ]);
    let direct = run_in(&doctor, &doc_ns, &["sync", &ticket, "--timeout", "3"]);
    assert!(
        !direct.status.success(),
        "a direct sync worked: {}",
        String::from_utf8_lossy(&direct.stdout)
    );

    // With the relay set, the same sync goes through.
    doctor.ok(&["config", "set", "relay", &url]);
    let synced = ok_in(&doctor, &doc_ns, &["sync", &ticket]);
    assert!(synced["sent"].as_u64().unwrap() >= 1, "{synced}");
    drop(serve);
    let list = alice.ok(&["list", "--section", "notes"]);
    assert!(list.contains("RELAYMARK1"), "{list}");
    let after_sync = rec.seen.lock().unwrap().len();
    assert!(after_sync > 4096, "the relay saw {after_sync} bytes");

    // The patient is offline; the clinic's mailbox, in a third namespace, is reached
    // through the relay only.
    let store = doctor.work.join("mailbox");
    doctor.json(&[
        "mailbox",
        "allow",
        &doctor.card(),
        "--store",
        store.to_str().unwrap(),
    ]);
    let mailbox = start_in(
        &doctor,
        box_ns,
        &[
            "mailbox",
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--relay-url",
            &url,
        ],
    );
    let box_ticket = mailbox.first["ticket"].as_str().unwrap().to_string();
    doctor.ok(&[
        "add",
        "note",
        "--patient",
        "Alice Test",
        "--text",
        "RELAYMARK2 amoxicillin 500 mg three times a day",
    ]);
    let sent = ok_in(
        &doctor,
        &doc_ns,
        &["mailbox", "deposit", "Alice Test", "--at", &box_ticket],
    );
    assert!(sent["envelopes"].as_u64().unwrap() >= 1, "{sent}");
    let got = ok_in(
        &alice,
        alice_ns,
        &["mailbox", "collect", "--at", &box_ticket],
    );
    assert_eq!(got["imported"].as_array().unwrap().len(), 1, "{got}");
    let list = alice.ok(&["list", "--section", "notes"]);
    assert!(list.contains("RELAYMARK2"), "{list}");
    drop(mailbox);

    // Everything went through the relay, and it saw no plaintext.
    let seen = rec.seen.lock().unwrap().clone();
    assert!(
        seen.len() > after_sync + 4096,
        "the mailbox traffic did not go through the relay"
    );
    let found = common::reveal::needles_found(
        &seen,
        &[
            "RELAYMARK1",
            "RELAYMARK2",
            "metformin",
            "amoxicillin",
            "Alice Test",
            "Dr Martin",
        ],
    );
    assert!(found.is_empty(), "the relay saw {found:?}");
    println!(
        "relay test: {} bytes through the relay, {} connections, {:.1} s",
        seen.len(),
        *rec.connections.lock().unwrap(),
        began.elapsed().as_secs_f64()
    );
    drop(server);
    drop(rt);
    drop(net);
}

#[test]
fn the_relay_setting_takes_a_url_and_refuses_what_is_not_one() {
    let c = Carnet::patient();
    assert_eq!(c.json(&["config", "show"])["relay"], "off");
    c.ok(&["config", "set", "relay", "http://Relay.Example:3340"]);
    // Kept as written (not lower-cased like on/off).
    assert_eq!(
        c.json(&["config", "show"])["relay"],
        "http://Relay.Example:3340"
    );
    let err = c.fails(&["config", "set", "relay", "ftp://relay.example"]);
    assert!(err.contains("relay server's URL"), "{err}");
    let err = c.fails(&["config", "set", "relay", "http://"]);
    assert!(err.contains("relay server's URL"), "{err}");
    c.ok(&["config", "set", "relay", "OFF"]);
    assert_eq!(c.json(&["config", "show"])["relay"], "off");
    // A bad --relay-url is refused before the network is touched.
    let store = c.work.join("box");
    let err = c.fails(&[
        "mailbox",
        "serve",
        "--store",
        store.to_str().unwrap(),
        "--relay-url",
        "http://exa mple",
    ]);
    assert!(err.contains("is not a relay server's URL"), "{err}");
}

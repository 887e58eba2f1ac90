//! A fault-injecting TCP proxy for sync tests: between a client and a real `bluelamp-central`
//! it drops connections mid-request and mid-response (after the server committed), truncates
//! answers, delays, and answers 503 itself. One fault per connection, so clients under test
//! should not pool connections (`bluelamp_sync::Client::unpooled`).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways.
    Pass,
    /// Forward part of the request, then close: the server never sees a whole request.
    DropRequest,
    /// Forward the request; when the server starts answering (it has committed), close
    /// without passing the answer on.
    DropResponse,
    /// Forward the request and only the first part of the answer, then close.
    TruncateResponse,
    /// Wait this many milliseconds, then forward.
    Delay(u64),
    /// Answer `503 Service Unavailable` without contacting the server.
    Unavailable,
}

/// Which faults to apply, connection by connection.
#[derive(Debug, Clone)]
pub enum Plan {
    /// These faults in order, then `Pass`.
    Script(VecDeque<Fault>),
    /// A fault with probability `p_fault` (per cent), chosen by a seeded generator.
    Random { seed: u64, p_fault: u8 },
}

struct Shared {
    plan: Mutex<Plan>,
    stop: AtomicBool,
    connections: AtomicU64,
    faults: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
}

/// A running proxy on 127.0.0.1; stops when dropped.
pub struct FaultProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

fn next_fault(plan: &mut Plan) -> Fault {
    match plan {
        Plan::Script(q) => q.pop_front().unwrap_or(Fault::Pass),
        Plan::Random { seed, p_fault } => {
            // xorshift64*
            let mut x = *seed | 1;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            *seed = x;
            let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            if (r % 100) as u8 >= *p_fault {
                return Fault::Pass;
            }
            match (r >> 8) % 5 {
                0 => Fault::DropRequest,
                1 => Fault::DropResponse,
                2 => Fault::TruncateResponse,
                3 => Fault::Delay(50 + (r >> 16) % 200),
                _ => Fault::Unavailable,
            }
        }
    }
}

impl FaultProxy {
    pub fn start(upstream: SocketAddr, plan: Plan) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            plan: Mutex::new(plan),
            stop: AtomicBool::new(false),
            connections: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
        });
        let sh = shared.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sh.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let fault = next_fault(&mut sh.plan.lock().unwrap_or_else(|p| p.into_inner()));
                sh.connections.fetch_add(1, Ordering::SeqCst);
                if fault != Fault::Pass {
                    sh.faults.fetch_add(1, Ordering::SeqCst);
                }
                let sh = sh.clone();
                thread::spawn(move || {
                    let _ = handle(client, upstream, fault, &sh);
                });
            }
        });
        Ok(FaultProxy { addr, shared })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the plan (e.g. `Plan::Script(VecDeque::new())` for a clean network).
    pub fn set_plan(&self, plan: Plan) {
        *self.shared.plan.lock().unwrap_or_else(|p| p.into_inner()) = plan;
    }

    /// Bytes passed client → server and server → client so far (what was on the wire,
    /// compressed if the answer was).
    pub fn bytes(&self) -> (u64, u64) {
        (self.shared.bytes_up.load(Ordering::SeqCst), self.shared.bytes_down.load(Ordering::SeqCst))
    }

    /// Connections seen and faults injected so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.shared.connections.load(Ordering::SeqCst), self.shared.faults.load(Ordering::SeqCst))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(mut client: TcpStream, upstream: SocketAddr, fault: Fault, sh: &Arc<Shared>) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    if fault == Fault::Unavailable {
        // Read what arrived so the client is not reset before it reads the answer.
        let mut buf = [0u8; 65536];
        let _ = client.read(&mut buf);
        client.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 52\r\nconnection: close\r\n\r\n{\"code\":\"internal\",\"message\":\"injected 503 (proxy)\"}",
        )?;
        return Ok(());
    }
    if let Fault::Delay(ms) = fault {
        thread::sleep(Duration::from_millis(ms));
    }
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(Duration::from_secs(30)))?;
    if fault == Fault::DropRequest {
        let mut buf = [0u8; 65536];
        let n = client.read(&mut buf)?;
        server.write_all(&buf[..n / 2])?;
        let _ = server.shutdown(Shutdown::Both);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    // Client -> server in a thread.
    let mut c2 = client.try_clone()?;
    let mut s2 = server.try_clone()?;
    let sh_up = sh.clone();
    let up = thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            match c2.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = s2.shutdown(Shutdown::Write);
                    break;
                }
                Ok(n) => {
                    if s2.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    sh_up.bytes_up.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    });
    // Server -> client, with the fault.
    let mut buf = [0u8; 65536];
    let mut sent = 0usize;
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        match fault {
            Fault::DropResponse => break,
            Fault::TruncateResponse => {
                let part = (n / 2).max(1);
                let _ = client.write_all(&buf[..part]);
                sent += part;
                break;
            }
            _ => {
                if client.write_all(&buf[..n]).is_err() {
                    break;
                }
                sent += n;
                sh.bytes_down.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }
    let _ = sent;
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
    let _ = up.join();
    Ok(())
}

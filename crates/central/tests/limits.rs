//! Connection-level limits: a client that sends its headers too slowly is cut off; connections
//! beyond the cap are closed at once; stopping the service ends idle keep-alive connections.

use std::time::{Duration, Instant};

use bluelamp_central::{Central, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(config: Config) -> (tempfile::TempDir, bluelamp_central::Running) {
    let dir = tempfile::tempdir().unwrap();
    let central = Central::open_with(&dir.path().join("c.db"), config).unwrap();
    let running = bluelamp_central::spawn(central, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    (dir, running)
}

/// Reads until the server closes the connection (or `limit` passes); returns what came and
/// whether it closed.
async fn read_to_close(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (got, false),
        }
    }
}

const HEALTH: &[u8] = b"GET /v1/health HTTP/1.1\r\nhost: x\r\n\r\n";

#[tokio::test]
async fn slow_headers_are_cut_off_and_a_prompt_client_is_served() {
    let config = Config { header_read_timeout: Duration::from_millis(300), ..Config::for_tests() };
    let (_d, running) = start(config).await;
    // Half a request line, then nothing: the server closes the connection.
    let mut slow = TcpStream::connect(running.addr).await.unwrap();
    slow.write_all(b"POST /v1/push HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let (_, closed) = read_to_close(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a client that never finishes its headers is disconnected");
    // A normal request on a fresh connection is answered.
    let mut ok = TcpStream::connect(running.addr).await.unwrap();
    ok.write_all(HEALTH).await.unwrap();
    let mut buf = [0u8; 64];
    let n = ok.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&buf[..n]));
    running.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_served_again_once_one_ends() {
    let config = Config { max_connections: 2, ..Config::for_tests() };
    let (_d, running) = start(config).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(running.addr).await.unwrap();
        s.write_all(HEALTH).await.unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        held.push(s); // kept alive: each holds a slot
    }
    let mut third = TcpStream::connect(running.addr).await.unwrap();
    let _ = third.write_all(HEALTH).await;
    let (got, closed) = read_to_close(&mut third, Duration::from_secs(5)).await;
    assert!(closed && got.is_empty(), "over the cap: closed without an answer, got {got:?}");
    // One ends; a new connection is served.
    drop(held.pop());
    let mut served = false;
    for _ in 0..50 {
        let mut s = TcpStream::connect(running.addr).await.unwrap();
        let _ = s.write_all(HEALTH).await;
        let (got, _) = read_to_close(&mut s, Duration::from_millis(300)).await;
        if got.starts_with(b"HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a slot came free");
    // Stopping ends the idle kept-alive connection too.
    let mut idle = held.pop().unwrap();
    let stop = tokio::spawn(running.stop());
    let (_, closed) = read_to_close(&mut idle, Duration::from_secs(5)).await;
    assert!(closed);
    tokio::time::timeout(Duration::from_secs(5), stop).await.expect("stop returns").unwrap();
}

//! The sync engine against a model server, under random interleavings of local writes, server
//! changes and faults (ok, network error before the server, response lost after the server
//! committed, duplicate delivery, 5xx, 401, permanent rejection, reset). After quiescence:
//! every mutation is applied exactly once or parked with its rejection, the outbox is empty,
//! the client's copy equals the server's scope, and the cursor never runs ahead of applied rows.
//!
//! The model client commits exactly what the store commits in one transaction (an ack deletes
//! through `done_through` and parks rejections; a page is applied with its cursor), so this
//! checks the engine's decisions and the protocol, not SQLite.

use std::collections::{BTreeMap, HashMap};

use bluelamp_protocol::wire::{Change, PullResponse, PushResponse, RecordType, Rejection};
use bluelamp_protocol::SCHEMA_VERSION;
use bluelamp_sync_core::{check_page, plan_ack, Action, Config, Engine, Event, Failure, Finish};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Ok,
    /// The request never reached the server.
    LostRequest,
    /// The server committed; the answer never arrived.
    LostResponse,
    /// The request was delivered twice; the client sees the second answer.
    Duplicate,
    /// 503 before the server did anything.
    Unavailable,
    /// The token expired.
    Unauthorized,
    /// The cursor is too old (pull only; otherwise behaves as Ok).
    Reset,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::Ok),
        1 => Just(Fault::LostRequest),
        2 => Just(Fault::LostResponse),
        1 => Just(Fault::Duplicate),
        1 => Just(Fault::Unavailable),
        1 => Just(Fault::Unauthorized),
        1 => Just(Fault::Reset),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    /// The officer writes something (a mutation into the outbox). Mutations whose number is
    /// a multiple of 7 are refused by the server's business rules.
    LocalWrite,
    /// Someone changes a server-owned record (upsert of nominal `n`, or a delete).
    ServerChange { n: u8, delete: bool },
    /// A sync round with these faults, one per exchange, then Ok.
    Round { faults: Vec<Fault>, seed: u64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::LocalWrite),
        3 => (0u8..12, proptest::bool::weighted(0.2)).prop_map(|(n, delete)| Step::ServerChange { n, delete }),
        2 => (proptest::collection::vec(fault(), 0..12), any::<u64>()).prop_map(|(faults, seed)| Step::Round { faults, seed }),
    ]
}

#[derive(Default)]
struct Server {
    last_seq: u64,
    applied: HashMap<u64, u32>, // mutation number -> times applied
    rejected: Vec<u64>,
    /// Rejections as recorded, by seq: a resent batch gets them again (a lost answer must not
    /// lose the reason).
    rejections: BTreeMap<u64, Rejection>,
    /// Change log: (version, id, value or None for a delete).
    log: Vec<(u64, String, Option<u64>)>,
    version: u64,
    value_counter: u64,
}

impl Server {
    fn change(&mut self, n: u8, delete: bool) {
        self.version += 1;
        self.value_counter += 1;
        self.log.push((self.version, format!("n{n}"), if delete { None } else { Some(self.value_counter) }));
    }

    fn state_at(&self, version: u64) -> BTreeMap<String, u64> {
        let mut s = BTreeMap::new();
        for (v, id, val) in &self.log {
            if *v > version {
                break;
            }
            match val {
                Some(x) => s.insert(id.clone(), *x),
                None => s.remove(id),
            };
        }
        s
    }

    /// Applies a batch in one transaction: ack applied seqs, refuse a gap, reject poison.
    fn push(&mut self, batch: &[(u64, u64)]) -> Result<PushResponse, u64> {
        let mut rejections = Vec::new();
        for &(seq, m) in batch {
            if seq <= self.last_seq {
                // Already applied: acknowledge without re-applying, repeating a recorded rejection.
                rejections.extend(self.rejections.get(&seq).cloned());
                continue;
            }
            if seq != self.last_seq + 1 {
                return Err(self.last_seq);
            }
            if m % 7 == 0 {
                self.rejected.push(m);
                let r = Rejection {
                    seq,
                    mutation_id: format!("m{m}"),
                    code: "invalid_payload".into(),
                    message: "refused".into(),
                };
                self.rejections.insert(seq, r.clone());
                rejections.push(r);
            } else {
                *self.applied.entry(m).or_default() += 1;
            }
            self.last_seq = seq;
        }
        Ok(PushResponse {
            schema_version: SCHEMA_VERSION,
            last_applied_seq: self.last_seq,
            rejections,
            conflicts: vec![],
            possible_duplicates: vec![],
            instructions: vec![],
        })
    }

    fn pull(&self, cursor: Option<u64>, limit: usize) -> PullResponse {
        let after = cursor.unwrap_or(0);
        let rest: Vec<_> = self.log.iter().filter(|(v, ..)| *v > after).collect();
        let page: Vec<_> = rest.iter().take(limit).collect();
        let next = page.last().map(|(v, ..)| *v).unwrap_or(after);
        PullResponse {
            schema_version: SCHEMA_VERSION,
            changes: page
                .iter()
                .map(|(v, id, val)| match val {
                    Some(x) => Change::Upsert {
                        record_type: RecordType::Nominal,
                        id: id.clone(),
                        version: *v,
                        data: serde_json::json!(x),
                    },
                    None => Change::Tombstone { record_type: RecordType::Nominal, id: id.clone(), version: *v },
                })
                .collect(),
            next_cursor: format!("v{next}"),
            has_more: rest.len() > page.len(),
            last_applied_seq: self.last_seq,
            remaining: (rest.len() - page.len()) as u64,
            reset: None,
            instructions: vec![],
        }
    }
}

#[derive(Default)]
struct Client {
    next_seq: u64,
    next_mutation: u64,
    /// Pending outbox: (seq, mutation number).
    outbox: Vec<(u64, u64)>,
    parked: Vec<u64>,
    known_server_last: u64,
    cursor: Option<u64>,
    replica: BTreeMap<String, u64>,
    written: Vec<u64>,
}

const BATCH: usize = 3;
const PAGE: u32 = 4;

/// One round: the driver loop of `bluelamp-sync`, against the model, with faults.
fn round(c: &mut Client, s: &mut Server, faults: &[Fault], seed: u64) -> Finish {
    let cfg = Config { base_backoff_ms: 1, max_backoff_ms: 4, max_attempts: 4, ..Config::default() };
    let mut e = Engine::new(cfg, true, seed);
    let mut faults = faults.iter().copied();
    for _ in 0..10_000 {
        let f = faults.next().unwrap_or(Fault::Ok);
        match e.next_action() {
            Action::Finish(fin) => return fin,
            Action::Wait { .. } => {}
            Action::Login => match f {
                Fault::LostRequest | Fault::LostResponse | Fault::Unavailable => {
                    e.handle(Event::Failed(Failure::Network("x".into())))
                }
                _ => e.handle(Event::LoggedIn),
            },
            Action::Push => {
                if c.outbox.is_empty() {
                    e.handle(Event::NothingToPush);
                    continue;
                }
                let batch: Vec<(u64, u64)> = c.outbox.iter().take(BATCH).copied().collect();
                let (first, last) = (batch[0].0, batch[batch.len() - 1].0);
                let answer = match f {
                    Fault::LostRequest => Err(Failure::Network("reset".into())),
                    Fault::Unavailable => Err(Failure::Server(503)),
                    Fault::Unauthorized => Err(Failure::Unauthorized),
                    Fault::LostResponse => {
                        let _ = s.push(&batch);
                        Err(Failure::Network("connection closed mid-response".into()))
                    }
                    Fault::Duplicate => {
                        let _ = s.push(&batch);
                        s.push(&batch).map_err(|l| Failure::SeqGap { server_last: l })
                    }
                    Fault::Ok | Fault::Reset => s.push(&batch).map_err(|l| Failure::SeqGap { server_last: l }),
                };
                match answer.and_then(|r| plan_ack(&r, first, last, c.known_server_last)) {
                    Ok(plan) => {
                        // One local transaction.
                        c.outbox.retain(|(seq, m)| {
                            if *seq <= plan.done_through {
                                if plan.park.iter().any(|(p, ..)| p == seq) {
                                    c.parked.push(*m);
                                }
                                false
                            } else {
                                true
                            }
                        });
                        c.known_server_last = plan.done_through;
                        e.handle(Event::Pushed { outbox_empty: c.outbox.is_empty() });
                    }
                    Err(Failure::SeqGap { server_last }) => {
                        panic!("the client never skips a seq, yet the server saw a gap at {server_last}")
                    }
                    Err(err) => e.handle(Event::Failed(err)),
                }
            }
            Action::Pull => {
                let answer = match f {
                    Fault::LostRequest | Fault::LostResponse | Fault::Duplicate => {
                        Err(Failure::Network("reset".into()))
                    }
                    Fault::Unavailable => Err(Failure::Server(502)),
                    Fault::Unauthorized => Err(Failure::Unauthorized),
                    Fault::Reset => {
                        let mut r = s.pull(None, 0);
                        r.reset = Some(bluelamp_protocol::wire::ResetReason::CursorTooOld);
                        Ok(r)
                    }
                    Fault::Ok => Ok(s.pull(c.cursor, PAGE as usize)),
                };
                match answer.and_then(|r| check_page(&r, PAGE).map(|()| r)) {
                    Ok(page) if page.reset.is_some() => {
                        // Drop only the server-owned cache; the outbox is untouched.
                        c.replica.clear();
                        c.cursor = None;
                        e.handle(Event::Pulled { has_more: true, reset: true });
                    }
                    Ok(page) => {
                        // One local transaction: rows and cursor.
                        for ch in &page.changes {
                            match ch {
                                Change::Upsert { id, data, .. } => {
                                    c.replica.insert(id.clone(), data.as_u64().unwrap());
                                }
                                Change::Tombstone { id, .. } => {
                                    c.replica.remove(id);
                                }
                            }
                        }
                        let cur: u64 = page.next_cursor[1..].parse().unwrap();
                        c.cursor = Some(cur);
                        // The cursor never runs ahead of applied rows.
                        assert_eq!(c.replica, s.state_at(cur), "replica differs from the server at its cursor");
                        e.handle(Event::Pulled { has_more: page.has_more, reset: false });
                    }
                    Err(err) => e.handle(Event::Failed(err)),
                }
            }
        }
    }
    panic!("a round did not finish");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn exactly_once_and_convergent_after_quiescence(steps in proptest::collection::vec(step(), 1..60)) {
        let mut c = Client::default();
        let mut s = Server::default();
        for st in steps {
            match st {
                Step::LocalWrite => {
                    c.next_seq += 1;
                    c.next_mutation += 1;
                    c.outbox.push((c.next_seq, c.next_mutation));
                    c.written.push(c.next_mutation);
                }
                Step::ServerChange { n, delete } => s.change(n, delete),
                Step::Round { faults, seed } => {
                    let _ = round(&mut c, &mut s, &faults, seed);
                    // Never applied twice, whatever happened.
                    prop_assert!(s.applied.values().all(|&n| n == 1));
                }
            }
        }
        // Quiescence: the network behaves.
        prop_assert_eq!(round(&mut c, &mut s, &[], 1), Finish::Synced);
        prop_assert!(c.outbox.is_empty());
        for m in &c.written {
            let applied = s.applied.get(m).copied().unwrap_or(0);
            let rejected = s.rejected.iter().filter(|x| *x == m).count();
            prop_assert!(applied + rejected as u32 == 1, "mutation {} applied {} rejected {}", m, applied, rejected);
            prop_assert_eq!(c.parked.contains(m), rejected == 1);
        }
        prop_assert_eq!(&c.replica, &s.state_at(s.version));
    }
}

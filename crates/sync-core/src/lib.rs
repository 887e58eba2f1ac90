//! # bluelamp-sync-core: the sync engine, with no I/O
//!
//! The client's half of "outbox push + cursor pull" (engineering research §A.3) as a pure state
//! machine. The driver (`bluelamp-sync`) asks [`Engine::next_action`] what to do, does it (HTTP, the
//! store), and reports what happened with [`Engine::handle`]. Everything that decides — the
//! order of work (sign in, push until the outbox is empty, then pull until the last page), how
//! a failure is classified, when to back off and for how long, when to give up for this round,
//! whether a server answer is believable — lives here and is property-tested against a model
//! server with faults (`tests/model.rs`).
//!
//! What the store guarantees (and the model mirrors): an outbox row is written in the same
//! transaction as the user's write; an acknowledgement deletes rows up to `last_applied_seq`
//! and parks the rejected ones in one transaction; a pull page and its cursor commit together.
//! So a crash at any point loses nothing and repeats nothing the server has not deduplicated.

use bluelamp_protocol::wire::{Change, Instruction, PullResponse, PushResponse, ResetReason};

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Sign in (officer id + passphrase → token). Only when there is no usable token.
    Login,
    /// Send the next batch of pending outbox entries, oldest first.
    Push,
    /// Fetch the next page after the stored cursor.
    Pull,
    /// Wait this long, then ask again.
    Wait { millis: u64 },
    /// This round is over.
    Finish(Finish),
}

/// How a round ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Pushed everything and pulled to the last page.
    Synced,
    /// Gave up for now after repeated transient failures (offline, server errors); the
    /// outbox is intact and the next round resumes.
    Offline { last_error: String },
    /// Needs a person: wrong passphrase, schema mismatch (update the app), a protocol bug.
    Blocked { reason: String },
    /// The central service ordered this device locked or wiped. A lock ends the round at once;
    /// a wipe ends it only once the outbox (and the access log) has been pushed: the service
    /// keeps accepting the device's writes, and wiping before would destroy them. A wipe order
    /// whose push could not finish ends the round `Offline` or `Blocked` instead (the shell
    /// then keeps the store locked, with its writes, for the next round).
    Ordered(Instruction),
}

impl Finish {
    /// Why the round ended, for the officer; `None` for a round that synced.
    pub fn reason(&self) -> Option<String> {
        match self {
            Finish::Synced => None,
            Finish::Offline { last_error } => Some(last_error.clone()),
            Finish::Blocked { reason } => Some(reason.clone()),
            Finish::Ordered(i) => Some(order_reason(*i).into()),
        }
    }
}

/// What an order from the central service means, in words.
pub fn order_reason(i: Instruction) -> &'static str {
    match i {
        Instruction::Lock => "the central service ordered this device locked: an online sign-in (enrol) unlocks it",
        Instruction::Wipe => "the central service ordered this device wiped, once its outbox was sent",
    }
}

/// A failed exchange, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Connect/read/write failure, timeout, connection dropped mid-response.
    Network(String),
    /// 5xx or 429.
    Server(u16),
    /// 401: token missing, expired or revoked.
    Unauthorized,
    /// Login refused: wrong officer id or passphrase.
    BadCredentials,
    /// 403.
    Forbidden(String),
    /// 409 `seq_gap`: the server holds `server_last`; resend from `server_last + 1`.
    SeqGap { server_last: u64 },
    /// 409 `seq_reused`: the server holds another write under a seq this device sent (its
    /// store was restored from an older copy). The driver renumbers the unacknowledged
    /// writes from `server_last + 1`; the next push sends them again.
    SeqReused { server_last: u64 },
    /// The server speaks another wire schema.
    SchemaMismatch(String),
    /// Malformed, truncated or unbelievable response; nothing was applied locally.
    BadResponse(String),
    /// Another 4xx: the request itself is wrong (a client bug).
    Rejected(u16, String),
}

impl Failure {
    /// Transient failures are retried with backoff.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::Network(_) | Failure::Server(_) | Failure::BadResponse(_))
    }

    /// What went wrong, for the officer and the log.
    pub fn describe(&self) -> String {
        match self {
            Failure::Network(e) => format!("network: {e}"),
            Failure::Server(code) => format!("the central service answered HTTP {code}"),
            Failure::Unauthorized => "the central service did not accept the sign-in token".into(),
            Failure::BadCredentials => "the officer id or passphrase was not accepted by the central service".into(),
            Failure::Forbidden(m) => format!("refused by the central service: {m}"),
            Failure::SeqGap { server_last } => format!("the central service holds up to #{server_last}"),
            Failure::SeqReused { server_last } => format!(
                "the central service holds other writes of this device up to #{server_last} (was its store \
                 restored from an older copy?); this device's unsent writes are numbered after them"
            ),
            Failure::SchemaMismatch(m) => format!("this version of Bluelamp cannot talk to the central service ({m})"),
            Failure::BadResponse(m) => format!("unreadable answer from the central service: {m}"),
            Failure::Rejected(code, m) => format!("request refused (HTTP {code}): {m}"),
        }
    }
}

/// More resets than this in one round end it (a service answering every page with a reset
/// would otherwise loop the round for ever); one is normal, two can follow a scope change
/// during the re-pull.
pub const MAX_RESETS_PER_ROUND: u32 = 3;

/// What the driver reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    LoggedIn,
    /// A push batch was acknowledged and its acknowledgement committed locally.
    Pushed {
        outbox_empty: bool,
    },
    /// A pull page was applied with its cursor.
    Pulled {
        has_more: bool,
        reset: bool,
    },
    /// The outbox had nothing pending when asked to push.
    NothingToPush,
    /// A push answer or pull page carried a lock or wipe order. Reported after the answer's own
    /// `Pushed` / `Pulled` (it is heeded even if that event ended the round).
    Ordered(Instruction),
    Failed(Failure),
}

/// Tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub base_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Consecutive transient failures before the round ends as [`Finish::Offline`].
    pub max_attempts: u32,
    /// Outbox entries per push request (at most `wire::MAX_PUSH_BATCH`).
    pub push_batch: usize,
    /// Changes per pull page asked for (at most `wire::MAX_PULL_LIMIT`).
    pub pull_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { base_backoff_ms: 250, max_backoff_ms: 30_000, max_attempts: 6, push_batch: 200, pull_limit: 5_000 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Login,
    Push,
    Pull,
    Done,
}

/// One sync round (sign in if needed, push to empty, pull to the last page).
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: Config,
    phase: Phase,
    /// The phase to return to after a re-login.
    resume: Phase,
    attempts: u32,
    relogins: u32,
    /// Resets in this round: a service that keeps answering with one would loop the round.
    resets: u32,
    pending_wait: Option<u64>,
    finish: Option<Finish>,
    /// A lock or wipe order received in this round (wipe beats lock).
    order: Option<Instruction>,
    /// Deterministic jitter source (xorshift), seeded by the driver.
    rng: u64,
    last_error: Option<String>,
}

impl Engine {
    /// A round. `has_token`: a token that has not expired is at hand. `seed`: any number
    /// (randomness for the jitter; the driver passes a random one, tests a fixed one).
    pub fn new(cfg: Config, has_token: bool, seed: u64) -> Engine {
        Engine {
            cfg,
            phase: if has_token { Phase::Push } else { Phase::Login },
            resume: Phase::Push,
            attempts: 0,
            relogins: 0,
            resets: 0,
            pending_wait: None,
            finish: None,
            order: None,
            rng: seed | 1,
            last_error: None,
        }
    }

    /// The next thing to do.
    pub fn next_action(&mut self) -> Action {
        if let Some(f) = &self.finish {
            return Action::Finish(f.clone());
        }
        if let Some(millis) = self.pending_wait.take() {
            return Action::Wait { millis };
        }
        match self.phase {
            Phase::Login => Action::Login,
            Phase::Push => Action::Push,
            Phase::Pull => Action::Pull,
            Phase::Done => Action::Finish(Finish::Synced),
        }
    }

    /// Whether the round is over.
    pub fn finished(&self) -> Option<&Finish> {
        self.finish.as_ref()
    }

    /// Feeds back the outcome of the last action.
    pub fn handle(&mut self, event: Event) {
        if let Event::Ordered(i) = event {
            return self.ordered(i);
        }
        if self.finish.is_some() {
            return;
        }
        match event {
            Event::LoggedIn => {
                self.attempts = 0;
                self.phase = self.resume;
            }
            Event::Pushed { outbox_empty } => {
                self.attempts = 0;
                // Under a wipe order the push goes on until nothing at all is left to send.
                if outbox_empty && self.order.is_none() {
                    self.phase = Phase::Pull;
                }
            }
            Event::NothingToPush => {
                self.attempts = 0;
                if let Some(i @ Instruction::Wipe) = self.order {
                    // Everything written here has reached the service: the wipe may go ahead.
                    self.phase = Phase::Done;
                    self.finish = Some(Finish::Ordered(i));
                } else {
                    self.phase = Phase::Pull;
                }
            }
            Event::Pulled { has_more, reset } => {
                self.attempts = 0;
                if self.order.is_some() {
                    // A page under an order carries no changes; the order decides what is next.
                    self.phase = Phase::Push;
                } else if reset {
                    self.resets += 1;
                    if self.resets > MAX_RESETS_PER_ROUND {
                        let reason = format!(
                            "the central service restarted the pull {} times in one round; the next round tries again",
                            self.resets
                        );
                        self.last_error = Some(reason.clone());
                        self.phase = Phase::Done;
                        self.finish = Some(Finish::Offline { last_error: reason });
                        return;
                    }
                    // Push first (anything written meanwhile), then pull from the start.
                    self.phase = Phase::Push;
                } else if !has_more {
                    self.phase = Phase::Done;
                    self.finish = Some(Finish::Synced);
                }
            }
            Event::Failed(f) => self.fail(f),
            Event::Ordered(_) => {}
        }
    }

    /// A lock or wipe order. A lock ends the round at once (what is pending stays in the
    /// outbox). A wipe first pushes everything pending: the round ends `Ordered(Wipe)` only at
    /// an empty outbox. An order is never dropped: one reported after the page that ended the
    /// round as synced (the service sends no changes with an order) turns that into the order.
    fn ordered(&mut self, i: Instruction) {
        match self.finish {
            None | Some(Finish::Synced) => {}
            // Already ended otherwise (offline, blocked, or this order): the order is kept in
            // the store by the driver and heard again at the next round.
            Some(_) => {
                if self.order != Some(Instruction::Wipe) {
                    self.order = Some(i);
                }
                return;
            }
        }
        let i = if self.order == Some(Instruction::Wipe) { Instruction::Wipe } else { i };
        self.order = Some(i);
        self.finish = None;
        match i {
            Instruction::Lock => {
                self.phase = Phase::Done;
                self.finish = Some(Finish::Ordered(Instruction::Lock));
            }
            Instruction::Wipe => {
                self.phase = Phase::Push;
                self.pending_wait = None;
            }
        }
    }

    /// The order received in this round, if any.
    pub fn order(&self) -> Option<Instruction> {
        self.order
    }

    fn fail(&mut self, f: Failure) {
        let msg = f.describe();
        self.last_error = Some(msg.clone());
        match f {
            Failure::Unauthorized => {
                // Sign in again once per round, then resume where we were.
                if self.relogins >= 1 || self.phase == Phase::Login {
                    self.finish = Some(Finish::Blocked { reason: msg });
                } else {
                    self.relogins += 1;
                    self.resume = self.phase;
                    self.phase = Phase::Login;
                }
            }
            Failure::SeqGap { .. } | Failure::SeqReused { .. } => {
                // The driver has already acknowledged up to the server's seq (the server applied
                // them); the next push resends from there. Repeated gaps mean a bug: stop.
                self.attempts += 1;
                if self.attempts >= self.cfg.max_attempts {
                    self.finish = Some(Finish::Blocked { reason: msg });
                }
            }
            Failure::BadCredentials | Failure::Forbidden(_) | Failure::SchemaMismatch(_) | Failure::Rejected(..) => {
                self.finish = Some(Finish::Blocked { reason: msg });
            }
            Failure::Network(_) | Failure::Server(_) | Failure::BadResponse(_) => {
                self.attempts += 1;
                if self.attempts >= self.cfg.max_attempts {
                    self.finish = Some(Finish::Offline { last_error: msg });
                } else {
                    let r = self.next_rand();
                    self.pending_wait = Some(backoff_ms(&self.cfg, self.attempts, r));
                }
            }
        }
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The last failure seen in this round, for the status bar.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

/// What the shell does with the store after a round, from the order the store holds and the
/// writes still pending in its outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStep {
    /// Lock the store until the officer signs in online.
    Lock,
    /// Crypto-erase the store: everything written here has reached the service.
    Wipe,
    /// A wipe order with writes not yet sent: the store stays locked (not opened for use) and
    /// keeps them; the next round sends them and wipes.
    LockUntilWiped { pending: u64 },
}

/// See [`OrderStep`]. A wipe never destroys a pending write.
pub fn order_step(order: Option<Instruction>, pending: u64) -> Option<OrderStep> {
    match order? {
        Instruction::Lock => Some(OrderStep::Lock),
        Instruction::Wipe if pending == 0 => Some(OrderStep::Wipe),
        Instruction::Wipe => Some(OrderStep::LockUntilWiped { pending }),
    }
}

/// Exponential backoff with "equal jitter": half the capped exponential delay plus a random
/// part of the other half. `attempt` counts from 1.
pub fn backoff_ms(cfg: &Config, attempt: u32, rand: u64) -> u64 {
    let exp = cfg.base_backoff_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(30));
    let capped = exp.min(cfg.max_backoff_ms).max(1);
    let half = capped / 2;
    half + rand % (capped - half + 1)
}

/// The highest seq a push answer may name: seqs are stored as SQLite integers (i64), and a
/// device numbering its writes after a seq near that limit could not number the next one.
pub const MAX_SEQ: u64 = (i64::MAX / 2) as u64;

/// What a believable push answer means for the local outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckPlan {
    /// Every pending entry with `seq <= this` is done (applied or rejected) on the server.
    pub done_through: u64,
    /// Entries to park with the server's reason: `(seq, code, message)`.
    pub park: Vec<(u64, String, String)>,
}

/// Checks a push answer against what was sent (`first_seq..=last_seq`, and what the server was
/// known to hold before, `known_server_last`) and says what to commit locally. An answer that
/// cannot be right (acknowledging seqs never sent, going backwards, rejecting a seq outside
/// the acknowledged range) is refused, and nothing changes locally.
pub fn plan_ack(
    resp: &PushResponse,
    first_seq: u64,
    last_seq: u64,
    known_server_last: u64,
) -> Result<AckPlan, Failure> {
    if resp.schema_version != bluelamp_protocol::SCHEMA_VERSION {
        return Err(Failure::SchemaMismatch(format!(
            "server schema {}, client {}",
            resp.schema_version,
            bluelamp_protocol::SCHEMA_VERSION
        )));
    }
    if resp.last_applied_seq > MAX_SEQ {
        return Err(Failure::BadResponse(format!("the server claims to hold #{}", resp.last_applied_seq)));
    }
    if resp.last_applied_seq > last_seq {
        // The service holds writes of this device beyond what it sent (the store was restored
        // from an older copy, and what it sent the service already held under the same ids):
        // acknowledge nothing, and number the unsent writes after the service's, as for
        // `seq_reused`. The next push delivers them; those already held are recognised by
        // their mutation ids.
        return Err(Failure::SeqReused { server_last: resp.last_applied_seq });
    }
    if resp.last_applied_seq < known_server_last {
        return Err(Failure::BadResponse(format!(
            "the server went back from #{known_server_last} to #{}",
            resp.last_applied_seq
        )));
    }
    if resp.last_applied_seq < first_seq {
        // A service that holds up to first_seq - 1 either applies or refuses first_seq; one
        // behind it answers `seq_gap`. Acknowledging none of the batch is neither: believing it
        // would push the same batch again at once, for ever (no backoff after a push).
        return Err(Failure::BadResponse(format!(
            "the server acknowledged none of #{first_seq}–#{last_seq} (it holds #{})",
            resp.last_applied_seq
        )));
    }
    let mut park = Vec::new();
    for r in &resp.rejections {
        if r.seq > resp.last_applied_seq || r.seq == 0 {
            return Err(Failure::BadResponse(format!("a rejection of #{} outside the acknowledged range", r.seq)));
        }
        park.push((r.seq, r.code.clone(), r.message.clone()));
    }
    Ok(AckPlan { done_through: resp.last_applied_seq, park })
}

/// Checks a pull page before it is applied. A page that cannot be right is refused, and
/// nothing changes locally.
pub fn check_page(resp: &PullResponse, limit: u32) -> Result<(), Failure> {
    if resp.schema_version != bluelamp_protocol::SCHEMA_VERSION {
        return Err(Failure::SchemaMismatch(format!(
            "server schema {}, client {}",
            resp.schema_version,
            bluelamp_protocol::SCHEMA_VERSION
        )));
    }
    if resp.changes.len() > limit as usize {
        return Err(Failure::BadResponse(format!("{} changes in a page of at most {limit}", resp.changes.len())));
    }
    if resp.next_cursor.is_empty() || resp.next_cursor.len() > 1024 {
        return Err(Failure::BadResponse("the page has no usable cursor".into()));
    }
    for c in &resp.changes {
        let id = match c {
            Change::Upsert { id, .. } | Change::Tombstone { id, .. } => id,
        };
        if id.trim().is_empty() || id.len() > 200 {
            return Err(Failure::BadResponse("a change without a usable id".into()));
        }
    }
    Ok(())
}

/// The cursors one round has sent, to refuse a pull that goes round in circles: a page that
/// says more is to come and points back at a cursor already fetched in this round (its own
/// cursor, say, with no changes) would be fetched for ever (resilience review, 7 Dec 2026: a
/// server answering so kept `sync` running until it was killed). A reset starts the trail
/// again, as it starts the pull again.
#[derive(Debug, Default, Clone)]
pub struct CursorTrail {
    sent: std::collections::HashSet<String>,
}

impl CursorTrail {
    /// Checks the page `resp` answering a pull sent with `sent` (`None`: from the start).
    pub fn check(&mut self, sent: Option<&str>, resp: &PullResponse) -> Result<(), Failure> {
        if resp.reset.is_some() {
            self.sent.clear();
            return Ok(());
        }
        if let Some(c) = sent {
            self.sent.insert(c.to_string());
        }
        if resp.has_more && self.sent.contains(&resp.next_cursor) {
            return Err(Failure::BadResponse(
                "the server's next page is one this round already fetched: it would go round in circles".into(),
            ));
        }
        Ok(())
    }
}

/// Whether a page tells the client to drop its server-owned cache first.
pub fn is_reset(resp: &PullResponse) -> Option<ResetReason> {
    resp.reset
}

#[cfg(test)]
mod tests {
    use super::*;
    use bluelamp_protocol::wire::Rejection;

    fn resp(last: u64, rej: &[u64]) -> PushResponse {
        PushResponse {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            last_applied_seq: last,
            rejections: rej
                .iter()
                .map(|&s| Rejection { seq: s, mutation_id: format!("m{s}"), code: "x".into(), message: "no".into() })
                .collect(),
            conflicts: vec![],
            possible_duplicates: vec![],
            instructions: vec![],
        }
    }

    #[test]
    fn happy_round_is_login_push_pull_finish() {
        let mut e = Engine::new(Config::default(), false, 7);
        assert_eq!(e.next_action(), Action::Login);
        e.handle(Event::LoggedIn);
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Pushed { outbox_empty: false });
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Pushed { outbox_empty: true });
        assert_eq!(e.next_action(), Action::Pull);
        e.handle(Event::Pulled { has_more: true, reset: false });
        assert_eq!(e.next_action(), Action::Pull);
        e.handle(Event::Pulled { has_more: false, reset: false });
        assert_eq!(e.next_action(), Action::Finish(Finish::Synced));
    }

    #[test]
    fn transient_failures_back_off_then_give_up_as_offline() {
        let cfg = Config { base_backoff_ms: 100, max_backoff_ms: 1000, max_attempts: 3, ..Config::default() };
        let mut e = Engine::new(cfg, true, 1);
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Failed(Failure::Network("refused".into())));
        assert!(matches!(e.next_action(), Action::Wait { millis } if (50..=100).contains(&millis)));
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Failed(Failure::Server(503)));
        assert!(matches!(e.next_action(), Action::Wait { millis } if (100..=200).contains(&millis)));
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Failed(Failure::Server(500)));
        assert!(matches!(e.next_action(), Action::Finish(Finish::Offline { .. })));
    }

    #[test]
    fn success_resets_the_attempt_count() {
        let cfg = Config { base_backoff_ms: 100, max_backoff_ms: 1000, max_attempts: 2, ..Config::default() };
        let mut e = Engine::new(cfg, true, 1);
        e.handle(Event::Failed(Failure::Server(500)));
        let _ = e.next_action();
        e.handle(Event::Pushed { outbox_empty: true });
        e.handle(Event::Failed(Failure::Server(500)));
        assert!(matches!(e.next_action(), Action::Wait { .. }));
    }

    #[test]
    fn unauthorized_signs_in_again_once_and_resumes() {
        let mut e = Engine::new(Config::default(), true, 1);
        e.handle(Event::Pushed { outbox_empty: true });
        assert_eq!(e.next_action(), Action::Pull);
        e.handle(Event::Failed(Failure::Unauthorized));
        assert_eq!(e.next_action(), Action::Login);
        e.handle(Event::LoggedIn);
        assert_eq!(e.next_action(), Action::Pull);
        e.handle(Event::Failed(Failure::Unauthorized));
        assert!(matches!(e.next_action(), Action::Finish(Finish::Blocked { .. })));
    }

    #[test]
    fn wrong_passphrase_schema_and_client_bugs_block() {
        for f in [
            Failure::BadCredentials,
            Failure::SchemaMismatch("2 vs 1".into()),
            Failure::Rejected(400, "bad".into()),
            Failure::Forbidden("client".into()),
        ] {
            let mut e = Engine::new(Config::default(), false, 1);
            e.handle(Event::Failed(f));
            assert!(matches!(e.next_action(), Action::Finish(Finish::Blocked { .. })));
        }
    }

    #[test]
    fn reset_pushes_first_then_pulls_again() {
        let mut e = Engine::new(Config::default(), true, 1);
        e.handle(Event::NothingToPush);
        e.handle(Event::Pulled { has_more: true, reset: true });
        assert_eq!(e.next_action(), Action::Push);
    }

    /// A service answering every pull with a reset ends the round instead of looping it.
    #[test]
    fn endless_resets_end_the_round() {
        let mut e = Engine::new(Config::default(), true, 1);
        for _ in 0..MAX_RESETS_PER_ROUND {
            e.handle(Event::NothingToPush);
            assert_eq!(e.next_action(), Action::Pull);
            e.handle(Event::Pulled { has_more: true, reset: true });
            assert_eq!(e.next_action(), Action::Push);
        }
        e.handle(Event::NothingToPush);
        e.handle(Event::Pulled { has_more: true, reset: true });
        match e.next_action() {
            Action::Finish(Finish::Offline { last_error }) => assert!(last_error.contains("restarted the pull")),
            other => panic!("{other:?}"),
        }
    }

    /// A lock or wipe order on the last pull page ended the round as "synced" (the page's
    /// `has_more: false` finished it, and the order reported after it was dropped).
    #[test]
    fn an_order_on_the_last_page_is_not_a_finished_sync() {
        for order in [Instruction::Lock, Instruction::Wipe] {
            let mut e = Engine::new(Config::default(), true, 1);
            e.handle(Event::NothingToPush);
            assert_eq!(e.next_action(), Action::Pull);
            e.handle(Event::Pulled { has_more: false, reset: false });
            e.handle(Event::Ordered(order));
            let next = e.next_action();
            assert_ne!(next, Action::Finish(Finish::Synced), "{order:?}");
            if order == Instruction::Wipe {
                // Whatever was written during the round goes first.
                assert_eq!(next, Action::Push);
                e.handle(Event::NothingToPush);
            }
            assert_eq!(e.next_action(), Action::Finish(Finish::Ordered(order)));
            assert!(Finish::Ordered(order).reason().is_some());
        }
    }

    /// A wipe order on the first push answer ended the round after that batch, and the shell
    /// wiped the writes still in the outbox. Now the push goes on to an empty outbox first.
    #[test]
    fn a_wipe_order_pushes_the_whole_outbox_before_the_wipe() {
        let mut e = Engine::new(Config::default(), true, 1);
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Pushed { outbox_empty: false });
        e.handle(Event::Ordered(Instruction::Wipe));
        for _ in 0..3 {
            assert_eq!(e.next_action(), Action::Push);
            e.handle(Event::Pushed { outbox_empty: false });
            e.handle(Event::Ordered(Instruction::Wipe));
        }
        // The outbox is empty, the access log next: still pushing, no pull.
        e.handle(Event::Pushed { outbox_empty: true });
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::NothingToPush);
        assert_eq!(e.next_action(), Action::Finish(Finish::Ordered(Instruction::Wipe)));
        assert_eq!(e.order(), Some(Instruction::Wipe));
    }

    /// A wipe order whose push cannot finish ends the round offline, not as a wipe.
    #[test]
    fn a_wipe_order_whose_push_fails_does_not_end_as_a_wipe() {
        let cfg = Config { max_attempts: 2, ..Config::default() };
        let mut e = Engine::new(cfg, true, 1);
        e.handle(Event::Pushed { outbox_empty: false });
        e.handle(Event::Ordered(Instruction::Wipe));
        e.handle(Event::Failed(Failure::Network("gone".into())));
        assert!(matches!(e.next_action(), Action::Wait { .. }));
        assert_eq!(e.next_action(), Action::Push);
        e.handle(Event::Failed(Failure::Network("gone".into())));
        assert!(matches!(e.next_action(), Action::Finish(Finish::Offline { .. })));
        // A later lock does not lower the wipe kept for the next round.
        e.handle(Event::Ordered(Instruction::Lock));
        assert_eq!(e.order(), Some(Instruction::Wipe));
    }

    /// A lock ends the round at once (the outbox keeps what is pending); a lock and a wipe
    /// together are a wipe.
    #[test]
    fn a_lock_order_ends_the_round_at_once_and_a_wipe_beats_it() {
        let mut e = Engine::new(Config::default(), true, 1);
        e.handle(Event::Pushed { outbox_empty: false });
        e.handle(Event::Ordered(Instruction::Lock));
        assert_eq!(e.next_action(), Action::Finish(Finish::Ordered(Instruction::Lock)));
        let mut e = Engine::new(Config::default(), true, 1);
        e.handle(Event::Pushed { outbox_empty: false });
        e.handle(Event::Ordered(Instruction::Wipe));
        e.handle(Event::Ordered(Instruction::Lock));
        assert_eq!(e.next_action(), Action::Push);
    }

    #[test]
    fn a_wipe_never_destroys_a_pending_write() {
        assert_eq!(order_step(None, 5), None);
        assert_eq!(order_step(Some(Instruction::Lock), 5), Some(OrderStep::Lock));
        assert_eq!(order_step(Some(Instruction::Wipe), 0), Some(OrderStep::Wipe));
        assert_eq!(order_step(Some(Instruction::Wipe), 3), Some(OrderStep::LockUntilWiped { pending: 3 }));
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let cfg = Config { base_backoff_ms: 250, max_backoff_ms: 30_000, max_attempts: 10, ..Config::default() };
        for attempt in 1..40 {
            for r in [0u64, 1, 12345, u64::MAX] {
                let d = backoff_ms(&cfg, attempt, r);
                let exp = (250u64 << (attempt - 1).min(30)).min(30_000);
                assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d} vs {exp}");
            }
        }
        assert_ne!(backoff_ms(&cfg, 5, 1), backoff_ms(&cfg, 5, 2000));
    }

    #[test]
    fn unbelievable_push_answers_are_refused() {
        assert_eq!(
            plan_ack(&resp(5, &[3]), 1, 5, 0).unwrap(),
            AckPlan { done_through: 5, park: vec![(3, "x".into(), "no".into())] }
        );
        assert_eq!(
            plan_ack(&resp(6, &[]), 1, 5, 0),
            Err(Failure::SeqReused { server_last: 6 }),
            "holds more than sent: a restored store renumbers"
        );
        assert!(plan_ack(&resp(2, &[]), 3, 5, 3).is_err(), "goes backwards");
        assert!(
            matches!(plan_ack(&resp(2, &[]), 3, 5, 2), Err(Failure::BadResponse(m)) if m.contains("none of #3")),
            "acknowledges nothing that was sent"
        );
        assert!(
            matches!(plan_ack(&resp(u64::MAX, &[]), 1, 5, 0), Err(Failure::BadResponse(_))),
            "a seq no store can hold"
        );
        assert_eq!(plan_ack(&resp(MAX_SEQ, &[]), 1, 5, 0), Err(Failure::SeqReused { server_last: MAX_SEQ }));
        assert!(plan_ack(&resp(4, &[5]), 1, 5, 0).is_err(), "rejects beyond the ack");
        let mut r = resp(5, &[]);
        r.schema_version += 1;
        assert!(matches!(plan_ack(&r, 1, 5, 0), Err(Failure::SchemaMismatch(_))));
    }

    #[test]
    fn unbelievable_pages_are_refused() {
        let page = |n: usize, cursor: &str| PullResponse {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            changes: (0..n)
                .map(|i| Change::Tombstone {
                    record_type: bluelamp_protocol::wire::RecordType::Nominal,
                    id: format!("n{i}"),
                    version: i as u64,
                })
                .collect(),
            next_cursor: cursor.into(),
            has_more: false,
            last_applied_seq: 0,
            remaining: 0,
            reset: None,
            instructions: vec![],
        };
        assert!(check_page(&page(3, "c"), 3).is_ok());
        assert!(check_page(&page(4, "c"), 3).is_err());
        assert!(check_page(&page(1, ""), 3).is_err());
    }

    /// A pull going round in circles is refused; one moving on, even with empty pages (the
    /// service skips a device's own casework), is not; a reset starts afresh.
    #[test]
    fn a_pull_going_round_in_circles_is_refused() {
        let page = |cursor: &str, n: usize, has_more: bool| PullResponse {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            changes: (0..n)
                .map(|i| Change::Tombstone {
                    record_type: bluelamp_protocol::wire::RecordType::Nominal,
                    id: format!("n{i}"),
                    version: i as u64,
                })
                .collect(),
            next_cursor: cursor.into(),
            has_more,
            last_applied_seq: 0,
            remaining: 0,
            reset: None,
            instructions: vec![],
        };
        // Its own cursor back, nothing in it, "more to come".
        let mut t = CursorTrail::default();
        assert!(t.check(None, &page("c1", 0, true)).is_ok());
        assert!(matches!(t.check(Some("c1"), &page("c1", 0, true)), Err(Failure::BadResponse(_))));
        // Two cursors taking turns.
        let mut t = CursorTrail::default();
        assert!(t.check(Some("a"), &page("b", 2, true)).is_ok());
        assert!(matches!(t.check(Some("b"), &page("a", 2, true)), Err(Failure::BadResponse(_))));
        // Empty pages that move on, then the last page (which may repeat the cursor).
        let mut t = CursorTrail::default();
        for (sent, next) in [(None, "1"), (Some("1"), "2"), (Some("2"), "3")] {
            assert!(t.check(sent, &page(next, 0, true)).is_ok());
        }
        assert!(t.check(Some("3"), &page("3", 0, false)).is_ok());
        // A reset clears the trail: the pull starts again from the beginning.
        let mut t = CursorTrail::default();
        assert!(t.check(Some("x"), &page("y", 1, true)).is_ok());
        let mut reset = page("r", 0, true);
        reset.reset = Some(ResetReason::CursorTooOld);
        assert!(t.check(Some("y"), &reset).is_ok());
        assert!(t.check(None, &page("x", 1, true)).is_ok());
    }
}

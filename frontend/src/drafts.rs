//! What an officer has typed but not yet saved, kept across screens. Each screen is built when
//! its tab is chosen and dropped when another tab is: without this, a glance at another tab lost
//! a half-typed referral decision, a supervisor's return comments, a new person's details or
//! the search and its filters. Kept in memory only (never on disk), for the officer who typed
//! it: another officer unlocking the window clears it all ([`clear_all`]).

use std::cell::RefCell;
use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

thread_local! {
    static DRAFTS: RefCell<HashMap<String, String>> = RefCell::default();
}

/// The draft kept under `key`, if any (one this build cannot read is ignored).
pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    DRAFTS.with(|d| d.borrow().get(key).and_then(|s| serde_json::from_str(s).ok()))
}

/// Keeps `value` under `key`; the screen's empty value is not kept.
pub fn put<T: Serialize + Default + PartialEq>(key: &str, value: &T) {
    if *value == T::default() {
        clear(key);
        return;
    }
    if let Ok(s) = serde_json::to_string(value) {
        DRAFTS.with(|d| d.borrow_mut().insert(key.to_string(), s));
    }
}

/// Forgets the draft under `key` (saved, or cancelled by the officer).
pub fn clear(key: &str) {
    DRAFTS.with(|d| d.borrow_mut().remove(key));
}

/// Forgets every draft: another officer has unlocked.
pub fn clear_all() {
    DRAFTS.with(|d| d.borrow_mut().clear());
}

/// A screen's state kept under `key`: it starts from the draft kept there (or the empty value)
/// and every render keeps what it holds now, so the screen comes back as it was after another
/// tab or the lock.
#[hook]
pub fn use_kept_state<T>(key: &str) -> UseStateHandle<T>
where
    T: Serialize + DeserializeOwned + Default + PartialEq + 'static,
{
    let first = key.to_string();
    let state = use_state(move || get::<T>(&first).unwrap_or_default());
    put(key, &*state);
    state
}

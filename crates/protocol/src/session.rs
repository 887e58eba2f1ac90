//! Officers, roles and the lock screen.
//!
//! The backend checks [`Role::allows`] on every command; the frontend uses the same function
//! only to hide what the backend would refuse anyway.

use serde::{Deserialize, Serialize};

/// Roles, least to most privileged for records work. `Superuser` is for training and demos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    Supervisor,
    Superuser,
    Admin,
}

/// What a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Search and view nominals, write own forms.
    RecordsWork,
    /// Review forms, clear the supervisor queue.
    Supervise,
    /// Read the access log of other officers.
    ReadAuditLog,
    /// Demo switches (simulate offline, reset demo data).
    Demo,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "officer" => Some(Role::Officer),
            "supervisor" => Some(Role::Supervisor),
            "superuser" => Some(Role::Superuser),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Superuser => "superuser",
            Role::Admin => "admin",
        }
    }

    /// The role policy. Admins administer (including the access log) but do no records work;
    /// superusers can show every screen in training.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        matches!(
            (self, p),
            (Officer | Supervisor | Superuser, RecordsWork)
                | (Supervisor | Superuser, Supervise)
                | (Supervisor | Superuser | Admin, ReadAuditLog)
                | (Superuser, Demo)
        )
    }
}

/// One officer the lock screen offers (demo mode lists one per role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerChoice {
    pub officer_id: String,
    pub display_name: String,
    pub role: Role,
}

/// `lock_screen`: what the lock screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockScreenRequest {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockScreen {
    pub officers: Vec<OfficerChoice>,
    pub demo: bool,
    /// Whether a session is open (the UI shows the lock screen only when it is not).
    pub unlocked: Option<SessionInfo>,
}

/// `unlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockRequest {
    pub officer_id: String,
    pub passphrase: String,
}

/// Officer ids are short codes (`PC1234`, `demo-officer`): ASCII letters, digits, `.`, `_`
/// and `-`, 1–64 characters. They name files, so nothing else is accepted.
pub fn is_valid_officer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl UnlockRequest {
    pub fn validate(&self) -> Result<(), crate::ApiError> {
        if !is_valid_officer_id(&self.officer_id) {
            return Err(crate::ApiError::invalid("Choose who you are."));
        }
        if self.passphrase.is_empty() {
            return Err(crate::ApiError::invalid("Enter your passphrase."));
        }
        if self.passphrase.chars().count() > 1024 {
            return Err(crate::ApiError::invalid("The passphrase is too long."));
        }
        Ok(())
    }
}

/// The open session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub officer_id: String,
    pub display_name: String,
    pub role: Role,
    /// The UI locks itself after this long without keyboard or mouse activity (the backend
    /// enforces the same limit).
    pub idle_lock_secs: u32,
}

/// `lock`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRequest {}

/// Purpose codes asked when a nominal record is opened (DPA 2018 s.62: why it was consulted).
pub const PURPOSES: &[(&str, &str)] = &[
    ("investigation", "Investigating an incident or offence"),
    ("safeguarding", "Safeguarding a victim, child or vulnerable person"),
    ("risk_assessment", "Completing a risk assessment"),
    ("intelligence", "Intelligence or briefing"),
    ("missing_person", "Missing person enquiry"),
    ("training", "Training or demonstration (synthetic data)"),
];

pub fn is_purpose(code: &str) -> bool {
    PURPOSES.iter().any(|(c, _)| *c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_policy() {
        assert!(Role::Officer.allows(Permission::RecordsWork));
        assert!(!Role::Officer.allows(Permission::Supervise));
        assert!(!Role::Officer.allows(Permission::ReadAuditLog));
        assert!(!Role::Officer.allows(Permission::Demo));
        assert!(Role::Supervisor.allows(Permission::Supervise));
        assert!(Role::Supervisor.allows(Permission::ReadAuditLog));
        assert!(!Role::Admin.allows(Permission::RecordsWork));
        assert!(Role::Admin.allows(Permission::ReadAuditLog));
        assert!(Role::Superuser.allows(Permission::Demo));
        assert!(is_valid_officer_id("PC1234"));
        assert!(is_valid_officer_id("demo-officer"));
        for bad in ["", "../etc/passwd", ".hidden", "a/b", "a b", "Siobhán", &"x".repeat(65)] {
            assert!(!is_valid_officer_id(bad), "{bad}");
        }
        for r in [Role::Officer, Role::Supervisor, Role::Superuser, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}

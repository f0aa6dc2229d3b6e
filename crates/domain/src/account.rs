//! Accounts and roles.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// The longest password accepted: argon2 of a huge input is a denial of service.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Who a user is on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Watches rooms and buys.
    Viewer,
    /// A streamer: selects products and sells them live.
    Anchor,
    /// Staff of one supplier organisation.
    SupplierStaff,
    /// The platform's own staff.
    Operator,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Anchor => "anchor",
            Role::SupplierStaff => "supplier_staff",
            Role::Operator => "operator",
        }
    }

    /// Reads a stored name.
    pub fn from_db(raw: &str) -> Option<Role> {
        Some(match raw {
            "viewer" => Role::Viewer,
            "anchor" => Role::Anchor,
            "supplier_staff" => Role::SupplierStaff,
            "operator" => Role::Operator,
            _ => return None,
        })
    }
}

/// Why account input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Username shape.
    #[error("username must be 3 to 32 characters of lower-case letters, digits, '_' or '-'")]
    InvalidUsername,
    /// Password length.
    #[error("password must be 8 to 128 characters")]
    InvalidPassword,
    /// Display name length.
    #[error("display name must be 1 to 64 characters")]
    InvalidDisplayName,
}

impl AccountError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::InvalidUsername => "invalid_username",
            AccountError::InvalidPassword => "invalid_password",
            AccountError::InvalidDisplayName => "invalid_display_name",
        }
    }
}

/// A login name: lower-case ASCII so that two accounts never differ only by case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Checks the shape.
    pub fn parse(raw: &str) -> Result<Username, AccountError> {
        let ok = (3..=32).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
        if ok {
            Ok(Username(raw.to_owned()))
        } else {
            Err(AccountError::InvalidUsername)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a password's length, the only rule worth enforcing (NIST SP 800-63B).
pub fn check_password(raw: &str) -> Result<(), AccountError> {
    if (PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&raw.chars().count()) {
        Ok(())
    } else {
        Err(AccountError::InvalidPassword)
    }
}

/// Checks a display name.
pub fn check_display_name(raw: &str) -> Result<String, AccountError> {
    let trimmed = raw.trim();
    if (1..=64).contains(&trimmed.chars().count()) {
        Ok(trimmed.to_owned())
    } else {
        Err(AccountError::InvalidDisplayName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("gree_official").is_ok());
        assert!(Username::parse("Gree").is_err());
        assert!(Username::parse("ab").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
    }
}

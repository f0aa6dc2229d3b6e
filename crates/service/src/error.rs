//! The services' error type: each variant maps to one HTTP status and carries a stable code.

use daihuo_store::StoreError;

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No valid credential.
    #[error("sign in first")]
    Unauthenticated,
    /// Wrong username or password.
    #[error("wrong username or password")]
    BadCredentials,
    /// The actor may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The thing does not exist, or the actor may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with what is stored (a taken name, a state that forbids it).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Input that breaks a rule.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The actor may not do this now, for a reason it can act on (a mute, say).
    #[error("{message}")]
    Denied {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Too many requests from this actor; it may try again shortly.
    #[error("{message}")]
    TooManyRequests {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// This node cannot serve the request now; another node or a retry may.
    #[error("{message}")]
    Unavailable {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// A failure of ours; details go to the log, never to the client.
    #[error("internal error")]
    Internal(#[source] anyhow_like::Internal),
}

/// A boxed internal cause, kept for logs.
pub mod anyhow_like {
    /// An internal failure's cause.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Internal(pub String);
}

impl ServiceError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthenticated => "unauthenticated",
            ServiceError::BadCredentials => "bad_credentials",
            ServiceError::Forbidden => "forbidden",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Conflict { code, .. }
            | ServiceError::Invalid { code, .. }
            | ServiceError::Denied { code, .. }
            | ServiceError::TooManyRequests { code, .. }
            | ServiceError::Unavailable { code, .. } => code,
            ServiceError::Internal(_) => "internal",
        }
    }

    /// An invalid-input error.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A conflict.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Conflict {
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => ServiceError::conflict("conflict", "already exists"),
            StoreError::MissingReference => ServiceError::NotFound("referenced record"),
            other => ServiceError::Internal(anyhow_like::Internal(other.to_string())),
        }
    }
}

/// Domain refusals of input: each becomes `invalid` (422) with the domain's own stable code.
macro_rules! invalid_input {
    ($($error:ty),+ $(,)?) => {
        $(
            impl From<$error> for ServiceError {
                fn from(error: $error) -> Self {
                    ServiceError::invalid(error.code(), error.to_string())
                }
            }
        )+
    };
}

invalid_input!(
    daihuo_domain::account::AccountError,
    daihuo_domain::address::AddressError,
    daihuo_domain::catalog::CatalogError,
    daihuo_domain::flash::FlashSaleError,
    daihuo_domain::live::LiveError,
    daihuo_domain::nowcast::NowcastError,
    daihuo_domain::c2m::C2mError,
    daihuo_domain::order::OrderError,
    daihuo_domain::tracking::TrackingError,
    daihuo_domain::waybill::WaybillError,
);

impl From<daihuo_room::RoomError> for ServiceError {
    fn from(error: daihuo_room::RoomError) -> Self {
        use daihuo_room::RoomError;
        let code = error.code();
        let message = error.to_string();
        match error {
            RoomError::NotFound => ServiceError::NotFound("live session"),
            RoomError::Ended => ServiceError::Conflict { code, message },
            RoomError::Muted { .. } => ServiceError::Denied { code, message },
            RoomError::RateLimited => ServiceError::TooManyRequests { code, message },
            RoomError::BadLikeCount | RoomError::Comment(_) => {
                ServiceError::Invalid { code, message }
            }
            RoomError::NodeFull | RoomError::RoomFull => {
                ServiceError::Unavailable { code, message }
            }
            RoomError::Unavailable(cause) => {
                tracing::error!(%cause, "room unavailable");
                ServiceError::Unavailable {
                    code,
                    message: "the room is unavailable; try again".into(),
                }
            }
        }
    }
}

impl From<daihuo_domain::live::SessionTransitionError> for ServiceError {
    fn from(error: daihuo_domain::live::SessionTransitionError) -> Self {
        ServiceError::conflict(error.code(), error.to_string())
    }
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;

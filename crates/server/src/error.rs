//! One error table: every error the API returns has a stable code, an HTTP status and a
//! message that names the field and says why (and what to do). Bad input changes nothing:
//! every handler validates before it writes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// (code, status, meaning) of every error the API returns. Served in the OpenAPI document's
/// description and checked by tests: a code not listed here is never sent.
pub const ERRORS: &[(&str, u16, &str)] = &[
    (
        "invalid_field",
        400,
        "a field of the request is malformed or out of range; `field` names it",
    ),
    (
        "invalid_json",
        400,
        "the body is not the JSON this endpoint takes",
    ),
    (
        "unauthenticated",
        401,
        "no session or key, or it expired: sign in (POST /api/v1/login) or send a valid key",
    ),
    ("bad_credentials", 401, "wrong username or password"),
    (
        "totp_required",
        401,
        "this account needs a two-factor code: send `totp`",
    ),
    (
        "totp_invalid",
        401,
        "the two-factor code is wrong or too old",
    ),
    (
        "account_locked",
        403,
        "too many failed sign-ins: wait until the time given",
    ),
    ("account_disabled", 403, "the account is disabled"),
    ("account_expired", 403, "the account expired"),
    (
        "totp_not_enrolled",
        403,
        "a staff account without two-factor: an admin enrols it",
    ),
    ("forbidden", 403, "the role or key does not allow this"),
    (
        "csrf",
        403,
        "a form or cookie-authenticated write without the session's CSRF token",
    ),
    ("not_found", 404, "no such resource, or not one you may see"),
    (
        "conflict",
        409,
        "the request clashes with what exists (e.g. a name taken); `field` names it",
    ),
    (
        "method_not_allowed",
        405,
        "the path exists, not with this method",
    ),
    (
        "payload_too_large",
        413,
        "the body is larger than the limit for this endpoint",
    ),
    (
        "rate_limited",
        429,
        "too many requests: wait `Retry-After` seconds",
    ),
    (
        "internal",
        500,
        "a fault on the server: it is logged with the request id; try again or tell an admin",
    ),
    (
        "unavailable",
        503,
        "the store is busy or down: retry after `Retry-After` seconds",
    ),
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable error code (see the error table in the API description).
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        debug_assert!(ERRORS.iter().any(|e| e.0 == code), "unknown code {code}");
        ApiError {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new("invalid_field", message)
        }
    }

    pub fn status(&self) -> StatusCode {
        let code = ERRORS
            .iter()
            .find(|e| e.0 == self.code)
            .map(|e| e.1)
            .unwrap_or(500);
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            "unauthenticated",
            "sign in first (POST /api/v1/login), or send `Authorization: Bearer KEY`",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new("forbidden", "your role or key does not allow this")
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new("not_found", format!("no {what} here that you may see"))
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        // The cause goes to the log (no personal data in store errors: ids and SQL only).
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            "internal",
            "a fault on the server; it is logged: try again or tell an admin",
        )
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Invalid(m) => ApiError::new("invalid_field", m),
            other => ApiError::internal(other),
        }
    }
}

impl From<app::people::PeopleError> for ApiError {
    fn from(e: app::people::PeopleError) -> Self {
        match e {
            app::people::PeopleError::Field(f) => ApiError::field(f.field, f.to_string()),
            app::people::PeopleError::NotFound(f) => ApiError {
                field: Some(f.field.into()),
                ..ApiError::new("not_found", f.to_string())
            },
            app::people::PeopleError::Conflict(f) => ApiError {
                field: Some(f.field.into()),
                ..ApiError::new("conflict", f.to_string())
            },
            app::people::PeopleError::Store(s) => s.into(),
        }
    }
}

impl From<app::accounts::AccountError> for ApiError {
    fn from(e: app::accounts::AccountError) -> Self {
        use app::accounts::AccountError as A;
        let code = match &e {
            A::BadCredentials => "bad_credentials",
            A::Locked { .. } => "account_locked",
            A::Disabled => "account_disabled",
            A::Expired { .. } => "account_expired",
            A::TotpRequired => "totp_required",
            A::TotpInvalid => "totp_invalid",
            A::TotpNotEnrolled(_) => "totp_not_enrolled",
            A::NoSession => "unauthenticated",
            A::Invalid(_) => "invalid_field",
            A::Store(_) => return ApiError::internal(e),
        };
        ApiError::new(code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry = self.retry_after;
        let mut r = (
            status,
            axum::Json(ErrorBody {
                code: self.code,
                message: self.message,
                field: self.field,
            }),
        )
            .into_response();
        if let Some(s) = retry {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

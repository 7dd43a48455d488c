//! Who may do what, and the secrets that prove who someone is: roles and integration-key
//! scopes (PRODUCT.md §5), password hashing (argon2id), session tokens, TOTP two-factor codes
//! (RFC 6238). No IO beyond the operating system's random numbers; no HTTP, no database.

mod totp;

pub use totp::{totp_code, totp_uri, verify_totp, TOTP_STEP_SECONDS};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sha2::Digest;

/// Shortest password accepted for a new account.
pub const PASSWORD_LEN_MIN: usize = 12;
/// Longest password accepted (hashing cost is bounded).
pub const PASSWORD_LEN_MAX: usize = 256;
/// Longest username.
pub const USERNAME_LEN_MAX: usize = 64;
/// Consecutive failed sign-ins that lock an account.
pub const LOGIN_FAILURES_MAX: i64 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// How long a poll watcher's session lasts: a readiness drill the evening before carries
/// through election day, so the day needs no sign-in (and no sign-in surge).
pub const WATCHER_SESSION_SECONDS: i64 = 40 * 3600;
/// Letters of a login code: no 0/O, 1/I/L to misread.
pub const LOGIN_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of a login code (31^12 ≈ 2^59), shown in groups of four.
pub const LOGIN_CODE_CHARS: usize = 12;
/// Accounts expire this long after election day unless told otherwise.
pub const ACCOUNT_DAYS_AFTER_ELECTION: i64 = 30;

/// argon2id cost: OWASP's second recommended setting (19 MiB, 2 passes, 1 lane).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_PASSES: u32 = 2;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    #[error("{0}")]
    Invalid(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// A person's role (PRODUCT.md §5). Integration keys have scopes instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    DataDirector,
    Analyst,
    Organizer,
    Volunteer,
    PollWatcher,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::DataDirector,
        Role::Analyst,
        Role::Organizer,
        Role::Volunteer,
        Role::PollWatcher,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DataDirector => "data_director",
            Role::Analyst => "analyst",
            Role::Organizer => "organizer",
            Role::Volunteer => "volunteer",
            Role::PollWatcher => "poll_watcher",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AuthError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                AuthError::Invalid(format!(
                    "unknown role {s:?}: use one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                ))
            })
    }

    /// Staff roles must sign in with a second factor.
    /// How long a session of this role lasts.
    pub fn session_seconds(self) -> i64 {
        match self {
            Role::PollWatcher => WATCHER_SESSION_SECONDS,
            _ => SESSION_SECONDS,
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::DataDirector | Role::Analyst | Role::Organizer
        )
    }

    /// Roles that read every person in the campaign.
    pub fn reads_everyone(self) -> bool {
        matches!(self, Role::Admin | Role::DataDirector | Role::Analyst)
    }
}

/// What a request needs to be allowed. Roles grant permissions (`Role::allows`); an
/// integration key has the permissions whose scope it names (`Permission::scope`). Which
/// people a permission reaches (all, a region's, one's own) is decided separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    PeopleRead,
    PeopleWrite,
    DonationsRead,
    DonationsWrite,
    ChangesRead,
    AuditRead,
    UsersManage,
    /// Identity resolution: the review queue and its decisions, merges and unmerges.
    Resolve,
    /// Model runs and their reports; people's scores from approved models.
    ModelsRead,
    /// Train, approve and apply models.
    ModelsManage,
    /// Build, count and save universes over everyone.
    Universes,
    /// Cut turfs and print or export walk lists (within one's regions for organizers).
    Turfs,
    /// Report who has voted on election day (poll watchers: their precinct; organizers: their
    /// counties).
    TurnoutReport,
    /// The turnout board and chase lists (organizers: their counties).
    TurnoutRead,
    /// Share one's own contacts (with consent) and see one's own asks for them.
    Share,
    /// The campaign's sharing report: asks made, done and converted by type and state (counts).
    SharingReport,
    /// Sharing settings (target states, links, dates, ask texts), the precinct table, crediting.
    SharingManage,
    /// The trip board: post one's own rides, beds and travel requests, see the board (no names
    /// or contacts), answer and message about one's own assignments, read offices' needs.
    Trips,
    /// Offices' needs, importing the board, running the planner, every assignment.
    TripsManage,
    /// The data health report: loads and rejects, the review queue, match rates by source,
    /// models in use, exports (counts, no personal data).
    DataHealth,
    /// The campaign overview: progress per region (counts; organizers: their counties).
    Overview,
    /// Load source files into the store from the browser or the API (as `tusk import` does).
    Load,
    /// Set goals per region (the overview shows progress against them).
    Goals,
    /// Neighbourhood teams: leaders their own team (members and how to reach them, personal
    /// contacts); organizers their counties' teams; directors and admins all.
    Team,
}

impl Permission {
    pub const ALL: [Permission; 24] = [
        Permission::PeopleRead,
        Permission::PeopleWrite,
        Permission::DonationsRead,
        Permission::DonationsWrite,
        Permission::ChangesRead,
        Permission::AuditRead,
        Permission::UsersManage,
        Permission::Resolve,
        Permission::ModelsRead,
        Permission::ModelsManage,
        Permission::Universes,
        Permission::Turfs,
        Permission::TurnoutReport,
        Permission::TurnoutRead,
        Permission::Share,
        Permission::SharingReport,
        Permission::SharingManage,
        Permission::Trips,
        Permission::TripsManage,
        Permission::DataHealth,
        Permission::Overview,
        Permission::Load,
        Permission::Goals,
        Permission::Team,
    ];

    /// The key scope that grants this permission; `None`: never granted to a key.
    pub fn scope(self) -> Option<&'static str> {
        match self {
            Permission::PeopleRead => Some("people:read"),
            Permission::PeopleWrite => Some("people:write"),
            Permission::DonationsRead => Some("donations:read"),
            Permission::DonationsWrite => Some("donations:write"),
            Permission::ChangesRead => Some("changes:read"),
            Permission::TurnoutReport => Some("turnout:write"),
            Permission::TurnoutRead => Some("turnout:read"),
            Permission::AuditRead
            | Permission::UsersManage
            | Permission::Resolve
            | Permission::ModelsRead
            | Permission::ModelsManage
            | Permission::Universes
            | Permission::Turfs
            | Permission::Share
            | Permission::SharingReport
            | Permission::SharingManage
            | Permission::Trips
            | Permission::TripsManage
            | Permission::DataHealth
            | Permission::Overview
            | Permission::Load
            | Permission::Goals
            | Permission::Team => None,
        }
    }
}

impl Role {
    /// The role table of PRODUCT.md §5. Deny by default: a pair not listed is refused.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::DataDirector => !matches!(p, AuditRead | UsersManage),
            // All data, read; models (PRODUCT.md §5).
            Role::Analyst => matches!(
                p,
                PeopleRead
                    | DonationsRead
                    | ChangesRead
                    | ModelsRead
                    | ModelsManage
                    | Universes
                    | TurnoutRead
                    | Share
                    | SharingReport
                    | Trips
                    | Overview
            ),
            // People in their regions (the scope narrows it); they record results and cut
            // turfs there.
            Role::Organizer => matches!(
                p,
                PeopleRead
                    | PeopleWrite
                    | Turfs
                    | TurnoutReport
                    | TurnoutRead
                    | Share
                    | SharingReport
                    | Trips
                    | TripsManage
                    | Overview
                    | Team
            ),
            // Their own profile only (the scope narrows it); their own contacts' asks; the
            // trip board.
            Role::Volunteer => matches!(p, PeopleRead | Share | Trips | Team),
            // Their precinct's roster and reports on it; nothing else.
            Role::PollWatcher => matches!(p, TurnoutReport),
        }
    }
}

/// What an integration key may touch: `resource:read` or `resource:write`.
pub const SCOPES: [&str; 7] = [
    "people:read",
    "people:write",
    "donations:read",
    "donations:write",
    "changes:read",
    "turnout:write",
    "turnout:read",
];

pub fn parse_scopes(s: &str) -> Result<Vec<String>, AuthError> {
    let mut out: Vec<String> = Vec::new();
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !SCOPES.contains(&p) {
            return Err(AuthError::Invalid(format!(
                "unknown scope {p:?}: use a comma-separated list of {}",
                SCOPES.join(", ")
            )));
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    if out.is_empty() {
        return Err(AuthError::Invalid(format!(
            "a key needs at least one scope: {}",
            SCOPES.join(", ")
        )));
    }
    Ok(out)
}

/// A username: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn check_username(s: &str) -> Result<(), AuthError> {
    let ok = !s.is_empty()
        && s.len() <= USERNAME_LEN_MAX
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "username {s:?}: use 1 to {USERNAME_LEN_MAX} characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )))
    }
}

pub fn check_password(pw: &str) -> Result<(), AuthError> {
    let n = pw.chars().count();
    if n < PASSWORD_LEN_MIN {
        return Err(AuthError::Invalid(format!(
            "password: at least {PASSWORD_LEN_MIN} characters, please (a passphrase of a few words works well)"
        )));
    }
    if pw.len() > PASSWORD_LEN_MAX {
        return Err(AuthError::Invalid(format!(
            "password: at most {PASSWORD_LEN_MAX} bytes"
        )));
    }
    Ok(())
}

fn argon2() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, None)
        .expect("argon2 parameters are valid constants");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(b)
}

/// The PHC string (`$argon2id$v=19$m=…`) of a password, with a fresh random salt.
pub fn hash_password(pw: &str) -> Result<String, AuthError> {
    if pw.len() > PASSWORD_LEN_MAX {
        return Err(AuthError::Invalid(format!(
            "password: at most {PASSWORD_LEN_MAX} bytes"
        )));
    }
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    argon2()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Invalid(format!("password: {e}")))
}

/// Whether `pw` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_password(hash: &str, pw: &str) -> bool {
    if pw.len() > PASSWORD_LEN_MAX {
        return false;
    }
    match PasswordHash::new(hash) {
        Ok(h) => argon2().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A hash to check passwords against when the username does not exist, so that the answer
/// takes as long as for a real account (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new secret token (sessions, integration keys, CSRF): 32 random bytes as hex, with a
/// prefix that says what it is (`tusk_s_…` session, `tusk_k_…` key).
pub fn new_token(prefix: &str) -> Result<String, AuthError> {
    Ok(format!("{prefix}{}", hex(&random_bytes::<32>()?)))
}

/// A fresh login code for a poll watcher: `XXXX-XXXX-XXXX` from `LOGIN_CODE_ALPHABET`
/// (uniform: bytes beyond the largest multiple of the alphabet are drawn again).
pub fn new_login_code() -> Result<String, AuthError> {
    let n = LOGIN_CODE_ALPHABET.len();
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(LOGIN_CODE_CHARS + 2);
    let mut got = 0;
    while got < LOGIN_CODE_CHARS {
        for b in random_bytes::<32>()? {
            if (b as usize) < limit && got < LOGIN_CODE_CHARS {
                if got > 0 && got % 4 == 0 {
                    out.push('-');
                }
                out.push(LOGIN_CODE_ALPHABET[b as usize % n] as char);
                got += 1;
            }
        }
    }
    Ok(out)
}

/// A login code as typed (any case, with or without dashes or spaces) in its stored form;
/// `None` if it is not `LOGIN_CODE_CHARS` letters and digits.
pub fn canonical_login_code(typed: &str) -> Option<String> {
    let chars: Vec<char> = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != LOGIN_CODE_CHARS || !chars.iter().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut out = String::with_capacity(LOGIN_CODE_CHARS + 2);
    for (i, c) in chars.into_iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    Some(out)
}

/// What the store keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex(&sha2::Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signature header of a webhook delivery: `t=UNIX,v1=HEX`, where HEX is
/// HMAC-SHA256(secret, "UNIX.BODY"). The timestamp lets receivers refuse replays.
pub fn sign_webhook(secret: &str, unix_secs: i64, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={unix_secs},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Checks a webhook signature header against the body, within `tolerance_secs` of `now`.
pub fn verify_webhook(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let expected = sign_webhook(secret, t, body);
    let want = expected.rsplit_once("v1=").map(|x| x.1).unwrap_or("");
    constant_time_eq(want.as_bytes(), v1.as_bytes())
}

/// A new TOTP secret, base32 (20 random bytes, as authenticator apps expect).
pub fn new_totp_secret() -> Result<String, AuthError> {
    Ok(totp::base32_encode(&random_bytes::<20>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_role_is_named() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        let e = Role::parse("boss").unwrap_err().to_string();
        assert!(e.contains("\"boss\"") && e.contains("data_director"), "{e}");
        assert!(Role::Organizer.is_staff() && !Role::Volunteer.is_staff());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
        let h2 = hash_password("correct horse battery").unwrap();
        assert_ne!(h, h2, "fresh salt each time");
    }

    #[test]
    fn usernames_passwords_scopes_are_checked() {
        assert!(check_username("ann.lee-2").is_ok());
        for bad in ["", "Ann", "-ann", "a b", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("long enough passphrase").is_ok());
        assert_eq!(
            parse_scopes("people:read, changes:read,people:read").unwrap(),
            ["people:read", "changes:read"]
        );
        assert!(parse_scopes("people:delete").is_err());
        assert!(parse_scopes("").is_err());
    }

    #[test]
    fn webhook_signatures_verify_and_expire() {
        let h = sign_webhook("s3cret", 1_000, b"{\"a\":1}");
        assert!(h.starts_with("t=1000,v1="));
        assert!(verify_webhook("s3cret", &h, b"{\"a\":1}", 1_010, 300));
        assert!(
            !verify_webhook("s3cret", &h, b"{\"a\":2}", 1_010, 300),
            "body changed"
        );
        assert!(
            !verify_webhook("other", &h, b"{\"a\":1}", 1_010, 300),
            "wrong secret"
        );
        assert!(
            !verify_webhook("s3cret", &h, b"{\"a\":1}", 2_000, 300),
            "too old"
        );
        assert!(!verify_webhook("s3cret", "garbage", b"", 1_000, 300));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token("tusk_s_").unwrap();
        let b = new_token("tusk_s_").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 7 + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
        let code = new_login_code().unwrap();
        assert_eq!(code.len(), LOGIN_CODE_CHARS + 2);
        assert!(code
            .chars()
            .all(|c| c == '-' || LOGIN_CODE_ALPHABET.contains(&(c as u8))));
        assert_ne!(code, new_login_code().unwrap());
        let typed = code.replace('-', " ").to_lowercase();
        assert_eq!(canonical_login_code(&typed), Some(code.clone()));
        assert_eq!(canonical_login_code(&code.replace('-', "")), Some(code));
        assert_eq!(canonical_login_code("too-short"), None);
    }
}

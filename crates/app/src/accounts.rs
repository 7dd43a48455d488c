//! Accounts and sign-in as use cases: creating users and keys, signing in (lockout, two
//! factors, audit), and turning a session token or key into a [`Principal`] that says what
//! its holder may read. No HTTP here: the server maps these results to answers.

use auth::{Permission, Role};
use model::date::timestamp_utc;
use store::accounts::{self, NewUser, User};
use store::people::Scope;
use store::{Store, StoreError};

/// Who is asking, once authenticated.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    User {
        id: i64,
        username: String,
        role: Role,
        regions: Vec<String>,
        person_id: Option<i64>,
        /// The session's CSRF token (forms must echo it).
        csrf: String,
    },
    Key {
        id: i64,
        name: String,
        scopes: Vec<String>,
    },
}

impl Principal {
    /// How the audit log names this principal.
    pub fn actor(&self) -> String {
        match self {
            Principal::User { username, .. } => format!("user:{username}"),
            Principal::Key { name, .. } => format!("key:{name}"),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::User { role, .. } => Some(*role),
            Principal::Key { .. } => None,
        }
    }

    pub fn allows(&self, p: Permission) -> bool {
        match self {
            Principal::User { role, .. } => role.allows(p),
            Principal::Key { scopes, .. } => {
                p.scope().is_some_and(|s| scopes.iter().any(|k| k == s))
            }
        }
    }

    /// The people this principal may read.
    pub fn people_scope(&self) -> Scope {
        if !self.allows(Permission::PeopleRead) {
            return Scope::Nothing;
        }
        match self {
            Principal::Key { .. } => Scope::All,
            Principal::User {
                role,
                regions,
                person_id,
                ..
            } => match role {
                r if r.reads_everyone() => Scope::All,
                Role::Organizer => Scope::Counties(regions.clone()),
                Role::Volunteer => person_id.map(Scope::Person).unwrap_or(Scope::Nothing),
                _ => Scope::Nothing,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Wrong username or password: deliberately the same answer for both.
    #[error("the username or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins: this account is locked until {until}; try again then or ask an admin")]
    Locked { until: String },
    #[error("this account is disabled: ask an admin")]
    Disabled,
    #[error("this account expired on {at}: ask an admin to extend it")]
    Expired { at: String },
    #[error("a two-factor code is required: enter the 6-digit code from your authenticator app")]
    TotpRequired,
    #[error("the two-factor code is wrong or too old: enter the current code from your authenticator app")]
    TotpInvalid,
    #[error("staff accounts need two-factor sign-in, and this one has none: an admin runs `tusk user totp {0}`")]
    TotpNotEnrolled(String),
    #[error("the session is missing, expired or ended: sign in again")]
    NoSession,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<auth::AuthError> for AccountError {
    fn from(e: auth::AuthError) -> Self {
        AccountError::Invalid(e.to_string())
    }
}

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct UserSpec {
    pub username: String,
    pub role: String,
    pub regions: Vec<String>,
    pub person_id: Option<i64>,
    pub password: String,
    /// `YYYY-MM-DD`; staff and volunteer accounts alike expire then (end of that day, UTC).
    pub expires_on: Option<String>,
}

/// What creating a user gives back: the TOTP secret (staff roles) to put in an
/// authenticator app; it is shown once.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user: User,
    pub totp_secret: Option<String>,
}

/// Creates a user after checking every field; staff roles get a TOTP secret.
pub fn add_user(
    store: &mut dyn Store,
    spec: &UserSpec,
    by: &str,
    now_secs: i64,
) -> Result<CreatedUser, AccountError> {
    let checked = check_user(store, spec)?;
    let hash = auth::hash_password(&spec.password)?;
    insert_user(store.sql(), spec, checked, hash, by, now_secs)
}

/// Creates many users: every spec is checked first (nothing is created if one is wrong: the
/// errors come back with their index), passwords are hashed on `threads` threads (argon2 is
/// the cost), then the users are written one by one, each audited. `progress` gets the
/// number hashed so far.
pub fn add_users(
    store: &mut dyn Store,
    specs: &[UserSpec],
    by: &str,
    now_secs: i64,
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<CreatedUser>, Vec<(usize, AccountError)>> {
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(specs.len());
    let mut seen = std::collections::HashSet::new();
    for (i, spec) in specs.iter().enumerate() {
        if !seen.insert(spec.username.as_str()) {
            errors.push((
                i,
                AccountError::Invalid(format!(
                    "username {:?} appears twice in the list",
                    spec.username
                )),
            ));
            continue;
        }
        match check_user(store, spec).and_then(|c| {
            if accounts::user_by_name(store.sql(), &spec.username)?.is_some() {
                return Err(AccountError::Invalid(format!(
                    "username {:?} is taken (see `tusk user list`)",
                    spec.username
                )));
            }
            Ok(c)
        }) {
            Ok(c) => checked.push(c),
            Err(e) => errors.push((i, e)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    let chunk = specs.len().div_ceil(threads.max(1)).max(1);
    let hashes: Vec<Result<String, AccountError>> = std::thread::scope(|s| {
        let handles: Vec<_> = specs
            .chunks(chunk)
            .map(|part| {
                let done = &done;
                s.spawn(move || {
                    part.iter()
                        .map(|spec| {
                            let h = auth::hash_password(&spec.password).map_err(AccountError::from);
                            progress(done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1);
                            h
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a hashing thread panicked"))
            .collect()
    });
    // One by one (each user is its own transaction with its audit entry). If one fails half
    // way, the ones already made are disabled again: nobody holds their codes.
    let mut out: Vec<CreatedUser> = Vec::with_capacity(specs.len());
    for (i, ((spec, c), h)) in specs.iter().zip(checked).zip(hashes).enumerate() {
        match h.and_then(|h| insert_user(store.sql(), spec, c, h, by, now_secs)) {
            Ok(u) => out.push(u),
            Err(e) => {
                for made in &out {
                    let _ = set_disabled(store, &made.user.username, true, by, now_secs);
                }
                return Err(vec![(i, e)]);
            }
        }
    }
    Ok(out)
}

/// What checking a new user's fields settled.
struct CheckedUser {
    role: Role,
    regions: Vec<String>,
    expires_at: Option<String>,
}

fn check_user(store: &mut dyn Store, spec: &UserSpec) -> Result<CheckedUser, AccountError> {
    auth::check_username(&spec.username)?;
    let role = Role::parse(&spec.role)?;
    auth::check_password(&spec.password)?;
    let regions: Vec<String> = spec
        .regions
        .iter()
        .map(|r| r.trim().to_uppercase())
        .filter(|r| !r.is_empty())
        .collect();
    if matches!(role, Role::Organizer | Role::PollWatcher) && regions.is_empty() {
        return Err(AccountError::Invalid(format!(
            "regions: an {} works in named regions (counties for an organizer, the precinct for a poll watcher): give --regions",
            role.as_str()
        )));
    }
    if role == Role::PollWatcher {
        if let Some(bad) = regions
            .iter()
            .find(|r| crate::turnout::parse_precinct_region(r).is_none())
        {
            return Err(AccountError::Invalid(format!(
                "regions: {bad:?}: a poll watcher's region is COUNTY/PRECINCT, the precinct code as on the voter file (e.g. WAKE/01-05)"
            )));
        }
    }
    if role == Role::Volunteer && spec.person_id.is_none() {
        return Err(AccountError::Invalid(
            "person: a volunteer account belongs to one person: give --person ID (see `tusk person`)".into(),
        ));
    }
    if let Some(p) = spec.person_id {
        if store.person(p)?.is_none() {
            return Err(AccountError::Invalid(format!(
                "person: no person {p} in the store"
            )));
        }
    }
    let expires_at = match &spec.expires_on {
        None => None,
        Some(d) => {
            let date = model::Date::parse(d).ok_or_else(|| {
                AccountError::Invalid(format!("expires: {d:?} is not a date: use YYYY-MM-DD"))
            })?;
            Some(timestamp_utc((date.to_days() + 1) * 86_400))
        }
    };
    Ok(CheckedUser {
        role,
        regions,
        expires_at,
    })
}

fn insert_user(
    sql: &mut dyn store::sql::Sql,
    spec: &UserSpec,
    c: CheckedUser,
    password_hash: String,
    by: &str,
    now_secs: i64,
) -> Result<CreatedUser, AccountError> {
    let CheckedUser {
        role,
        regions,
        expires_at,
    } = c;
    let totp_secret = if role.is_staff() {
        Some(auth::new_totp_secret()?)
    } else {
        None
    };
    let now = timestamp_utc(now_secs);
    let new = NewUser {
        username: spec.username.clone(),
        role: role.as_str().into(),
        regions,
        person_id: spec.person_id,
        password_hash,
        totp_secret: totp_secret.clone(),
        expires_at,
    };
    let id = accounts::add_user(sql, &new, by, &now)?;
    accounts::audit(
        sql,
        &now,
        by,
        "user.add",
        &format!("user:{}", spec.username),
        &serde_json::json!({ "id": id, "role": role.as_str(), "regions": new.regions }),
    )?;
    let user = accounts::user_by_id(sql, id)?
        .ok_or_else(|| AccountError::Invalid("the new user vanished".into()))?;
    Ok(CreatedUser { user, totp_secret })
}

/// Disables or re-enables a user (ending their sessions), audited.
pub fn set_disabled(
    store: &mut dyn Store,
    username: &str,
    disabled: bool,
    by: &str,
    now_secs: i64,
) -> Result<(), AccountError> {
    if !accounts::set_disabled(store.sql(), username, disabled)? {
        return Err(AccountError::Invalid(format!(
            "no user named {username:?} (see `tusk user list`)"
        )));
    }
    accounts::audit(
        store.sql(),
        &timestamp_utc(now_secs),
        by,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &format!("user:{username}"),
        &serde_json::json!({}),
    )?;
    Ok(())
}

/// Creates an integration key with scopes; returns the key (shown once) and its record.
pub fn add_key(
    store: &mut dyn Store,
    name: &str,
    scopes: &str,
    by: &str,
    now_secs: i64,
) -> Result<(String, accounts::ApiKey), AccountError> {
    auth::check_username(name).map_err(|_| {
        AccountError::Invalid(format!(
            "key name {name:?}: use a-z, 0-9, '.', '_', '-' (up to {} characters)",
            auth::USERNAME_LEN_MAX
        ))
    })?;
    let scopes = auth::parse_scopes(scopes)?;
    let token = auth::new_token("tusk_k_")?;
    let now = timestamp_utc(now_secs);
    accounts::add_key(
        store.sql(),
        name,
        &auth::token_hash(&token),
        &scopes,
        None,
        by,
        &now,
    )?;
    accounts::audit(
        store.sql(),
        &now,
        by,
        "key.add",
        &format!("key:{name}"),
        &serde_json::json!({ "scopes": scopes }),
    )?;
    let key = accounts::list_keys(store.sql())?
        .into_iter()
        .find(|k| k.name == name)
        .ok_or_else(|| AccountError::Invalid("the new key vanished".into()))?;
    Ok((token, key))
}

/// A new session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub csrf: String,
    pub expires_at: String,
    pub principal: Principal,
}

/// Signs a user in: lockout after `LOGIN_FAILURES_MAX` failures, TOTP for staff roles, account
/// expiry; every attempt is audited (`login.success`, `login.failure` with the reason).
pub fn login(
    store: &mut dyn Store,
    username: &str,
    password: &str,
    totp: Option<&str>,
    now_secs: i64,
) -> Result<SignedIn, AccountError> {
    let looked = login_lookup(store, username, now_secs)?;
    let matched = password_matches(&looked, password);
    login_finish(store, username, looked, matched, totp, now_secs)
}

/// A sign-in's first step (store): the account, and whether it is locked now. The server
/// runs the three steps apart so that the password hash (the costly part) holds no store
/// connection.
#[derive(Debug, Clone)]
pub struct Looked {
    user: Option<User>,
    locked_until: Option<String>,
}

pub fn login_lookup(
    store: &mut dyn Store,
    username: &str,
    now_secs: i64,
) -> Result<Looked, AccountError> {
    let now = timestamp_utc(now_secs);
    let user = accounts::user_by_name(store.sql(), username)?;
    let locked_until = user
        .as_ref()
        .and_then(|u| u.locked_until.clone())
        .filter(|until| until.as_str() > now.as_str());
    Ok(Looked { user, locked_until })
}

/// The second step (CPU only): whether `password` is the account's. The same work is done
/// for an unknown account (no user enumeration by timing); none for a locked one. A poll
/// watcher's login code is accepted as typed: any case, dashes or spaces (the password
/// exactly as typed is tried first: a watcher may have an ordinary password).
pub fn password_matches(l: &Looked, password: &str) -> bool {
    if l.locked_until.is_some() {
        return false;
    }
    match &l.user {
        None => {
            auth::verify_password(auth::decoy_hash(), password);
            false
        }
        Some(user) => {
            auth::verify_password(&user.password_hash, password)
                || (user.role == Role::PollWatcher.as_str()
                    && auth::canonical_login_code(password).is_some_and(|c| {
                        c != password && auth::verify_password(&user.password_hash, &c)
                    }))
        }
    }
}

/// The last step (store): failures and lockout, two factors, expiry, the session; audited.
pub fn login_finish(
    store: &mut dyn Store,
    username: &str,
    looked: Looked,
    matched: bool,
    totp: Option<&str>,
    now_secs: i64,
) -> Result<SignedIn, AccountError> {
    let now = timestamp_utc(now_secs);
    let result = try_login(store, looked, matched, totp, now_secs, &now);
    let (action, detail) = match &result {
        Ok(_) => ("login.success", serde_json::json!({})),
        Err(e) => ("login.failure", serde_json::json!({ "reason": reason(e) })),
    };
    let actor = if auth::check_username(username).is_ok() {
        format!("user:{username}")
    } else {
        "anonymous".to_string()
    };
    accounts::audit(store.sql(), &now, &actor, action, "", &detail)?;
    result
}

fn reason(e: &AccountError) -> &'static str {
    match e {
        AccountError::BadCredentials => "bad_credentials",
        AccountError::Locked { .. } => "locked",
        AccountError::Disabled => "disabled",
        AccountError::Expired { .. } => "expired",
        AccountError::TotpRequired => "totp_required",
        AccountError::TotpInvalid => "totp_invalid",
        AccountError::TotpNotEnrolled(_) => "totp_not_enrolled",
        AccountError::NoSession => "no_session",
        AccountError::Invalid(_) => "invalid",
        AccountError::Store(_) => "store",
    }
}

fn try_login(
    store: &mut dyn Store,
    looked: Looked,
    matched: bool,
    totp: Option<&str>,
    now_secs: i64,
    now: &str,
) -> Result<SignedIn, AccountError> {
    if let Some(until) = looked.locked_until {
        return Err(AccountError::Locked { until });
    }
    let Some(user) = looked.user else {
        return Err(AccountError::BadCredentials);
    };
    if !matched {
        let failures = user.failed_logins + 1;
        let lock = (failures >= auth::LOGIN_FAILURES_MAX)
            .then(|| timestamp_utc(now_secs + auth::LOCKOUT_SECONDS));
        accounts::login_failed(store.sql(), user.id, failures, lock.as_deref())?;
        return Err(match lock {
            Some(until) => AccountError::Locked { until },
            None => AccountError::BadCredentials,
        });
    }
    if user.disabled {
        return Err(AccountError::Disabled);
    }
    if let Some(at) = &user.expires_at {
        if at.as_str() <= now {
            return Err(AccountError::Expired { at: at.clone() });
        }
    }
    let role = Role::parse(&user.role)?;
    if role.is_staff() {
        let Some(secret) = &user.totp_secret else {
            return Err(AccountError::TotpNotEnrolled(user.username.clone()));
        };
        match totp.map(str::trim).filter(|t| !t.is_empty()) {
            None => return Err(AccountError::TotpRequired),
            Some(code) if !auth::verify_totp(secret, code, now_secs) => {
                let failures = user.failed_logins + 1;
                let lock = (failures >= auth::LOGIN_FAILURES_MAX)
                    .then(|| timestamp_utc(now_secs + auth::LOCKOUT_SECONDS));
                accounts::login_failed(store.sql(), user.id, failures, lock.as_deref())?;
                return Err(AccountError::TotpInvalid);
            }
            Some(_) => {}
        }
    }
    accounts::login_succeeded(store.sql(), user.id)?;
    let token = auth::new_token("tusk_s_")?;
    let csrf = auth::new_token("")?;
    let mut expires = now_secs + role.session_seconds();
    if let Some(at) = &user.expires_at {
        expires = expires.min(parse_timestamp(at).unwrap_or(expires));
    }
    let expires_at = timestamp_utc(expires);
    accounts::create_session(
        store.sql(),
        &auth::token_hash(&token),
        user.id,
        &csrf,
        now,
        &expires_at,
    )?;
    Ok(SignedIn {
        token,
        csrf: csrf.clone(),
        expires_at,
        principal: principal_of(&user, role, csrf),
    })
}

fn principal_of(user: &User, role: Role, csrf: String) -> Principal {
    Principal::User {
        id: user.id,
        username: user.username.clone(),
        role,
        regions: user.regions.clone(),
        person_id: user.person_id,
        csrf,
    }
}

/// Seconds since the epoch of a `YYYY-MM-DDTHH:MM:SSZ` timestamp.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let d = model::Date::parse(s.get(..10)?)?;
    let t = s.get(11..19)?;
    let h: i64 = t.get(0..2)?.parse().ok()?;
    let m: i64 = t.get(3..5)?.parse().ok()?;
    let sec: i64 = t.get(6..8)?.parse().ok()?;
    Some(d.to_days() * 86_400 + h * 3600 + m * 60 + sec)
}

/// The principal behind a session token or an integration key (`tusk_k_…`), if it is live:
/// the session not expired, the user neither disabled nor expired, the key not disabled.
pub fn authenticate(
    store: &mut dyn Store,
    token: &str,
    now_secs: i64,
) -> Result<Principal, AccountError> {
    let now = timestamp_utc(now_secs);
    let hash = auth::token_hash(token);
    if token.starts_with("tusk_k_") {
        let key = accounts::key_by_hash(store.sql(), &hash)?.ok_or(AccountError::NoSession)?;
        if key.disabled || key.expires_at.as_deref().is_some_and(|e| e <= now.as_str()) {
            return Err(AccountError::NoSession);
        }
        return Ok(Principal::Key {
            id: key.id,
            name: key.name,
            scopes: key.scopes,
        });
    }
    let session = accounts::session(store.sql(), &hash, &now)?.ok_or(AccountError::NoSession)?;
    let user =
        accounts::user_by_id(store.sql(), session.user_id)?.ok_or(AccountError::NoSession)?;
    if user.disabled
        || user
            .expires_at
            .as_deref()
            .is_some_and(|e| e <= now.as_str())
    {
        return Err(AccountError::NoSession);
    }
    let role = Role::parse(&user.role)?;
    Ok(principal_of(&user, role, session.csrf))
}

/// Ends a session (sign out).
pub fn logout(
    store: &mut dyn Store,
    token: &str,
    actor: &str,
    now_secs: i64,
) -> Result<(), AccountError> {
    accounts::delete_session(store.sql(), &auth::token_hash(token))?;
    accounts::audit(
        store.sql(),
        &timestamp_utc(now_secs),
        actor,
        "logout",
        "",
        &serde_json::json!({}),
    )?;
    Ok(())
}

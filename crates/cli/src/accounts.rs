//! `tusk user …`, `tusk key …`, `tusk audit` and `tusk serve`.

use std::io::BufRead;
use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use crate::{open_store, Cli};

/// Election day when none is configured (accounts expire 30 days after it by default).
pub const ELECTION_DAY_DEFAULT: &str = "2026-11-03";

#[derive(Subcommand)]
pub enum UserAction {
    /// Create an account. The password is read from TUSK_PASSWORD or, if unset, the first
    /// line of standard input. Staff roles get a two-factor secret, printed once.
    Add {
        username: String,
        /// admin, data_director, analyst, organizer, volunteer, poll_watcher.
        #[arg(long)]
        role: String,
        /// Counties (organizer) or the precinct (poll watcher), comma-separated.
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// The volunteer's own person id.
        #[arg(long)]
        person: Option<i64>,
        /// Last day of the account, YYYY-MM-DD (default: 30 days after --election-day);
        /// `never` for no expiry.
        #[arg(long)]
        expires: Option<String>,
        /// Election day, YYYY-MM-DD, for the default expiry.
        #[arg(long, env = "TUSK_ELECTION_DAY", default_value = ELECTION_DAY_DEFAULT)]
        election_day: String,
        #[arg(long)]
        json: bool,
    },
    /// List accounts (no secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Re-enable a disabled account (and clear a lockout).
    Enable { username: String },
    /// Give a user a new two-factor secret (enrolment, or a lost phone); printed once. Ends
    /// their sessions.
    Totp { username: String },
    /// Set a new password (from TUSK_PASSWORD or standard input); ends their sessions.
    Password { username: String },
    /// Print a staff user's current two-factor code, read from the store (for demos and
    /// readiness drills: whoever can read the store can do this; audited).
    Code { username: String },
}

#[derive(Subcommand)]
pub enum KeyAction {
    /// Create an integration key with scopes; the key is printed once.
    Add {
        name: String,
        /// Comma-separated: people:read, people:write, donations:read, donations:write,
        /// changes:read, turnout:write (election-day reports, e.g. a call centre),
        /// turnout:read.
        #[arg(long)]
        scopes: String,
    },
    /// List keys (no secrets).
    List,
    /// Disable a key.
    Disable { name: String },
}

#[derive(Subcommand)]
pub enum WebhookAction {
    /// Push the change feed to URL: signed POSTs, retried until answered 2xx. The signing
    /// secret is printed once.
    Add {
        name: String,
        /// http://host[:port]/path of the receiver.
        #[arg(long)]
        url: String,
        /// Only these resources (person, donation, volunteer, contact), comma-separated.
        #[arg(long, value_delimiter = ',')]
        resources: Vec<String>,
        /// Start from the beginning of the feed (default: only changes from now on).
        #[arg(long)]
        from_start: bool,
    },
    /// Webhooks with their progress and last error.
    List,
    /// Stop deliveries (the cursor is kept).
    Disable { name: String },
    /// Resume deliveries now (clears the back-off).
    Enable { name: String },
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("TUSK_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.is_empty() {
        bail!("no password: set TUSK_PASSWORD or pipe it on standard input (`echo … | tusk user add …`)");
    }
    Ok(p)
}

pub fn user(cli: &Cli, action: &UserAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    match action {
        UserAction::Add {
            username,
            role,
            regions,
            person,
            expires,
            election_day,
            json,
        } => {
            let expires_on = match expires.as_deref() {
                Some("never") => None,
                Some(d) => Some(d.to_string()),
                None => {
                    let day = model::Date::parse(election_day).with_context(|| {
                        format!("--election-day {election_day:?}: use YYYY-MM-DD")
                    })?;
                    let end =
                        model::Date::from_days(day.to_days() + auth::ACCOUNT_DAYS_AFTER_ELECTION);
                    if (end.to_days() + 1) * 86_400 <= now() {
                        bail!("the default expiry ({end}, {} days after election day {day}) has passed: give --expires YYYY-MM-DD (or `never`), or --election-day", auth::ACCOUNT_DAYS_AFTER_ELECTION);
                    }
                    Some(end.to_string())
                }
            };
            let spec = app::accounts::UserSpec {
                username: username.clone(),
                role: role.clone(),
                regions: regions.clone(),
                person_id: *person,
                password: read_password()?,
                expires_on,
            };
            let made = app::accounts::add_user(&mut *store, &spec, &cli_actor(), now())?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "user": made.user,
                        "totp_secret": made.totp_secret,
                        "totp_uri": made.totp_secret.as_ref().map(|s| auth::totp_uri(s, username)),
                    })
                );
            } else {
                println!(
                    "created {} ({}), expires {}",
                    made.user.username,
                    made.user.role,
                    made.user.expires_at.as_deref().unwrap_or("never")
                );
                if let Some(s) = &made.totp_secret {
                    println!("two-factor secret (shown once; add it to an authenticator app):\n  {s}\n  {}", auth::totp_uri(s, username));
                }
            }
        }
        UserAction::List { json } => {
            let users = store::accounts::list_users(store.sql())?;
            if *json {
                println!("{}", serde_json::to_string(&users)?);
            } else {
                for u in users {
                    println!(
                        "{:<20} {:<14} {:<24} {}{}",
                        u.username,
                        u.role,
                        u.regions.join(","),
                        u.expires_at
                            .as_deref()
                            .map(|e| format!("expires {e}"))
                            .unwrap_or_else(|| "no expiry".into()),
                        if u.disabled { "  DISABLED" } else { "" }
                    );
                }
            }
        }
        UserAction::Disable { username } => {
            app::accounts::set_disabled(&mut *store, username, true, &cli_actor(), now())?;
            println!("disabled {username}; their sessions are ended");
        }
        UserAction::Totp { username } => {
            let secret = auth::new_totp_secret()?;
            if !store::accounts::set_totp_secret(store.sql(), username, Some(&secret))? {
                bail!("no user named {username:?} (see `tusk user list`)");
            }
            store::accounts::audit(
                store.sql(),
                &model::date::timestamp_utc(now()),
                &cli_actor(),
                "user.totp",
                &format!("user:{username}"),
                &serde_json::json!({}),
            )?;
            println!("new two-factor secret for {username} (shown once; add it to an authenticator app):\n  {secret}\n  {}", auth::totp_uri(&secret, username));
        }
        UserAction::Password { username } => {
            let pw = read_password()?;
            auth::check_password(&pw)?;
            let hash = auth::hash_password(&pw)?;
            if !store::accounts::set_password_hash(store.sql(), username, &hash)? {
                bail!("no user named {username:?} (see `tusk user list`)");
            }
            store::accounts::audit(
                store.sql(),
                &model::date::timestamp_utc(now()),
                &cli_actor(),
                "user.password",
                &format!("user:{username}"),
                &serde_json::json!({}),
            )?;
            println!("password of {username} changed; their sessions are ended");
        }
        UserAction::Code { username } => {
            let u = store::accounts::user_by_name(store.sql(), username)?
                .with_context(|| format!("no user named {username:?} (see `tusk user list`)"))?;
            let secret = u.totp_secret.with_context(|| {
                format!("{username} has no two-factor secret (not a staff role)")
            })?;
            let code = auth::totp_code(&secret, now())
                .context("the stored two-factor secret is malformed")?;
            store::accounts::audit(
                store.sql(),
                &model::date::timestamp_utc(now()),
                &cli_actor(),
                "user.code",
                &format!("user:{username}"),
                &serde_json::json!({}),
            )?;
            println!("{code}");
        }
        UserAction::Enable { username } => {
            app::accounts::set_disabled(&mut *store, username, false, &cli_actor(), now())?;
            println!("enabled {username}");
        }
    }
    Ok(())
}

pub fn key(cli: &Cli, action: &KeyAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    match action {
        KeyAction::Add { name, scopes } => {
            let (token, key) =
                app::accounts::add_key(&mut *store, name, scopes, &cli_actor(), now())?;
            println!("key {} with scopes {} (shown once; send as `Authorization: Bearer KEY`):\n  {token}", key.name, key.scopes.join(","));
        }
        KeyAction::List => {
            for k in store::accounts::list_keys(store.sql())? {
                println!(
                    "{:<20} {:<40} {}",
                    k.name,
                    k.scopes.join(","),
                    if k.disabled { "DISABLED" } else { "" }
                );
            }
        }
        KeyAction::Disable { name } => {
            if !store::accounts::set_key_disabled(store.sql(), name, true)? {
                bail!("no key named {name:?} (see `tusk key list`)");
            }
            store::accounts::audit(
                store.sql(),
                &model::date::timestamp_utc(now()),
                &cli_actor(),
                "key.disable",
                &format!("key:{name}"),
                &serde_json::json!({}),
            )?;
            println!("disabled key {name}");
        }
    }
    Ok(())
}

pub fn audit(cli: &Cli, after: i64, limit: usize, action: Option<&str>, json: bool) -> Result<()> {
    if limit == 0 || limit > server::api::AUDIT_PAGE_MAX {
        bail!("--limit: between 1 and {}", server::api::AUDIT_PAGE_MAX);
    }
    let mut store = open_store(&cli.database)?;
    let entries = store::accounts::audit_entries(store.sql(), after, limit, action)?;
    if json {
        println!("{}", serde_json::to_string(&entries)?);
    } else if entries.is_empty() {
        println!("no audit entries after #{after}");
    } else {
        for e in &entries {
            println!(
                "#{:<6} {} {:<20} {:<16} {:<14} {}",
                e.id, e.at, e.actor, e.action, e.target, e.detail
            );
        }
    }
    Ok(())
}

pub fn serve(
    cli: &Cli,
    listen: SocketAddr,
    connections: usize,
    insecure_cookies: bool,
    turnout: server::turnout::Limits,
) -> Result<()> {
    let state = app_state(cli, connections, insecure_cookies, turnout)?;
    server::serve(listen, state).with_context(|| format!("serving on {listen}: is the port free?"))
}

/// The server's state over the store of `cli` (also for in-process benchmarks).
pub fn app_state(
    cli: &Cli,
    connections: usize,
    insecure_cookies: bool,
    turnout: server::turnout::Limits,
) -> Result<server::AppState> {
    let database = cli.database.clone();
    let open =
        move || open_store(&database).map_err(|e| store::StoreError::Backend(format!("{e:#}")));
    let pool =
        server::StorePool::open(connections, &open).context("opening the store for the server")?;
    let auth_pool =
        server::StorePool::open(1, &open).context("opening the store for election-day sign-ins")?;
    let db = cli.database.clone();
    let journal: std::sync::Arc<server::turnout::JournalOpener> = std::sync::Arc::new(move || {
        crate::open_journal(&db).map_err(|e| store::StoreError::Backend(format!("{e:#}")))
    });
    let state = server::AppState::new(
        pool,
        open().context("opening the store for the audit writer")?,
        auth_pool,
        journal,
        server::Config {
            secure_cookies: !insecure_cookies,
            turnout,
            rejects_dir: crate::rejects_dir(cli),
            ..Default::default()
        },
    )
    .context("starting the election-day journal")?;
    Ok(state)
}

/// The demo organizer's region: the county with the most voters.
pub fn demo_organizer_county(sql: &mut dyn store::sql::Sql) -> Result<String> {
    use store::sql::RowExt;
    Ok(sql
        .query(
            "SELECT county FROM voters GROUP BY county ORDER BY count(*) DESC, county LIMIT 1",
            &[],
        )?
        .first()
        .map(|r| r.text(0))
        .transpose()?
        .unwrap_or_default())
}

/// Creates one account per role on the demo store: (username, role, password, scope).
pub fn demo_accounts(cli: &Cli) -> Result<Vec<(String, String, String, String)>> {
    use store::sql::RowExt;
    let mut store = open_store(&cli.database)?;
    let county = demo_organizer_county(store.sql())?;
    let volunteer_person = store
        .sql()
        .query(
            "SELECT person_id FROM volunteers WHERE person_id IS NOT NULL ORDER BY rkey LIMIT 1",
            &[],
        )?
        .first()
        .and_then(|r| r.opt_int(0).transpose())
        .transpose()?;
    // The watcher's region: COUNTY/PRECINCT, in the organizer's county.
    let precinct = store
        .sql()
        .query(
            "SELECT county, precinct FROM voters WHERE county = ? ORDER BY precinct LIMIT 1",
            &[store::Value::Text(county.clone())],
        )?
        .first()
        .map(|r| -> store::Result<String> { Ok(format!("{}/{}", r.text(0)?, r.text(1)?)) })
        .transpose()?
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, role) in [
        ("admin", "admin"),
        ("director", "data_director"),
        ("analyst", "analyst"),
        ("organizer", "organizer"),
        ("volunteer", "volunteer"),
        ("watcher", "poll_watcher"),
    ] {
        if role == "volunteer" && volunteer_person.is_none() {
            continue;
        }
        let password = format!("demo-{}", &auth::new_token("")?[..16]);
        let regions = match role {
            "organizer" => vec![county.clone()],
            "poll_watcher" => vec![precinct.clone()],
            _ => vec![],
        };
        let spec = app::accounts::UserSpec {
            username: name.into(),
            role: role.into(),
            regions: regions.clone(),
            person_id: (role == "volunteer").then_some(volunteer_person).flatten(),
            password: password.clone(),
            expires_on: None,
        };
        app::accounts::add_user(&mut *store, &spec, &cli_actor(), now())?;
        let scope = match role {
            "volunteer" => format!("person {}", volunteer_person.unwrap_or_default()),
            _ => regions.join(","),
        };
        out.push((name.to_string(), role.to_string(), password, scope));
    }
    Ok(out)
}

pub fn webhook(cli: &Cli, action: &WebhookAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let at = model::date::timestamp_utc(now());
    match action {
        WebhookAction::Add {
            name,
            url,
            resources,
            from_start,
        } => {
            auth::check_username(name).map_err(|_| {
                anyhow::anyhow!("webhook name {name:?}: use a-z, 0-9, '.', '_', '-'")
            })?;
            server::webhooks::check_url(url).map_err(anyhow::Error::msg)?;
            for r in resources {
                if !store::changes::RESOURCES.contains(&r.as_str()) {
                    bail!(
                        "--resources: unknown resource {r:?}; use {}",
                        store::changes::RESOURCES.join(", ")
                    );
                }
            }
            let cursor = if *from_start {
                0
            } else {
                use store::sql::RowExt;
                store
                    .sql()
                    .query("SELECT coalesce(max(seq), 0) FROM changes", &[])?
                    .first()
                    .map(|r| r.int(0))
                    .transpose()?
                    .unwrap_or(0)
            };
            let secret = auth::new_token("whsec_")?;
            store::webhooks::add(
                store.sql(),
                name,
                url,
                &secret,
                resources,
                cursor,
                &cli_actor(),
                &at,
            )?;
            store::accounts::audit(
                store.sql(),
                &at,
                &cli_actor(),
                "webhook.add",
                &format!("webhook:{name}"),
                &serde_json::json!({ "resources": resources, "from": cursor }),
            )?;
            println!("webhook {name} -> {url} from change #{cursor}; `tusk serve` delivers it.");
            println!("signing secret (shown once; verify X-Tusk-Signature, see docs/api.md):\n  {secret}");
        }
        WebhookAction::List => {
            for h in store::webhooks::list(store.sql())? {
                println!(
                    "{:<16} {:<40} {:<20} delivered {:>8} up to #{:<8} {}{}",
                    h.name,
                    h.url,
                    if h.resources.is_empty() {
                        "all".to_string()
                    } else {
                        h.resources.join(",")
                    },
                    h.delivered,
                    h.cursor,
                    if h.disabled { "DISABLED " } else { "" },
                    if h.failures > 0 {
                        format!(
                            "{} failures, next try {}: {}",
                            h.failures, h.next_attempt_at, h.last_error
                        )
                    } else {
                        String::new()
                    }
                );
            }
        }
        WebhookAction::Disable { name } | WebhookAction::Enable { name } => {
            let disable = matches!(action, WebhookAction::Disable { .. });
            if !store::webhooks::set_disabled(store.sql(), name, disable)? {
                bail!("no webhook named {name:?} (see `tusk webhook list`)");
            }
            store::accounts::audit(
                store.sql(),
                &at,
                &cli_actor(),
                if disable {
                    "webhook.disable"
                } else {
                    "webhook.enable"
                },
                &format!("webhook:{name}"),
                &serde_json::json!({}),
            )?;
            println!(
                "{} webhook {name}",
                if disable { "disabled" } else { "enabled" }
            );
        }
    }
    Ok(())
}

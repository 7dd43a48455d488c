//! `tusk allocate …`: spend a contact budget across the four goals and four channels
//! (docs/targeting.md, "Allocation"), list kept runs, show who was chosen and why, export a
//! run's call, text or mail list (audited).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use targeting::allocate::{Channel, ContactCap, Spec, CHANNELS};
use targeting::goals::Goal;

use crate::scoring::now;
use crate::{open_store, Cli};

#[derive(Subcommand, Debug)]
pub enum AllocateAction {
    /// Allocate a budget: who gets a knock, a call, a text or a piece of mail, for which goal;
    /// prints the expected net votes and dollars, and what one more unit of each budget is worth.
    ///
    /// Example: tusk allocate run --door-hours 500 --calls 20000 --texts 100000 --mail 20000
    Run {
        /// Door-knocking hours (12 doors an hour by default; see --spec).
        #[arg(long, default_value_t = 0.0)]
        door_hours: f64,
        /// Phone calls.
        #[arg(long, default_value_t = 0.0)]
        calls: f64,
        /// Text messages.
        #[arg(long, default_value_t = 0.0)]
        texts: f64,
        /// Mail pieces.
        #[arg(long, default_value_t = 0.0)]
        mail: f64,
        /// A TOML file with the channels (budget, cost, contact_rate, effect per goal), caps
        /// and dollars_per_vote, replacing the defaults (docs/targeting.md shows one).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// The goals in the mix (default all four), comma-separated.
        #[arg(long, value_delimiter = ',')]
        goals: Vec<String>,
        /// A goal's universe instead of its template: GOAL=@SAVED_NAME or GOAL=EXPRESSION.
        #[arg(long = "universe", value_name = "GOAL=UNIVERSE")]
        universes: Vec<String>,
        /// Dollars counted as one net vote (how money and votes add up).
        #[arg(long)]
        dollars_per_vote: Option<f64>,
        /// The election being worked (default: the latest in the absentee files loaded).
        #[arg(long)]
        election: Option<String>,
        /// The state registration targets live in.
        #[arg(long, default_value = "NC")]
        state: String,
        /// The day frequency caps are counted at (default today).
        #[arg(long)]
        today: Option<String>,
        /// Name the run is kept under.
        #[arg(long, default_value = "allocation")]
        name: String,
        /// Print the reasons of the N most valuable people chosen.
        #[arg(long, default_value_t = 0)]
        why: usize,
        /// Do not keep the run in the store.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Kept runs, newest first.
    List,
    /// One run: its figures and its chosen people, best first.
    Show {
        id: i64,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Write a run's list for one channel (a call, text or mail list; door lists come from
    /// `tusk turf`) as CSV, best first. Audited.
    Export {
        id: i64,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        out: PathBuf,
        /// Column set: tusk or van.
        #[arg(long, default_value = "tusk")]
        format: String,
        /// Who exports (default cli:$USER).
        #[arg(long)]
        by: Option<String>,
    },
}

/// What a `--spec` file holds.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    channels: Vec<targeting::allocate::ChannelSpec>,
    dollars_per_vote: Option<f64>,
    #[serde(default)]
    caps: Option<Vec<ContactCap>>,
}

fn channel(s: &str) -> Result<Channel> {
    Channel::parse(s).with_context(|| format!("--channel {s:?}: use door, phone, text or mail"))
}

pub fn run(cli: &Cli, action: &AllocateAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    match action {
        AllocateAction::Run {
            door_hours,
            calls,
            texts,
            mail,
            spec,
            goals,
            universes,
            dollars_per_vote,
            election,
            state,
            today,
            name,
            why,
            dry_run,
            json,
        } => {
            let election = match election {
                Some(e) => model::Date::parse(e)
                    .with_context(|| format!("--election {e:?} is not a date (YYYY-MM-DD)"))?,
                None => app::scores::current_election(store.sql())?,
            };
            let today = match today {
                Some(d) => model::Date::parse(d)
                    .with_context(|| format!("--today {d:?} is not a date (YYYY-MM-DD)"))?,
                None => model::Date::parse(&now()[..10]).context("the clock")?,
            };
            let budgets: [f64; CHANNELS] = [*door_hours, *calls, *texts, *mail];
            let mut req = app::allocate::Request::defaults(name, election, state, today, budgets);
            if let Some(path) = spec {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let f: SpecFile = toml::from_str(&text)
                    .with_context(|| format!("{}: not a valid spec", path.display()))?;
                req.spec = Spec {
                    channels: f.channels,
                    dollars_per_vote: f.dollars_per_vote.unwrap_or(req.spec.dollars_per_vote),
                };
                if let Some(c) = f.caps {
                    req.caps = c;
                }
            }
            if let Some(d) = dollars_per_vote {
                req.spec.dollars_per_vote = *d;
            }
            if !goals.is_empty() {
                let mut keep = Vec::new();
                for g in goals {
                    let goal = Goal::parse(g).with_context(|| {
                        format!("--goals {g:?}: use registration, persuasion, turnout, fundraising")
                    })?;
                    keep.push(goal);
                }
                req.goals.retain(|(g, _)| keep.contains(g));
            }
            for u in universes {
                let (g, expr) = u
                    .split_once('=')
                    .with_context(|| format!("--universe {u:?}: GOAL=@NAME or GOAL=EXPRESSION"))?;
                let goal = Goal::parse(g.trim())
                    .with_context(|| format!("--universe {u:?}: {g:?} is not a goal"))?;
                let expr = crate::universe::expression_of(store.sql(), expr)?;
                match req.goals.iter_mut().find(|(x, _)| *x == goal) {
                    Some(slot) => slot.1 = expr,
                    None => req.goals.push((goal, expr)),
                }
            }
            if req.spec.channels.iter().all(|c| c.budget <= 0.0) {
                bail!("no budget: give at least one of --door-hours, --calls, --texts, --mail (or --spec)");
            }
            let t = Instant::now();
            let year = app::universes::age_year(store.sql(), election.year);
            let people = app::universes::load(store.sql(), year)?;
            let read = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let (a, cands) = app::allocate::run(&people, &req).map_err(|e| match e {
                app::allocate::AllocateError::Expression { goal, error } => {
                    let expr = req
                        .goals
                        .iter()
                        .find(|(g, _)| g.name() == goal)
                        .map(|x| x.1.clone())
                        .unwrap_or_default();
                    anyhow::anyhow!("goals.{goal}: {}", error.show(&expr))
                }
                other => other.into(),
            })?;
            let solved = t.elapsed().as_secs_f64();
            let kept = if *dry_run {
                None
            } else {
                let by = crate::accounts::cli_actor();
                Some(app::allocate::save(
                    store.sql(),
                    &people,
                    &req,
                    &a,
                    &cands,
                    &by,
                    &now(),
                )?)
            };
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "id": kept.as_ref().map(|r| r.id),
                        "summary": app::allocate::summary(&a),
                        "seconds": {"read": read, "allocate": solved},
                    })
                );
                return Ok(());
            }
            eprintln!(
                "{} people read in {read:.1} s; {} candidates ({} open to a valuable contact) allocated in {solved:.2} s",
                people.len(),
                cands.len(),
                a.eligible
            );
            print_summary(&app::allocate::summary(&a), req.spec.dollars_per_vote);
            if *why > 0 {
                let mut best: Vec<_> = a.assignments.iter().collect();
                best.sort_by(|x, y| y.value.total_cmp(&x.value));
                println!(
                    "\nwhy (the {} most valuable):",
                    (*why).min(app::allocate::WHY_MAX)
                );
                for x in best.into_iter().take((*why).min(app::allocate::WHY_MAX)) {
                    let c = &cands[x.candidate as usize];
                    println!(
                        "  person {}: {} for {} — {}",
                        people.ids[x.row as usize],
                        x.channel.name(),
                        x.goal.name(),
                        targeting::allocate::why(c, &req.spec, x.channel)
                    );
                }
            }
            match kept {
                Some(r) => println!("\nkept as allocation {}: tusk allocate show {} · tusk allocate export {} --channel phone --out calls.csv", r.id, r.id, r.id),
                None => println!("\n(dry run: not kept)"),
            }
            Ok(())
        }
        AllocateAction::List => {
            let all = app::allocate::all(store.sql())?;
            if all.is_empty() {
                println!("no allocations yet: tusk allocate run --door-hours N --calls N …");
            }
            for r in all {
                println!(
                    "{:>4}  {:<20} {}  {:>10} chosen  {:>10.1} net votes  ${:>12.0}  by {}",
                    r.id,
                    r.name,
                    r.created_at,
                    r.summary.chosen,
                    r.summary.votes,
                    r.summary.dollars,
                    r.created_by
                );
            }
            Ok(())
        }
        AllocateAction::Show {
            id,
            channel: ch,
            limit,
        } => {
            let run = app::allocate::get(store.sql(), *id)?
                .with_context(|| format!("no allocation {id}: see `tusk allocate list`"))?;
            let dpv = run.request["spec"]["dollars_per_vote"]
                .as_f64()
                .unwrap_or(1.0);
            println!(
                "allocation {} {:?}, {} by {}",
                run.id, run.name, run.created_at, run.created_by
            );
            print_summary(&run.summary, dpv);
            let ch = ch.as_deref().map(channel).transpose()?;
            let items = app::allocate::items(store.sql(), &run, ch, *limit, 0)?;
            println!("\nchosen, best first:");
            for x in items {
                println!(
                    "  person {:>9}  {:<5} {:<12} {:.4}  {}",
                    x.person_id, x.channel, x.goal, x.value, x.why
                );
            }
            Ok(())
        }
        AllocateAction::Export {
            id,
            channel: ch,
            out,
            format,
            by,
        } => {
            let ch = channel(ch)?;
            let format = app::lists::Format::parse(format)
                .with_context(|| format!("--format {format:?}: use tusk or van"))?;
            let run = app::allocate::get(store.sql(), *id)?
                .with_context(|| format!("no allocation {id}: see `tusk allocate list`"))?;
            let year = app::universes::age_year(store.sql(), now()[..4].parse().unwrap_or(2026));
            let (text, rows) =
                app::allocate::list_csv(store.sql(), &run, ch, format, i64::from(year))?;
            let by = by.clone().unwrap_or_else(crate::accounts::cli_actor);
            let audit = app::lists::audit(
                &by,
                &format!("allocation:{id}:{}", ch.name()),
                rows,
                format,
                &now(),
            );
            // Audited first: an export that then fails to be written is still on record.
            store::accounts::write_audit(store.sql(), &[audit])?;
            std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {rows} people to {} (audited)", out.display());
            Ok(())
        }
    }
}

fn print_summary(s: &app::allocate::Summary, dollars_per_vote: f64) {
    println!(
        "\n{:<6} {:>12} {:>10} {:>10} {:>10} {:>10} {:>12}  {:>9} {:>9} {:>9} {:>9}",
        "",
        "budget",
        "attempts",
        "reached",
        "net votes",
        "dollars",
        "marginal",
        "regist.",
        "persuade",
        "turnout",
        "fundr.",
    );
    for c in &s.channels {
        println!(
            "{:<6} {:>6.0} {:<5} {:>10} {:>10.0} {:>10.1} {:>10.0} {:>12.5}  {:>9} {:>9} {:>9} {:>9}  per {} (net votes; money at ${dollars_per_vote:.0}/vote)",
            c.channel.name(),
            c.budget,
            c.unit,
            c.attempts,
            c.expected_contacts,
            c.votes,
            c.dollars,
            c.marginal_value_per_unit,
            c.by_goal[0],
            c.by_goal[1],
            c.by_goal[2],
            c.by_goal[3],
            c.unit.trim_end_matches('s'),
        );
    }
    println!(
        "\nexpected: {:.1} net votes and ${:.0} from {} people chosen ({} could be reached with value)",
        s.votes, s.dollars, s.chosen, s.eligible
    );
}

//! Universes over a loaded, resolved and scored synthetic campaign: the four goal templates
//! count, and their suppression rules hold for every member.

use app::universes;
use ingest::{Kind, Mapping};
use scores::{Algorithm, Target, TrainParams};
use store::sql::RowExt;
use targeting::{plan, Column};
use testkit::campaign::{generate, CampaignConfig, Out, Outputs};

use super::Env;

const NOW: &str = "2026-11-28T00:00:00Z";

fn file(out: &Outputs<Vec<u8>>, o: Out) -> Vec<u8> {
    out.0[Out::ALL.iter().position(|x| *x == o).unwrap()].clone()
}

#[test]
fn goal_universes_count_and_keep_their_suppression_rules() {
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    generate(
        &CampaignConfig {
            voters: 40_000,
            seed: 21,
        },
        &mut out,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = store_sqlite::SqliteStore::open(&dir.path().join("tusk.db")).unwrap();
    let mut env = Env {
        name: "sqlite",
        store: Box::new(store),
        dir,
    };
    for (kind, o, name) in [
        (Kind::NcVoter, Out::NcVoter, "ncvoter.txt"),
        (Kind::NcVhis, Out::NcVhis, "ncvhis.txt"),
        (Kind::NcAbsentee, Out::Absentee, "absentee.csv"),
        (Kind::Canvass, Out::Canvass, "canvass.csv"),
        (Kind::Experiment, Out::Experiment, "experiment.csv"),
        (Kind::Fec, Out::Fec, "itcont.txt"),
    ] {
        env.import(kind, name, &file(&out, o));
    }
    for (data, mapping, name) in [
        (Out::Volunteers, Out::VolunteersMapping, "vol.csv"),
        (Out::Contacts, Out::ContactsMapping, "contacts.csv"),
    ] {
        let m = Mapping::parse(&String::from_utf8(file(&out, mapping)).unwrap()).unwrap();
        env.try_import(Kind::Csv, Some(m), name, &file(&out, data))
            .unwrap();
    }
    let geo = app::geo::import(
        env.store.sql(),
        &file(&out, Out::Geocodes)[..],
        "geocodes.csv",
        NOW,
    )
    .unwrap();
    assert!(geo.stored > 0 && geo.rejected == 0, "{geo:?}");
    app::resolve::resolve(&mut *env.store, 0.5, "test", NOW).unwrap();
    for target in Target::ALL {
        let t = app::scores::train(
            &mut *env.store,
            target,
            &TrainParams::new(Algorithm::Logistic, 1),
            None,
            None,
            "test",
            NOW,
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("{target:?}: {e}"));
        app::scores::approve(env.store.sql(), t.id, "test", NOW).unwrap();
        app::scores::apply(
            &mut *env.store,
            t.id,
            None,
            NOW,
            &mut |_| {},
            &mut |_, _| {},
        )
        .unwrap();
    }
    // One person asked not to be contacted.
    let someone: i64 = env
        .store
        .sql()
        .query("SELECT MIN(person_id) FROM voters", &[])
        .unwrap()[0]
        .int(0)
        .unwrap();
    let tag = store::groups::create(
        env.store.sql(),
        store::groups::Kind::Tag,
        universes::DO_NOT_CONTACT_TAG,
        "",
        "test",
        NOW,
    )
    .unwrap();
    store::groups::add(
        env.store.sql(),
        store::groups::Kind::Tag,
        tag,
        &[someone],
        "test",
        NOW,
    )
    .unwrap();

    let people = universes::load(env.store.sql(), 2026).unwrap();
    let election = app::scores::current_election(env.store.sql()).unwrap();
    let goals = universes::goals(&people, election, "nc");
    assert_eq!(goals.len(), 4);
    for g in &goals {
        let n = g
            .count
            .unwrap_or_else(|| panic!("{:?}: {:?}", g.goal, g.error));
        assert!(n > 0, "{:?} selects no one: {}", g.goal, g.expression);
        assert!((n as usize) < people.len(), "{:?} selects everyone", g.goal);
    }
    let flag = |name: &str| match &people.columns[name] {
        Column::Flag(b) => b.clone(),
        _ => panic!("{name} is a flag"),
    };
    let members = |expr: &str| plan(&people, expr).unwrap().eval(&people);
    let dnc = flag("do_not_contact");
    assert_eq!(dnc.count(), 1);
    let voted = people
        .voted
        .get(&election)
        .expect("early votes for the election");
    for g in &goals {
        let m = members(&g.expression);
        for i in m.ones() {
            assert!(!dnc.get(i), "{:?} includes a do-not-contact person", g.goal);
            match g.goal {
                targeting::goals::Goal::Persuasion => {
                    assert!(
                        !flag("volunteer_household").get(i),
                        "persuasion knocks a volunteer's household"
                    );
                    assert!(!voted.get(i), "persuasion of someone who voted");
                }
                targeting::goals::Goal::Turnout => {
                    assert!(!voted.get(i), "GOTV for someone who voted")
                }
                targeting::goals::Goal::Fundraising => {
                    assert!(
                        !flag("maxed_out").get(i),
                        "a maxed-out donor asked for money"
                    )
                }
                targeting::goals::Goal::Registration => {
                    assert!(
                        !flag("registered").get(i),
                        "registration of a registered voter"
                    )
                }
            }
        }
    }
    // Maxed-out donors are exactly the people with a 2026 election's gifts at the limit.
    let at_limit: std::collections::BTreeSet<i64> = env
        .store
        .sql()
        .query(
            "SELECT person_id FROM donations WHERE person_id IS NOT NULL AND NOT memo \
             AND election LIKE '_2026' GROUP BY person_id, election \
             HAVING SUM(amount_cents) >= ?",
            &[store::Value::Int(universes::CONTRIBUTION_LIMIT_CENTS)],
        )
        .unwrap()
        .iter()
        .map(|r| r.int(0).unwrap())
        .collect();
    let maxed: std::collections::BTreeSet<i64> =
        flag("maxed_out").ones().map(|i| people.ids[i]).collect();
    assert!(
        !at_limit.is_empty(),
        "the generator plants donors at the limit"
    );
    assert_eq!(maxed, at_limit);

    allocation_keeps_budgets_reach_suppression_and_caps(&mut env, &people, election);
    turfs_hold_every_placed_door_once_within_bounds(&mut env, &people, &goals[2].expression);
}

/// Turfs of the GOTV universe in the biggest county: every placed person in exactly one stop,
/// doors per turf within bounds, an organizer held to their counties, walk lists in order.
fn turfs_hold_every_placed_door_once_within_bounds(
    env: &mut Env,
    people: &targeting::People,
    gotv: &str,
) {
    use app::turfs::{self, CutRequest};
    use store::people::Scope;
    let county = match &people.columns["county"] {
        Column::Category { codes, dict } => {
            let mut n = vec![0usize; dict.len()];
            for c in codes {
                n[*c as usize] += 1;
            }
            dict[(1..dict.len()).max_by_key(|&k| n[k]).unwrap()].clone()
        }
        _ => panic!("county is a category"),
    };
    let req = CutRequest {
        name: "gotv".into(),
        expression: gotv.into(),
        county: county.clone(),
        doors: 30,
    };
    let (summary, stops) = turfs::cut(people, &req, &Scope::All).unwrap();
    let selected = plan(people, &format!("({gotv}) and county = \"{county}\""))
        .unwrap()
        .eval(people);
    assert_eq!(summary.people + summary.people_not_placed, selected.count());
    assert!(
        summary.people_not_placed > 0,
        "the generator leaves 2% of addresses without a geocode"
    );
    assert!(
        summary.people_not_placed * 10 < summary.people,
        "{summary:?}"
    );
    let ids: std::collections::BTreeSet<i64> = stops.iter().map(|s| s.3).collect();
    assert_eq!(ids.len(), stops.len(), "a person at two stops");
    let mut door_turf = std::collections::HashMap::new();
    for (t, _, h, _) in &stops {
        assert_eq!(
            *door_turf.entry(*h).or_insert(*t),
            *t,
            "a door in two turfs"
        );
    }
    for t in &summary.turfs {
        assert!(
            t.doors <= 30 && t.doors >= 15,
            "turf {} has {} doors",
            t.turf,
            t.doors
        );
    }
    assert_eq!(
        summary
            .turfs
            .iter()
            .map(|t| u64::from(t.doors))
            .sum::<u64>(),
        summary.doors
    );
    // An organizer of another county may not cut this one.
    let other = Scope::Counties(vec!["NOT-THIS-ONE".into()]);
    let err = turfs::cut(people, &req, &other).unwrap_err().to_string();
    assert!(err.starts_with("county:"), "{err}");
    let kept = turfs::save(env.store.sql(), &req, &summary, &stops, "test", NOW).unwrap();
    assert!(turfs::get(env.store.sql(), kept.id, &other)
        .unwrap()
        .is_none());
    assert_eq!(
        turfs::all(
            env.store.sql(),
            &Scope::Counties(vec![county.to_lowercase()])
        )
        .unwrap()
        .len(),
        1
    );
    let walk = turfs::walk_list(env.store.sql(), kept.id, Some(1), &Scope::All).unwrap();
    assert_eq!(walk.len() as u32, summary.turfs[0].people);
    assert!(
        walk.windows(2).all(|w| w[0].0 .1 <= w[1].0 .1),
        "walking order"
    );
    assert!(walk
        .iter()
        .all(|(_, r)| r.county == county && !r.address.is_empty()));
    let csv = turfs::csv(&walk, app::lists::Format::Tusk, 2026);
    assert_eq!(csv.lines().count(), walk.len() + 1);
    assert!(csv.lines().next().unwrap().ends_with(",turf,stop"));
}

/// The allocation over the same campaign: budgets, reach, suppression and caps hold for every
/// chosen person, a bigger budget is never worth less, and a kept run reads back.
fn allocation_keeps_budgets_reach_suppression_and_caps(
    env: &mut Env,
    people: &targeting::People,
    election: model::Date,
) {
    use app::allocate::{self, Request};
    use targeting::allocate::{Channel, ContactCap};
    // Canvass attempts were loaded as contact history.
    let with_dates: i64 = env
        .store
        .sql()
        .query(
            "SELECT COUNT(*) FROM field_results WHERE source = 'canvass' AND date IS NOT NULL \
             AND contact_type IN ('door', 'phone', 'text', 'mail')",
            &[],
        )
        .unwrap()[0]
        .int(0)
        .unwrap();
    assert!(with_dates > 0);
    // The generator's canvass has Moved results: they must be in the table to be suppressed.
    let moved = plan(people, "last_result = \"MOVED\"")
        .unwrap()
        .eval(people)
        .count();
    assert!(moved > 0, "no Moved result in the canvass file");
    assert_eq!(people.contacts.len() as i64, with_dates);
    // Caps counted on the day of the latest door attempt, one door knock a day: everyone
    // knocked that day is capped on doors.
    let today = people
        .contacts
        .iter()
        .filter(|a| a.channel == Channel::Door)
        .map(|a| a.date)
        .max()
        .expect("door attempts");
    let knocked_today: std::collections::BTreeSet<u32> = people
        .contacts
        .iter()
        .filter(|a| a.channel == Channel::Door && a.date == today)
        .map(|a| a.row)
        .collect();
    let mut req = Request::defaults(
        "test",
        election,
        "NC",
        today,
        [150.0, 2_000.0, 4_000.0, 1_500.0],
    );
    req.caps = vec![ContactCap {
        channel: Channel::Door,
        max_attempts: 1,
        window_days: 1,
    }];
    let (a, cands) = allocate::run(people, &req).unwrap();
    assert!(a.votes > 0.0 && a.dollars > 0.0, "{:?}", a.channels);
    let flag = |name: &str| match &people.columns[name] {
        Column::Flag(b) => b.clone(),
        _ => panic!("{name} is a flag"),
    };
    let (phone, address, dnc) = (
        flag("has_phone"),
        flag("has_address"),
        flag("do_not_contact"),
    );
    let goal_members: Vec<(targeting::goals::Goal, targeting::Bitmap)> = req
        .goals
        .iter()
        .map(|(g, e)| (*g, plan(people, e).unwrap().eval(people)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut door_capped_possible = 0;
    for c in &cands {
        if knocked_today.contains(&c.row) {
            door_capped_possible += 1;
            assert_eq!(
                c.allowed & (1 << Channel::Door.index()),
                0,
                "a capped person open to a door"
            );
        }
    }
    for x in &a.assignments {
        let i = x.row as usize;
        assert!(seen.insert(x.row), "a person chosen twice");
        assert!(!dnc.get(i));
        match x.channel {
            Channel::Door | Channel::Mail => {
                assert!(address.get(i), "{:?} without an address", x.channel)
            }
            Channel::Phone | Channel::Text => {
                assert!(phone.get(i), "{:?} without a phone", x.channel)
            }
        }
        if x.channel == Channel::Door {
            assert!(!knocked_today.contains(&x.row), "a door knock over the cap");
        }
        let result = match &people.columns["last_result"] {
            Column::Category { codes, dict } => dict[codes[i] as usize].as_str(),
            _ => panic!("last_result is a category"),
        };
        assert!(
            !app::allocate::RESULTS_NO_CONTACT.contains(&result),
            "chose someone whose last result is {result}"
        );
        if matches!(x.channel, Channel::Phone | Channel::Text) {
            assert!(!app::allocate::RESULTS_NO_PHONE.contains(&result));
        }
        let (_, m) = goal_members.iter().find(|(g, _)| *g == x.goal).unwrap();
        assert!(m.get(i), "chosen for {:?} outside its universe", x.goal);
    }
    assert!(
        door_capped_possible > 0,
        "no candidate was knocked on {today}: the cap is not tested"
    );
    for (s, c) in req.spec.channels.iter().zip(&a.channels) {
        assert!(c.spent <= s.budget + 1e-9, "{:?} over budget", c.channel);
        assert!(c.marginal_value_per_unit >= 0.0);
    }
    // More doors are never worth less.
    let mut more = req.clone();
    more.spec.channels[0].budget *= 2.0;
    let (b, _) = allocate::run(people, &more).unwrap();
    assert!(b.value >= a.value - 1e-9, "{} < {}", b.value, a.value);
    // Kept and read back, best first, with reasons.
    let run = allocate::save(env.store.sql(), people, &req, &a, &cands, "test", NOW).unwrap();
    assert_eq!(
        allocate::get(env.store.sql(), run.id)
            .unwrap()
            .unwrap()
            .summary
            .chosen,
        a.assignments.len() as u64
    );
    let phone_items =
        allocate::items(env.store.sql(), &run, Some(Channel::Phone), 1_000, 0).unwrap();
    assert_eq!(phone_items.len() as u64, a.channels[1].attempts.min(1_000));
    assert!(phone_items.windows(2).all(|w| w[0].value >= w[1].value));
    assert!(phone_items
        .iter()
        .all(|x| x.channel == "phone" && x.why.contains("phone: ") && x.why.contains("(chosen)")));
    let err = allocate::items(env.store.sql(), &run, None, 0, 0).unwrap_err();
    assert!(err.to_string().starts_with("limit"), "{err}");
    let mut bad = req.clone();
    bad.goals[1].1 = "support >= banana".into();
    let err = allocate::run(people, &bad).unwrap_err().to_string();
    assert!(err.starts_with("goals.persuasion: "), "{err}");
}

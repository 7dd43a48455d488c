//! The data health report on both backends, over a loaded and resolved synthetic campaign:
//! every figure checked against the store it summarises.

use ingest::{Kind, Mapping};
use store::sql::RowExt;
use store::Table;
use testkit::campaign::{generate, CampaignConfig, Out, Outputs};

use super::on_backends;

#[test]
fn health_report_matches_the_store() {
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    generate(
        &CampaignConfig {
            voters: 3_000,
            seed: 4,
        },
        &mut out,
    )
    .unwrap();
    let file = |o: Out| out.0[Out::ALL.iter().position(|x| *x == o).unwrap()].clone();
    on_backends(|env| {
        // Before anything: empty, no resolution.
        let h = app::health::report(&mut *env.store, "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            (h.loads_total, h.review_open, h.resolved_at.clone()),
            (0, 0, None)
        );
        env.import(Kind::NcVoter, "v.txt", &file(Out::NcVoter));
        env.import(Kind::Fec, "itcont.txt", &file(Out::Fec));
        let m = Mapping::parse(&String::from_utf8(file(Out::VolunteersMapping)).unwrap()).unwrap();
        env.try_import(Kind::Csv, Some(m), "vol.csv", &file(Out::Volunteers))
            .unwrap();
        let r =
            app::resolve::resolve(&mut *env.store, 0.5, "test", "2026-11-29T00:00:00Z").unwrap();
        store::accounts::audit(
            env.store.sql(),
            "2026-11-29T01:00:00Z",
            "user:organizer",
            "export",
            "turf 1",
            &serde_json::json!({}),
        )
        .unwrap();
        let h = app::health::report(&mut *env.store, "2026-11-28T12:00:00Z").unwrap();
        assert_eq!(h.loads_total, 4, "{}", env.name);
        assert_eq!(h.loads[0].kind, "resolve", "newest first");
        assert_eq!(h.resolve_load, Some(r.load_id));
        let voters_rejected: u64 = env
            .store
            .loads()
            .unwrap()
            .iter()
            .map(|l| l.counts.rejected)
            .sum();
        assert!(voters_rejected > 0, "the generator writes malformed rows");
        assert_eq!(h.rejected_last_day, voters_rejected, "{}", env.name);
        // Per source: the records the resolution read, and the links it made.
        for (t, name) in [
            (Table::Donations, "donations"),
            (Table::Volunteers, "volunteers"),
        ] {
            let m = h
                .match_by_source
                .iter()
                .find(|m| m.source == name)
                .unwrap_or_else(|| panic!("{name}: {:?}", h.match_by_source));
            assert_eq!(
                m.records,
                env.store.count(t).unwrap(),
                "{}: {name}",
                env.name
            );
            assert!(
                m.linked_to_voters > 0 && m.linked_to_voters <= m.records,
                "{m:?}"
            );
        }
        let linked: u64 = h.match_by_source.iter().map(|m| m.linked_to_voters).sum();
        assert_eq!(linked as usize, r.linked_to_voters);
        let open = env
            .store
            .sql()
            .query(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM review_queue WHERE decision IS NULL",
                &[],
            )
            .unwrap()[0]
            .int(0)
            .unwrap();
        assert_eq!(h.review_open, open);
        assert_eq!(h.exports_last_day, [("user:organizer".to_string(), 1)]);
        // Older than the day: not counted.
        let h = app::health::report(&mut *env.store, "2026-11-29T02:00:00Z").unwrap();
        assert!(h.exports_last_day.is_empty());
        assert!(h.models.is_empty() && h.models_waiting.is_empty());
    });
}

//! The trip board on both backends: the generator's board files loaded and planned; accepted
//! placements kept through re-planning and dropped when their offer is cancelled; volunteers'
//! posts matched with contact details hidden until every side accepted; declines never
//! proposed again; messages only between the people of one assignment; errors per field.

use app::trips::{self, BedOffer, BoardError, BoardFilter, Offer, RideOffer, TravelRequest};
use testkit::campaign::{generate_trips, Out, Outputs, TripCounts};

use super::{on_backends, Env};

const NOW: &str = "2026-10-20T12:00:00Z";
const HOUR_AGO: &str = "2026-10-20T11:00:00Z";

/// The generator's five board files in `env`'s directory.
fn board_files(env: &Env, counts: TripCounts) -> std::path::PathBuf {
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    generate_trips(5, counts, &mut out).unwrap();
    let dir = env.dir.path().join("board");
    std::fs::create_dir_all(&dir).unwrap();
    for o in [
        Out::Offices,
        Out::OfficeNeeds,
        Out::Rides,
        Out::Beds,
        Out::TravelRequests,
    ] {
        let i = Out::ALL.iter().position(|x| *x == o).unwrap();
        std::fs::write(dir.join(o.file_name()), &out.0[i]).unwrap();
    }
    dir
}

#[test]
fn generated_board_is_planned_and_accepted_placements_survive_replanning() {
    on_backends(|env| {
        let dir = board_files(
            env,
            TripCounts {
                travellers: 120,
                drivers: 50,
                hosts: 60,
            },
        );
        let sql = env.store.sql();
        let n = trips::import_dir(sql, &dir, NOW, "test").unwrap();
        assert_eq!(n, (6, 84, 50, 60, 120), "{}", env.name);
        let s = trips::run_plan(sql, NOW, "test").unwrap();
        assert!(s.placed > 10, "{}: {s:?}", env.name);
        assert!(s.covered_days > 0 && s.covered_days <= s.need_days);
        let offices = trips::offices(sql).unwrap();
        assert_eq!(offices.len(), 6);
        let planned_days: u64 = offices.iter().map(|o| o.planned).sum();
        assert_eq!(
            planned_days, s.covered_days,
            "{}: the offices' coverage is the plan's",
            env.name
        );
        // Nobody owns imported posts: a trip manager answers for every side.
        let all = store::trips::assignments(sql).unwrap();
        let accepted: Vec<_> = all.iter().take(5).collect();
        for a in &accepted {
            for side in ["traveller", "driver", "host"] {
                let has = match side {
                    "driver" => a.ride_id.is_some(),
                    "host" => a.bed_id.is_some(),
                    _ => true,
                };
                if has {
                    let at = planned(sql, &a.request_id);
                    trips::answer(
                        sql,
                        999,
                        true,
                        &a.request_id,
                        &at,
                        Some(side),
                        true,
                        NOW,
                        "test",
                    )
                    .unwrap();
                }
            }
            let now = store::trips::get_assignment(sql, &a.request_id)
                .unwrap()
                .unwrap();
            assert!(now.accepted(), "{}: {now:?}", env.name);
        }
        // A volunteer who owns nothing cannot answer.
        let at = planned(sql, &all[6].request_id);
        let e = trips::answer(
            sql,
            999,
            false,
            &all[6].request_id,
            &at,
            Some("traveller"),
            true,
            NOW,
            "t",
        )
        .unwrap_err();
        assert!(matches!(e, BoardError::NotFound(_)), "{e}");
        let again = trips::run_plan(sql, NOW, "test").unwrap();
        assert_eq!(again.kept_accepted, 5, "{}: {again:?}", env.name);
        let after = store::trips::assignments(sql).unwrap();
        for a in &accepted {
            let b = after.iter().find(|x| x.request_id == a.request_id).unwrap();
            assert_eq!(
                (
                    &b.office_id,
                    &b.first_day,
                    &b.ride_id,
                    &b.bed_id,
                    b.accepted()
                ),
                (&a.office_id, &a.first_day, &a.ride_id, &a.bed_id, true),
                "{}: an accepted placement is kept as it was",
                env.name
            );
        }
        // Cancelling the ride of an accepted placement removes it; the traveller is re-planned.
        let with_ride = accepted
            .iter()
            .find(|a| a.ride_id.is_some())
            .expect("a placement with a ride");
        let ride = with_ride.ride_id.clone().unwrap();
        let removed = trips::cancel(sql, 0, true, &ride, NOW).unwrap();
        assert!(removed >= 1);
        let third = trips::run_plan(sql, NOW, "test").unwrap();
        let now = store::trips::assignments(sql).unwrap();
        assert!(
            now.iter()
                .all(|a| a.ride_id.as_deref() != Some(ride.as_str())),
            "{}: a cancelled ride carries no one",
            env.name
        );
        assert!(third.kept_accepted <= 4, "{third:?}");
        // Loading the same files again changes nothing, and the cancelled ride stays cancelled.
        let before = store::trips::board_version(sql).unwrap();
        trips::import_dir(sql, &dir, NOW, "test").unwrap();
        assert_eq!(
            store::trips::board_version(sql).unwrap(),
            before,
            "{}",
            env.name
        );
        // The board shows the cancelled ride no more.
        let b = trips::board(
            sql,
            0,
            &BoardFilter {
                kind: Some("ride".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(b.iter().all(|e| e.id != ride));
        assert_eq!(b.len(), 49);
    });
}

/// The `planned_at` of a request's assignment in force.
fn planned(sql: &mut dyn store::sql::Sql, request: &str) -> String {
    store::trips::get_assignment(sql, request)
        .unwrap()
        .expect("an assignment")
        .planned_at
}

fn offices_only(env: &Env) -> std::path::PathBuf {
    let dir = env.dir.path().join("offices");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("field_offices.csv"),
        "office_id,name,city,county,lat,lon\nOFF01,Wake Field Office,RALEIGH,WAKE,35.78,-78.64\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("office_needs.csv"),
        "office_id,date,shifts_needed\nOFF01,2026-10-24,2\nOFF01,2026-10-25,2\nOFF01,2026-10-26,2\n",
    )
    .unwrap();
    std::fs::write(dir.join("ride_offers.csv"), "ride_id,driver,origin_city,origin_state,origin_lat,origin_lon,office_id,depart_earliest,depart_latest,seats\n").unwrap();
    std::fs::write(
        dir.join("bed_offers.csv"),
        "bed_id,host,city,lat,lon,from_date,to_date,beds\n",
    )
    .unwrap();
    std::fs::write(dir.join("travel_requests.csv"), "request_id,traveler,home_city,home_state,lat,lon,preferred_office,from_date,to_date,needs_ride,needs_bed\n").unwrap();
    dir
}

fn ride(name: &str) -> RideOffer {
    RideOffer {
        name: name.into(),
        contact: "driver@example.org".into(),
        origin_city: "Richmond".into(),
        origin_state: "VA".into(),
        lat: None,
        lon: None,
        office_id: "OFF01".into(),
        date: "2026-10-24".into(),
        depart_earliest: "08:00".into(),
        depart_latest: "09:00".into(),
        seats: 2,
        car: "sedan".into(),
        no_smoking: true,
        no_pets: false,
        no_children: false,
        wheelchair_accessible: false,
        return_date: Some("2026-10-26".into()),
        max_detour_km: Some(25.0),
    }
}

fn bed(name: &str) -> BedOffer {
    BedOffer {
        name: name.into(),
        contact: "919-555-0199".into(),
        city: "Raleigh".into(),
        state: "NC".into(),
        lat: Some(35.80),
        lon: Some(-78.62),
        from_date: "2026-10-23".into(),
        to_date: "2026-10-28".into(),
        beds: 1,
        no_smoking: false,
        no_pets: false,
        no_children: false,
        wheelchair_accessible: false,
    }
}

fn request(name: &str) -> TravelRequest {
    TravelRequest {
        name: name.into(),
        contact: "traveller@example.org".into(),
        home_city: "Richmond".into(),
        home_state: "VA".into(),
        lat: Some(37.56),
        lon: Some(-77.45),
        office_id: Some("OFF01".into()),
        from_date: "2026-10-24".into(),
        to_date: "2026-10-26".into(),
        needs_ride: true,
        needs_bed: true,
        wheelchair: false,
        smoker: false,
        pet: false,
        children: false,
    }
}

#[test]
fn volunteers_are_matched_and_see_each_other_only_once_everyone_accepted() {
    on_backends(|env| {
        let dir = offices_only(env);
        let sql = env.store.sql();
        trips::import_dir(sql, &dir, NOW, "test").unwrap();
        let (traveller, driver, host, stranger) = (11, 12, 13, 14);
        let req = trips::post(sql, traveller, Offer::Request(request("Tess")), NOW).unwrap();
        let r1 = trips::post(sql, driver, Offer::Ride(ride("Dan")), NOW).unwrap();
        let b1 = trips::post(sql, host, Offer::Bed(bed("Hal")), NOW).unwrap();
        assert!(
            r1.body.contains("\"lat\":37.54"),
            "the city is placed: {}",
            r1.body
        );
        // The board never shows names or contacts.
        let b = trips::board(sql, stranger, &BoardFilter::default()).unwrap();
        assert_eq!(b.len(), 3);
        let text = serde_json::to_string(&b).unwrap();
        for secret in ["Tess", "Dan", "Hal", "example.org", "555-0199"] {
            assert!(
                !text.contains(secret),
                "{}: the board shows {secret}: {text}",
                env.name
            );
        }
        let s = trips::run_plan(sql, NOW, "test").unwrap();
        assert_eq!(s.placed, 1, "{}: {s:?}", env.name);
        assert!(s.exact);
        let a = store::trips::get_assignment(sql, &req.id).unwrap().unwrap();
        assert_eq!(
            (a.ride_id.as_deref(), a.bed_id.as_deref()),
            (Some(r1.id.as_str()), Some(b1.id.as_str()))
        );
        assert_eq!(
            (a.first_day.as_str(), a.last_day.as_str()),
            ("2026-10-24", "2026-10-26")
        );
        let (_, items) = trips::itinerary(sql, traveller).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].state, "proposed");
        assert_eq!(items[0].waiting_for, ["traveller", "driver", "host"]);
        assert!(items[0].contacts.is_empty());
        assert!(
            items[0]
                .why
                .iter()
                .any(|l| l.contains("Wake Field Office needs volunteers on 3 of the 3 days")),
            "{:?}",
            items[0].why
        );
        let text = serde_json::to_string(&items).unwrap();
        assert!(
            !text.contains("Dan") && !text.contains("Hal") && !text.contains("example.org"),
            "{text}"
        );
        // The driver sees a traveller from Richmond, no name.
        let (_, d) = trips::itinerary(sql, driver).unwrap();
        assert_eq!(d[0].side, "driver");
        assert!(
            d[0].ride
                .as_deref()
                .unwrap()
                .contains("a traveller from Richmond, VA"),
            "{:?}",
            d[0].ride
        );
        assert!(!serde_json::to_string(&d).unwrap().contains("Tess"));
        // Messages: the parties only, signed by their side.
        let e = trips::send(sql, stranger, &req.id, "hello", NOW, HOUR_AGO).unwrap_err();
        assert!(matches!(e, BoardError::NotFound(_)), "{e}");
        trips::send(
            sql,
            driver,
            &req.id,
            "I can pick you up at 8",
            NOW,
            HOUR_AGO,
        )
        .unwrap();
        let m = trips::messages(sql, traveller, &req.id).unwrap();
        assert_eq!(
            (m[0].from.as_str(), m[0].mine, m[0].body.as_str()),
            ("driver", false, "I can pick you up at 8")
        );
        assert!(trips::messages(sql, stranger, &req.id).is_err());
        let e = trips::send(
            sql,
            driver,
            &req.id,
            &"x".repeat(trips::MESSAGE_CHARS_MAX + 1),
            NOW,
            HOUR_AGO,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("body: more than"), "{e}");
        // Everyone accepts: the contacts appear.
        let at = planned(sql, &req.id);
        // An answer to another proposal than the one in force is refused.
        let e = trips::answer(
            sql,
            traveller,
            false,
            &req.id,
            "2026-01-01T00:00:00Z/old",
            None,
            true,
            NOW,
            "t",
        )
        .unwrap_err();
        assert!(matches!(e, BoardError::Conflict(_)), "{e}");
        trips::answer(sql, traveller, false, &req.id, &at, None, true, NOW, "t").unwrap();
        trips::answer(sql, driver, false, &req.id, &at, None, true, NOW, "t").unwrap();
        let (_, items) = trips::itinerary(sql, traveller).unwrap();
        assert_eq!(items[0].waiting_for, ["host"]);
        assert!(items[0].contacts.is_empty(), "not before the host accepted");
        trips::answer(sql, host, false, &req.id, &at, None, true, NOW, "t").unwrap();
        let (_, items) = trips::itinerary(sql, traveller).unwrap();
        assert_eq!(items[0].state, "accepted");
        assert_eq!(
            items[0].contacts,
            ["Driver: Dan, driver@example.org", "Host: Hal, 919-555-0199"]
        );
        let (_, d) = trips::itinerary(sql, driver).unwrap();
        assert_eq!(
            d[0].contacts,
            [
                "Traveller: Tess, traveller@example.org",
                "Host: Hal, 919-555-0199"
            ]
        );
        let offices = trips::offices(sql).unwrap();
        assert_eq!(
            (offices[0].needed, offices[0].planned, offices[0].accepted),
            (6, 3, 3)
        );
        // The office's priority and needs, set by a manager.
        trips::set_needs(sql, "OFF01", &[("2026-10-27".into(), 4)], Some(3), NOW, "t").unwrap();
        let offices = trips::offices(sql).unwrap();
        assert_eq!((offices[0].weight, offices[0].needed), (3, 10));
        let e = trips::set_needs(sql, "OFF01", &[], Some(11), NOW, "t").unwrap_err();
        assert_eq!(e.to_string(), "weight: must be 1 to 10");
        let e = trips::set_needs(sql, "OFF09", &[], None, NOW, "t").unwrap_err();
        assert!(matches!(e, BoardError::NotFound(_)), "{e}");
    });
}

#[test]
fn a_declined_ride_is_never_proposed_again() {
    on_backends(|env| {
        let dir = offices_only(env);
        let sql = env.store.sql();
        trips::import_dir(sql, &dir, NOW, "test").unwrap();
        let req = trips::post(
            sql,
            21,
            Offer::Request(TravelRequest {
                needs_bed: false,
                ..request("Tess")
            }),
            NOW,
        )
        .unwrap();
        let r1 = trips::post(sql, 22, Offer::Ride(ride("Dan")), NOW).unwrap();
        trips::run_plan(sql, NOW, "test").unwrap();
        let a = store::trips::get_assignment(sql, &req.id).unwrap().unwrap();
        assert_eq!(a.ride_id.as_deref(), Some(r1.id.as_str()));
        assert_eq!(a.host_ok, true, "no bed: nothing to wait for from a host");
        let at = planned(sql, &req.id);
        trips::send(sql, 21, &req.id, "my number is 555-0101", NOW, HOUR_AGO).unwrap();
        trips::answer(sql, 22, false, &req.id, &at, None, false, NOW, "t").unwrap();
        assert!(store::trips::get_assignment(sql, &req.id)
            .unwrap()
            .is_none());
        assert!(
            store::trips::messages(sql, &req.id).unwrap().is_empty(),
            "{}: the messages with the driver who declined are gone",
            env.name
        );
        trips::run_plan(sql, NOW, "test").unwrap();
        assert!(
            store::trips::get_assignment(sql, &req.id)
                .unwrap()
                .is_none(),
            "{}: the declined ride is not proposed again",
            env.name
        );
        // Another driver: placed again.
        let r2 = trips::post(sql, 23, Offer::Ride(ride("Eve")), NOW).unwrap();
        trips::run_plan(sql, NOW, "test").unwrap();
        let a = store::trips::get_assignment(sql, &req.id).unwrap().unwrap();
        assert_eq!(a.ride_id.as_deref(), Some(r2.id.as_str()));
        // Changing the ride removes the placement (to be planned again).
        let changed = trips::change(
            sql,
            23,
            false,
            &r2.id,
            Offer::Ride(RideOffer {
                seats: 3,
                ..ride("Eve")
            }),
            NOW,
        )
        .unwrap();
        assert!(changed.body.contains("\"seats\":3"));
        let a = store::trips::get_assignment(sql, &req.id).unwrap().unwrap();
        assert_eq!(
            (a.ride_id.as_deref(), a.traveller_ok),
            (None, false),
            "{}",
            env.name
        );
        let (_, items) = trips::itinerary(sql, 21).unwrap();
        assert_eq!(
            items[0].why,
            [store::trips::OFFER_CHANGED],
            "the traveller is told"
        );
        let (_, items) = trips::itinerary(sql, 23).unwrap();
        assert!(items.is_empty(), "the driver no longer carries them");
        trips::run_plan(sql, NOW, "test").unwrap();
        let a = store::trips::get_assignment(sql, &req.id).unwrap().unwrap();
        assert_eq!(a.ride_id.as_deref(), Some(r2.id.as_str()), "planned again");
        // Someone else's post cannot be changed or cancelled.
        let e = trips::cancel(sql, 21, false, &r2.id, NOW).unwrap_err();
        assert!(matches!(e, BoardError::NotFound(_)), "{e}");
        // A traveller who comes on their own and declines the office: not proposed again.
        let own = trips::post(
            sql,
            24,
            Offer::Request(TravelRequest {
                needs_ride: false,
                needs_bed: false,
                ..request("Olga")
            }),
            NOW,
        )
        .unwrap();
        trips::run_plan(sql, NOW, "test").unwrap();
        let at = planned(sql, &own.id);
        trips::answer(sql, 24, false, &own.id, &at, None, false, NOW, "t").unwrap();
        trips::run_plan(sql, NOW, "test").unwrap();
        assert!(
            store::trips::get_assignment(sql, &own.id)
                .unwrap()
                .is_none(),
            "{}: the declined office is not proposed again",
            env.name
        );
        // A plan made on a board that moved meanwhile is not written.
        let version = store::trips::board_version(sql).unwrap();
        trips::post(sql, 25, Offer::Bed(bed("Hal")), NOW).unwrap();
        assert!(!store::trips::replace_assignments(sql, &[], &version).unwrap());
        assert!(
            store::trips::get_assignment(sql, &req.id)
                .unwrap()
                .is_some(),
            "nothing was written"
        );
    });
}

#[test]
fn bad_posts_and_files_name_the_field_and_row() {
    on_backends(|env| {
        let dir = offices_only(env);
        let sql = env.store.sql();
        trips::import_dir(sql, &dir, NOW, "test").unwrap();
        let cases: Vec<(Offer, &str)> = vec![
            (
                Offer::Ride(RideOffer {
                    date: "24/10/2026".into(),
                    ..ride("D")
                }),
                "date: \"24/10/2026\" is not a date (YYYY-MM-DD)",
            ),
            (
                Offer::Ride(RideOffer {
                    seats: 0,
                    ..ride("D")
                }),
                "seats: must be 1 to 8",
            ),
            (
                Offer::Ride(RideOffer {
                    office_id: "OFF99".into(),
                    ..ride("D")
                }),
                "office_id: \"OFF99\" is not a field office",
            ),
            (
                Offer::Ride(RideOffer {
                    origin_city: "Smallville".into(),
                    ..ride("D")
                }),
                "origin_city: Smallville, VA is not a place Tusk knows by name; give lat and lon",
            ),
            (
                Offer::Ride(RideOffer {
                    depart_latest: "07:00".into(),
                    ..ride("D")
                }),
                "depart_latest: is before depart_earliest",
            ),
            (
                Offer::Ride(RideOffer {
                    max_detour_km: Some(1e9),
                    ..ride("D")
                }),
                "max_detour_km: must be 0 to 300",
            ),
            (
                Offer::Bed(BedOffer {
                    to_date: "2026-10-23".into(),
                    ..bed("H")
                }),
                "to_date: must be after from_date (the check-out day)",
            ),
            (
                Offer::Bed(BedOffer {
                    lat: Some(95.0),
                    ..bed("H")
                }),
                "lat: must be between -90 and 90",
            ),
            (
                Offer::Request(TravelRequest {
                    name: " ".into(),
                    ..request("T")
                }),
                "name: is empty",
            ),
            (
                Offer::Request(TravelRequest {
                    home_state: "Virginia".into(),
                    ..request("T")
                }),
                "home_state: \"Virginia\" is not a two-letter state",
            ),
        ];
        for (offer, want) in cases {
            let e = trips::post(sql, 31, offer, NOW).unwrap_err();
            assert_eq!(e.to_string(), want, "{}", env.name);
        }
        assert!(
            store::trips::posts(sql, None, None, None)
                .unwrap()
                .is_empty(),
            "nothing bad was kept"
        );
        for _ in 0..trips::POSTS_PER_PERSON_MAX {
            trips::post(sql, 32, Offer::Bed(bed("H")), NOW).unwrap();
        }
        let e = trips::post(sql, 32, Offer::Bed(bed("H")), NOW).unwrap_err();
        assert!(e.to_string().contains("cancel one first"), "{e}");
        // A bad row in a board file: the file, row and column named, nothing loaded.
        std::fs::write(
            dir.join("ride_offers.csv"),
            "ride_id,driver,origin_city,origin_state,origin_lat,origin_lon,office_id,depart_earliest,depart_latest,seats\n\
             R1,D,RICHMOND,VA,37.5,-77.4,OFF01,2026-10-24T08:00,2026-10-24T09:00,2\n\
             R2,D,RICHMOND,VA,37.5,-77.4,OFF01,2026-10-24T08:00,2026-10-24T09:00,twelve\n",
        )
        .unwrap();
        let before = store::trips::posts(sql, None, None, None).unwrap().len();
        let e = trips::import_dir(sql, &dir, NOW, "test").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ride_offers.csv, row 3, seats: \"twelve\" is not a number"
        );
        assert_eq!(
            store::trips::posts(sql, None, None, None).unwrap().len(),
            before
        );
        std::fs::write(
            dir.join("ride_offers.csv"),
            "ride_id,driver,origin_city,origin_state,origin_lat,origin_lon,office_id,depart_earliest,depart_latest,seats\n\
             R1,D,RICHMOND,VA,37.5,-77.4,OFF07,2026-10-24T08:00,2026-10-24T09:00,2\n",
        )
        .unwrap();
        let e = trips::import_dir(sql, &dir, NOW, "test").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ride_offers.csv, row 2, office_id: \"OFF07\" is not an office in field_offices.csv"
        );
    });
}

#[test]
fn messages_are_rate_limited() {
    on_backends(|env| {
        let dir = offices_only(env);
        let sql = env.store.sql();
        trips::import_dir(sql, &dir, NOW, "test").unwrap();
        let req = trips::post(
            sql,
            41,
            Offer::Request(TravelRequest {
                needs_bed: false,
                ..request("T")
            }),
            NOW,
        )
        .unwrap();
        trips::post(sql, 42, Offer::Ride(ride("D")), NOW).unwrap();
        trips::run_plan(sql, NOW, "test").unwrap();
        for i in 0..trips::MESSAGES_PER_HOUR_MAX {
            trips::send(sql, 41, &req.id, &format!("m{i}"), NOW, HOUR_AGO).unwrap();
        }
        let e = trips::send(sql, 41, &req.id, "one more", NOW, HOUR_AGO).unwrap_err();
        assert!(
            matches!(
                e,
                BoardError::RateLimited {
                    retry_seconds: 3600,
                    ..
                }
            ),
            "{e}"
        );
        // An hour later the window has moved on.
        trips::send(
            sql,
            41,
            &req.id,
            "later",
            "2026-10-20T13:00:01Z",
            "2026-10-20T12:00:01Z",
        )
        .unwrap();
    });
}

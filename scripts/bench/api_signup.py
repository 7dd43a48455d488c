"""Sequential create-or-match sign-ups through the API, timed from the client (latency of the
whole request: validation, matching against the voters, one durable load, audit).

usage: api_signup.py PORT KEY DB N
Half the sign-ups copy a voter's name, address and birth year (a new e-mail), half are made up.
"""
import http.client, json, random, sqlite3, sys, time

port, key, db, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
random.seed(5)
RUN = int(time.time())
rows = sqlite3.connect(db).execute(
    "select first_name, last_name, address_line, city, zip5, birth_year from voters "
    "where removed_load_id is null order by random() limit ?", (n,)).fetchall()
conn = http.client.HTTPConnection("127.0.0.1", port)
lat, outcomes = [], {}
start, ready = time.perf_counter(), None
i = 0
while i < n:
    if i % 2 == 0 and i // 2 < len(rows):
        f, l, a, c, z, y = rows[i // 2]
        person = {"given_name": f, "family_name": l,
                  "email_addresses": [{"address": f"bench.{i}@example.org"}],
                  "postal_addresses": [{"address_lines": [a], "locality": c, "region": "NC", "postal_code": z}],
                  "birthdate": {"year": y}}
    else:
        person = {"given_name": f"Zed{i}", "family_name": f"Nobody{i}",
                  "email_addresses": [{"address": f"nobody.{i}@example.org"}]}
    body = json.dumps({"person": dict(person, identifiers=[f"bench{RUN}:{i}"])})
    t = time.perf_counter()
    conn.request("POST", "/api/v1/people/person_signup_helper", body,
                 {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status == 503:
        # The voter index is being built: not a sign-up's latency; try the same one again.
        time.sleep(1)
        continue
    if ready is None:
        ready = time.perf_counter() - start
    lat.append((time.perf_counter() - t) * 1000)
    o = json.loads(data).get("outcome", str(r.status))
    outcomes[o] = outcomes.get(o, 0) + 1
    i += 1
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(json.dumps({"index_ready_after_s": round(ready or 0, 1), "requests": len(lat), "p50_ms": round(q(0.5), 2), "p90_ms": round(q(0.9), 2),
                  "p99_ms": round(q(0.99), 2), "max_ms": round(lat[-1], 2), "outcomes": outcomes}))

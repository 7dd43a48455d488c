-- wrk: GET /api/v1/people/{id} for random ids in 1..PEOPLE (env), with the key in KEY.
local people = tonumber(os.getenv("PEOPLE"))
local key = os.getenv("KEY")
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/people/" .. math.random(1, people), { ["Authorization"] = "Bearer " .. key })
end

-- wrk: GET /api/v1/people?name=LAST for last names read from NAMES (env, one per line).
local key = os.getenv("KEY")
local names = {}
for line in io.lines(os.getenv("NAMES")) do names[#names + 1] = line end
math.randomseed(42)
request = function()
  local n = names[math.random(1, #names)]
  return wrk.format("GET", "/api/v1/people?name=" .. n:gsub(" ", "%%20") .. "&per_page=25", { ["Authorization"] = "Bearer " .. key })
end

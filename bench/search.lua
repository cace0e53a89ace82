-- wrk script: search each person's blood pressures back, 10 per page; a
-- second argument is added to the query (e.g. "&_summary=count").
local tokens = {}
local n = 0
local extra = ""

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line:match("^(%S+)") end
  extra = args[2] or ""
end

function request()
  n = n + 1
  return wrk.format("GET", "/fhir/Observation?code=http://loinc.org%7C85354-9&date=ge2026-11-01&_count=10" .. extra,
    { ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] })
end

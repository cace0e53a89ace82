-- wrk script: search each person's blood pressures back, 10 per page.
local tokens = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line:match("^(%S+)") end
end

function request()
  n = n + 1
  return wrk.format("GET", "/fhir/Observation?code=http://loinc.org%7C85354-9&date=ge2026-11-01&_count=10",
    { ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] })
end

-- wrk script: POST blood-pressure Observations, each request as the next
-- person in the tokens file ("token record-id" a line).
local tokens = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line:match("^(%S+)") end
end

function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local body = string.format(
    '{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},' ..
    '"effectiveDateTime":"2026-11-%02dT07:%02d:00+09:00","component":[' ..
    '{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},' ..
    '{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}',
    (n % 20) + 1, n % 60, 100 + (n % 60), 60 + (n % 30))
  return wrk.format("POST", "/fhir/Observation",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/fhir+json" }, body)
end

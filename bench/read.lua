-- wrk script: read one record by id, each request as the next person in
-- the tokens file ("token record-id" a line): the request the gate guards.
local people = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    local token, id = line:match("^(%S+) (%S+)")
    people[#people + 1] = { token = token, id = id }
  end
end

function request()
  n = n + 1
  local p = people[(n % #people) + 1]
  return wrk.format("GET", "/fhir/Observation/" .. p.id, { ["Authorization"] = "Bearer " .. p.token })
end

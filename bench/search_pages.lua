-- wrk script: walk a person's blood pressures page by page, 10 a page,
-- newest first, by the Bundle's next links (a snapshot and a place, issue
-- 20); at the last page the walk begins again. Each wrk thread walks as one
-- person (a link works only for whom it was made), its connections taking
-- whichever link came back last.
local path, token
local first = "/fhir/Observation?code=http://loinc.org%7C85354-9&date=ge2026-11-01&_count=10"

function init(args)
  local tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line:match("^(%S+)") end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
  token = tokens[math.random(#tokens)]
end

function request()
  return wrk.format("GET", path or first, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  local url = body:match('"relation":"next","url":"([^"]+)"')
  path = url and url:match("^https?://[^/]+(/.*)$") or nil
end

-- wrk script: each request carries the next of the tokens listed in $E2E_TOKENS (one per line),
-- so every request is a different user's token, as real traffic is. $E2E_HEADER names the header
-- (Authorization unless set: run.py's no-auth runs send the same bytes in a header nothing reads).
local header = os.getenv("E2E_HEADER") or "Authorization"
local tokens = {}
for line in io.lines(os.getenv("E2E_TOKENS")) do
  tokens[#tokens + 1] = "Bearer " .. line
end
local index = math.random(#tokens)

request = function()
  index = index % #tokens + 1
  return wrk.format("GET", nil, { [header] = tokens[index] })
end

-- SPDX-License-Identifier: Apache-2.0
-- wrk -s bench/wrk/pipeline.lua URL -- DEPTH: each write carries DEPTH requests (default 16),
-- as TechEmpower's pipelined plaintext test sends them.
init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end

-- wrk script for bench/serve_load.sh: GETs a list endpoint at random pages, so that 200
-- connections do not all read the same cached page.
--   wrk ... -s bench/serve_load.lua URL -- PATH_WITH_%d MAX_PAGE
local template, maxpage
function init(args)
  template = args[1]
  maxpage = tonumber(args[2]) or 1
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + (wrk.thread and 0 or 0))
end
function request()
  return wrk.format("GET", string.format(template, math.random(1, maxpage)))
end

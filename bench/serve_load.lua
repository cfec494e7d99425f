-- wrk script for bench/serve_load.sh: GETs a list endpoint at random pages, so that 200
-- connections do not all read the same cached page.
--   wrk ... -s bench/serve_load.lua URL -- PATH_WITH_%d MAX_PAGE [THINK_MS]
-- THINK_MS (default 0): each connection waits that long after an answer before its next
-- request, as a person reading a page does. With 0 every connection asks again at once (a
-- closed loop at saturation), so the latency is set by throughput: p50 is about connections
-- divided by requests per second (Little's law), whatever one request costs.
local template, maxpage, think
function init(args)
  template = args[1]
  maxpage = tonumber(args[2]) or 1
  think = tonumber(args[3]) or 0
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + (wrk.thread and 0 or 0))
end
function request()
  return wrk.format("GET", string.format(template, math.random(1, maxpage)))
end
function delay()
  if think <= 0 then
    return 0
  end
  -- Uniform in [think/2, 3*think/2], so the connections do not fall into step.
  return math.floor(think / 2 + math.random() * think)
end

-- wrk script for scripts/bench-serve.sh: a school's lesson pages, not one file repeated.
--
--   wrk -t2 -c64 -d10s -s scripts/bench-serve-pages.lua http://127.0.0.1:PORT -- URL_LIST THREADS
--
-- URL_LIST has one request path per line (each server has its own list naming the same files in the same order:
-- a lesson page, then its images, then the next lesson). Every connection of a thread takes the next path of the
-- thread's walk through the list, round and round, so requests spread over all the files; the threads start at
-- evenly spaced places in the list. The requests are formatted once, in init, so that wrk's Lua costs no more per
-- request than a fixed request would.

local next_id = 0
function setup(thread)
    next_id = next_id + 1
    thread:set("id", next_id)
end

local requests = {}
local position = 1

function init(args)
    local list, threads = args[1], tonumber(args[2] or "1")
    assert(list, "usage: wrk ... -s bench-serve-pages.lua URL -- URL_LIST THREADS")
    for path in io.lines(list) do
        if path ~= "" then
            requests[#requests + 1] = wrk.format("GET", path)
        end
    end
    assert(#requests > 0, "no paths in " .. list)
    position = math.floor((id - 1) * #requests / threads) % #requests + 1
end

function request()
    local r = requests[position]
    position = position % #requests + 1
    return r
end

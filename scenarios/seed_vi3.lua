-- seed_vi3.lua -- the seed walk-through: why "Delete All" on ESX 3.5 once needed 32 GB free.
--
-- A 30 GB thick disk with three snapshots whose deltas hold 5, 2 and 15 GB of
-- disjoint guest writes:   flat 30 GB <- 000001 (5 GB) <- 000002 (2 GB) <- 000003 (15 GB, current)
-- Three identical VMs, one per datastore, each show one deletion:
--   vi3-newest: delete the newest snapshot  -> 000003 merged into 000002: needs 15 GB free
--   vi3-first:  delete the first snapshot   -> 000001 merged into the thick flat file: needs 0
--   vi3-all:    Delete All, ESX 3.x order   -> 15 + 17 + 0 = 32 GB free
-- The `ideal` format (4 KiB grains, no metadata) makes the arithmetic exact; with
-- FORMAT=vmfsSparse (snapsim run ... --set FORMAT=vmfsSparse) metadata adds a little.
-- STRATEGY (default esx35) picks the strategy for all three.

local strategy = STRATEGY or "esx35"
local format = FORMAT or "ideal"

scenario { name = "seed walk-through (VI3 Delete All)", duration = "3h", seed = 1, sample_every = "1m" }

local vms = { "vi3-newest", "vi3-first", "vi3-all" }
host "esx01" { clock = { offset = "0s", drift_ppm = 0 } }
for _, name in ipairs(vms) do
  datastore ("ds-" .. name) { capacity = "100GB", bandwidth = "100MB/s" }
end
for _, name in ipairs(vms) do
  vm (name) {
    host = "esx01", datastore = "ds-" .. name, memory = "1GB", power = "on",
    disk = { size = "30GB", provisioning = "thick", format = format },
    strategy = strategy,
  }
end

local GB = 1024 * 1024 * 1024
local function gb(b) return string.format("%.2f GB", b / GB) end
local function used(name) return datastore_state("ds-" .. name).used end

-- Build the chain on every VM: snapshot, write, snapshot, write, ...
at(0, function()
  print("Three VMs (vi3-newest, vi3-first, vi3-all) on host esx01, each alone on its own 100 GB datastore "
    .. "(ds-vi3-newest, ds-vi3-first, ds-vi3-all), so each datastore's use shows one deletion; strategy "
    .. strategy .. ".")
  print("Each VM has a 30 GB thick disk. We take three snapshots; the guest writes 5, 2 and 15 GB after them.")
  for _, name in ipairs(vms) do
    snapshot(name, "s1"); write(name, { offset = 0,      bytes = 5 * GB })
    snapshot(name, "s2"); write(name, { offset = 5 * GB, bytes = 2 * GB })
    snapshot(name, "s3"); write(name, { offset = 7 * GB, bytes = 15 * GB })
  end
  local st = vm_state("vi3-all")
  for _, f in ipairs(st.files) do
    print(string.format("  %-26s %-6s %s", f.name, f.kind, gb(f.size)))
  end
  print("The guest now writes only to the newest delta (000003); reads go down the chain.")
end)

-- One deletion at a time, so each can be followed on its own.
local before = {}
local function start(name, what, fn)
  before[name] = used(name)
  print(what)
  fn()
end
at("10m", function()
  start("vi3-newest", "vi3-newest: delete the newest snapshot (s3): 000003 is merged into its parent 000002, "
    .. "which grows by what 000003 holds; then 000003 is removed. Needs up to 15 GB free.",
    function() delete_snapshot("vi3-newest", "s3") end)
end)
at("30m", function()
  start("vi3-first", "vi3-first: delete the first snapshot (s1): 000001 is merged into the thick flat file, "
    .. "which already has its full 30 GB: it is written in place. Needs 0 free.",
    function() delete_snapshot("vi3-first", "s1") end)
end)
at("50m", function()
  start("vi3-all", "vi3-all: Delete All with strategy " .. strategy .. "."
    .. (strategy == "esx35" and " ESX 3.x merges the newest delta into its parent, again and again down the chain, "
        .. "and removes no file until the end." or ""),
    function() delete_all("vi3-all") end)
end)

STEPS = {}     -- per VM, its merges in order: { from, to, bytes, helper, d } (d: use minus before)
on("consolidation_step", function(e)
  local d = e.used - before[e.vm]
  STEPS[e.vm] = STEPS[e.vm] or {}
  local from, to = e.detail:match("(%S+) %-> (%S+)")
  table.insert(STEPS[e.vm], { from = from, to = to, bytes = e.bytes, helper = e.detail:find("helper") ~= nil, d = d })
  print(string.format("  %s: merged %s: %s copied in %s; the datastore now holds %s %s than before",
    e.vm, e.detail, gb(e.bytes), duration_text(e.value), gb(math.abs(d)), d >= 0 and "more" or "less"))
end)

RESULTS = {}   -- per VM, the consolidation_done event (read by the tests)
on("consolidation_done", function(e)
  RESULTS[e.vm] = e
  print(string.format("%s done: peak extra space %s (the seed's worst case: %s), %s copied, %s, VM stunned %s",
    e.vm, gb(e.peak_extra_bytes), gb(e.worst_case_bytes), gb(e.bytes_copied), duration_text(e.duration),
    duration_text(e.stun_time)))
  record("peak_extra_GB:" .. e.vm, e.peak_extra_bytes / GB)
end)

-- The closing explanation, from what this run did.
local function short(f) return (f or "?"):match("(%d%d%d%d%d%d)%-delta") or (f or "?"):match("(flat)") or f end
at("3h", function()
  local r, steps = RESULTS["vi3-all"], STEPS["vi3-all"] or {}
  if not r then
    print("Delete All on vi3-all did not finish in this run.")
    return
  end
  local peak = r.peak_extra_bytes
  local parts, grew, last = {}, {}, 0
  for _, st in ipairs(steps) do
    if not st.helper then
      table.insert(parts, string.format("%s (%s) into %s", short(st.from), gb(st.bytes), short(st.to)))
      if st.d > last then table.insert(grew, gb(st.d - last)) end
      last = math.max(last, st.d)
    end
  end
  local msg = string.format("Why %s: with %s, Delete All merged %s.", gb(peak), r.strategy, table.concat(parts, ", then "))
  if peak > 0 then
    msg = msg .. string.format(" Each merge grew its target and no file was removed until the end, so the datastore "
      .. "held %s more at its highest (%s).", gb(peak), table.concat(grew, " + "))
  else
    msg = msg .. " Each delta went into the thick flat file, which already has its full 30 GB (written in place), "
      .. "and was removed after its merge: the datastore never held more than before, 0 GB extra."
  end
  for _, st in ipairs(steps) do
    if st.helper then
      msg = msg .. string.format(" Last came the helper %s: while the merges ran, the guest's writes went to this "
        .. "helper delta, merged at the end with the VM stunned (%s here).", short(st.from), gb(st.bytes))
    end
  end
  msg = msg .. (r.strategy == "esx35" and " Newer ESX merges the oldest delta into the base first and frees each file "
    .. "after its merge (try --set STRATEGY=vsphere41)." or " ESX 3.x merged newest first and freed nothing until "
    .. "the end (try --set STRATEGY=esx35).")
  print(msg)
end)

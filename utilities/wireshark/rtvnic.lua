-- rtvnic.lua: Wireshark/tshark decoder for the RTvNIC wire stamp.
--
-- Copyright (c) 2026 RTvNIC authors.  Licensed under the Apache License,
-- Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
--
-- RTvNIC carries a per-packet stamp in one Geneve option (RFC 8926) on
-- every tunnelled packet of a real-time vNIC: option class 0xFFF0, type
-- 0x52 (both configurable in RTvNIC, and here as preferences), 6 words =
-- 24 data bytes, network byte order:
--
--    0-7   arrival_ns       wall-clock ns when the packet entered the
--                           sending switch
--    8-11  depart_delta_ns  departure from the EDF egress minus arrival
--   12-15  deadline_us      the vNIC's contract deadline (0: best effort)
--   16-17  vnic_id          sender-local source id
--   18     dscp << 2 | flags  original inner DSCP; flag 0x1: DSCP valid
--   19     version          1
--   20-23  seq              per (vNIC, tunnel destination) sequence number
--
-- Wireshark 4.0 (Debian 12) has no dissector table for Geneve options (its
-- Geneve dissector shows unknown options as "Unknown Option Data"), so this
-- is a post-dissector: it walks the options of every Geneve header in the
-- packet and decodes each RTvNIC option it finds into an "RTvNIC stamp"
-- tree with these fields:
--
--   rtvnic.arrival_ns  rtvnic.arrival (absolute time)  rtvnic.depart_delta_ns
--   rtvnic.deadline_us rtvnic.vnic_id  rtvnic.dscp  rtvnic.flags
--   rtvnic.flags.dscp_valid  rtvnic.version  rtvnic.seq
--
-- Usage:
--   tshark -X lua_script:utilities/wireshark/rtvnic.lua -r outer.pcap \
--       -Y rtvnic -T fields -e rtvnic.vnic_id -e rtvnic.seq -e rtvnic.arrival_ns
--   tshark -X lua_script:utilities/wireshark/rtvnic.lua -r outer.pcap -V -Y rtvnic
--   wireshark -X lua_script:utilities/wireshark/rtvnic.lua outer.pcap
-- or copy the file to ~/.local/lib/wireshark/plugins/ (Wireshark's personal
-- Lua plugin folder).  Another option class/type (preferences take decimal
-- values), e.g. class 0xfff1, type 0x53:
--   -o rtvnic.opt_class:65521 -o rtvnic.opt_type:83
-- A malformed option (wrong length) is flagged with an expert item
-- ("rtvnic.bad_length") and not decoded.

local rtvnic = Proto("rtvnic", "RTvNIC stamp (Geneve option)")

local DATA_LEN = 24

local pf = {
    opt_class = ProtoField.uint16("rtvnic.class", "Option class", base.HEX),
    opt_type = ProtoField.uint8("rtvnic.type", "Option type", base.HEX),
    arrival_ns = ProtoField.uint64("rtvnic.arrival_ns", "Arrival (ns)",
                                   base.DEC),
    arrival = ProtoField.absolute_time("rtvnic.arrival", "Arrival",
                                       base.UTC),
    depart_delta_ns = ProtoField.uint32("rtvnic.depart_delta_ns",
                                        "Departure - arrival (ns)", base.DEC),
    deadline_us = ProtoField.uint32("rtvnic.deadline_us", "Deadline (us)",
                                    base.DEC),
    vnic_id = ProtoField.uint16("rtvnic.vnic_id", "vNIC id", base.DEC),
    dscp = ProtoField.uint8("rtvnic.dscp", "Original DSCP", base.DEC, nil,
                            0xfc),
    flags = ProtoField.uint8("rtvnic.flags", "Flags", base.HEX, nil, 0x03),
    flag_dscp = ProtoField.bool("rtvnic.flags.dscp_valid", "DSCP valid", 8,
                                nil, 0x01),
    version = ProtoField.uint8("rtvnic.version", "Version", base.DEC),
    seq = ProtoField.uint32("rtvnic.seq", "Sequence number", base.DEC),
}
rtvnic.fields = pf

local ef_bad_length = ProtoExpert.new("rtvnic.bad_length",
                                      "RTvNIC option has a bad length",
                                      expert.group.MALFORMED,
                                      expert.severity.ERROR)
local ef_bad_version = ProtoExpert.new("rtvnic.bad_version",
                                       "Unknown RTvNIC stamp version",
                                       expert.group.PROTOCOL,
                                       expert.severity.WARN)
rtvnic.experts = { ef_bad_length, ef_bad_version }

rtvnic.prefs.opt_class = Pref.uint("Option class", 0xfff0,
                                   "Geneve option class of the RTvNIC stamp " ..
                                   "(decimal; default 65520 = 0xfff0)")
rtvnic.prefs.opt_type = Pref.uint("Option type", 0x52,
                                  "Geneve option type of the RTvNIC stamp " ..
                                  "(decimal; default 82 = 0x52)")

-- All Geneve options of a header, as one field: we parse them ourselves.
local f_geneve_options = Field.new("geneve.options")

local function decode_option(tree, data)
    local t = tree:add(rtvnic, data, "RTvNIC stamp")
    local arrival = data(0, 8):uint64()

    t:add(pf.arrival_ns, data(0, 8))
    local secs = (arrival / 1000000000):tonumber()
    local nsecs = (arrival % 1000000000):tonumber()
    t:add(pf.arrival, data(0, 8), NSTime.new(secs, nsecs))
    t:add(pf.depart_delta_ns, data(8, 4))
    t:add(pf.deadline_us, data(12, 4))
    t:add(pf.vnic_id, data(16, 2))
    t:add(pf.dscp, data(18, 1))
    local ft = t:add(pf.flags, data(18, 1))
    ft:add(pf.flag_dscp, data(18, 1))
    local vt = t:add(pf.version, data(19, 1))
    if data(19, 1):uint() ~= 1 then
        vt:add_proto_expert_info(ef_bad_version)
    end
    t:add(pf.seq, data(20, 4))
    return data(16, 2):uint(), data(20, 4):uint()
end

function rtvnic.dissector(tvb, pinfo, tree)
    local want_class = rtvnic.prefs.opt_class
    local want_type = rtvnic.prefs.opt_type
    local infos = {}

    for _, fi in ipairs({ f_geneve_options() }) do
        local range = fi.range
        local len = range:len()
        local off = 0

        while off + 4 <= len do
            local class = range(off, 2):uint()
            local otype = range(off + 2, 1):uint()
            local olen = range(off + 3, 1):bitfield(3, 5) * 4

            if off + 4 + olen > len then
                break
            end
            if class == want_class and otype == want_type then
                if olen ~= DATA_LEN then
                    local t = tree:add(rtvnic, range(off, 4 + olen),
                                       "RTvNIC stamp (bad length)")
                    t:add(pf.opt_class, range(off, 2))
                    t:add(pf.opt_type, range(off + 2, 1))
                    t:add_proto_expert_info(ef_bad_length,
                        string.format("RTvNIC option has %d data bytes, not %d",
                                      olen, DATA_LEN))
                else
                    local vnic, seq = decode_option(tree, range(off + 4, olen))
                    infos[#infos + 1] = string.format("vnic=%d seq=%d",
                                                      vnic, seq)
                end
            end
            off = off + 4 + olen
        end
    end
    if #infos > 0 then
        pinfo.cols.info:append(" [RTvNIC " .. table.concat(infos, "; ") .. "]")
    end
end

register_postdissector(rtvnic)

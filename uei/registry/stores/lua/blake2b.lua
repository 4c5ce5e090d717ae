-- BLAKE2b-256 (RFC 7693) in Redis's Lua 5.1 with its bit library: the change log's chain
-- hash, so the append script can chain entries in the store. A 64-bit word is two signed
-- 32-bit halves (hi, lo); sums carry through doubles, which are exact far beyond 2^33.
-- Defines the local function blake2b_256_hex(message) for the script it is prepended to.
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local shl, shr, tobit = bit.lshift, bit.rshift, bit.tobit
local byte, floor = string.byte, math.floor
local B2_IV_HI = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
local B2_IV_LO = {0xf3bcc908, 0x84caa73b, 0xfe94f82b, 0x5f1d36f1,
                  0xade682d1, 0x2b3e6c1f, 0xfb41bd6b, 0x137e2179}
local B2_SIGMA = {
  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
  {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
  {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
  {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
  {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
  {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
  {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
  {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
  {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
  {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
}
local B2_LANES = {{1, 5, 9, 13}, {2, 6, 10, 14}, {3, 7, 11, 15}, {4, 8, 12, 16},
                  {1, 6, 11, 16}, {2, 7, 12, 13}, {3, 8, 9, 14}, {4, 5, 10, 15}}
local TWO32 = 4294967296

local function b2_compress(hh, hl, msg, offset, count, last)
  local mh, ml = {}, {}
  for i = 0, 15 do
    local p = offset + i * 8
    local b1, b2, b3, b4, b5, b6, b7, b8 = byte(msg, p + 1, p + 8)
    ml[i] = tobit((b1 or 0) + (b2 or 0) * 256 + (b3 or 0) * 65536 + (b4 or 0) * 16777216)
    mh[i] = tobit((b5 or 0) + (b6 or 0) * 256 + (b7 or 0) * 65536 + (b8 or 0) * 16777216)
  end
  local vh, vl = {}, {}
  for i = 1, 8 do
    vh[i], vl[i] = hh[i], hl[i]
    vh[i + 8], vl[i + 8] = tobit(B2_IV_HI[i]), tobit(B2_IV_LO[i])
  end
  vl[13] = bxor(vl[13], tobit(count % TWO32))
  vh[13] = bxor(vh[13], tobit(floor(count / TWO32)))
  if last then
    vh[15], vl[15] = bnot(vh[15]), bnot(vl[15])
  end
  for r = 1, 12 do
    local s = B2_SIGMA[(r - 1) % 10 + 1]
    for g = 1, 8 do
      local lane = B2_LANES[g]
      local a, b, c, d = lane[1], lane[2], lane[3], lane[4]
      local x, y = s[2 * g - 1], s[2 * g]
      local ah, al, bh, bl = vh[a], vl[a], vh[b], vl[b]
      local ch, cl, dh, dl = vh[c], vl[c], vh[d], vl[d]
      -- a = a + b + m[x]; d = rotr32(d ^ a)
      local lo = al % TWO32 + bl % TWO32 + ml[x] % TWO32
      ah = tobit(ah + bh + mh[x] + floor(lo / TWO32))
      al = tobit(lo)
      dh, dl = bxor(dl, al), bxor(dh, ah)
      -- c = c + d; b = rotr24(b ^ c)
      lo = cl % TWO32 + dl % TWO32
      ch = tobit(ch + dh + floor(lo / TWO32))
      cl = tobit(lo)
      local th, tl = bxor(bh, ch), bxor(bl, cl)
      bh = bor(shr(th, 24), shl(tl, 8))
      bl = bor(shr(tl, 24), shl(th, 8))
      -- a = a + b + m[y]; d = rotr16(d ^ a)
      lo = al % TWO32 + bl % TWO32 + ml[y] % TWO32
      ah = tobit(ah + bh + mh[y] + floor(lo / TWO32))
      al = tobit(lo)
      th, tl = bxor(dh, ah), bxor(dl, al)
      dh = bor(shr(th, 16), shl(tl, 16))
      dl = bor(shr(tl, 16), shl(th, 16))
      -- c = c + d; b = rotr63(b ^ c)
      lo = cl % TWO32 + dl % TWO32
      ch = tobit(ch + dh + floor(lo / TWO32))
      cl = tobit(lo)
      th, tl = bxor(bh, ch), bxor(bl, cl)
      bh = bor(shl(th, 1), shr(tl, 31))
      bl = bor(shl(tl, 1), shr(th, 31))
      vh[a], vl[a], vh[b], vl[b] = ah, al, bh, bl
      vh[c], vl[c], vh[d], vl[d] = ch, cl, dh, dl
    end
  end
  for i = 1, 8 do
    hh[i] = bxor(hh[i], bxor(vh[i], vh[i + 8]))
    hl[i] = bxor(hl[i], bxor(vl[i], vl[i + 8]))
  end
end

local function b2_le_hex(x)
  return string.format('%02x%02x%02x%02x', band(x, 255), band(shr(x, 8), 255),
    band(shr(x, 16), 255), band(shr(x, 24), 255))
end

local function blake2b_256_hex(msg)
  local hh, hl = {}, {}
  for i = 1, 8 do
    hh[i], hl[i] = tobit(B2_IV_HI[i]), tobit(B2_IV_LO[i])
  end
  hl[1] = bxor(hl[1], 0x01010020) -- digest length 32, no key, fanout 1, depth 1
  local n = #msg
  local offset = 0
  while n - offset > 128 do
    b2_compress(hh, hl, msg, offset, offset + 128, false)
    offset = offset + 128
  end
  b2_compress(hh, hl, msg, offset, n, true)
  local out = {}
  for i = 1, 4 do
    out[#out + 1] = b2_le_hex(hl[i])
    out[#out + 1] = b2_le_hex(hh[i])
  end
  return table.concat(out)
end

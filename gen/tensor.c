/*
** tensor.c: dense float32 buffers for weights.
** A network's weights run to millions of numbers; Lua tables of doubles
** would cost 16 bytes each and round differently from the C the network
** runs in.  A tensor stores exactly the float32 values the generated C
** will hold, so folding and packing in Lua round like the target does.
** Indices are 0-based: they are the flat C index of the element.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lauxlib.h"
#include "convgen.h"

#define TENSOR_META "convgen.tensor"

struct tensor {
  lua_Integer n;
  float data[1];        /* n elements; the userdata is sized for them */
};

static struct tensor *check_tensor(lua_State *L, int arg)
{
  return luaL_checkudata(L, arg, TENSOR_META);
}

static struct tensor *push_tensor(lua_State *L, lua_Integer n)
{
  struct tensor *t;
  size_t bytes;
  luaL_argcheck(L, n >= 0 && (size_t)n < ((size_t)-1 - sizeof *t) / sizeof(float), 1,
                "tensor size out of range");
  bytes = sizeof *t + (size_t)n * sizeof(float);
  t = lua_newuserdatauv(L, bytes, 0);
  memset(t, 0, bytes);
  t->n = n;
  luaL_setmetatable(L, TENSOR_META);
  return t;
}

static lua_Integer check_index(lua_State *L, const struct tensor *t, int arg)
{
  lua_Integer i = luaL_checkinteger(L, arg);
  luaL_argcheck(L, i >= 0 && i < t->n, arg, "index out of range");
  return i;
}

/* tensor.new(n) -> n zeros */
static int tensor_new(lua_State *L)
{
  push_tensor(L, luaL_checkinteger(L, 1));
  return 1;
}

/* tensor.from_f32le(bytes, offset, n): n little-endian float32 values
   starting at byte offset (0-based) of the string. */
static int tensor_from_f32le(lua_State *L)
{
  size_t len;
  const unsigned char *bytes = (const unsigned char *)luaL_checklstring(L, 1, &len);
  lua_Integer offset = luaL_checkinteger(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  struct tensor *t;
  lua_Integer i;
  luaL_argcheck(L, offset >= 0 && (size_t)offset <= len, 2, "offset past the end");
  luaL_argcheck(L, n >= 0 && (size_t)n <= (len - (size_t)offset) / 4, 3, "data past the end");
  t = push_tensor(L, n);
  for (i = 0; i < n; i++) {
    const unsigned char *p = bytes + offset + 4 * i;
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    memcpy(&t->data[i], &u, sizeof u);
  }
  return 1;
}

/* t:to_f32le() -> the values as little-endian float32 bytes, the inverse
   of from_f32le (for writing safetensors files). */
static int tensor_to_f32le(lua_State *L)
{
  struct tensor *t = check_tensor(L, 1);
  luaL_Buffer b;
  lua_Integer i;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)t->n * 4);
  for (i = 0; i < t->n; i++) {
    uint32_t u;
    memcpy(&u, &t->data[i], sizeof u);
    out[4 * i] = (unsigned char)u;
    out[4 * i + 1] = (unsigned char)(u >> 8);
    out[4 * i + 2] = (unsigned char)(u >> 16);
    out[4 * i + 3] = (unsigned char)(u >> 24);
  }
  luaL_pushresultsize(&b, (size_t)t->n * 4);
  return 1;
}

/* splitmix64: small, well studied, and easy to reimplement from the
   README's description, so users can reproduce random weights. */
static uint64_t splitmix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* tensor.uniform(n, seed, lo, hi): element i is lo + (hi-lo) * u_i where
   u_i is the top 24 bits of the i-th splitmix64 output divided by 2^24. */
static int tensor_uniform(lua_State *L)
{
  lua_Integer n = luaL_checkinteger(L, 1);
  uint64_t state = (uint64_t)luaL_checkinteger(L, 2);
  double lo = luaL_checknumber(L, 3), hi = luaL_checknumber(L, 4);
  struct tensor *t = push_tensor(L, n);
  lua_Integer i;
  for (i = 0; i < n; i++) {
    double u = (double)(splitmix64(&state) >> 40) / 16777216.0;
    t->data[i] = (float)(lo + (hi - lo) * u);
  }
  return 1;
}

static int tensor_get(lua_State *L)
{
  struct tensor *t = check_tensor(L, 1);
  lua_pushnumber(L, t->data[check_index(L, t, 2)]);
  return 1;
}

/* t:set(i, v) rounds v to float32, as the generated C would store it. */
static int tensor_set(lua_State *L)
{
  struct tensor *t = check_tensor(L, 1);
  lua_Integer i = check_index(L, t, 2);
  t->data[i] = (float)luaL_checknumber(L, 3);
  return 0;
}

static int tensor_len(lua_State *L)
{
  lua_pushinteger(L, check_tensor(L, 1)->n);
  return 1;
}

/* t:all_finite() -> true, or false and the first bad index */
static int tensor_all_finite(lua_State *L)
{
  struct tensor *t = check_tensor(L, 1);
  lua_Integer i;
  for (i = 0; i < t->n; i++) {
    if (!isfinite(t->data[i])) {
      lua_pushboolean(L, 0);
      lua_pushinteger(L, i);
      return 2;
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Nine significant digits always bring a float32 back exactly; the 'f'
   suffix makes the C compiler round the decimal straight to float. */
static int format_float(char *buf, size_t size, float v)
{
  int len = snprintf(buf, size, "%.9g", (double)v);
  if (!strpbrk(buf, ".en"))           /* "3" alone cannot take a suffix */
    len += snprintf(buf + len, size - (size_t)len, ".0");
  return len + snprintf(buf + len, size - (size_t)len, "f");
}

/* t:format(per_line, indent) -> the body of a C initializer list */
static int tensor_format(lua_State *L)
{
  struct tensor *t = check_tensor(L, 1);
  lua_Integer per_line = luaL_optinteger(L, 2, 8);
  const char *indent = luaL_optstring(L, 3, "  ");
  luaL_Buffer b;
  lua_Integer i;
  char num[48];
  luaL_argcheck(L, per_line > 0, 2, "per_line must be positive");
  luaL_buffinit(L, &b);
  for (i = 0; i < t->n; i++) {
    if (!isfinite(t->data[i]))
      return luaL_error(L, "tensor element %d is not finite", (int)i);
    if (i % per_line == 0)
      luaL_addstring(&b, indent);
    luaL_addlstring(&b, num, (size_t)format_float(num, sizeof num, t->data[i]));
    if (i + 1 < t->n)
      luaL_addchar(&b, ',');
    luaL_addchar(&b, (i + 1) % per_line == 0 || i + 1 == t->n ? '\n' : ' ');
  }
  luaL_pushresult(&b);
  return 1;
}

int luaopen_tensor(lua_State *L)
{
  static const luaL_Reg methods[] = {
    {"get", tensor_get},
    {"set", tensor_set},
    {"all_finite", tensor_all_finite},
    {"format", tensor_format},
    {"to_f32le", tensor_to_f32le},
    {NULL, NULL}
  };
  static const luaL_Reg functions[] = {
    {"new", tensor_new},
    {"from_f32le", tensor_from_f32le},
    {"uniform", tensor_uniform},
    {NULL, NULL}
  };
  luaL_newmetatable(L, TENSOR_META);        /* stack: meta */
  luaL_newlib(L, methods);                  /* stack: meta, methods */
  lua_setfield(L, -2, "__index");           /* stack: meta */
  lua_pushcfunction(L, tensor_len);
  lua_setfield(L, -2, "__len");
  lua_pop(L, 1);
  luaL_newlib(L, functions);                /* stack: module */
  return 1;
}

/*
** convgen.h: what the C files of the convgen program share.
** The C side is the host: CLI bootstrap, Lua state, sandbox limits,
** file I/O and a float32 buffer type.  Everything else is Lua, in gen/.
*/
#ifndef CONVGEN_H
#define CONVGEN_H

#include <stddef.h>
#include "lua.h"

#define CONVGEN_VERSION "0.1.0"

/* sandbox.c: the state's allocator keeps a byte count so that a spec can
   be given a memory cap while it runs. */
struct memory_account {
  size_t in_use;       /* bytes currently allocated by this state */
  size_t limit;        /* 0: unlimited; otherwise refuse to grow past it */
  int tripped;         /* set when a request was refused because of limit */
};
lua_State *sandbox_newstate(struct memory_account *account);

/* state.c: a state with the standard libraries, host modules and the
   embedded-source searcher; NULL when out of memory. */
lua_State *convgen_newstate(struct memory_account *account);
int luaopen_sandbox(lua_State *L);

/* host.c: I/O and embedded sources, as the Lua module "host". */
int luaopen_host(lua_State *L);
void host_install_searcher(lua_State *L);

/* tensor.c: the "tensor" module, dense float32 buffers. */
int luaopen_tensor(lua_State *L);

/* onnx.c: the "onnx" module, ONNX models decoded with protobuf-c. */
int luaopen_onnx(lua_State *L);

/* build/embedded.c, written by gen/embed.c at build time. */
struct embedded_file {
  const char *name;            /* path relative to the source tree */
  const unsigned char *data;
  size_t size;
};
extern const struct embedded_file convgen_embedded[];  /* ends with name NULL */

#endif

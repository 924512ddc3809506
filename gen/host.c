/*
** host.c: the file system as convgen's Lua code sees it.
** Reading a file, writing output files atomically, and finding the
** generator's own sources: embedded in the binary, or read from a
** directory given with --templates while templates are being developed.
** For the tuner (gen/tune.lua): a monotonic clock, and Ctrl-C turned
** into a flag it checks between measurements, so that it can keep what
** it measured.
*/
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lauxlib.h"
#include "convgen.h"

/* Where templates/ files come from when --templates DIR is given. */
static const char template_dir_key = 't';

/* What a file that cannot be read to its end is, or NULL: a device such
   as /dev/zero never ends, and a directory has no contents.  Pipes stay
   readable, for `convgen <(make_spec)`. */
static const char *unreadable_kind(FILE *f)
{
  struct stat st;
  if (fstat(fileno(f), &st) != 0) return NULL;
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  return NULL;
}

/* host.read_file(path) -> contents | nil, message */
static int host_read_file(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  FILE *f = fopen(path, "rb");
  const char *kind;
  luaL_Buffer b;
  size_t n;
  if (!f) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno));
    return 2;
  }
  if ((kind = unreadable_kind(f)) != NULL) {
    fclose(f);
    lua_pushnil(L);
    lua_pushfstring(L, "cannot read %s: it is %s, not a file", path, kind);
    return 2;
  }
  luaL_buffinit(L, &b);
  do {
    char *p = luaL_prepbuffer(&b);
    n = fread(p, 1, LUAL_BUFFERSIZE, f);
    luaL_addsize(&b, n);
  } while (n == LUAL_BUFFERSIZE);
  if (ferror(f)) {
    int err = errno;
    fclose(f);
    lua_pushnil(L);
    lua_pushfstring(L, "cannot read %s: %s", path, strerror(err));
    return 2;
  }
  fclose(f);
  luaL_pushresult(&b);
  return 1;
}

static mode_t current_umask(void)
{
  mode_t mask = umask(0);
  umask(mask);
  return mask;
}

/* Writes contents to a new temporary file beside path; returns its name
   (malloc'd) or NULL with errno set. */
static char *write_temporary(const char *path, const char *contents, size_t size)
{
  size_t len = strlen(path);
  char *tmp = malloc(len + sizeof ".XXXXXX");
  int fd, saved;
  FILE *f;
  if (!tmp)
    return NULL;
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".XXXXXX", sizeof ".XXXXXX");
  fd = mkstemp(tmp);
  if (fd < 0)
    goto fail;
  fchmod(fd, 0666 & ~current_umask());   /* mkstemp makes 0600; outputs are ordinary files */
  f = fdopen(fd, "wb");
  if (!f) {
    close(fd);
    goto fail_unlink;
  }
  if (fwrite(contents, 1, size, f) != size || fflush(f) != 0) {
    saved = errno;
    fclose(f);
    errno = saved;
    goto fail_unlink;
  }
  if (fclose(f) != 0)
    goto fail_unlink;
  return tmp;
fail_unlink:
  saved = errno;
  unlink(tmp);
  errno = saved;
fail:
  saved = errno;
  free(tmp);
  errno = saved;
  return NULL;
}

/* Removes and frees the temporaries not yet renamed into place. */
static void discard_temporaries(char **tmps, int n)
{
  int i;
  for (i = 0; i < n; i++) {
    if (tmps[i]) {
      unlink(tmps[i]);
      free(tmps[i]);
      tmps[i] = NULL;
    }
  }
}

/*
** host.write_files({path1, contents1, path2, contents2, ...}) -> true | nil, message
** Every file is written to a temporary beside it first; only when all are
** complete are they renamed into place, so a failure leaves no partial
** file and the previous outputs untouched.  What could make a rename fail
** (a directory in the way, no write permission in the directory) is found
** before the first rename; rename within one directory does not otherwise
** fail short of an I/O error.  Ctrl-C and kill wait until the files are
** in place or cleaned up (host_write_files), so neither leaves a
** temporary or some of the outputs behind.
*/
static int write_files(lua_State *L, int n)
{
  int i;
  char **tmps;
  for (i = 0; i < n; i++) {           /* a rename over a directory would fail late */
    struct stat st;
    lua_geti(L, 1, 2 * i + 1);                      /* stack: tbl, path */
    if (stat(lua_tostring(L, -1), &st) == 0 && S_ISDIR(st.st_mode)) {
      lua_pushnil(L);
      lua_pushfstring(L, "cannot write %s: it is a directory", lua_tostring(L, -2));
      return 2;
    }
    lua_pop(L, 1);
  }
  tmps = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 1), 0);  /* stack: tbl, tmps */
  for (i = 0; i < n; i++)
    tmps[i] = NULL;
  for (i = 0; i < n; i++) {
    size_t size;
    const char *path, *contents;
    lua_geti(L, 1, 2 * i + 1);                      /* stack: tbl, tmps, path */
    lua_geti(L, 1, 2 * i + 2);                      /* stack: tbl, tmps, path, contents */
    path = lua_tostring(L, -2);
    contents = lua_tolstring(L, -1, &size);
    tmps[i] = write_temporary(path, contents, size);
    if (!tmps[i]) {
      lua_pushnil(L);
      lua_pushfstring(L, "cannot write %s: %s", path, strerror(errno));
      discard_temporaries(tmps, n);
      return 2;
    }
    lua_pop(L, 2);
  }
  for (i = 0; i < n; i++) {
    const char *path;
    lua_geti(L, 1, 2 * i + 1);                      /* stack: tbl, tmps, path */
    path = lua_tostring(L, -1);
    if (rename(tmps[i], path) != 0) {
      lua_pushnil(L);
      lua_pushfstring(L, "cannot rename %s to %s: %s", tmps[i], path, strerror(errno));
      discard_temporaries(tmps, n);
      return 2;
    }
    free(tmps[i]);
    tmps[i] = NULL;
    lua_pop(L, 1);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int host_write_files(lua_State *L)
{
  sigset_t blocked, old;
  int n, i, results;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int)luaL_len(L, 1) / 2;
  for (i = 1; i <= 2 * n; i++) {      /* check arguments before touching disk */
    luaL_argcheck(L, lua_geti(L, 1, i) == LUA_TSTRING, 1, "paths and contents must be strings");
    lua_pop(L, 1);
  }
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGHUP);
  sigprocmask(SIG_BLOCK, &blocked, &old);
  results = write_files(L, n);
  sigprocmask(SIG_SETMASK, &old, NULL);   /* a signal that came meanwhile acts now */
  return results;
}

static int write_stream(lua_State *L, FILE *f)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (fwrite(s, 1, len, f) != len || fflush(f) != 0)
    return luaL_error(L, "cannot write output: %s", strerror(errno));
  return 0;
}

static int host_write_stdout(lua_State *L) { return write_stream(L, stdout); }
static int host_write_stderr(lua_State *L) { return write_stream(L, stderr); }

/* host.set_template_dir(dir): templates/NAME is read from dir/NAME from now on */
static int host_set_template_dir(lua_State *L)
{
  luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &template_dir_key);
  return 0;
}

static const struct embedded_file *find_embedded(const char *name)
{
  const struct embedded_file *f;
  for (f = convgen_embedded; f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

/* host.source(name) -> text, chunkname | nil, message
   name is a path in the source tree, such as "gen/plan.lua". */
static int host_source(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  const struct embedded_file *f;
  if (strncmp(name, "templates/", 10) == 0) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &template_dir_key);
    if (lua_isstring(L, -1)) {                      /* read from disk */
      const char *path = lua_pushfstring(L, "%s/%s", lua_tostring(L, -1), name + 10);
      lua_pushcfunction(L, host_read_file);
      lua_pushstring(L, path);
      lua_call(L, 1, 2);                            /* stack: dir, path, text|nil, err */
      if (lua_isnil(L, -2))
        return 2;
      lua_pop(L, 1);
      lua_pushfstring(L, "@%s", path);              /* stack: ..., text, chunkname */
      return 2;
    }
    lua_pop(L, 1);
  }
  f = find_embedded(name);
  if (!f) {
    lua_pushnil(L);
    lua_pushfstring(L, "no embedded source %s", name);
    return 2;
  }
  lua_pushlstring(L, (const char *)f->data, f->size);
  lua_pushfstring(L, "@%s", name);
  return 2;
}

/* package.searchers entry: require "plan" loads embedded gen/plan.lua as
   text only (no bytecode), under its real name so errors point at it. */
static int search_embedded(lua_State *L)
{
  const char *module = luaL_checkstring(L, 1);
  const char *name = lua_pushfstring(L, "gen/%s.lua", module);
  const struct embedded_file *f = find_embedded(name);
  if (!f) {
    lua_pushfstring(L, "no embedded file '%s'", name);
    return 1;
  }
  if (luaL_loadbufferx(L, (const char *)f->data, f->size,
                       lua_pushfstring(L, "@%s", name), "t") != LUA_OK)
    return lua_error(L);
  lua_pushstring(L, name);                          /* stack: ..., loader, name */
  return 2;
}

void host_install_searcher(lua_State *L)
{
  lua_getglobal(L, "package");
  lua_newtable(L);                                  /* stack: package, searchers */
  lua_getfield(L, -2, "searchers");
  lua_rawgeti(L, -1, 1);                            /* keep the preload searcher */
  lua_rawseti(L, -3, 1);
  lua_pop(L, 1);
  lua_pushcfunction(L, search_embedded);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, -2, "searchers");                 /* only preload and embedded */
  lua_pop(L, 1);
}

/* host.cpu_target(): the best target this machine runs, for --target's
   default: "avx512", "avx2", "neon" or "generic".  Every AArch64 core
   has NEON (Advanced SIMD is part of the base architecture), so there is
   nothing to ask the CPU there. */
static int host_cpu_target(lua_State *L)
{
  const char *target = "generic";
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    target = "avx512";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    target = "avx2";
#elif defined(__aarch64__)
  target = "neon";
#endif
  lua_pushstring(L, target);
  return 1;
}

/* host.now(): seconds on a monotonic clock, for time budgets. */
static int host_now(lua_State *L)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  lua_pushnumber(L, (lua_Number)t.tv_sec + (lua_Number)t.tv_nsec * 1e-9);
  return 1;
}

static volatile sig_atomic_t interrupt_seen;

static void on_interrupt(int sig)
{
  (void)sig;
  interrupt_seen = 1;
}

/* host.catch_interrupt(): from now on Ctrl-C (SIGINT, and SIGTERM) only
   sets the flag host.interrupted() returns.  A child process run through
   os.execute still gets the signal itself and stops. */
static int host_catch_interrupt(lua_State *L)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  (void)L;
  return 0;
}

static int host_interrupted(lua_State *L)
{
  lua_pushboolean(L, interrupt_seen);
  return 1;
}

/* host.stderr_is_terminal(): whether progress can redraw one line. */
static int host_stderr_is_terminal(lua_State *L)
{
  lua_pushboolean(L, isatty(2));
  return 1;
}

/* host.modified(path): the file's last modification, in seconds since
   the epoch, or nil if it cannot be read; the tuner compares the
   harness objects it links with their sources. */
static int host_modified(lua_State *L)
{
  struct stat st;
  if (stat(luaL_checkstring(L, 1), &st) != 0) return 0;
  lua_pushinteger(L, (lua_Integer)st.st_mtime);
  return 1;
}

int luaopen_host(lua_State *L)
{
  static const luaL_Reg functions[] = {
    {"read_file", host_read_file},
    {"write_files", host_write_files},
    {"write_stdout", host_write_stdout},
    {"write_stderr", host_write_stderr},
    {"set_template_dir", host_set_template_dir},
    {"source", host_source},
    {"cpu_target", host_cpu_target},
    {"now", host_now},
    {"catch_interrupt", host_catch_interrupt},
    {"interrupted", host_interrupted},
    {"stderr_is_terminal", host_stderr_is_terminal},
    {"modified", host_modified},
    {NULL, NULL}
  };
  luaL_newlib(L, functions);
  return 1;
}

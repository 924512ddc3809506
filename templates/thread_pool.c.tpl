$-- The workers of a net generated with --threads, and its forward_with.
$-- The workers are started by the first call and then stay, parked on a
$-- condition variable between calls: a thread started afresh for every
$-- call was put on the caller's core about half the time, and there it
$-- took turns with the caller instead of running beside it (a pass took
$-- twice as long as on one thread).  One call at a time has the pool;
$-- another that comes meanwhile runs alone on its own thread.
/* The ${workers} worker threads, started by the first call and parked between
   calls; ${prefix}_stop_threads() ends them. */
static struct {
  pthread_mutex_t busy;  /* held by the call that has the workers */
  pthread_mutex_t lock;  /* guards the fields below */
  pthread_cond_t wake;   /* a call for the workers, or the stop */
  int started;           /* workers running; -1: one could not be started */
  int stopping;
  unsigned long calls;   /* bumped for each call the workers join */
  struct ${prefix}_run *run;
  pthread_t thread[${workers}];
} ${prefix}_pool = {.busy = PTHREAD_MUTEX_INITIALIZER, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void (*const ${prefix}_parts[${workers}])(struct ${prefix}_run *) = {${table.concat(parts, ", ")}};
static int ${prefix}_worker_index[${workers}] = {${table.concat(indices, ", ")}};

static void *${prefix}_worker(void *arg)
{
  const int index = *(const int *)arg;
  unsigned long seen = 0;
  for (;;) {
    struct ${prefix}_run *run;
    /* a net run in a loop calls again soon: wait awake a while first */
    for (int spins = 0; spins < ${spin_limit} && __atomic_load_n(&${prefix}_pool.calls, __ATOMIC_ACQUIRE) == seen; ++spins)
      convgen_wait_a_little(spins);
    pthread_mutex_lock(&${prefix}_pool.lock);
    while (${prefix}_pool.calls == seen && !${prefix}_pool.stopping)
      pthread_cond_wait(&${prefix}_pool.wake, &${prefix}_pool.lock);
    seen = ${prefix}_pool.calls;
    run = ${prefix}_pool.stopping ? NULL : ${prefix}_pool.run;
    pthread_mutex_unlock(&${prefix}_pool.lock);
    if (run == NULL) return NULL;
    /* its part ends at the pass's last meeting: after that, `run` (on the
       caller's stack) is gone */
    ${prefix}_parts[index](run);
  }
}

/* Holds busy.  Returns 1 when all workers run, starting them on first use. */
static int ${prefix}_workers_ready(void)
{
  while (${prefix}_pool.started >= 0 && ${prefix}_pool.started < ${workers}) {
    const int t = ${prefix}_pool.started;
    if (pthread_create(&${prefix}_pool.thread[t], NULL, ${prefix}_worker, &${prefix}_worker_index[t]) != 0) {
      ${prefix}_pool.started = -1 - t; /* the first t still run: stop_threads ends them */
      return 0;
    }
    ${prefix}_pool.started = t + 1;
  }
  return ${prefix}_pool.started == ${workers};
}

void ${prefix}_forward_with(float *restrict arena, ${table.concat(params, ", ")})
{
  struct ${prefix}_run run;
  run.arena = arena;
$for _, name in ipairs(names) do
  run.${name} = ${name};
$end
  if (pthread_mutex_trylock(&${prefix}_pool.busy) != 0) {
    ${prefix}_alone(&run);
    return;
  }
  if (!${prefix}_workers_ready()) {
    pthread_mutex_unlock(&${prefix}_pool.busy);
    ${prefix}_alone(&run);
    return;
  }
  pthread_mutex_lock(&${prefix}_pool.lock);
  ${prefix}_pool.run = &run;
  __atomic_add_fetch(&${prefix}_pool.calls, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&${prefix}_pool.wake);
  pthread_mutex_unlock(&${prefix}_pool.lock);
  ${prefix}_thread0(&run);
  pthread_mutex_unlock(&${prefix}_pool.busy);
}

void ${prefix}_stop_threads(void)
{
  int started;
  pthread_mutex_lock(&${prefix}_pool.busy);
  started = ${prefix}_pool.started;
  pthread_mutex_lock(&${prefix}_pool.lock);
  ${prefix}_pool.stopping = 1;
  pthread_cond_broadcast(&${prefix}_pool.wake);
  pthread_mutex_unlock(&${prefix}_pool.lock);
  for (int t = 0; t < (started < 0 ? -1 - started : started); ++t) pthread_join(${prefix}_pool.thread[t], NULL);
  pthread_mutex_lock(&${prefix}_pool.lock);
  /* workers started later begin from calls = 0, as the first ones did */
  ${prefix}_pool.stopping = 0;
  ${prefix}_pool.started = 0;
  ${prefix}_pool.calls = 0;
  ${prefix}_pool.run = NULL;
  pthread_mutex_unlock(&${prefix}_pool.lock);
  pthread_mutex_unlock(&${prefix}_pool.busy);
}

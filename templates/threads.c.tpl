$-- What a forward pass on several threads needs: a place where the
$-- threads meet after each step they share.  The meeting spins: a step
$-- here takes microseconds, and sleeping in the kernel (a futex, as
$-- pthread_barrier_wait does) costs that much again at each of them.
$-- After a while of spinning it yields, so that a thread the OS put off
$-- (more threads than free cores) is not kept waiting by the spinner.
/* Where the ${threads} threads of a forward pass meet.  GNU C atomics: GCC and
   clang have them in C99 mode, which C11's <stdatomic.h> is not. */
typedef struct {
  int arrived; /* threads at the meeting now */
  unsigned round; /* meetings so far (wrapping); the last to arrive moves it on */
} convgen_meeting;

#if !defined(__GNUC__)
#error "a net generated with --threads needs GCC or clang (GNU C atomics)"
#endif

static void convgen_wait_a_little(int spins)
{
#if defined(__x86_64__) || defined(__i386__)
  if (spins < ${spin_limit}) {
    __builtin_ia32_pause();
    return;
  }
#elif defined(__aarch64__)
  if (spins < ${spin_limit}) {
    __asm__ __volatile__("yield");
    return;
  }
#endif
  (void)spins;
  sched_yield();
}

/* Returns once all ${threads} threads have called it: what each wrote before
   is then visible to all. */
static void convgen_meet(convgen_meeting *m)
{
  const unsigned round = __atomic_load_n(&m->round, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(&m->arrived, 1, __ATOMIC_ACQ_REL) == ${threads}) {
    __atomic_store_n(&m->arrived, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&m->round, round + 1u, __ATOMIC_RELEASE);
    return;
  }
  for (int spins = 0; __atomic_load_n(&m->round, __ATOMIC_ACQUIRE) == round; ++spins)
    convgen_wait_a_little(spins);
}
